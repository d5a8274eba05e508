"""Language detection for ru / uk / en by script and letters unique to each language.

Ukrainian vs Russian matters (templates, lexicons): Ukrainian has і ї є ґ and the apostrophe
inside words; Russian has ы э ъ ё. Mixed signals go to whichever has more distinctive letters.
"""

from __future__ import annotations

import re

_UK_ONLY = set("іїєґ")
_RU_ONLY = set("ыэъё")
_UK_WORDS = frozenset(
    [
        "і",
        "й",
        "та",
        "це",
        "що",
        "як",
        "але",
        "дуже",
        "не",
        "є",
        "був",
        "була",
        "було",
        "для",
        "від",
        "до",
        "на",
        "по",
        "при",
        "про",
        "за",
        "якщо",
        "або",
        "мені",
        "мене",
        "вже",
        "ще",
        "тільки",
        "можна",
        "треба",
        "дякую",
        "товар",
        "доставка",
        "гроші",
    ]
)
_RU_WORDS = frozenset(
    [
        "и",
        "а",
        "это",
        "что",
        "как",
        "но",
        "очень",
        "не",
        "есть",
        "был",
        "была",
        "было",
        "для",
        "от",
        "до",
        "на",
        "по",
        "при",
        "про",
        "за",
        "если",
        "или",
        "мне",
        "меня",
        "уже",
        "еще",
        "только",
        "можно",
        "надо",
        "спасибо",
        "товар",
        "доставка",
        "деньги",
    ]
)


def detect_language(text: str) -> str | None:
    """'ru', 'uk', 'en', or None when there are no letters to go by."""
    cyrillic = latin = uk = ru = 0
    for ch in text.lower():
        if "а" <= ch <= "я" or ch in "ёіїєґ":
            cyrillic += 1
            if ch in _UK_ONLY:
                uk += 1
            elif ch in _RU_ONLY:
                ru += 1
        elif "a" <= ch <= "z":
            latin += 1
    if cyrillic == 0 and latin == 0:
        return None
    if latin > cyrillic:
        return "en"
    if uk == ru:
        words = re.findall(r"\w+", text.lower())
        uk += sum(w in _UK_WORDS and w not in _RU_WORDS for w in words)
        ru += sum(w in _RU_WORDS and w not in _UK_WORDS for w in words)
    return "uk" if uk > ru else "ru"

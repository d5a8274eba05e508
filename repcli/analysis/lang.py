"""Language detection for ru / uk / en by script and letters unique to each language.

Ukrainian vs Russian matters (templates, lexicons): Ukrainian has і ї є ґ and the apostrophe
inside words; Russian has ы э ъ ё. Mixed signals go to whichever has more distinctive letters.
"""

from __future__ import annotations

import re

_UK_ONLY = set("іїєґ")
_RU_ONLY = set("ыэъё")
# Words that tell the languages apart when no letter does (only words unique to one of them).
_UK_WORDS = frozenset(
    "й це що як але дуже був була було від якщо або мені мене вже ще тільки можна треба "
    "дякую гроші".split()
)
_RU_WORDS = frozenset(
    "и это что как но очень есть был была было от если или мне меня уже еще только можно "
    "надо спасибо деньги".split()
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
        uk += sum(w in _UK_WORDS for w in words)
        ru += sum(w in _RU_WORDS for w in words)
    return "uk" if uk > ru else "ru"

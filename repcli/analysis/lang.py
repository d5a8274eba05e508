"""Language detection for ru / uk / en by script and letters unique to each language.

Ukrainian vs Russian matters (templates, lexicons): Ukrainian has і ї є ґ and the apostrophe
inside words; Russian has ы э ъ ё. Mixed signals go to whichever has more distinctive letters.
"""

from __future__ import annotations

import re

_UK_ONLY = "іїєґ"
_RU_ONLY = "ыэъё"
# Words that tell the languages apart when no letter does (only words unique to one of them).
_UK_WORDS = frozenset(
    "й це що як але дуже був була було від якщо або мені мене вже ще тільки можна треба "
    "дякую гроші".split()
)
_RU_WORDS = frozenset(
    "и это что как но очень есть был была было от если или мне меня уже еще только можно "
    "надо спасибо деньги".split()
)


_CYRILLIC = re.compile(r"[а-яёіїєґ]+")
_LATIN = re.compile(r"[a-z]+")
_WORD = re.compile(r"\w+")


def detect_language(text: str) -> str | None:
    """'ru', 'uk', 'en', or None when there are no letters to go by."""
    low = text.lower()
    # Letters are counted in C: the runs of each script, then the telling letters.
    cyrillic = sum(map(len, _CYRILLIC.findall(low)))
    latin = sum(map(len, _LATIN.findall(low)))
    if cyrillic == 0 and latin == 0:
        return None
    if latin > cyrillic:
        return "en"
    uk = sum(map(low.count, _UK_ONLY))
    ru = sum(map(low.count, _RU_ONLY))
    if uk == ru:
        words = _WORD.findall(low)
        uk += sum(w in _UK_WORDS for w in words)
        ru += sum(w in _RU_WORDS for w in words)
    return "uk" if uk > ru else "ru"

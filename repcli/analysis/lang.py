"""Language detection for ru / uk / en by script and letters unique to each language.

Ukrainian vs Russian matters (templates, lexicons): Ukrainian has і ї є ґ and the apostrophe
inside words; Russian has ы э ъ ё. Mixed signals go to whichever has more distinctive letters.
"""

from __future__ import annotations

import re

from repcli.analysis.cues import encoded, tokenize, tokens_of

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


_WORD = re.compile(r"\w+")
# Letters are counted in C: the text in cp1251 (one byte per Russian, Ukrainian or English
# letter; what it lacks is no letter counted here and is left out), then one bytes.translate
# puts each byte in its class (c: Cyrillic, u / r: a letter only Ukrainian / Russian has, l:
# Latin, anything else "."), and bytes.count counts a class.
_CYRILLIC = "абвгдежзийклмнопрстуфхцчшщъыьэюяёіїєґ"


def _letter_classes() -> bytes:
    table = bytearray(b"." * 256)
    for letters, cls in (
        (b"abcdefghijklmnopqrstuvwxyz", b"l"),
        (_CYRILLIC.encode("cp1251"), b"c"),
        (_UK_ONLY.encode("cp1251"), b"u"),
        (_RU_ONLY.encode("cp1251"), b"r"),
    ):
        for byte in letters:
            table[byte] = cls[0]
    return bytes(table)


_LETTER_CLASSES = _letter_classes()


def detect_language(text: str) -> str | None:
    """'ru', 'uk', 'en', or None when there are no letters to go by."""
    low = text.lower()
    return _language(low, low.encode("cp1251", "ignore"))


def tokens_and_language(text: str) -> tuple[list[str], str | None]:
    """`tokenize(text)` and `detect_language(text)`, lowercasing and encoding the text once."""
    low = text.lower()
    data = encoded(low)
    if data is None:
        return tokenize(text), detect_language(text)
    return tokens_of(data), _language(low, data)


def _language(low: str, data: bytes) -> str | None:
    """The language of lowercased text, given in cp1251 (what cp1251 lacks left out, or as
    anything but a letter)."""
    classes = data.translate(_LETTER_CLASSES)
    uk, ru, latin = classes.count(b"u"), classes.count(b"r"), classes.count(b"l")
    cyrillic = classes.count(b"c") + uk + ru
    if cyrillic == 0 and latin == 0:
        return None
    if latin > cyrillic:
        return "en"
    if uk == ru:
        words = _WORD.findall(low)
        uk += sum(map(_UK_WORDS.__contains__, words))
        ru += sum(map(_RU_WORDS.__contains__, words))
    return "uk" if uk > ru else "ru"

"""Word stems for matching word forms: Snowball's Russian and English stemmers (the algorithms
search engines use), and for Ukrainian, which Snowball does not cover, the ending list the
keyword filters use. `search "стирка"` must find "стирки"; "возврата" must find "возврат"."""

from __future__ import annotations

import functools
from typing import Any

_UK_LETTERS = frozenset("іїєґ")
_MIN_STEM = 3


# Inflection endings, longest first; a word keeps at least 3 letters of stem.
_ENDINGS = sorted(
    """ами ями ого его ому ему ыми ими ией иям иях ах ях ам ям ом ем ой ей ий ый ая яя ое ее
    ые ие ов ев ью ию ия ие ою ею ів їв ою ам ям а я ы и і ї у ю е є о ь""".split(),
    key=len,
    reverse=True,
)


def ending_stem(word: str) -> str:
    """A crude, predictable stem: the word without one inflection ending (Cyrillic only).
    Ukrainian words here, and the keyword filters of social sources (`sources.wire.keywords`)."""
    if not any("а" <= ch <= "я" or ch in "іїєґ" for ch in word):
        return word.rstrip("s") if len(word) > 3 else word  # English plural
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            return word[: -len(ending)]
    return word


@functools.cache
def _stemmer(language: str) -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer(language)


def stem(word: str) -> str:
    """The stem of one lower-case word (the word itself when it is short or not a word)."""
    if len(word) <= _MIN_STEM or not word.isalpha():
        return word
    if _UK_LETTERS & set(word):
        return ending_stem(word)
    cyrillic = any("а" <= ch <= "я" or ch == "ё" for ch in word)
    stemmed: str = _stemmer("russian" if cyrillic else "english").stemWord(word)
    return stemmed if len(stemmed) >= _MIN_STEM else word

"""Word stems for matching word forms: Snowball's Russian and English stemmers (the algorithms
search engines use), and for Ukrainian, which Snowball does not cover, the ending list the
keyword filters use. `search "стирка"` must find "стирки"; "возврата" must find "возврат"."""

from __future__ import annotations

import functools
from typing import Any

_UK_LETTERS = frozenset("іїєґ")
_MIN_STEM = 3


@functools.cache
def _stemmer(language: str) -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer(language)


def stem(word: str) -> str:
    """The stem of one lower-case word (the word itself when it is short or not a word)."""
    if len(word) <= _MIN_STEM or not word.isalpha():
        return word
    if _UK_LETTERS & set(word):
        from repcli.sources.keywords import stem as uk_stem

        return uk_stem(word)
    cyrillic = any("а" <= ch <= "я" or ch == "ё" for ch in word)
    stemmed: str = _stemmer("russian" if cyrillic else "english").stemWord(word)
    return stemmed if len(stemmed) >= _MIN_STEM else word

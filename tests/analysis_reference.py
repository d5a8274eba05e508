"""The tokenizer, cue matcher and language detection as they were before the one-pass rewrite
(commit 34419d5), kept as the reference the new ones must agree with (tests/test_cue_pass.py)."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence

BOUNDARY = "|"
"""The token punctuation becomes: phrases never match across it, negation stops at it."""
_MAX_STEM = 24
# Tokenising runs in C: a punctuation mark and whatever non-word characters follow it become
# one " | ", then words (with inner apostrophes) and those bars are found in one pass.
_PUNCTUATION = re.compile(r"[.,!?;:…()][^\w]*")
_TOKEN = re.compile(r"\w+(?:'+\w+)*|\|")


def normalise(text: str) -> str:
    return text.lower().replace("ё", "е").replace("ʼ", "'").replace("’", "'")


def tokenize(text: str) -> list[str]:
    """Lowercased words, and BOUNDARY where punctuation stood (never first, never twice)."""
    tokens = _TOKEN.findall(_PUNCTUATION.sub(" | ", normalise(text).replace("|", " ")))
    if tokens and tokens[0] == BOUNDARY:
        del tokens[0]
    return tokens


@dataclasses.dataclass(frozen=True, slots=True)
class Hit:
    cue: str
    """The entry as written in the lexicon (for reasons shown to people)."""
    value: float
    start: int
    """Index of the first token matched."""
    end: int
    """Index after the last token matched."""


_UNSEEN = object()
_CACHE_SIZE = 100_000
_Phrase = tuple[tuple[tuple[str, bool], ...], str, float]
"""(the words, each with `exact`), the cue as written, its value."""


@dataclasses.dataclass(frozen=True, slots=True, eq=False)  # compared by identity: fast `in`
class _Info:
    single: tuple[str, float] | None
    phrasal: bool


class CueMatcher:
    """Matches many cues against a token list in one pass."""

    def __init__(self, cues: Mapping[str, float]) -> None:
        self._exact: dict[str, tuple[str, float]] = {}
        self._stems: dict[str, tuple[str, float]] = {}
        self._phrases: dict[str, list[_Phrase]] = {}
        self._pairs: dict[tuple[str, str], list[_Phrase]] = {}
        """Phrases by the first 3 letters of their first two words (most phrases)."""
        self._cache: dict[str, _Info | None] = {}
        """Token -> what it can start: shop texts repeat their words a lot."""
        for cue, value in cues.items():
            key = normalise(cue).strip()
            words = key.split()
            if not words:
                continue
            if len(words) > 1:
                # Index phrases by their first word's first 3 letters (or the whole short word).
                head = words[0].rstrip("$")[:3]
                parts = tuple((w.rstrip("$"), w.endswith("$")) for w in words)
                second, exact = parts[1]
                if exact or len(second) >= 3:  # a token's first 3 letters pick it out
                    self._pairs.setdefault((head, second[:3]), []).append((parts, cue, value))
                else:
                    self._phrases.setdefault(head, []).append((parts, cue, value))
            elif key.endswith("$"):
                self._exact[key[:-1]] = (cue, value)
            else:
                self._stems[key] = (cue, value)
        for group in (*self._phrases.values(), *self._pairs.values()):
            group.sort(key=lambda p: -len(p[0]))
        self._stem_lengths = sorted({len(s) for s in self._stems}, reverse=True)
        self._pair_heads = {head for head, _ in self._pairs}

    def _single(self, token: str) -> tuple[str, float] | None:
        found = self._exact.get(token)
        if not found:
            for length in self._stem_lengths:
                if length <= len(token) and length <= _MAX_STEM:
                    found = self._stems.get(token[:length])
                    if found:
                        break
        return found

    def _info(self, token: str) -> _Info | None:
        """What a token can start: its single-word cue, and whether phrases begin with it
        (None, the common case: neither)."""
        single = self._single(token)
        head = token[:3]
        phrasal = head in self._phrases or head in self._pair_heads
        info = _Info(single, phrasal) if single or phrasal else None
        if token.isdigit():
            return info  # order numbers, prices: rarely seen twice, they would crowd the cache
        if len(self._cache) > _CACHE_SIZE:
            self._cache.clear()
        self._cache[token] = info
        return info

    def find(self, tokens: list[str]) -> list[Hit]:
        n = len(tokens)
        # One C-level pass looks every token up; only the few that can start a cue are visited.
        infos = list(map(self._cache.get, tokens, itertools.repeat(_UNSEEN, n)))
        i = -1
        with contextlib.suppress(ValueError):  # the few unseen tokens, found by a C-level scan
            while True:
                i = infos.index(_UNSEEN, i + 1)
                infos[i] = self._info(tokens[i])
        hits: list[Hit] = []
        taken = 0  # tokens before this index belong to a phrase already matched
        for i in itertools.compress(range(n), infos):
            if i < taken:
                continue
            info = infos[i]
            assert isinstance(info, _Info)
            if info.phrasal:
                phrase = self._phrase_at(tokens, i)
                if phrase is not None:
                    hits.append(phrase)
                    taken = phrase.end
                    continue
            if info.single:
                hits.append(Hit(info.single[0], info.single[1], i, i + 1))
        return hits

    def _phrase_at(self, tokens: list[str], i: int) -> Hit | None:
        """The longest phrase starting at token i, if one matches."""
        n = len(tokens)
        head = tokens[i][:3]
        candidates: Sequence[_Phrase] = self._phrases.get(head, ())
        if i + 1 < n:
            paired = self._pairs.get((head, tokens[i + 1][:3]))
            if paired:
                candidates = sorted((*paired, *candidates), key=lambda p: -len(p[0]))
        for words, cue, value in candidates:
            end = i + len(words)
            if end > n:
                continue
            for k, (word, exact) in enumerate(words):
                other = tokens[i + k]
                if (other != word) if exact else not other.startswith(word):
                    break
            else:
                return Hit(cue, value, i, end)
        return None


def merge(maps: Iterable[Mapping[str, float]]) -> dict[str, float]:
    merged: dict[str, float] = {}
    for mapping in maps:
        merged.update(mapping)
    return merged


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

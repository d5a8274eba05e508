"""Fast cue matching over word tokens: stems (prefix), exact words (`word$`) and phrases.

One matcher serves the negativity lexicon and the topic taxonomy. Text is lowercased, ё folded
to е, and split into tokens; a stem matches a token it begins; a phrase matches consecutive
tokens, each by its own rule. Phrases win over the single words inside them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping

_TOKEN = re.compile(r"[\w'ʼ’]+|[.,!?;:…()]+", re.UNICODE)
BOUNDARY = "|"
"""The token punctuation becomes: phrases never match across it, negation stops at it."""
_MAX_STEM = 24


def normalise(text: str) -> str:
    return text.lower().replace("ё", "е").replace("ʼ", "'").replace("’", "'")


def tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    for raw in _TOKEN.findall(normalise(text)):
        if raw[0] in ".,!?;:…()":
            if tokens and tokens[-1] != BOUNDARY:
                tokens.append(BOUNDARY)
            continue
        token = raw.strip("'")
        if token:
            tokens.append(token)
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
_CACHE_SIZE = 200_000


class CueMatcher:
    """Matches many cues against a token list in one pass."""

    def __init__(self, cues: Mapping[str, float]) -> None:
        self._exact: dict[str, tuple[str, float]] = {}
        self._stems: dict[str, tuple[str, float]] = {}
        self._phrases: dict[str, list[tuple[tuple[tuple[str, bool], ...], str, float]]] = {}
        self._pairs: dict[
            tuple[str, str], list[tuple[tuple[tuple[str, bool], ...], str, float]]
        ] = {}
        """Phrases by the first 3 letters of their first two words (most phrases)."""
        self._cache: dict[str, tuple[str, float] | None] = {}
        """Token -> its single-word cue: shop texts repeat their words a lot."""
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

    def _single(self, token: str) -> tuple[str, float] | None:
        cached = self._cache.get(token, _UNSEEN)
        if cached is not _UNSEEN:
            return cached  # type: ignore[return-value]
        found = self._exact.get(token)
        if not found:
            for length in self._stem_lengths:
                if length <= len(token) and length <= _MAX_STEM:
                    found = self._stems.get(token[:length])
                    if found:
                        break
        if len(self._cache) > _CACHE_SIZE:
            self._cache.clear()
        self._cache[token] = found
        return found

    def find(self, tokens: list[str]) -> list[Hit]:
        hits: list[Hit] = []
        i = 0
        n = len(tokens)
        phrases, pairs = self._phrases, self._pairs
        while i < n:
            token = tokens[i]
            matched = False
            head = token[:3]
            candidates = phrases.get(head, ())
            if i + 1 < n:
                paired = pairs.get((head, tokens[i + 1][:3]))
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
                    hits.append(Hit(cue, value, i, end))
                    i = end
                    matched = True
                    break
            if matched:
                continue
            single = self._single(token)
            if single:
                hits.append(Hit(single[0], single[1], i, i + 1))
            i += 1
        return hits


def merge(maps: Iterable[Mapping[str, float]]) -> dict[str, float]:
    merged: dict[str, float] = {}
    for mapping in maps:
        merged.update(mapping)
    return merged

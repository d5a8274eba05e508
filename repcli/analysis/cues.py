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


def _word_matches(pattern: str, token: str) -> bool:
    if pattern.endswith("$"):
        return token == pattern[:-1]
    return token.startswith(pattern)


class CueMatcher:
    """Matches many cues against a token list in one pass."""

    def __init__(self, cues: Mapping[str, float]) -> None:
        self._exact: dict[str, tuple[str, float]] = {}
        self._stems: dict[str, tuple[str, float]] = {}
        self._phrases: dict[str, list[tuple[list[str], str, float]]] = {}
        for cue, value in cues.items():
            key = normalise(cue).strip()
            words = key.split()
            if not words:
                continue
            if len(words) > 1:
                # Index phrases by their first word's first 3 letters (or the whole short word).
                head = words[0].rstrip("$")[:3]
                self._phrases.setdefault(head, []).append((words, cue, value))
            elif key.endswith("$"):
                self._exact[key[:-1]] = (cue, value)
            else:
                self._stems[key] = (cue, value)
        for group in self._phrases.values():
            group.sort(key=lambda p: -len(p[0]))
        self._stem_lengths = sorted({len(s) for s in self._stems}, reverse=True)

    def _single(self, token: str) -> tuple[str, float] | None:
        found = self._exact.get(token)
        if found:
            return found
        for length in self._stem_lengths:
            if length <= len(token) and length <= _MAX_STEM:
                found = self._stems.get(token[:length])
                if found:
                    return found
        return None

    def find(self, tokens: list[str]) -> list[Hit]:
        hits: list[Hit] = []
        i = 0
        n = len(tokens)
        while i < n:
            token = tokens[i]
            matched = False
            for words, cue, value in self._phrases.get(token[:3], ()):
                end = i + len(words)
                if end <= n and all(_word_matches(w, tokens[i + k]) for k, w in enumerate(words)):
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

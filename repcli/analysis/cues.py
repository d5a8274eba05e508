"""Fast cue matching over word tokens: stems (prefix), exact words (`word$`) and phrases.

One matcher serves the negativity lexicon and the topic taxonomy. Text is lowercased, ё folded
to е, and split into tokens; a stem matches a token it begins; a phrase matches consecutive
tokens, each by its own rule. Phrases win over the single words inside them.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import ahocorasick

BOUNDARY = "|"
"""The token punctuation becomes: phrases never match across it, negation stops at it."""
_MAX_STEM = 24
_PUNCTUATION_MARKS = ".,!?;:…()"
# Tokenising runs in C: a punctuation mark and whatever non-word characters follow it become
# one " | ", then words (with inner apostrophes) and those bars are found in one pass.
_PUNCTUATION = re.compile(rf"[{_PUNCTUATION_MARKS}][^\w]*")
_TOKEN = re.compile(r"\w+(?:'+\w+)*|\|")


def normalise(text: str) -> str:
    return text.lower().replace("ё", "е").replace("ʼ", "'").replace("’", "'")


def _byte_classes() -> bytes:
    """cp1251 (one byte a character: every Russian, Ukrainian and English letter) byte by byte:
    a word character stays, the apostrophe stays, a punctuation mark becomes "|", anything
    else (a "|" of the text too) a space."""
    table = bytearray(range(256))
    for byte in range(256):
        char = bytes([byte]).decode("cp1251", "replace")
        if char in _PUNCTUATION_MARKS:
            table[byte] = ord(BOUNDARY)
        elif char != "'" and not re.match(r"\w", char):
            table[byte] = ord(" ")
    return bytes(table)


_BYTE_CLASSES = _byte_classes()
_BARS = re.compile(rb"\|[ |']*")
"""A punctuation run with the non-word characters after it, among the classified bytes."""


def _not_a_word(error: UnicodeError) -> tuple[str, int]:
    """Outside cp1251: a space for what is no word character (emoji, symbols); a word character
    (Greek, accented Latin) leaves the fast path."""
    assert isinstance(error, UnicodeEncodeError)
    if any(c.isalnum() or c == "_" for c in error.object[error.start : error.end]):
        raise error
    return " ", error.end


codecs.register_error("repcli-not-a-word", _not_a_word)


def tokenize(text: str) -> list[str]:
    """Lowercased words, and BOUNDARY where punctuation stood (never first, never twice).

    Words are runs of word characters joined by apostrophes (`\\w+(?:'+\\w+)*`); a
    punctuation mark and the non-word characters after it are one BOUNDARY. Text in cp1251's
    letters (almost every shop text) is classified byte by byte in C (~2x the regular
    expressions' speed); other text goes through the expressions, with the same result."""
    norm = normalise(text)
    try:
        data = norm.encode("cp1251", "repcli-not-a-word")
    except UnicodeEncodeError:
        return _tokenize_slowly(norm)
    data = data.translate(_BYTE_CLASSES)
    if b"|" in data:
        data = _BARS.sub(b" | ", data)
    tokens = data.decode("cp1251").split()
    if b"'" in data:  # apostrophes only inside words
        tokens = [t for t in (t.strip("'") if "'" in t else t for t in tokens) if t]
    if tokens and tokens[0] == BOUNDARY:
        del tokens[0]
    return tokens


def _tokenize_slowly(norm: str) -> list[str]:
    tokens = _TOKEN.findall(_PUNCTUATION.sub(" | ", norm.replace("|", " ")))
    if tokens and tokens[0] == BOUNDARY:
        del tokens[0]
    return tokens


class Hit(NamedTuple):
    cue: str
    """The entry as written in the lexicon (for reasons shown to people)."""
    value: float
    start: int
    """Index of the first token matched."""
    end: int
    """Index after the last token matched."""


_Phrase = tuple[tuple[tuple[str, bool], ...], str, float]
"""(the words, each with `exact`), the cue as written, its value."""
_Single = tuple[str, float]


class _Pattern(NamedTuple):
    """What one key of the automaton stands for."""

    width: int
    """The key's length: where it ends minus this is where it starts."""
    exact: _Single | None
    """The single-word cue `word$` whose whole token this is."""
    stem: _Single | None
    """The single-word stem cue this is."""
    stem_length: int
    phrases: tuple[tuple[int, int, _Phrase], ...]
    """(rank, the word's place in the phrase, the phrase) of phrases this word anchors."""


class CueMatcher:
    """Matches many cues against a token list in one pass.

    The tokens are joined by spaces and one Aho-Corasick automaton (pyahocorasick, in C) finds
    every cue in that one string: " word " for `word$`, " stem" for a stem (it begins a token),
    and for a phrase its longest word, after which Python checks the phrase's other words.
    Phrases win over the single words inside them; at one place, the longest phrase."""

    def __init__(self, cues: Mapping[str, float]) -> None:
        exact: dict[str, _Single] = {}
        stems: dict[str, _Single] = {}
        phrases: list[tuple[tuple[int, int, int, int], tuple[str, int], _Phrase]] = []
        groups: dict[tuple[str, ...], int] = {}
        for cue, value in cues.items():
            key = normalise(cue).strip()
            words = key.split()
            if not words:
                continue
            if len(words) > 1:
                parts = tuple((w.rstrip("$"), w.endswith("$")) for w in words)
                # A phrase is looked for where the first 3 letters of its first word begin a
                # token (and of its second, unless that is a stem shorter than 3 letters): a
                # first word shorter than 3 letters has to be the whole token.
                first, first_exact = parts[0]
                parts = ((first, first_exact or len(first) < 3), *parts[1:])
                second, second_exact = parts[1]
                paired = second_exact or len(second) >= 3
                group = (first[:3], second[:3]) if paired else (first[:3],)
                order = groups.setdefault(group, 0)
                groups[group] = order + 1
                # The order of the candidates at one place: longest, paired before not,
                # then as written.
                rank = (-len(parts), 0 if paired else 1, order, len(phrases))
                phrases.append((rank, _anchor(parts), (parts, cue, value)))
            elif key.endswith("$"):
                exact[key[:-1]] = (cue, value)
            elif len(key) <= _MAX_STEM:
                stems[key] = (cue, value)
        entries: dict[str, dict[str, Any]] = {}
        for word, found in exact.items():
            entries.setdefault(f" {word} ", {})["exact"] = found
        for word, found in stems.items():
            entries.setdefault(f" {word}", {})["stem"] = found
        ranks = {rank: i for i, (rank, _, _) in enumerate(sorted(phrases))}
        for rank, (key, place), phrase in phrases:
            entry = entries.setdefault(key, {})
            entry["phrases"] = (*entry.get("phrases", ()), (ranks[rank], place, phrase))
        self._automaton: Any = None
        if entries:
            self._automaton = ahocorasick.Automaton()
            for key, entry in entries.items():
                self._automaton.add_word(
                    key,
                    _Pattern(
                        len(key),
                        entry.get("exact"),
                        entry.get("stem"),
                        len(key) - 1,
                        tuple(sorted(entry.get("phrases", ()))),
                    ),
                )
            self._automaton.make_automaton()

    def find(self, tokens: list[str]) -> list[Hit]:
        if self._automaton is None or not tokens:
            return []
        singles: dict[int, tuple[int, _Single]] = {}
        """Token index -> (its cue's rank: exact first, then the longest stem), the cue."""
        starts: dict[int, tuple[int, _Phrase]] = {}
        """Token index -> the best phrase that starts there (the lowest rank)."""
        joined = " " + " ".join(tokens) + " "
        for end, pattern in self._automaton.iter(joined):
            # Every key starts with the space before a token: the spaces before it count it.
            i = joined.count(" ", 0, end - pattern.width + 1)
            if pattern.exact is not None:
                singles[i] = (-_MAX_STEM - 1, pattern.exact)
            if pattern.stem is not None:
                best = singles.get(i)
                if best is None or -pattern.stem_length < best[0]:
                    singles[i] = (-pattern.stem_length, pattern.stem)
            for rank, place, phrase in pattern.phrases:
                at = i - place
                found = starts.get(at)
                if (found is None or rank < found[0]) and _matches(tokens, at, phrase[0]):
                    starts[at] = (rank, phrase)
        hits: list[Hit] = []
        taken = 0  # tokens before this index belong to a phrase already matched
        for i in sorted({*singles, *starts}):
            if i < taken:
                continue
            if i in starts:
                words, cue, value = starts[i][1]
                taken = i + len(words)
                hits.append(Hit(cue, value, i, taken))
            else:
                cue, value = singles[i][1]
                hits.append(Hit(cue, value, i, i + 1))
        return hits


def _anchor(words: tuple[tuple[str, bool], ...]) -> tuple[str, int]:
    """The key a phrase is found by, and the index of the word it starts at: the longest run
    of its words that stands in the joined tokens as it is written (words joined by a space,
    each but the last exact)."""
    best = ("", 0)
    for start in range(len(words)):
        key = ""
        for word, exact in words[start:]:
            key += f" {word}"
            if not exact:
                break
        else:
            key += " "
        best = max(best, (key, start), key=lambda k: len(k[0]))
    return best


def _matches(tokens: list[str], i: int, words: tuple[tuple[str, bool], ...]) -> bool:
    """Whether the phrase's words match the tokens from index i on, each by its own rule."""
    if i < 0 or i + len(words) > len(tokens):
        return False
    for k, (word, exact) in enumerate(words):
        other = tokens[i + k]
        if (other != word) if exact else not other.startswith(word):
            return False
    return True


def merge(maps: Iterable[Mapping[str, float]]) -> dict[str, float]:
    merged: dict[str, float] = {}
    for mapping in maps:
        merged.update(mapping)
    return merged

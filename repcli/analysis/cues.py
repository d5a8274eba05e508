"""Fast cue matching over word tokens: stems (prefix), exact words (`word$`) and phrases.

One matcher serves the negativity lexicon and the topic taxonomy. Text is lowercased, ё folded
to е, and split into tokens; a stem matches a token it begins; a phrase matches consecutive
tokens, each by its own rule. Phrases win over the single words inside them.
"""

from __future__ import annotations

import bisect
import codecs
import functools
import itertools
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

import ahocorasick

BOUNDARY = "|"
"""The token punctuation becomes: phrases never match across it, negation stops at it."""
_MAX_STEM = 24
_PUNCTUATION_MARKS = ".,!?;:…()"
# Tokenising runs in C: a punctuation mark and whatever non-word characters follow it become
# one " | ", then words (with inner apostrophes) and those bars are found in one pass.
_PUNCTUATION = re.compile(rf"[{_PUNCTUATION_MARKS}][^\w]*")
WORD = r"\w+(?:'+\w+)*"
"""A word: word characters joined by apostrophes (what `tokenize` keeps of the text)."""
_TOKEN = re.compile(WORD + r"|\|")


def normalise(text: str) -> str:
    return text.lower().replace("ё", "е").replace("ʼ", "'").replace("’", "'")


def _byte_classes() -> bytes:
    """cp1251 (one byte a character: every Russian, Ukrainian and English letter) byte by byte:
    a word character stays (ё as е: `normalise`), the apostrophe stays (’ as '), a punctuation
    mark becomes "|", anything else (a "|" of the text too) a space."""
    table = bytearray(range(256))
    for byte in range(256):
        char = bytes([byte]).decode("cp1251", "replace")
        if char in "ё’":
            table[byte] = normalise(char).encode("cp1251")[0]
        elif char in _PUNCTUATION_MARKS:
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
    data = encoded(text.lower())
    return _tokenize_slowly(normalise(text)) if data is None else tokens_of(data)


def encoded(low: str) -> bytes | None:
    """Lowercased text in cp1251, what is no word character outside it as spaces (ʼ as '):
    what `tokens_of` reads. None when a word character is outside cp1251."""
    try:
        return low.replace("ʼ", "'").encode("cp1251", "repcli-not-a-word")
    except UnicodeEncodeError:
        return None


def tokens_of(data: bytes) -> list[str]:
    """`tokenize` of the text `encoded` gave."""
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


_Single = tuple[str, float]


_Word = tuple[str, bool]
"""A word of a cue: the word, and whether it is `exact` (`word$`: the whole token)."""
_Phrase = tuple[tuple[int, int, int, int], tuple[_Word, ...], str, float]
"""(its rank, its words, the cue as written, its value)."""
_Found = tuple[int, int, str, float]
"""What an automaton key stands for: (its length minus one, its rank: lower wins at one place,
the cue as written, its value)."""
_EXPANSION_CAP = 64
"""A phrase is written out as every sequence of token classes it matches when there are at most
this many (the shipped lists: at most 9); beyond, it is found by one word and checked."""
_CACHE_SIZE = 100_000
_MAX_WORD = 64
"""Tokens shorter than this have their own list of stem lengths to try; longer ones try all."""
_NO_CUE = "  "
"""The class of a token no cue word matches."""


def _class_codes(count: int) -> Iterator[str]:
    """`count` codes of two characters, one per token class: a class string has two characters
    a token. Two small alphabets (a first character, a second) keep every node of the automaton
    small (pyahocorasick looks a character up among a node's children one by one), and a key
    can only match where a token's code begins."""
    base = max(2, math.isqrt(count) + 1)
    for i in range(count):
        yield chr(0x100 + i // base) + chr(0x100 + base + i % base)


class _Table:
    """The classes of tokens over a set of cue words: a token's class is the token itself when
    some word is exactly it, else the longest stem that begins it (or none). Whether a cue word
    matches a token depends only on its class, in any table that has the word (a table with
    more words only has finer classes)."""

    def __init__(self, exact: Iterable[str], stems: Iterable[str]) -> None:
        exact_words, stem_words = sorted(set(exact)), sorted(set(stems))
        codes = _class_codes(len(exact_words) + len(stem_words))
        self.exact = dict(zip(exact_words, codes, strict=False))
        self.stems = dict(zip(stem_words, codes, strict=False))
        lengths = sorted({len(s) for s in self.stems}, reverse=True)
        self._lengths = [
            *(tuple(n for n in lengths if n <= size) for size in range(_MAX_WORD)),
            tuple(lengths),
        ]
        """Token length -> the lengths of stems it may begin with, longest first."""
        self._sorted = sorted([*self.exact.items(), *self.stems.items()])
        self._words = [word for word, _ in self._sorted]
        self._codes = _Codes(self)
        self._last: tuple[list[str], str] = ([], "")

    def covers(self, exact: Iterable[str], stems: Iterable[str]) -> bool:
        return self.exact.keys() >= set(exact) and self.stems.keys() >= set(stems)

    def beginning(self, stem: str) -> list[str]:
        """The codes of the classes whose tokens begin with `stem`."""
        low = bisect.bisect_left(self._words, stem)
        high = bisect.bisect_left(self._words, stem + "\U0010ffff", low)
        return [code for _, code in self._sorted[low:high]]

    def code_of(self, token: str) -> str:
        code = self.exact.get(token)
        if code is not None:
            return code
        stems = self.stems
        for length in self._lengths[min(len(token), _MAX_WORD)]:
            code = stems.get(token[:length])
            if code is not None:
                return code
        return _NO_CUE

    def line(self, tokens: list[str]) -> str:
        """The class string of the tokens: one code (two characters) a token. The last one is
        kept: the lexicon and the topics of one text share it."""
        last, line = self._last
        if tokens != last:  # same tokens: a comparison of the same objects, in C
            line = "".join(map(self._codes.__getitem__, tokens))
            self._last = (list(tokens), line)
        return line


class _Codes(dict[str, str]):
    """Token -> the code of its class, worked out the first time a token is seen."""

    def __init__(self, table: _Table) -> None:
        super().__init__()
        self._table = table

    def __missing__(self, token: str) -> str:
        if len(self) >= _CACHE_SIZE:
            self.clear()
        code = self[token] = self._table.code_of(token)
        return code


@functools.cache
def _shipped_table() -> _Table:
    """One table over every cue word of the shipped lexicon and topics, so that the lexicon's
    and the topics' matchers of one analysis class a text's tokens once."""
    from repcli.analysis.shipped import load_yaml

    lexicon, topics = load_yaml("lexicon.yaml"), load_yaml("topics.yaml")
    cues: list[str] = []
    for part in ("negative", "positive", "question_complaints"):
        for found in (lexicon.get(part) or {}).values():
            cues += found or ()
    for spec in (topics.get("topics") or {}).values():
        for words in (spec.get("cues") or {}).values():
            cues += words or ()
    for words in (topics.get("app_words") or {}).values():
        cues += words or ()
    return _Table(*_words(_parse(dict.fromkeys(cues, 1.0))))


def _words(
    parsed: tuple[dict[str, _Single], dict[str, _Single], list[_Phrase]],
) -> tuple[set[str], set[str]]:
    """The exact words and the stems of parsed cues."""
    exact, stems, phrases = parsed
    return (
        {*exact, *(w for _, p, _, _ in phrases for w, e in p if e)},
        {*stems, *(w for _, p, _, _ in phrases for w, e in p if not e)},
    )


class CueMatcher:
    """Matches many cues against a token list in one pass.

    A cue word is a stem (it matches the tokens it begins) or exact (`word$`, the whole token).
    The tokens of a text become one string of class codes (`_Table`: a token's class is worked
    out once and cached), and one Aho-Corasick automaton (pyahocorasick, in C) over that string
    finds every cue: a single word is its classes, one code each; a phrase is every sequence of
    the classes its words match, written out. Phrases win over the single words inside them;
    at one place, the longest phrase (in words), then as the lexicon orders them."""

    def __init__(self, cues: Mapping[str, float]) -> None:
        exact, stems, phrases = parsed = _parse(cues)
        words = _words(parsed)
        table = _shipped_table()
        self._table = table if table.covers(*words) else _Table(*words)
        keys: dict[str, _Found] = {}
        # Single words: a class's best single cue (exact first, then the longest stem; a
        # stem's classes include those of the longer stems that begin with it).
        single_rank = len(phrases)
        for stem in sorted(stems, key=len):
            for code in self._table.beginning(stem):
                keys[code] = (0, single_rank, *stems[stem])
        for word, found in exact.items():
            keys[self._table.exact[word]] = (0, single_rank, *found)
        self._checked: list[tuple[int, int, tuple[frozenset[str], ...], str, float]] = []
        """Phrases with too many class sequences: (the index of the word they are found by,
        rank, the classes each word matches, cue, value)."""
        checked_by: dict[str, list[int]] = {}
        for rank, (_, parts, cue, value) in enumerate(phrases):
            matching = [
                [self._table.exact[word]] if is_exact else self._table.beginning(word)
                for word, is_exact in parts
            ]
            count = 1
            for classes in matching:
                count *= len(classes)
            if 0 < count <= _EXPANSION_CAP:
                for sequence in itertools.product(*matching):
                    key = "".join(sequence)
                    if key not in keys or rank < keys[key][1]:
                        keys[key] = (len(parts) - 1, rank, cue, value)
            elif count:
                place = min(range(len(parts)), key=lambda k: len(matching[k]))
                for code in matching[place]:
                    checked_by.setdefault(code, []).append(len(self._checked))
                self._checked.append(
                    (place, rank, tuple(frozenset(c) for c in matching), cue, value)
                )
        self._checked_by = {code: tuple(found) for code, found in checked_by.items()}
        self._keys = keys
        self._automaton: Any = None
        if keys:
            self._automaton = ahocorasick.Automaton()
            for key, found_key in keys.items():
                self._automaton.add_word(key, found_key)
            self._automaton.make_automaton()

    def find(self, tokens: list[str]) -> list[Hit]:
        return [Hit(*span) for span in self.spans(tokens)]

    def spans(self, tokens: list[str]) -> list[tuple[str, float, int, int]]:
        """`find` as plain tuples (cue, value, start, end): what the models loop over."""
        if self._automaton is None or not tokens:
            return []
        line = self._table.line(tokens)
        if not self._checked_by:
            # Leftmost-longest is the rule: at one place a longer key is a phrase of more
            # words (a lower rank), and keys of one length at one place are one key.
            return [
                (found[2], found[3], (end >> 1) - found[0], (end >> 1) + 1)
                for end, found in self._automaton.iter_long(line)
            ]
        best: dict[int, _Found] = {}
        """Start index -> the best cue that starts there (the lowest rank)."""
        for end, found in self._automaton.iter(line):
            start = (end >> 1) - found[0]
            old = best.get(start)
            if old is None or found[1] < old[1]:
                best[start] = found
        if self._checked_by:
            self._find_checked(line, best)
        spans: list[tuple[str, float, int, int]] = []
        taken = 0  # tokens before this index belong to a phrase already matched
        for start in sorted(best) if len(best) > 1 else best:
            if start >= taken:
                back, _, cue, value = best[start]
                taken = start + back + 1
                spans.append((cue, value, start, taken))
        return spans

    def among(self, cues: Iterable[str]) -> Callable[[list[str]], bool]:
        """A test of tokens that is False when none of these cues can be among their hits (no
        key of theirs is in the tokens), in one C pass: a cheap look before `find`."""
        wanted = frozenset(cues)
        automaton: Any = ahocorasick.Automaton()
        for key, found in self._keys.items():
            if found[2] in wanted:
                automaton.add_word(key, True)
        for place, _, classes, cue, _ in self._checked:
            if cue in wanted:
                for code in classes[place]:
                    automaton.add_word(code, True)
        if len(automaton) == 0:
            return lambda tokens: False
        automaton.make_automaton()

        def anywhere(tokens: list[str]) -> bool:
            line = self._table.line(tokens)
            return any(automaton.iter(line))

        return anywhere

    def _find_checked(self, line: str, best: dict[int, _Found]) -> None:
        codes = [line[i : i + 2] for i in range(0, len(line), 2)]
        for at, code in enumerate(codes):
            for index in self._checked_by.get(code, ()):
                place, rank, classes, cue, value = self._checked[index]
                start = at - place
                old = best.get(start)
                if (
                    (old is None or rank < old[1])
                    and start >= 0
                    and start + len(classes) <= len(codes)
                    and all(codes[start + k] in c for k, c in enumerate(classes))
                ):
                    best[start] = (len(classes) - 1, rank, cue, value)


def _parse(
    cues: Mapping[str, float],
) -> tuple[dict[str, _Single], dict[str, _Single], list[_Phrase]]:
    """The single exact words, the single stems and the phrases (in the order they win at one
    place) of a cue list."""
    exact: dict[str, _Single] = {}
    stems: dict[str, _Single] = {}
    phrases: list[_Phrase] = []
    groups: dict[tuple[str, ...], int] = {}
    for cue, value in cues.items():
        key = normalise(cue).strip()
        words = key.split()
        if not words:
            continue
        if len(words) > 1:
            parts = tuple((w.rstrip("$"), w.endswith("$")) for w in words)
            # A first word shorter than 3 letters has to be the whole token.
            first, first_exact = parts[0]
            parts = ((first, first_exact or len(first) < 3), *parts[1:])
            second, second_exact = parts[1]
            paired = second_exact or len(second) >= 3
            group = (first[:3], second[:3]) if paired else (first[:3],)
            order = groups.setdefault(group, 0)
            groups[group] = order + 1
            # The order of the phrases at one place: longest, paired before not, then as
            # written.
            rank = (-len(parts), 0 if paired else 1, order, len(phrases))
            phrases.append((rank, parts, cue, value))
        elif key.endswith("$"):
            exact[key[:-1]] = (cue, value)
        elif len(key) <= _MAX_STEM:
            stems[key] = (cue, value)
    phrases.sort()
    return exact, stems, phrases


def merge(maps: Iterable[Mapping[str, float]]) -> dict[str, float]:
    merged: dict[str, float] = {}
    for mapping in maps:
        merged.update(mapping)
    return merged

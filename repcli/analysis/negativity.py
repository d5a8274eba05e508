"""Negativity of text: the model interface and the built-in lexicon model (v1).

`TextModel.score(text, lang)` returns a `TextScore`: a negativity score in [0, 1] and the cues
that decided it. A trained model (the `train` command, later) implements the same interface.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Protocol

from repcli.analysis.cues import BOUNDARY, CueMatcher, Hit, tokenize
from repcli.analysis.shipped import load_yaml

NEGATION_WINDOW = 3
INTENSIFIER_WINDOW = 2
NEGATION_FACTOR = 0.7
LANGS = ("ru", "uk", "en")
# Russian and Ukrainian share many stems and shops mix both: Cyrillic text is read with both.
_READ_WITH = {"ru": ("ru", "uk"), "uk": ("uk", "ru"), "en": ("en",)}


@dataclasses.dataclass(frozen=True, slots=True)
class TextScore:
    score: float
    """Negativity in [0, 1]; 0 when nothing negative was found."""
    negative_cues: tuple[str, ...] = ()
    positive_cues: tuple[str, ...] = ()

    @property
    def polarity(self) -> str:
        if self.score >= 0.5:
            return "negative"
        if self.positive_cues and self.score < 0.35:
            return "positive"
        return "neutral"


class TextModel(Protocol):
    name: str

    def score(self, text: str, lang: str | None, tokens: list[str] | None = None) -> TextScore:
        """`tokens`: the text's `tokenize`, when the caller has it already (one tokenising
        serves the model and the topics)."""
        ...


@dataclasses.dataclass(frozen=True)
class _Reader:
    """Everything needed to read text in one language group."""

    matcher: CueMatcher
    negators: frozenset[str]
    intensifiers: dict[str, float]


class LexiconModel:
    """Weighted RU/UK/EN complaint and praise cues, with negation and intensifiers.

    Negative and positive cues share one matcher (signed weights), so the longest cue at a
    position wins: "без повреждений" is praise although "повреждений" alone is a complaint.
    """

    name = "lexicon"

    def __init__(self, lexicon: dict[str, Any] | None = None) -> None:
        data = lexicon if lexicon is not None else load_yaml("lexicon.yaml")
        self._readers: dict[str | None, _Reader] = {}
        for key, langs in (*_READ_WITH.items(), (None, LANGS)):
            cues: dict[str, float] = {}
            negators: set[str] = set()
            intensifiers: dict[str, float] = {}
            for lang in reversed(langs):  # the first language wins on a shared cue
                cues.update({k: float(v) for k, v in (data["negative"].get(lang) or {}).items()})
                cues.update({k: -float(v) for k, v in (data["positive"].get(lang) or {}).items()})
                negators.update(w.lower() for w in data.get("negators", {}).get(lang) or ())
                intensifiers.update(
                    {
                        k.lower(): float(v)
                        for k, v in (data.get("intensifiers", {}).get(lang) or {}).items()
                    }
                )
            self._readers[key] = _Reader(CueMatcher(cues), frozenset(negators), intensifiers)
        emoji = data.get("emoji") or {}
        self._emoji = {
            **{k: float(v) for k, v in (emoji.get("negative") or {}).items()},
            **{k: -float(v) for k, v in (emoji.get("positive") or {}).items()},
        }
        # One C scan for a character as high as the lowest emoji (most texts have none).
        low = min((e[0] for e in self._emoji), default="\U0010ffff")
        self._maybe_emoji = re.compile(f"[{re.escape(low)}-\U0010ffff]")

    def score(self, text: str, lang: str | None, tokens: list[str] | None = None) -> TextScore:
        """`tokens`: the text's `tokenize`, when the caller has it already."""
        reader = self._readers.get(lang, self._readers[None])
        tokens = tokenize(text) if tokens is None else tokens
        hits = reader.matcher.find(tokens)
        in_phrase = {i for h in hits if h.end - h.start > 1 for i in range(h.start, h.end)}
        neg_total = pos_total = 0.0
        neg_cues: list[str] = []
        pos_cues: list[str] = []
        for hit in hits:
            weight = abs(hit.value) * self._intensity(tokens, hit, reader)
            negative = hit.value > 0
            label = hit.cue.replace("$", "")
            negator = self._negator(tokens, hit, reader, in_phrase)
            if negator:
                negative, weight, label = (
                    not negative,
                    weight * NEGATION_FACTOR,
                    f"{negator} {label}",
                )
            if negative:
                neg_total += weight
                neg_cues.append(label)
            else:
                pos_total += weight
                pos_cues.append(label)
        for ch, value in self._emoji.items() if self._maybe_emoji.search(text) else ():
            if ch in text:
                if value > 0:
                    neg_total += value
                    neg_cues.append(ch)
                else:
                    pos_total -= value
                    pos_cues.append(ch)
        if neg_total == 0:
            return TextScore(0.0, (), tuple(pos_cues))
        score = neg_total / (neg_total + pos_total + 0.5)
        return TextScore(round(score, 4), tuple(neg_cues), tuple(pos_cues))

    @staticmethod
    def _negator(tokens: list[str], hit: Hit, reader: _Reader, in_phrase: set[int]) -> str | None:
        """The negator that flips this hit, if any: within the window, same clause, and not
        already part of a phrase."""
        if hit.end - hit.start > 1 and tokens[hit.start] in reader.negators:
            return None  # the phrase already includes its negation ("не работает")
        for i in range(hit.start - 1, max(-1, hit.start - NEGATION_WINDOW - 1), -1):
            if tokens[i] == BOUNDARY:
                return None
            if tokens[i] in reader.negators and i not in in_phrase:
                return tokens[i]
        return None

    @staticmethod
    def _intensity(tokens: list[str], hit: Hit, reader: _Reader) -> float:
        strongest = 1.0
        for token in tokens[max(0, hit.start - INTENSIFIER_WINDOW) : hit.start]:
            strongest = max(strongest, reader.intensifiers.get(token, 1.0))
        return strongest

"""Negativity of text: the model interface and the built-in lexicon model (v1).

`TextModel.score(text, lang)` returns a `TextScore`: a negativity score in [0, 1] and the cues
that decided it. A trained model (the `train` command, later) implements the same interface.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any, Protocol

from repcli.analysis.cues import BOUNDARY, CueMatcher, tokenize
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
        reader = self._readers.get(lang) or self._readers[None]
        tokens = tokenize(text) if tokens is None else tokens
        spans = reader.matcher.spans(tokens)
        neg_total = pos_total = 0.0
        neg_cues: list[str] = []
        pos_cues: list[str] = []
        if spans:
            # Most texts have no intensifier, and many no negator: one C pass tells.
            intensifiers = (
                None if reader.intensifiers.keys().isdisjoint(tokens) else reader.intensifiers
            )
            negators = None if reader.negators.isdisjoint(tokens) else reader.negators
            in_phrase: set[int] | None = None
            for cue, value, start, end in spans:
                strongest = 1.0
                if intensifiers is not None:
                    for token in tokens[max(start - INTENSIFIER_WINDOW, 0) : start]:
                        strongest = max(strongest, intensifiers.get(token, 1.0))
                weight = abs(value) * strongest
                negative = value > 0
                label = cue.replace("$", "") if "$" in cue else cue
                if negators is not None and not (end - start > 1 and tokens[start] in negators):
                    # The negator that flips this cue: within the window, in the same clause,
                    # and not part of a phrase (a phrase that starts with one includes it).
                    for i in range(start - 1, max(start - NEGATION_WINDOW - 1, -1), -1):
                        token = tokens[i]
                        if token == BOUNDARY:
                            break
                        if token in negators:
                            if in_phrase is None:
                                in_phrase = _in_phrases(spans)
                            if i not in in_phrase:
                                negative = not negative
                                weight *= NEGATION_FACTOR
                                label = f"{token} {label}"
                                break
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


def sigmoid(z: float) -> float:
    """The logistic function, its argument clamped to +-30 (no overflow; the same to 1e-13)."""
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def _in_phrases(spans: list[tuple[str, float, int, int]]) -> set[int]:
    """The token indexes inside phrases (cues of more than one word)."""
    return {i for _, _, start, end in spans if end - start > 1 for i in range(start, end)}

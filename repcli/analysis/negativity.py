"""Negativity of text: the model interface and the built-in lexicon model (v1).

`TextModel.score(text, lang)` returns a `TextScore`: a negativity score in [0, 1] and the cues
that decided it. A trained model (the `train` command, later) implements the same interface.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from importlib import resources
from typing import Any, Protocol

import yaml

from repcli.analysis.cues import CueMatcher, Hit, tokenize

NEGATION_WINDOW = 3
INTENSIFIER_WINDOW = 2
NEGATION_FACTOR = 0.7


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

    def score(self, text: str, lang: str | None) -> TextScore: ...


@cache
def _lexicon() -> dict[str, Any]:
    ref = resources.files("repcli.analysis").joinpath("data/lexicon.yaml")
    data: dict[str, Any] = yaml.safe_load(ref.read_text(encoding="utf-8"))
    return data


class LexiconModel:
    """Weighted RU/UK/EN complaint and praise cues, with negation and intensifiers."""

    name = "lexicon"

    def __init__(self, lexicon: dict[str, Any] | None = None) -> None:
        data = lexicon if lexicon is not None else _lexicon()
        langs = ("ru", "uk", "en")
        self._neg = {lang: CueMatcher(data["negative"].get(lang) or {}) for lang in langs}
        self._pos = {lang: CueMatcher(data["positive"].get(lang) or {}) for lang in langs}
        self._negators = {
            lang: frozenset(w.lower() for w in data.get("negators", {}).get(lang) or ())
            for lang in langs
        }
        self._intens = {
            lang: {k.lower(): float(v) for k, v in (data.get("intensifiers", {}).get(lang) or {}).items()}
            for lang in langs
        }
        emoji = data.get("emoji") or {}
        self._emoji_neg = {k: float(v) for k, v in (emoji.get("negative") or {}).items()}
        self._emoji_pos = {k: float(v) for k, v in (emoji.get("positive") or {}).items()}

    def score(self, text: str, lang: str | None) -> TextScore:
        tokens = tokenize(text)
        # Cyrillic text is scored with both ru and uk cues (they share many stems and
        # shops mix both); Latin text with en. Unknown: all three.
        langs = {"ru": ("ru", "uk"), "uk": ("uk", "ru"), "en": ("en",)}.get(lang or "", ("ru", "uk", "en"))
        neg_total = pos_total = 0.0
        neg_cues: list[str] = []
        pos_cues: list[str] = []
        used: set[int] = set()
        for code in langs:
            for hits, sign in ((self._neg[code].find(tokens), 1), (self._pos[code].find(tokens), -1)):
                for hit in hits:
                    if hit.start in used:
                        continue
                    used.update(range(hit.start, hit.end))
                    weight = hit.value * self._intensity(tokens, hit, code)
                    polarity = sign
                    if self._negated(tokens, hit, code):
                        polarity, weight = -sign, weight * NEGATION_FACTOR
                    label = ("не " if polarity != sign else "") + hit.cue.rstrip("$")
                    if polarity > 0:
                        neg_total += weight
                        neg_cues.append(label)
                    else:
                        pos_total += weight
                        pos_cues.append(label)
        for ch, weight in self._emoji_neg.items():
            if ch in text:
                neg_total += weight
                neg_cues.append(ch)
        for ch, weight in self._emoji_pos.items():
            if ch in text:
                pos_total += weight
                pos_cues.append(ch)
        if neg_total == 0:
            return TextScore(0.0, (), tuple(pos_cues))
        score = neg_total / (neg_total + pos_total + 0.5)
        return TextScore(round(score, 4), tuple(neg_cues), tuple(pos_cues))

    def _negated(self, tokens: list[str], hit: Hit, lang: str) -> bool:
        negators = self._negators[lang]
        window = tokens[max(0, hit.start - NEGATION_WINDOW) : hit.start]
        return any(t in negators for t in window)

    def _intensity(self, tokens: list[str], hit: Hit, lang: str) -> float:
        factor = 1.0
        for t in tokens[max(0, hit.start - INTENSIFIER_WINDOW) : hit.start]:
            factor = max(factor, self._intens[lang].get(t, 1.0))
        return factor

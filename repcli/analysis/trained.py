"""A compact text model trained on the shop's own reviews: hashed n-grams + logistic regression.

Features: word unigrams and bigrams, and character 3-5-grams inside words (so word forms share
weight: "сломалась", "сломался"), hashed with CRC-32 into `buckets` slots. The model is a binary
logistic regression (negative vs the rest), class-balanced, trained by AdaGrad SGD with L2, in
pure Python: no numpy, so it loads in milliseconds and scores thousands of texts a second.

Saved as JSON (never pickle): only non-zero weights, rounded; `format` versions the layout.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import random
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from repcli.analysis.cues import tokenize
from repcli.analysis.negativity import TextScore, sigmoid
from repcli.errors import InputError

FORMAT = "repcli-text-model/1"
BUCKETS = 1 << 18


_WORD_CACHE: dict[tuple[str, int], tuple[int, ...]] = {}
_CACHE_SIZE = 100_000


def _word_features(word: str, buckets: int) -> tuple[int, ...]:
    """The word's own feature and its character 3-5-grams (cached: words repeat a lot)."""
    key = (word, buckets)
    found = _WORD_CACHE.get(key)
    if found is None:
        padded = f"<{word}>"
        grams = [("w" + word).encode()]
        for n in (3, 4, 5):
            grams += [("c" + padded[j : j + n]).encode() for j in range(len(padded) - n + 1)]
        found = tuple(zlib.crc32(g) % buckets for g in grams)
        if len(_WORD_CACHE) > _CACHE_SIZE:
            _WORD_CACHE.clear()
        _WORD_CACHE[key] = found
    return found


def _bigram(previous: str, word: str, buckets: int) -> int:
    return zlib.crc32(f"b{previous} {word}".encode()) % buckets


def _features(text: str, buckets: int = BUCKETS) -> dict[int, float]:
    """Hashed feature counts over sqrt(the number of features): long and short texts weigh
    alike, and a text's score is a sum over its words (which `TrainedModel` caches)."""
    feats: dict[int, float] = {}
    previous = None
    total = 0
    for word in tokenize(text):
        grams = _word_features(word, buckets)
        total += len(grams)
        for index in grams:
            feats[index] = feats.get(index, 0.0) + 1.0
        if previous is not None:
            index = _bigram(previous, word, buckets)
            feats[index] = feats.get(index, 0.0) + 1.0
            total += 1
        previous = word
    scale = 1.0 / math.sqrt(total) if total else 1.0
    return {k: v * scale for k, v in feats.items()}


def _word_index(word: str, buckets: int) -> int:
    return zlib.crc32(("w" + word).encode()) % buckets


@dataclasses.dataclass
class TrainedModel:
    weights: dict[int, float]
    bias: float
    buckets: int = BUCKETS
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)
    name: str = "trained"
    _word_sums: dict[str, tuple[float, int]] = dataclasses.field(default_factory=dict, repr=False)

    def probability(self, text: str, tokens: list[str] | None = None) -> float:
        """P(negative): the same sum as training's features, computed word by word with each
        word's summed weights cached (a text's words are mostly ones seen before). `tokens`:
        the text's `tokenize`, when the caller has it already."""
        weights, buckets, cache = self.weights, self.buckets, self._word_sums
        total = 0
        z = 0.0
        previous = None
        for word in tokenize(text) if tokens is None else tokens:
            found = cache.get(word)
            if found is None:
                grams = _word_features(word, buckets)
                found = (sum(weights.get(i, 0.0) for i in grams), len(grams))
                if len(cache) > _CACHE_SIZE:
                    cache.clear()
                cache[word] = found
            z += found[0]
            total += found[1]
            if previous is not None:
                z += weights.get(_bigram(previous, word, buckets), 0.0)
                total += 1
            previous = word
        z = self.bias + (z / math.sqrt(total) if total else 0.0)
        return sigmoid(z)

    def score(
        self, text: str, lang: str | None = None, tokens: list[str] | None = None
    ) -> TextScore:
        """`TextModel` interface: the probability of a complaint, and the words that pushed it
        that way most (the model's "why")."""
        tokens = tokenize(text) if tokens is None else tokens
        p = self.probability(text, tokens)
        if p < 0.5:
            return TextScore(score=round(p, 4))
        words = {w for w in tokens if len(w) > 2 and w.isalpha()}
        pushed = sorted(
            ((self.weights.get(_word_index(w, self.buckets), 0.0), w) for w in words),
            reverse=True,
        )
        cues = tuple(w for weight, w in pushed[:3] if weight > 0.3)
        return TextScore(score=round(p, 4), negative_cues=cues)

    def save(self, path: Path) -> None:
        """Write atomically: a killed save leaves the old model."""
        data = {
            "format": FORMAT,
            "buckets": self.buckets,
            "bias": round(self.bias, 6),
            "meta": self.meta,
            "weights": {
                str(k): round(v, 5) for k, v in sorted(self.weights.items()) if abs(v) >= 1e-4
            },
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        from repcli.files import temp_beside  # the mode a plain write gives, not 0600

        fd, tmp = temp_beside(path)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> TrainedModel:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(
                f"{path}: cannot read the text model: {exc}", "run `repcli train` again"
            ) from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InputError(
                f"{path}: not a repcli text model (format {data.get('format') if isinstance(data, dict) else None!r})",
                "run `repcli train` to make one",
            )
        return cls(
            weights={int(k): float(v) for k, v in data["weights"].items()},
            bias=float(data["bias"]),
            buckets=int(data["buckets"]),
            meta=dict(data.get("meta") or {}),
        )


def fit(
    texts: Sequence[str],
    labels: Sequence[bool],
    epochs: int = 6,
    rate: float = 0.5,
    l2: float = 3e-4,
    seed: int = 13,
    buckets: int = BUCKETS,
) -> TrainedModel:
    """Logistic regression (negative = True), class-balanced, AdaGrad SGD."""
    positives = sum(labels)
    if positives == 0 or positives == len(labels):
        raise InputError(
            f"the training data has only one class ({'negative' if positives else 'not negative'})",
            "train on both complaints and praise (ratings 1-2 and 4-5)",
        )
    n = len(labels)
    w_pos, w_neg = n / (2 * positives), n / (2 * (n - positives))
    rows = [_features(t, buckets) for t in texts]
    weights: dict[int, float] = {}
    grads: dict[int, float] = {}
    bias, bias_grad = 0.0, 1e-8
    order = list(range(n))
    rng = random.Random(seed)  # noqa: S311 - a seeded shuffle, not a secret
    for _ in range(epochs):
        rng.shuffle(order)
        for i in order:
            x, y = rows[i], labels[i]
            z = bias + sum(weights.get(k, 0.0) * v for k, v in x.items())
            p = sigmoid(z)
            g = (p - (1.0 if y else 0.0)) * (w_pos if y else w_neg)
            for k, v in x.items():
                gk = g * v + l2 * weights.get(k, 0.0)
                acc = grads.get(k, 1e-8) + gk * gk
                grads[k] = acc
                weights[k] = weights.get(k, 0.0) - rate * gk / math.sqrt(acc)
            bias_grad += g * g
            bias -= rate * g / math.sqrt(bias_grad)
    return TrainedModel(weights=weights, bias=bias, buckets=buckets, meta={"trained_on": n})


@dataclasses.dataclass(frozen=True, slots=True)
class Quality:
    precision: float
    recall: float
    f1: float
    accuracy: float
    support: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            k: round(v, 4) if isinstance(v, float) else v
            for k, v in dataclasses.asdict(self).items()
        }


def quality(predicted: Iterable[bool], actual: Iterable[bool]) -> Quality:
    tp = fp = fn = tn = 0
    for p, a in zip(predicted, actual, strict=True):
        tp += p and a
        fp += p and not a
        fn += a and not p
        tn += not p and not a
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    total = tp + fp + fn + tn
    return Quality(precision, recall, f1, (tp + tn) / total if total else 0.0, tp + fn)


BLEND_WEIGHTS = (0.3, 0.5, 0.7, 1.0)
"""The trained model's share in the blend `check` uses; `train` picks the best by CV."""
THRESHOLDS = tuple(round(0.2 + 0.05 * i, 2) for i in range(13))
"""Decision thresholds `train` tries on the blend's score (0.2-0.8): where complaints are rare
(10% of star-rated reviews) or short (tweets), the best cut is rarely 0.5."""


@dataclasses.dataclass(frozen=True, slots=True)
class Choice:
    """A blend weight, the decision threshold that suits it best, and their CV quality."""

    weight: float
    threshold: float
    quality: Quality


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[bool],
    folds: int = 5,
    seed: int = 13,
    lexicon: Any = None,
) -> dict[float, Choice]:
    """k-fold cross-validation (deterministic for a seed) of the model alone (key 1.0) and,
    given the lexicon, of each blend weight in BLEND_WEIGHTS: for each, the decision threshold
    with the best negative-class F1 over the out-of-fold scores (ties: the one nearest 0.5)."""
    return cross_validate_scores(texts, labels, folds, seed, lexicon).choices


@dataclasses.dataclass(frozen=True, slots=True)
class CrossValidation:
    choices: dict[float, Choice]
    probabilities: list[float]
    """Each text's out-of-fold probability from the model alone."""
    lexicon_scores: list[float]

    def flagged(self, choice: Choice) -> list[bool]:
        """Each text's out-of-fold verdict under this blend weight and threshold."""
        w = choice.weight
        if w == 1.0 or not self.lexicon_scores:
            return [p >= choice.threshold for p in self.probabilities]
        return [
            w * p + (1 - w) * s >= choice.threshold
            for p, s in zip(self.probabilities, self.lexicon_scores, strict=True)
        ]


def cross_validate_scores(
    texts: Sequence[str],
    labels: Sequence[bool],
    folds: int = 5,
    seed: int = 13,
    lexicon: Any = None,
) -> CrossValidation:
    """`cross_validate`, with the out-of-fold scores (for quality per kind and per source)."""
    n = len(texts)
    if n < folds * 2:
        raise InputError(f"{n} labelled texts are too few to cross-validate in {folds} folds")
    order = list(range(n))
    random.Random(seed).shuffle(order)  # noqa: S311 - a seeded shuffle, not a secret
    probabilities = [0.0] * n
    for fold in range(folds):
        test = set(order[fold::folds])
        train = [i for i in order if i not in test]
        if len({labels[i] for i in train}) < 2:
            continue
        model = fit([texts[i] for i in train], [labels[i] for i in train], seed=seed)
        for i in test:
            probabilities[i] = model.probability(texts[i])
    lexicon_scores = [lexicon.score(t, None).score for t in texts] if lexicon is not None else []
    cv = CrossValidation({}, probabilities, lexicon_scores)
    for w in BLEND_WEIGHTS if lexicon is not None else (1.0,):
        cv.choices[w] = max(
            (Choice(w, t, quality(cv.flagged(Choice(w, t, _NONE)), labels)) for t in THRESHOLDS),
            key=lambda c: (c.quality.f1, -abs(c.threshold - 0.5)),
        )
    return cv


_NONE = Quality(0.0, 0.0, 0.0, 0.0, 0)


def by_group(
    groups: Sequence[str],
    labels: Sequence[bool],
    flagged: Sequence[bool],
    builtin: Sequence[bool],
) -> dict[str, dict[str, float | int]]:
    """Per group (kind, source): texts, negatives, the model's out-of-fold F1 and the built-in
    lexicon's F1 on the same texts."""
    out: dict[str, dict[str, float | int]] = {}
    for group in sorted(set(groups)):
        rows = [i for i, g in enumerate(groups) if g == group]
        actual = [labels[i] for i in rows]
        out[group] = {
            "texts": len(rows),
            "negatives": sum(actual),
            "f1": round(quality([flagged[i] for i in rows], actual).f1, 4),
            "builtin_f1": round(quality([builtin[i] for i in rows], actual).f1, 4),
        }
    return out


def validated_kinds(by_kind: dict[str, dict[str, float | int]]) -> list[str]:
    """The kinds the model may read: checked on them (with complaints among them), and not
    worse than the built-in lexicon there (`by_group` quality)."""
    return [k for k, q in by_kind.items() if 0 < q["f1"] >= q["builtin_f1"]]


def best(choices: dict[float, Choice]) -> Choice:
    """The blend `train` keeps: the best cross-validated F1 (ties: the model's larger share)."""
    return max(choices.values(), key=lambda c: (c.quality.f1, c.weight))


def calibrate(score: float, threshold: float) -> float:
    """Stretch [0, 1] so that `threshold` lands on 0.5, the cut the rest of repcli uses (the
    order of scores is kept, and 0 and 1 stay put)."""
    if score < threshold:
        return 0.5 * score / threshold
    return 0.5 + 0.5 * (score - threshold) / (1 - threshold)


class BlendedModel:
    """What `check` uses once a model is trained: a weighted mean of the trained model's
    probability and the lexicon's score (the weight and the decision threshold chosen by
    cross-validation when training: the lexicon helps on little or mixed data, the model alone
    wins on plenty), with the lexicon's cues and the model's words as the reasons."""

    name = "blend"

    def __init__(
        self,
        trained: TrainedModel,
        lexicon: Any,
        weight: float = 0.5,
        threshold: float = 0.5,
        kinds: Iterable[str] | None = None,
    ) -> None:
        self.trained = trained
        self.lexicon = lexicon
        self.weight = weight
        self.threshold = threshold
        self.kinds = None if kinds is None else frozenset(kinds)
        """The kinds of item the model was validated on, the only ones it reads (None: all)."""

    def score(
        self, text: str, lang: str | None = None, tokens: list[str] | None = None
    ) -> TextScore:
        return self.read(text, lang, tokens)[0]

    def read(
        self, text: str, lang: str | None = None, tokens: list[str] | None = None
    ) -> tuple[TextScore, TextScore]:
        """The blend's score and the lexicon's alone (one lexicon pass for both): under a
        rating the lexicon's complaint stands whatever the model says (`Analyzer.analyse`)."""
        tokens = tokenize(text) if tokens is None else tokens  # once for both
        lex = self.lexicon.score(text, lang, tokens)
        model = self.trained.score(text, lang, tokens)
        mixed = self.weight * model.score + (1 - self.weight) * lex.score
        score = calibrate(mixed, self.threshold)
        cues = list(lex.negative_cues)
        cues += [f"model: {w}" for w in model.negative_cues if w not in cues][:2]
        blended = TextScore(
            score=round(score, 4),
            negative_cues=tuple(cues) if score >= 0.5 else lex.negative_cues,
            positive_cues=lex.positive_cues,
        )
        return blended, lex


def model_path(store_path: Path) -> Path:
    """Where `repcli train` saves the model by default: next to the store."""
    return store_path.with_name(store_path.name + ".model.json")


def blend(model: TrainedModel) -> BlendedModel:
    """The model with the lexicon, at the weight `train` chose by cross-validation."""
    from repcli.analysis.negativity import LexiconModel

    return BlendedModel(
        model,
        LexiconModel(),
        float(model.meta.get("blend_weight", 0.5)),
        float(model.meta.get("threshold", 0.5)),  # older model files: 0.5
        kinds_of(model),
    )


DEFAULT_KINDS = ("review",)
"""What a model file that does not say was validated on: `train` learnt from rated reviews."""


def kinds_of(model: TrainedModel) -> tuple[str, ...]:
    """The kinds of item the model was validated on (`meta.kinds`, written by `train`)."""
    kinds = model.meta.get("kinds")
    if isinstance(kinds, list) and all(isinstance(k, str) for k in kinds):
        return tuple(kinds)
    return DEFAULT_KINDS


def load_for_store(store_path: Path) -> BlendedModel | None:
    """The blend of the store's trained model (if one was trained) and the lexicon."""
    path = model_path(store_path)
    return blend(TrainedModel.load(path)) if path.exists() else None

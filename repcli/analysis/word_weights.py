"""The shipped word-weight table: a negativity model that needs no training by the user.

A logistic regression over word features, fitted at build time (`tools/build_shipped_model.py`)
on openly licensed labelled corpora (`data/MODEL_SOURCES.md`) and shipped as int8 weights in
`data/word_weights.tsv.gz`. Scoring is one pass over the tokens `cues.tokenize` gives, a dict
lookup per feature (the sum over sqrt(the number of features)): a word, its 5-letter prefix (word forms share it: "сломался", "сломалась"),
the word after a negator ("не работает", "not good") and the pair with the word before it.

`BuiltinModel` blends the table with the lexicon: sigmoid(a * table logit + b * lexicon score
+ c), the three numbers fitted on a held-out part of the same corpora.
"""

from __future__ import annotations

import dataclasses
import gzip
import math
from collections.abc import Iterator
from functools import cache
from importlib import resources

from repcli.analysis.cues import BOUNDARY, tokenize
from repcli.analysis.negativity import LexiconModel, TextScore

FORMAT = "repcli-word-weights/1"
FILE = "word_weights.tsv.gz"
PREFIX = 5
"""Letters of a word's prefix feature (a crude stem for every language)."""
_WORD_CACHE = 100_000
NEGATORS = frozenset(
    "не нет ни без никогда ні немає нема ніколи not no never without nothing "
    "don't dont doesn't doesnt didn't didnt isn't isnt wasn't wasnt can't cant won't wont "
    "couldn't couldnt wouldn't wouldnt".split()
)


def features(tokens: list[str]) -> Iterator[str]:
    """The features of a tokenised text, in the one order training and scoring share."""
    previous = BOUNDARY
    negated = False
    for token in tokens:
        if token == BOUNDARY:
            previous, negated = BOUNDARY, False
            continue
        yield token
        if len(token) > PREFIX:
            yield "~" + token[:PREFIX]
        if negated:
            yield "!" + token
        if previous != BOUNDARY:
            yield previous + " " + token
        negated = token in NEGATORS
        previous = token


@dataclasses.dataclass(frozen=True)
class WordWeights:
    """Feature -> weight (logit units), a bias and the blend with the lexicon."""

    weights: dict[str, float]
    bias: float
    blend: tuple[float, float, float] = (1.0, 0.0, 0.0)
    """(a, b, c): P(negative) = sigmoid(a * logit + b * lexicon score + c)."""
    meta: dict[str, str] = dataclasses.field(default_factory=dict)
    _words: dict[str, tuple[float, int]] = dataclasses.field(
        default_factory=dict, repr=False, compare=False
    )

    def logit(self, tokens: list[str]) -> tuple[float, str | None]:
        """The table's logit for a tokenised text, and its most negative word (for reasons):
        the bias + the sum of the features' weights / sqrt(the number of features), so long
        and short texts weigh alike. Written as one loop (the same features as `features`) because it runs per text."""
        get = self.weights.get
        words = self._words
        total = 0.0
        count = 0
        worst, worst_weight = None, 0.0
        previous = BOUNDARY
        negated = False
        for token in tokens:
            if token == BOUNDARY:
                previous, negated = BOUNDARY, False
                continue
            found = words.get(token)
            if found is None:
                found = self._word(token)
            w, n = found
            count += n
            if negated:
                w += get("!" + token, 0.0)
                count += 1
            if previous != BOUNDARY:
                w += get(previous + " " + token, 0.0)
                count += 1
            if w > worst_weight:
                worst, worst_weight = token, w
            total += w
            negated = token in NEGATORS
            previous = token
        return self.bias + (total / math.sqrt(count) if count else 0.0), worst

    def _word(self, token: str) -> tuple[float, int]:
        """A word's own and its prefix's weights and how many features they are (cached:
        words repeat)."""
        found = (self.weights.get(token, 0.0), 1)
        if len(token) > PREFIX:
            found = (found[0] + self.weights.get("~" + token[:PREFIX], 0.0), 2)
        if len(self._words) >= _WORD_CACHE:
            self._words.clear()
        self._words[token] = found
        return found

    def probability(self, text: str, tokens: list[str] | None = None) -> float:
        z, _ = self.logit(tokenize(text) if tokens is None else tokens)
        return _sigmoid(z)


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def parse(data: bytes) -> WordWeights:
    """Read the gzip'd TSV: `#` header lines (format, scale, bias, blend, meta), then
    `feature<TAB>int8` lines; a weight is int8 * scale."""
    text = gzip.decompress(data).decode("utf-8")
    header: dict[str, str] = {}
    weights: dict[str, float] = {}
    scale = 1.0
    for line in text.splitlines():
        if line.startswith("#"):
            key, _, value = line[1:].partition("\t")
            header[key] = value
            if key == "scale":
                scale = float(value)
            continue
        feature, _, q = line.rpartition("\t")
        weights[feature] = int(q) * scale
    if header.get("format") != FORMAT:
        raise ValueError(f"{FILE}: format {header.get('format')!r}, expected {FORMAT!r}")
    a, b, c = (float(x) for x in header["blend"].split())
    meta = {k: v for k, v in header.items() if k not in {"format", "scale", "bias", "blend"}}
    return WordWeights(weights, float(header["bias"]), (a, b, c), meta)


def dump(model: WordWeights, scale: float) -> bytes:
    """The gzip'd TSV `parse` reads; weights already multiples of `scale` (int8)."""
    lines = [
        f"#format\t{FORMAT}",
        f"#scale\t{scale!r}",
        f"#bias\t{model.bias!r}",
        "#blend\t" + " ".join(repr(x) for x in model.blend),
        *(f"#{k}\t{v}" for k, v in sorted(model.meta.items())),
    ]
    for feature, weight in sorted(model.weights.items()):
        q = round(weight / scale)
        if q:
            lines.append(f"{feature}\t{max(-127, min(127, q))}")
    return gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), mtime=0)


@cache
def shipped() -> WordWeights:
    """The table shipped with repcli, parsed once."""
    return parse(resources.files("repcli.analysis").joinpath(f"data/{FILE}").read_bytes())


class BuiltinModel:
    """The built-in negativity model: the lexicon blended with the shipped word table.

    Cues (the reasons a person reads) come from the lexicon; when the lexicon finds none,
    the table's most negative word is named."""

    name = "builtin"

    def __init__(self, lexicon: LexiconModel | None = None, table: WordWeights | None = None):
        self.lexicon = lexicon or LexiconModel()
        self.table = table or shipped()

    def score(self, text: str, lang: str | None, tokens: list[str] | None = None) -> TextScore:
        tokens = tokenize(text) if tokens is None else tokens
        lexical = self.lexicon.score(text, lang, tokens)
        z, worst = self.table.logit(tokens)
        a, b, c = self.table.blend
        p = round(_sigmoid(a * z + b * lexical.score + c), 4)
        cues = lexical.negative_cues or ((worst,) if worst and p >= 0.5 else ())
        return TextScore(p, cues, lexical.positive_cues)

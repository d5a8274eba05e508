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
from repcli.analysis.negativity import LexiconModel, TextModel, TextScore, sigmoid

FORMAT = "repcli-word-weights/1"
FILE = "word_weights.tsv.gz"
PREFIX = 5
"""Letters of a word's prefix feature (a crude stem for every language)."""
NAMED_WEIGHT = 1.0
"""A word's weight (logit units) to be named in a reason: about the table's top 1 % ("dirty",
"меня", "нет"), above the little every common word carries ("и" 0.9, "and" 0.45)."""
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
    _pair_starts: frozenset[str] = dataclasses.field(init=False, repr=False, compare=False)
    """The words some pair feature begins with: the pair of any other word weighs nothing,
    and is counted without building its key."""
    _negatable: frozenset[str] = dataclasses.field(init=False, repr=False, compare=False)
    """The words with a negated feature ("!word")."""

    def __post_init__(self) -> None:
        starts = {f.partition(" ")[0] for f in self.weights if " " in f}
        negatable = {f[1:] for f in self.weights if f.startswith("!")}
        object.__setattr__(self, "_pair_starts", frozenset(starts))
        object.__setattr__(self, "_negatable", frozenset(negatable))

    def logit(self, tokens: list[str]) -> tuple[float, str | None]:
        """The table's logit for a tokenised text, and its most negative word (for reasons):
        the bias + the sum of the features' weights / sqrt(the number of features), so long
        and short texts weigh alike. Written as one loop (the same features as `features`) because it runs per text."""
        get = self.weights.get
        words = self._words
        pair_starts, negatable = self._pair_starts, self._negatable
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
                if token in negatable:
                    w += get("!" + token, 0.0)
                count += 1
            if previous != BOUNDARY:
                if previous in pair_starts:
                    w += get(previous + " " + token, 0.0)
                count += 1
            if w > worst_weight:
                worst, worst_weight = token, w
            total += w
            negated = token in NEGATORS
            previous = token
        return self.bias + (total / math.sqrt(count) if count else 0.0), worst

    def words(self, tokens: list[str], n: int = 3) -> list[str]:
        """The `n` words that push the logit furthest towards a complaint, strongest first,
        for reasons (so only for flagged texts: a second pass over their tokens). A word
        counts its own, prefix, negated and pair features, as `logit` adds them; it is named
        with the word before ("sounds weird") when the pair's features weigh more than its
        own. A negated word is named with its negator, which adds its weight to it ("не
        работает", never "не" and "работает"); a negator that ends a clause is named alone.
        Only words that push towards a complaint, each once at its strongest, of
        `NAMED_WEIGHT` or more and 3 letters or more ("me", "и" say little)."""
        get = self.weights.get
        best: dict[str, float] = {}

        def add(label: str, w: float) -> None:
            if w > best.get(label, 0.0):
                best[label] = w

        previous = BOUNDARY
        negated = False
        carried = 0.0  # a negator's weight, named with the word it negates
        for token in tokens:
            if token == BOUNDARY:
                if negated:
                    add(previous, carried)
                previous, negated, carried = BOUNDARY, False, 0.0
                continue
            own = (self._words.get(token) or self._word(token))[0]
            pair = get("!" + token, 0.0) if negated else 0.0
            if previous != BOUNDARY:
                pair += get(previous + " " + token, 0.0)
            w = own + pair + carried
            label = f"{previous} {token}" if negated or pair > own else token
            negated = token in NEGATORS
            if negated:
                carried = w
            else:
                add(label, w)
                carried = 0.0
            previous = token
        if negated:
            add(previous, carried)
        ranked = sorted(best, key=lambda label: -best[label])
        return [w for w in ranked if best[w] >= NAMED_WEIGHT and len(w) > 2][:n]

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
        return sigmoid(z)


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

    Cues (the reasons a person reads) of a text it finds negative: the lexicon's, then the
    table words that pushed hardest towards a complaint (`WordWeights.words`) and that no
    lexicon cue names already, `CUES` in all; when there is none of either, the table's most
    negative word. Below 0.5, the lexicon's alone.

    A text in which the lexicon finds praise and no complaint is read as the lexicon reads it:
    the table sees "не", "bad" in "не плохо", "not bad at all" and "носит не снимая" and would
    flag them (on the evaluation sets, issue 19: shop reviews' negative F1 0.34 -> 0.43 and
    0.39 -> 0.45, the social sets' within 0.01)."""

    name = "builtin"
    CUES = 3

    def __init__(self, lexicon: TextModel | None = None, table: WordWeights | None = None):
        self.lexicon: TextModel = lexicon or LexiconModel()
        self.table = table or shipped()

    def score(self, text: str, lang: str | None, tokens: list[str] | None = None) -> TextScore:
        tokens = tokenize(text) if tokens is None else tokens
        lexical = self.lexicon.score(text, lang, tokens)
        if lexical.positive_cues and not lexical.negative_cues:
            return lexical  # praise and no complaint: "не плохо", "not bad" are no complaint
        z, worst = self.table.logit(tokens)
        a, b, c = self.table.blend
        p = round(sigmoid(a * z + b * lexical.score + c), 4)
        cues = lexical.negative_cues
        if p >= 0.5 and len(cues) < self.CUES:
            cues += _unnamed(self.table.words(tokens, self.CUES), cues)[: self.CUES - len(cues)]
            if not cues and worst:
                cues = (worst,)  # no word weighs much: the one that weighs most
        return TextScore(p, cues, lexical.positive_cues)


def _unnamed(words: list[str], cues: tuple[str, ...]) -> tuple[str, ...]:
    """The table's words (or pairs) that the lexicon's cues do not name already: a pair whose
    words of 3 letters or more are named ("никогда к" beside "больше никогда"). A cue is often a
    stem ("разочаров", "не работа"): a word is named by a cue word it begins with or that
    begins it (of 4 letters or more), or by the same word."""
    named = {w for cue in cues for w in cue.split()}
    if not named:
        return tuple(words)

    def is_named(word: str) -> bool:
        return word in named or any(
            min(len(word), len(c)) >= 4 and (word.startswith(c) or c.startswith(word))
            for c in named
        )

    return tuple(
        label
        for label in words
        if not all(is_named(w) for w in label.split() if len(w) > 2 or w == label)
    )

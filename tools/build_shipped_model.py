"""Build repcli's shipped word-weight table (repcli/analysis/data/word_weights.tsv.gz).

Reads openly licensed labelled corpora from CORPORA (see repcli/analysis/data/MODEL_SOURCES.md
for where each comes from and its licence), fits a class-balanced logistic regression over
`word_weights.features`, keeps the features seen at least --min-df times, quantises the weights
to int8 and fits the 3-number blend with the lexicon on the held-out split.

    CORPORA/goemotions/{train,dev,test}.tsv, emotions.txt    GoEmotions (English)
    CORPORA/ru-goemotions/{validation,test}.csv              ru-goemotions (Russian)
    CORPORA/clothing/reviews.csv (optional; not in the shipped table until its licence is
    confirmed)                                                Women's E-Commerce Clothing Reviews

Needs scikit-learn (the `bench` extra). Never point it at the evaluation sets.

Run: python tools/build_shipped_model.py /tmp/corpora [--out repcli/analysis/data/word_weights.tsv.gz]
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from repcli.analysis.cues import tokenize
from repcli.analysis.negativity import LexiconModel
from repcli.analysis.word_weights import FILE, WordWeights, dump, features, parse

NEGATIVE_EMOTIONS = frozenset(
    "anger annoyance disappointment disapproval disgust embarrassment fear grief nervousness "
    "remorse sadness".split()
)
Rows = list[tuple[str, bool, str]]  # text, negative, language
# ru-goemotions numbers its labels in this order.
RU_EMOTIONS = [
    "admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion",
    "curiosity", "desire", "disappointment", "disapproval", "disgust", "embarrassment",
    "excitement", "fear", "gratitude", "grief", "joy", "love", "nervousness", "optimism",
    "pride", "realization", "relief", "remorse", "sadness", "surprise", "neutral",
]  # fmt: skip


def goemotions(folder: Path) -> tuple[Rows, Rows]:
    names = (folder / "emotions.txt").read_text(encoding="utf-8").split()
    if "neutral" not in names:
        names.append("neutral")

    def read(split: str) -> Rows:
        rows: Rows = []
        for line in (folder / f"{split}.tsv").read_text(encoding="utf-8").splitlines():
            text, ids, _ = line.split("\t")
            labels = {names[int(i)] for i in ids.split(",")}
            rows.append((text, bool(labels & NEGATIVE_EMOTIONS), "en"))
        return rows

    return read("train") + read("dev"), read("test")


def ru_goemotions(folder: Path) -> tuple[Rows, Rows]:
    def read(split: str) -> Rows:
        with (folder / f"{split}.csv").open(encoding="utf-8", newline="") as f:
            return [
                (row["ru_text"], bool({RU_EMOTIONS[i] for i in map(int, re.findall(r"\d+", row["labels"]))}
                                      & NEGATIVE_EMOTIONS), "ru")
                for row in csv.DictReader(f)
            ]  # fmt: skip

    return read("validation"), read("test")


def clothing(folder: Path) -> tuple[Rows, Rows]:
    """Women's E-Commerce Clothing Reviews (Kaggle nicapotato; listed there as CC0-1.0): title
    and text, 1-2 stars negative, 4-5 not, 3 left out; every fifth row held out."""
    rows: Rows = []
    with (folder / "reviews.csv").open(encoding="utf-8", errors="replace", newline="") as f:
        for row in csv.DictReader(f):
            text = ". ".join(p for p in (row["Title"], row["Review Text"]) if p)
            if text and row["Rating"] in {"1", "2", "4", "5"}:
                rows.append((text, row["Rating"] in {"1", "2"}, "en"))
    return [r for i, r in enumerate(rows) if i % 5], rows[::5]


# (reader, folder under CORPORA, licence); an optional corpus is read when its folder exists.
CORPORA = (
    (goemotions, "goemotions", "Apache-2.0", True),
    (ru_goemotions, "ru-goemotions", "MIT", True),
    (clothing, "clothing", "CC0-1.0", False),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpora", type=Path)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parents[1] / "repcli/analysis/data" / FILE,
    )
    parser.add_argument("--min-df", type=int, default=3)
    parser.add_argument("--C", type=float, default=0.5)
    args = parser.parse_args()

    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    train: Rows = []
    held: Rows = []
    used = []
    for reader, name, licence, required in CORPORA:
        if not required and not (args.corpora / name).is_dir():
            continue
        used.append(f"{name} ({licence})")
        fit_rows, held_rows = reader(args.corpora / name)
        train += fit_rows
        held += held_rows
        both = fit_rows + held_rows
        print(f"{name}: {len(fit_rows)} train, {len(held_rows)} held out, "
              f"{sum(r[1] for r in both) / len(both):.0%} negative", file=sys.stderr)  # fmt: skip

    from scipy import sparse

    vectorizer = CountVectorizer(
        analyzer=lambda text: list(features(tokenize(text))), min_df=args.min_df, binary=False
    )
    texts = [t for t, _, _ in train]
    # Counts over sqrt(the number of features, those under min_df included), as
    # `WordWeights.logit` sums them.
    sizes = np.array([max(1, sum(1 for _ in features(tokenize(t)))) for t in texts])
    x = sparse.diags(1 / np.sqrt(sizes)) @ vectorizer.fit_transform(texts)
    y = np.array([n for _, n, _ in train])
    model = LogisticRegression(C=args.C, class_weight="balanced", max_iter=5000)
    model.fit(x, y)
    coef = model.coef_[0]
    scale = float(np.abs(coef).max()) / 127
    names = vectorizer.get_feature_names_out()
    table = WordWeights(
        {str(f): float(w) for f, w in zip(names, coef, strict=True) if round(w / scale)},
        float(model.intercept_[0]),
    )
    table = parse(dump(table, scale))  # the quantised table, as shipped

    # The blend: P(negative) = sigmoid(a * table logit + b * lexicon score + c), fitted on the
    # held-out split (class-balanced, like the table).
    lexicon = LexiconModel()
    inputs = []
    for text, _, lang in held:
        tokens = tokenize(text)
        inputs.append([table.logit(tokens)[0], lexicon.score(text, lang, tokens).score])
    blend = LogisticRegression(C=10.0, class_weight="balanced", max_iter=1000)
    blend.fit(np.array(inputs), np.array([n for _, n, _ in held]))
    a, b = (float(v) for v in blend.coef_[0])
    c = float(blend.intercept_[0])
    sources = ", ".join(used)
    meta = {"sources": sources, "features": str(len(table.weights))}
    final = WordWeights(table.weights, table.bias, (a, b, c), meta)
    data = dump(final, scale)
    args.out.write_bytes(data)
    print(f"{len(table.weights)} features, {len(data) / 1024:.0f} KiB -> {args.out}; "
          f"blend a={a:.3f} b={b:.3f} c={c:.3f}", file=sys.stderr)  # fmt: skip


if __name__ == "__main__":
    main()

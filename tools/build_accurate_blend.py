"""Fit the blend of the accurate comment reading (repcli/analysis/data/prototypes.yaml).

The accurate model (repcli/analysis/encoder.py) turns two numbers into the probability of a
complaint: the encoder's prototype score and the built-in model's score. This fits the three
numbers of that blend (a class-balanced logistic regression) on the held-out splits of the
corpora the shipped word table was built from, which the word table never saw:

    CORPORA/goemotions/test.tsv, emotions.txt    GoEmotions (English, Apache-2.0)
    CORPORA/ru-goemotions/test.csv               ru-goemotions (Russian, MIT)

(see repcli/analysis/data/MODEL_SOURCES.md; a negative emotion label is a complaint), and writes
them into the `blend:` block of prototypes.yaml. Never point it at the evaluation sets. Needs the
`accurate` extra (the encoder) and scikit-learn (the `bench` extra); embedding 4,000 texts
takes about two minutes of one core.

Run: python tools/build_accurate_blend.py /tmp/corpora [--per-language 2000] [--write]
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from build_shipped_model import NEGATIVE_EMOTIONS, RU_EMOTIONS

from repcli.analysis import encoder
from repcli.analysis.lang import detect_language
from repcli.analysis.shipped import load_yaml
from repcli.analysis.word_weights import BuiltinModel

PROTOTYPES = Path(__file__).resolve().parent.parent / "repcli/analysis/data/prototypes.yaml"
Rows = list[tuple[str, bool]]


def held_out(corpora: Path) -> tuple[Rows, Rows]:
    names = (corpora / "goemotions/emotions.txt").read_text(encoding="utf-8").split()
    if "neutral" not in names:
        names.append("neutral")
    english: Rows = []
    for line in (corpora / "goemotions/test.tsv").read_text(encoding="utf-8").splitlines():
        text, ids, _ = line.split("\t")
        english.append((text, bool({names[int(i)] for i in ids.split(",")} & NEGATIVE_EMOTIONS)))
    russian: Rows = []
    with (corpora / "ru-goemotions/test.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            labels = {RU_EMOTIONS[int(i)] for i in re.findall(r"\d+", row["labels"])}
            russian.append((row["ru_text"], bool(labels & NEGATIVE_EMOTIONS)))
    return english, russian


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpora", type=Path)
    parser.add_argument("--per-language", type=int, default=2000)
    parser.add_argument("--write", action="store_true", help="write the blend into the file")
    args = parser.parse_args()
    from sklearn.linear_model import LogisticRegression

    rng = random.Random(0)  # noqa: S311 - a reproducible sample, not a secret
    rows: Rows = []
    for part in held_out(args.corpora):
        rows += rng.sample(part, min(args.per_language, len(part)))
    builtin = BuiltinModel()
    data = load_yaml("prototypes.yaml")
    prototypes = encoder.Prototypes({**data, "blend": {"proto": 1, "builtin": 0, "bias": 0}},
                                    encoder.encoder())  # fmt: skip
    features, labels = [], []
    for i, (text, negative) in enumerate(rows):
        p = builtin.score(text, detect_language(text)).score
        proto = prototypes.score(encoder.encoder().embed(text))
        features.append([proto, encoder.logit(p)])
        labels.append(negative)
        if i % 500 == 499:
            print(f"{i + 1} of {len(rows)} texts", file=sys.stderr)
    # Unregularised: three numbers from thousands of texts, and the prototype score's scale
    # (hundredths) would make a penalty shrink its weight far more than the other's.
    fit = LogisticRegression(C=1e6, class_weight="balanced").fit(features, labels)
    proto_w, builtin_w = (round(float(w), 2) for w in fit.coef_[0])
    bias = round(float(fit.intercept_[0]), 2)
    block = f"blend:\n  proto: {proto_w}\n  builtin: {builtin_w}\n  bias: {bias}\n"
    print(block, end="")
    if args.write:
        text = PROTOTYPES.read_text(encoding="utf-8")
        PROTOTYPES.write_text(text[: text.index("blend:\n")] + block, encoding="utf-8")
        print(f"written to {PROTOTYPES}", file=sys.stderr)


if __name__ == "__main__":
    main()

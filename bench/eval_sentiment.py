"""Negativity quality on the evaluation sets in ../shared/data/sentiment (never shipped).

For every file: negative-class precision / recall / F1 and macro-F1 over the file's classes of
  - keywords: a plain list of a dozen complaint words per language (the naive baseline);
  - builtin:  repcli's lexicon model (text only: ratings are hidden);
  - shipped:  the lexicon blended with the shipped word table (`analysis/word_weights.py`,
    trained on openly licensed corpora, never on these files);
  - as-comment: what `check` says of each text as an unrated comment (kind "comment", no
    trained model): `Analyzer.analyse`'s sentiment, so the shipped blend, with the question
    rules for texts that ask (a `?`, "Подскажите...") and extortion wording flagged;
  - accurate: as-comment with `analysis: {comments: accurate}`: the sentence encoder beside the
    shipped blend (`analysis/encoder.py`; needs the `accurate` extra, ~60 ms a text);
  - trained:  `repcli train`'s model fitted on the OTHER files of the same language;
  - trained-cv: the same model, 5-fold cross-validated within the file (the shop's own data);
  - blend-cv: what `check` uses after `repcli train`: lexicon + the file's own model (5-fold);
  - vader:    VADER (English only), compound <= -0.05 is negative, >= 0.05 positive;
  - sk-lr, sk-lr-cv: the reference a data scientist would reach for (scikit-learn: TF-IDF of
    word 1-2-grams and character 2-5-grams, class-balanced logistic regression), trained like
    `trained` and `trained-cv` (same folds): how far bag-of-words models can go on this data.
The "positive" and "neutral" predictions of binary models come from the score: >= 0.5 negative,
<= 0.35 positive, else neutral.

Run: python bench/eval_sentiment.py [--data ../shared/data/sentiment] [--json out.json] [--untrained]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from repcli.analysis import encoder, trained
from repcli.analysis.lang import detect_language
from repcli.analysis.negativity import LexiconModel
from repcli.analysis.verdict import Analyzer
from repcli.analysis.word_weights import BuiltinModel
from repcli.models import Item

KEYWORDS = {
    "ru": ["плохо", "ужас", "брак", "сломал", "не работает", "не рекомендую", "отврат", "разочаров",
           "обман", "верните", "кошмар", "хуже"],
    "uk": ["погано", "жах", "брак", "зламал", "не працює", "не рекомендую", "огидн", "розчаров",
           "обман", "поверніть", "кошмар", "гірше"],
    "en": ["bad", "terrible", "awful", "broke", "not work", "don't recommend", "worst", "poor",
           "disappoint", "refund", "waste", "horrible"],
}  # fmt: skip
LABELS = ("negative", "neutral", "positive")


def load(path: Path) -> tuple[list[str], list[str], str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [r["text"] for r in rows], [r["label"] for r in rows], rows[0]["lang"]


def label_of(score: float) -> str:
    return "negative" if score >= 0.5 else "positive" if score <= 0.35 else "neutral"


def scores(predicted: Sequence[str], actual: Sequence[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    f1s = []
    for label in LABELS:
        if label not in actual:
            continue
        tp = sum(p == a == label for p, a in zip(predicted, actual, strict=True))
        fp = sum(p == label != a for p, a in zip(predicted, actual, strict=True))
        fn = sum(a == label != p for p, a in zip(predicted, actual, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        f1s.append(f1)
        if label == "negative":
            out.update(p=precision, r=recall, f1=f1)
    out["macro_f1"] = sum(f1s) / len(f1s)
    return out


def as_comments(texts: list[str], analyzer: Analyzer) -> list[str]:
    """Each text's sentiment as `check` gives it for an unrated comment."""
    when = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        analyzer.analyse(
            Item(source="eval", platform="vk", kind="comment", external_id=str(i),
                 created_at=when, text=text)
        ).sentiment
        for i, text in enumerate(texts)
    ]  # fmt: skip


def keyword_model(lang: str) -> Callable[[str], str]:
    words = KEYWORDS[lang]
    return lambda text: "negative" if any(w in text.lower() for w in words) else "positive"


def folds(n: int) -> list[set[int]]:
    """The test parts of the 5 folds every cross-validated method here shares."""
    order = list(range(n))
    random.Random(13).shuffle(order)
    return [set(order[fold::5]) for fold in range(5)]


def reference_model() -> Callable[[list[str], list[bool]], Callable[[list[str]], list[float]]]:
    """scikit-learn's TF-IDF + logistic regression (the `sk-lr` columns), or None."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    def fit(texts: list[str], labels: list[bool]) -> Callable[[list[str]], list[float]]:
        pipe = make_pipeline(
            make_union(
                TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
            ),
            LogisticRegression(C=4, class_weight="balanced", max_iter=3000),
        )
        pipe.fit(texts, labels)
        return lambda batch: [float(p) for p in pipe.predict_proba(batch)[:, 1]]

    return fit


def reference_cv(texts: list[str], labels: list[str], fit: Any) -> list[str]:
    predicted = [""] * len(texts)
    for test in folds(len(texts)):
        train = [i for i in range(len(texts)) if i not in test]
        model = fit([texts[i] for i in train], [labels[i] == "negative" for i in train])
        order = sorted(test)
        for i, p in zip(order, model([texts[i] for i in order]), strict=True):
            predicted[i] = label_of(p)
    return predicted


def cv_predict(texts: list[str], labels: list[str], lang: str, blend: bool) -> list[str]:
    """5-fold predictions. With `blend`, each training part picks its blend weight and threshold by its own
    inner cross-validation, exactly as `repcli train` does, and never sees the test part."""
    order = list(range(len(texts)))
    random.Random(13).shuffle(order)
    lexicon = LexiconModel()
    predicted = [""] * len(texts)
    for fold in range(5):
        test = set(order[fold::5])
        train = [i for i in order if i not in test]
        train_texts = [texts[i] for i in train]
        train_labels = [labels[i] == "negative" for i in train]
        model = trained.fit(train_texts, train_labels)
        scorer: trained.TrainedModel | trained.BlendedModel = model
        if blend:
            choice = trained.best(
                trained.cross_validate(train_texts, train_labels, lexicon=lexicon)
            )
            scorer = trained.BlendedModel(model, lexicon, choice.weight, choice.threshold)
        for i in test:
            predicted[i] = label_of(scorer.score(texts[i], lang).score)
    return predicted


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/sentiment"
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--untrained",
        action="store_true",
        help="only what needs no training (seconds, not minutes)",
    )
    args = parser.parse_args()
    files = sorted(args.data.glob("*.jsonl"))
    data = {f.name: load(f) for f in files}
    lexicon = LexiconModel()
    builtin = BuiltinModel(lexicon)
    analyzer = Analyzer(model=lexicon)
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        vader: SentimentIntensityAnalyzer | None = SentimentIntensityAnalyzer()
    except ImportError:
        vader = None
        print("(vaderSentiment not installed: pip install -e '.[bench]')")
    try:
        reference: Any = reference_model()
    except ImportError:
        reference = None
        print("(scikit-learn not installed: pip install -e '.[bench]')")
    accurate: Analyzer | None = None
    if encoder.available():
        accurate = Analyzer(model=lexicon, comments="accurate")
    else:
        print("(the encoder is not installed: pip install -e '.[accurate]')")
    results: dict[str, dict[str, dict[str, float]]] = {}
    started = time.perf_counter()
    for name, (texts, labels, lang) in data.items():
        row: dict[str, dict[str, float]] = {}
        kw = keyword_model(lang)
        row["keywords"] = scores([kw(t) for t in texts], labels)
        row["builtin"] = scores([label_of(lexicon.score(t, lang).score) for t in texts], labels)
        row["shipped"] = scores([label_of(builtin.score(t, lang).score) for t in texts], labels)
        row["as-comment"] = scores(as_comments(texts, analyzer), labels)
        if accurate is not None:
            row["accurate"] = scores(as_comments(texts, accurate), labels)
        others = [(t, lab) for n, (ts, ls, lg) in data.items() if n != name and lg == lang
                  for t, lab in zip(ts, ls, strict=True)]  # fmt: skip
        if args.untrained:
            others = []
        if others and len({lab == "negative" for _, lab in others}) == 2:
            model = trained.fit([t for t, _ in others], [lab == "negative" for _, lab in others])
            row["trained"] = scores([label_of(model.probability(t)) for t in texts], labels)
        if not args.untrained:
            row["trained-cv"] = scores(cv_predict(texts, labels, lang, blend=False), labels)
            row["blend-cv"] = scores(cv_predict(texts, labels, lang, blend=True), labels)
        if vader is not None and lang == "en":

            def vader_label(text: str) -> str:
                c = vader.polarity_scores(text)["compound"]  # type: ignore[union-attr]
                return "negative" if c <= -0.05 else "positive" if c >= 0.05 else "neutral"

            row["vader"] = scores([vader_label(t) for t in texts], labels)
        if reference is not None:
            if others and len({lab == "negative" for _, lab in others}) == 2:
                ref = reference([t for t, _ in others], [lab == "negative" for _, lab in others])
                row["sk-lr"] = scores([label_of(p) for p in ref(texts)], labels)
            if not args.untrained:
                row["sk-lr-cv"] = scores(reference_cv(texts, labels, reference), labels)
        results[name] = row
        print(f"{name:26} " + "  ".join(f"{m} {v['f1']:.2f}" for m, v in row.items()), flush=True)
    methods = ("keywords", "builtin", "shipped", "as-comment", "accurate", "trained", "trained-cv", "blend-cv", "vader", "sk-lr",
               "sk-lr-cv")  # fmt: skip
    print(
        "\nnegative-class F1 (macro-F1 in brackets); rows: file (language, detected-language accuracy)"
    )
    print("| file | " + " | ".join(methods) + " |")
    print("|---|" + "---|" * len(methods))
    for name, row in results.items():
        texts, _, lang = data[name]
        detected = sum(detect_language(t) == lang for t in texts) / len(texts)
        cells = [
            f"{row[m]['f1']:.2f} ({row[m]['macro_f1']:.2f})" if m in row else "–" for m in methods
        ]
        print(f"| {name} ({lang}, {detected:.0%}) | " + " | ".join(cells) + " |")
    means = [
        [row[m]["f1"] for row in results.values() if m in row] for m in methods
    ]  # a method's mean over the files it ran on
    cells = [f"{sum(v) / len(v):.3f}" if v else "–" for v in means]
    print("| mean negative F1 | " + " | ".join(cells) + " |")
    print(f"\n{time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()

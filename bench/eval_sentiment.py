"""Negativity quality on the evaluation sets in ../shared/data/sentiment (never shipped).

For every file: negative-class precision / recall / F1 and macro-F1 over the file's classes of
  - keywords: a plain list of a dozen complaint words per language (the naive baseline);
  - builtin:  repcli's lexicon model (text only: ratings are hidden);
  - trained:  `repcli train`'s model fitted on the OTHER files of the same language;
  - trained-cv: the same model, 5-fold cross-validated within the file (the shop's own data);
  - blend-cv: what `check` uses after `repcli train`: lexicon + the file's own model (5-fold);
  - vader:    VADER (English only), compound <= -0.05 is negative, >= 0.05 positive.
The "positive" and "neutral" predictions of binary models come from the score: >= 0.5 negative,
<= 0.35 positive, else neutral.

Run: python bench/eval_sentiment.py [--data ../shared/data/sentiment] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from repcli.analysis import trained
from repcli.analysis.lang import detect_language
from repcli.analysis.negativity import LexiconModel

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


def keyword_model(lang: str) -> Callable[[str], str]:
    words = KEYWORDS[lang]
    return lambda text: "negative" if any(w in text.lower() for w in words) else "positive"


def cv_predict(texts: list[str], labels: list[str], lang: str, blend: bool) -> list[str]:
    """5-fold predictions. With `blend`, each training part picks its blend weight by its own
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
            weight = trained.best_weight(
                trained.cross_validate(train_texts, train_labels, lexicon=lexicon)
            )
            scorer = trained.BlendedModel(model, lexicon, weight)
        for i in test:
            predicted[i] = label_of(scorer.score(texts[i], lang).score)
    return predicted


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/sentiment"
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    files = sorted(args.data.glob("*.jsonl"))
    data = {f.name: load(f) for f in files}
    lexicon = LexiconModel()
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        vader: SentimentIntensityAnalyzer | None = SentimentIntensityAnalyzer()
    except ImportError:
        vader = None
        print("(vaderSentiment not installed: pip install -e '.[bench]')")
    results: dict[str, dict[str, dict[str, float]]] = {}
    started = time.perf_counter()
    for name, (texts, labels, lang) in data.items():
        row: dict[str, dict[str, float]] = {}
        kw = keyword_model(lang)
        row["keywords"] = scores([kw(t) for t in texts], labels)
        row["builtin"] = scores([label_of(lexicon.score(t, lang).score) for t in texts], labels)
        others = [(t, lab) for n, (ts, ls, lg) in data.items() if n != name and lg == lang
                  for t, lab in zip(ts, ls, strict=True)]  # fmt: skip
        if others and len({lab == "negative" for _, lab in others}) == 2:
            model = trained.fit([t for t, _ in others], [lab == "negative" for _, lab in others])
            row["trained"] = scores([label_of(model.probability(t)) for t in texts], labels)
        row["trained-cv"] = scores(cv_predict(texts, labels, lang, blend=False), labels)
        row["blend-cv"] = scores(cv_predict(texts, labels, lang, blend=True), labels)
        if vader is not None and lang == "en":

            def vader_label(text: str) -> str:
                c = vader.polarity_scores(text)["compound"]  # type: ignore[union-attr]
                return "negative" if c <= -0.05 else "positive" if c >= 0.05 else "neutral"

            row["vader"] = scores([vader_label(t) for t in texts], labels)
        results[name] = row
        print(f"{name:26} " + "  ".join(f"{m} {v['f1']:.2f}" for m, v in row.items()), flush=True)
    methods = ("keywords", "builtin", "trained", "trained-cv", "blend-cv", "vader")
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
    print(f"\n{time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()

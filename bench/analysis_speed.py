"""Text negativity throughput: repcli's models vs VADER on the same texts, in one run.

Texts: the evaluation sets in ../shared/data/sentiment if present (all languages; VADER reads
them too, as a user would point it at them), else generated shop-review sentences. Each scorer
classifies every text REPEAT times; texts/s and the ratio to VADER are printed.

Run: python bench/analysis_speed.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from repcli.analysis import trained
from repcli.analysis.negativity import LexiconModel

DATA = Path(__file__).resolve().parents[2] / "shared/data/sentiment"


def texts_and_labels() -> tuple[list[str], list[bool]]:
    if DATA.is_dir():
        rows = [
            json.loads(line)
            for f in sorted(DATA.glob("*.jsonl"))
            for line in f.open(encoding="utf-8")
        ]
        return [r["text"] for r in rows], [r["label"] == "negative" for r in rows]
    rng = random.Random(1)
    bad = ["коробка мятая", "не работает", "arrived broken", "зламався", "брак"]
    good = ["отличное качество", "great", "чудово", "спасибо", "love it"]
    rows2 = [
        (rng.choice(bad), True) if i % 3 == 0 else (rng.choice(good), False) for i in range(5000)
    ]
    return [t for t, _ in rows2], [y for _, y in rows2]


def rate(name: str, score: Callable[[str], object], texts: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for text in texts:
            score(text)
        best = min(best, time.perf_counter() - started)
    per_second = len(texts) / best
    print(f"{name:28} {per_second:10,.0f} texts/s", flush=True)
    return per_second


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    texts, labels = texts_and_labels()
    print(f"{len(texts)} texts, mean length {sum(map(len, texts)) / len(texts):.0f} characters")
    lexicon = LexiconModel()
    model = trained.fit(texts[::2], labels[::2])
    blend = trained.BlendedModel(model, lexicon)
    results = {
        "builtin (lexicon)": rate(
            "builtin (lexicon)", lambda t: lexicon.score(t, None), texts, args.repeat
        ),
        "trained": rate("trained", model.probability, texts, args.repeat),
        "blend (check after train)": rate(
            "blend (check after train)", lambda t: blend.score(t, None), texts, args.repeat
        ),
    }
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        print("vaderSentiment not installed: pip install -e '.[bench]'")
        return
    vader = SentimentIntensityAnalyzer()
    reference = rate("VADER", vader.polarity_scores, texts, args.repeat)
    print("\n| scorer | texts/s | vs VADER |\n|---|---:|---:|")
    for name, value in results.items():
        print(f"| {name} | {value:,.0f} | {value / reference:.1f}x |")
    print(f"| VADER | {reference:,.0f} | 1.0x |")


if __name__ == "__main__":
    main()

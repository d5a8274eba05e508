"""Text negativity throughput: repcli's models vs VADER on the same texts, in one run.

Texts: the evaluation sets in ../shared/data/sentiment if present (all languages; VADER reads
them too, as a user would point it at them), else generated shop reviews of realistic length.
Each scorer classifies every text REPEAT times; texts/s and the ratio to VADER are printed.
"full analysis" is what `check` runs on each new item (Analyzer.analyse: language, tokens,
lexicon or model score, topics, verdict), the figure the goal is about (issue 23: >= 3x VADER);
the other rows time the text score alone.

Run: python bench/analysis_speed.py [--repeat 3]
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

from repcli.analysis import trained
from repcli.analysis.negativity import LexiconModel
from repcli.analysis.verdict import Analyzer
from repcli.models import Item

DATA = Path(__file__).resolve().parents[2] / "shared/data/sentiment"


def texts_and_labels() -> tuple[list[str], list[bool]]:
    if DATA.is_dir():
        rows = [
            json.loads(line)
            for f in sorted(DATA.glob("*.jsonl"))
            for line in f.open(encoding="utf-8")
        ]
        return [r["text"] for r in rows], [r["label"] == "negative" for r in rows]
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import textgen

    rng = random.Random(1)
    ratings = [textgen.rating(rng) for _ in range(5000)]
    return [textgen.review(rng, r) for r in ratings], [r <= 2 for r in ratings]


def rate(name: str, score: Callable[[Any], object], texts: Sequence[Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()  # CPU time: other processes on the machine do not count
        for text in texts:
            score(text)
        best = min(best, time.process_time() - started)
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
    when = datetime(2026, 11, 23, tzinfo=UTC)
    items = [
        Item(source="s", platform="wildberries", kind="review", external_id=str(i),
             created_at=when, text=t)
        for i, t in enumerate(texts)
    ]  # fmt: skip
    full, full_blend = Analyzer(), Analyzer(model=blend)
    results = {
        "full analysis (check, built-in)": rate(
            "full analysis (check)", full.analyse, items, args.repeat
        ),
        "full analysis (check after train)": rate(
            "full analysis (after train)", full_blend.analyse, items, args.repeat
        ),
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

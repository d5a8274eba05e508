"""Per-item analysis throughput: what `check` runs on each new item against VADER on the same
texts, in one run, in CPU time.

"full analysis" is `Analyzer.analyse` as the pipeline calls it (language, tokens, lexicon or
model score, topics, verdict) on items as sources store them; the goal (issues 19 and 23) is
>= 3x VADER. Two sets of texts of realistic length:
  - rated reviews: generated marketplace reviews (bench/textgen.py, ~200 characters) with their
    star ratings (a 3-5★ review is read for a complaint under it);
  - unrated texts: the real shop reviews of the evaluation sets in ../shared/data/sentiment
    (rozetka_ru and rozetka_uk, ~256 characters) read as comments, where the text decides
    (those with a question go through the question rules); skipped when the sets are absent.
The other rows time a text score alone on the same texts. Each scorer reads every text REPEAT
times, interleaved with VADER; the best (least disturbed) round counts. "first pass" is a new
analyser reading each text once (its cache of token classes empty at the start), the best of
REPEAT such passes.

The last rows time `analysis: {comments: accurate}` (the sentence encoder, when installed) on
unrated comments: texts per CPU second, the goal is >= 100 on one core.

Run: python bench/analysis_speed.py [--repeat 5] [--data ../shared/data/sentiment] [--accurate 200]
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from repcli.analysis import cues, trained
from repcli.analysis.negativity import LexiconModel
from repcli.analysis.verdict import Analyzer
from repcli.models import Item

DATA = Path(__file__).resolve().parents[2] / "shared/data/sentiment"
SHOP = ("rozetka_ru.jsonl", "rozetka_uk.jsonl")
WHEN = datetime(2026, 11, 23, tzinfo=UTC)


def rated_reviews(n: int = 3000) -> tuple[list[Item], list[bool]]:
    import textgen

    rng = random.Random(1)
    ratings = [textgen.rating(rng) for _ in range(n)]
    items = [
        Item(source="wb", platform="wildberries", kind="review", external_id=str(i),
             created_at=WHEN, text=textgen.review(rng, r), rating=r)
        for i, r in enumerate(ratings)
    ]  # fmt: skip
    return items, [r <= 2 for r in ratings]


def unrated_texts(data: Path) -> tuple[list[Item], list[bool]]:
    rows = [
        json.loads(line)
        for name in SHOP
        if (data / name).exists()
        for line in (data / name).open(encoding="utf-8")
    ]
    items = [
        Item(source="vk", platform="vk", kind="comment", external_id=str(i), created_at=WHEN,
             text=r["text"])
        for i, r in enumerate(rows)
    ]  # fmt: skip
    return items, [r["label"] == "negative" for r in rows]


def rates(
    scorers: dict[str, tuple[Callable[[Any], object], Sequence[Any]]], repeat: int
) -> dict[str, float]:
    """Texts per CPU second of each scorer: the best of `repeat` interleaved rounds."""
    best = dict.fromkeys(scorers, float("inf"))
    for _ in range(repeat):
        for name, (score, inputs) in scorers.items():
            started = time.process_time()  # CPU time: other processes do not count
            for x in inputs:
                score(x)
            best[name] = min(best[name], time.process_time() - started)
    return {name: len(scorers[name][1]) / best[name] for name in scorers}


def first_pass(items: Sequence[Item], repeat: int) -> float:
    """Items per CPU second of a new analyser reading each item once: the classes of tokens
    are worked out as they are first seen (`cues._Table`), as in a `check` of new items."""
    best = float("inf")
    for _ in range(repeat):
        cues._shipped_table.cache_clear()
        analyse = Analyzer().analyse
        started = time.process_time()
        for item in items:
            analyse(item)
        best = min(best, time.process_time() - started)
    return len(items) / best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument(
        "--accurate", type=int, default=200, help="texts for the accurate rows (0: none)"
    )
    args = parser.parse_args()
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        sys.exit("vaderSentiment not installed: pip install -e '.[bench]'")
    vader = SentimentIntensityAnalyzer()
    lexicon = LexiconModel()
    sets = {"rated reviews": rated_reviews(), "unrated texts": unrated_texts(args.data)}
    print("| texts | scorer | texts/s | vs VADER |\n|---|---|---:|---:|")
    for set_name, (items, labels) in sets.items():
        if not items:
            print(f"| {set_name} | (no data in {args.data}) | | |")
            continue
        texts = [item.full_text() for item in items]
        model = trained.fit(texts[::2], labels[::2])
        blend = trained.BlendedModel(model, lexicon)
        mean = sum(map(len, texts)) / len(texts)
        results = rates(
            {
                "full analysis (check)": (Analyzer().analyse, items),
                "full analysis (check after train)": (Analyzer(model=blend).analyse, items),
                "lexicon score alone": (functools.partial(lexicon.score, lang=None), texts),
                "blend score alone": (blend.score, texts),
                "VADER": (vader.polarity_scores, texts),
            },
            args.repeat,
        )
        results = {
            "full analysis (check)": results.pop("full analysis (check)"),
            "full analysis (check), first pass": first_pass(items, args.repeat),
            **results,
        }
        reference = results["VADER"]
        for name, value in results.items():
            label = f"{set_name} ({len(texts)}, {mean:.0f} chars)"
            print(f"| {label} | {name} | {value:,.0f} | {value / reference:.2f}x |", flush=True)
    accurate_rows(args.data, vader, args.accurate)


def accurate_rows(data: Path, vader: Any, n: int) -> None:
    """`analysis: {comments: accurate}` on unrated comments: the first `n` tweets of
    RuSentiTweet (social-post length) and shop reviews, once each (the encoder costs the same
    every time), on one thread as `check` runs it."""
    from repcli.analysis import encoder

    if not encoder.available() or n <= 0:
        print(
            "| accurate comments | (the encoder is not installed: pip install -e '.[accurate]') | | |"
        )
        return
    analyse = Analyzer(comments="accurate").analyse
    for name in ("rusentitweet.jsonl", *SHOP[:1]):
        if not (data / name).exists():
            continue
        rows = [json.loads(line) for line in (data / name).open(encoding="utf-8")][:n]
        items = [
            Item(source="vk", platform="vk", kind="comment", external_id=str(i), created_at=WHEN,
                 text=r["text"])
            for i, r in enumerate(rows)
        ]  # fmt: skip
        results = rates(
            {
                "accurate": (analyse, items),
                "VADER": (vader.polarity_scores, [r["text"] for r in rows]),
            },
            1,
        )
        mean = sum(len(r["text"]) for r in rows) / len(rows)
        label = f"{name.removesuffix('.jsonl')} as comments ({len(rows)}, {mean:.0f} chars)"
        value = results["accurate"]
        print(f"| {label} | full analysis, comments: accurate | {value:,.1f} | "
              f"{value / results['VADER']:.3f}x |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()

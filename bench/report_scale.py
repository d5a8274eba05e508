"""`report` on a generated store of N items vs 10x N: does its time grow linearly, or worse?

Items are spread over the last 365 days across 5 sources and 2,000 products, ~25% negative,
~40% answered, with topics; inserted straight through SQLite (the store's own schema, made by
its migrations). The report covers the whole year (the worst case: every row in the period),
then the last 30 days. Prints seconds and the 10x ratio (goal: <= ~10, i.e. linear).

Run: python bench/report_scale.py [--small 100000] [--large 1000000]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from repcli.clock import to_iso
from repcli.config import parse_config
from repcli.report import build
from repcli.store import open_store

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
TOPICS = ["delivery", "damaged", "quality", "size", "returns", "support", "price"]
CONFIG = "sources:\n" + "".join(f"  - {{name: s{i}, type: demo}}\n" for i in range(5))


def fill(path: Path, n: int) -> None:
    rng = random.Random(n)
    with open_store(path) as store:
        conn = store.conn
        conn.execute("BEGIN")
        rows = []
        for i in range(n):
            created = NOW - timedelta(seconds=rng.randrange(365 * 86400))
            rating = rng.choice((1, 2, 3, 4, 5, 5, 5, 4))
            negative = rating <= 2
            answered = (
                to_iso(created + timedelta(hours=rng.uniform(1, 48)))
                if rng.random() < 0.4
                else None
            )
            topics = json.dumps(rng.sample(TOPICS, 1) if negative else [])
            rows.append((f"s{i % 5}", f"x{i}", "wildberries", "review", f"p{rng.randrange(2000)}",
                         "Товар", rating, "текст отзыва", to_iso(created), answered,
                         "answer" if answered else None, int(negative), topics,
                         int(negative), "new", to_iso(created + timedelta(hours=24)),
                         to_iso(created), to_iso(created)))  # fmt: skip
            if len(rows) == 50_000:
                _insert(conn, rows)
                rows = []
        _insert(conn, rows)
        conn.execute("COMMIT")


def _insert(conn: object, rows: list[tuple[object, ...]]) -> None:
    conn.executemany(  # type: ignore[attr-defined]
        "INSERT INTO items (source, external_id, platform, kind, product_id, product_name, rating,"
        " text, created_at, answered_at, answer_text, negative, topics, needs_reply, status,"
        " due_at, first_seen_at, last_seen_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )


def timed(path: Path, days: int) -> float:
    config = parse_config(CONFIG)
    with open_store(path) as store:
        started = time.perf_counter()
        build(config, store, NOW, NOW - timedelta(days=days))
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for n in (args.small, args.large):
            path = Path(tmp) / f"{n}.db"
            started = time.perf_counter()
            fill(path, n)
            print(f"{n:>9,} items generated in {time.perf_counter() - started:.1f} s", flush=True)
            results[n] = (timed(path, 365), timed(path, 30))
            print(
                f"{n:>9,} items: report over 365 d {results[n][0]:.2f} s, over 30 d {results[n][1]:.2f} s",
                flush=True,
            )
        ratio = args.large / args.small
        year = results[args.large][0] / results[args.small][0]
        month = results[args.large][1] / results[args.small][1]
        print(
            f"\n| period | {args.small:,} items | {args.large:,} items | ratio (data x{ratio:.0f}) |"
        )
        print("|---|---:|---:|---:|")
        print(
            f"| 365 days | {results[args.small][0]:.2f} s | {results[args.large][0]:.2f} s | {year:.1f}x |"
        )
        print(
            f"| 30 days | {results[args.small][1]:.2f} s | {results[args.large][1]:.2f} s | {month:.1f}x |"
        )


if __name__ == "__main__":
    main()

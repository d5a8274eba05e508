"""Ingest: N generated reviews (JSON Lines) into a store, three ways, in one run:

- repcli: `repcli fetch` with a `file` source over the file: parse, analyse (negativity, topics,
  language), version, index (FTS5), in batches with the cursor;
- sqlite-utils: `sqlite-utils insert DB items FILE --nl --pk id` (what a user would do by hand);
- floor: Python's sqlite3 `executemany` of the same rows into a plain table.

Also the peak RSS of the repcli process for N/10 and N items (is memory flat?).
Goals (issue 9): repcli <= 1.0x sqlite-utils, <= 3x the floor.

Run: python bench/ingest.py [--n 100000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
PARTS = {
    "neg": ["Пришла мятая коробка", "Сломалось через неделю", "Не рекомендую", "Arrived broken",
            "Курьер опоздал на три дня", "Розмір не підійшов", "Качество ужасное"],
    "pos": ["Отличное качество", "Всё понравилось, спасибо", "Great value", "Чудова якість",
            "Быстрая доставка", "Рекомендую", "Удобно и красиво"],
}  # fmt: skip


def generate(path: Path, n: int, seed: int = 7) -> None:
    """Deterministic reviews, written as they are generated (no list of everything)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            rating = rng.choice((1, 2, 3, 4, 5, 5, 5, 4))
            words = PARTS["neg" if rating <= 2 else "pos"]
            text = ". ".join(rng.sample(words, 2)) + f". Заказ {rng.randrange(10**6)}."
            created = NOW - timedelta(minutes=rng.randrange(365 * 24 * 60))
            row = {"id": f"r{i}", "rating": rating, "text": text, "author": f"Покупатель {i % 977}",
                   "product": f"p{i % 1500}", "date": created.strftime("%Y-%m-%dT%H:%M:%SZ")}  # fmt: skip
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def run_repcli(data: Path, work: Path) -> tuple[float, int]:
    config = work / "repcli.yaml"
    config.write_text(
        f"store: {work / 'repcli.db'}\nsources:\n  - name: export\n    type: file\n"
        f"    path: {data}\n    format: jsonl\n"
        "    columns: {external_id: id, rating: rating, text: text, author: author, "
        "product_id: product, created_at: date}\n",
        encoding="utf-8",
    )
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "repcli", "--config", str(config), "fetch", "-q"],
        check=True, capture_output=True, env={"REPCLI_NOW": "2026-11-23T09:00:00Z", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, peak_kb


def run_sqlite_utils(data: Path, work: Path) -> float | None:
    exe = shutil.which("sqlite-utils") or str(Path(sys.executable).with_name("sqlite-utils"))
    if not Path(exe).exists():
        return None
    started = time.perf_counter()
    subprocess.run([exe, "insert", str(work / "su.db"), "items", str(data), "--nl", "--pk", "id"],
                   check=True, capture_output=True)  # fmt: skip
    return time.perf_counter() - started


def run_floor(data: Path, work: Path) -> float:
    started = time.perf_counter()
    conn = sqlite3.connect(work / "raw.db")
    conn.execute("CREATE TABLE items (id TEXT PRIMARY KEY, rating INT, text TEXT, author TEXT, "
                 "product TEXT, date TEXT)")  # fmt: skip
    with data.open(encoding="utf-8") as fh, conn:
        rows = (tuple(json.loads(line).values()) for line in fh)
        conn.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?)", rows)
    conn.close()
    return time.perf_counter() - started


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        small, big = work / "small.jsonl", work / "big.jsonl"
        generate(small, args.n // 10)
        generate(big, args.n)
        (work / "a").mkdir(), (work / "b").mkdir()
        # RUSAGE_CHILDREN keeps the largest child so far: measure repcli's runs before the others.
        _, rss_small = run_repcli(small, work / "a")
        ours, rss_big = run_repcli(big, work / "b")
        floor = run_floor(big, work)
        su = run_sqlite_utils(big, work)
    print(f"{args.n:,} reviews")
    print("| way | seconds | rows/s | vs sqlite-utils | vs floor |\n|---|---:|---:|---:|---:|")
    for name, secs in (
        ("repcli fetch (file source)", ours),
        ("sqlite-utils insert --nl", su),
        ("sqlite3 executemany", floor),
    ):
        if secs is None:
            print(f"| {name} | – | – | – | – |")
            continue
        vs_su = f"{secs / su:.2f}x" if su else "–"
        print(f"| {name} | {secs:.1f} | {args.n / secs:,.0f} | {vs_su} | {secs / floor:.1f}x |")
    print(
        f"\npeak RSS of repcli: {rss_small / 1024:.0f} MiB for {args.n // 10:,}, "
        f"{rss_big / 1024:.0f} MiB for {args.n:,} (the larger of the two runs so far)"
    )
    return {"repcli_s": ours, "sqlite_utils_s": su or 0.0, "floor_s": floor}


if __name__ == "__main__":
    main()

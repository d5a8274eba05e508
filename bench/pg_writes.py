"""The upsert path on both engines (issue 21): N generated items inserted in 10 transactions,
upserted again unchanged, then again with 10% of them edited (new text: versioned, analysed
again), each in 10 transactions as `fetch` writes its batches.

Measured per step: wall seconds and the CPU seconds of this (the repcli) process; on PostgreSQL
also the server's CPU (store_engines.Server: the postmaster and its children, from /proc; n/a for
a server elsewhere). Medians of --runs, each run on a fresh store.

The server is tests/pgserver.py's: --url (a `postgresql://` URL where the user may CREATE
DATABASE, e.g. a server on 127.0.0.1 to include TCP round trips), else $REPCLI_TEST_POSTGRES,
else a throwaway cluster on a Unix socket (fsync off). SQLite files go to /dev/shm.

Run: python bench/pg_writes.py [--n 5000] [--runs 3] [--url postgresql://...]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import textgen
from store_engines import Server

from repcli.models import Item, Verdict
from repcli.store import open_store
from repcli.store.writes import Analysis
from tests import pgserver

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
BATCHES = 10
STEPS = ("insert", "unchanged", "10% changed")


def items(n: int, edited: float = 0.0, seed: int = 7) -> list[Item]:
    """`n` deterministic reviews; `edited` of them (every k-th) with other text."""
    rng = random.Random(seed)
    every = round(1 / edited) if edited else 0
    out = []
    for i in range(n):
        rating = textgen.rating(rng)
        text = textgen.review(rng, rating)
        if every and i % every == 0:
            text += " Обновлено."
        out.append(
            Item(
                source="s0", platform="wildberries", kind="review", external_id=f"r{i}",
                created_at=NOW - timedelta(minutes=i), rating=rating, text=text,
                author=f"Покупатель {i % 977}", product_id=f"p{i % 1500}",
            )
        )  # fmt: skip
    return out


def analyse(item: Item) -> Analysis:
    negative = (item.rating or 5) <= 2
    verdict = Verdict("negative" if negative else "positive", 0.9 if negative else 0.1, negative)
    return Analysis(verdict, negative, NOW + timedelta(hours=24))


def step(target: str, batch: list[Item], seen: datetime) -> None:
    store = open_store(target)
    try:
        size = -(-len(batch) // BATCHES)
        for start in range(0, len(batch), size):
            with store.transaction():
                store.upsert_items(batch[start : start + size], analyse, seen)
    finally:
        store.close()


def measure(work: Callable[[], None], server: Server | None) -> tuple[float, float, float | None]:
    children = len(server.children()) if server and server.postmaster else 0
    server_before = server.cpu() if server else None
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    server_cpu = None
    if server is not None and server_before is not None:
        server.settle(children)
        after = server.cpu()
        server_cpu = None if after is None else after - server_before
    return wall, cpu, server_cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    if args.url:
        os.environ["REPCLI_TEST_POSTGRES"] = args.url
    batches = {
        "insert": items(args.n),
        "unchanged": items(args.n),
        "10% changed": items(args.n, edited=0.1),
    }
    pg = pgserver.start()
    server = Server(pg)
    shm = Path("/dev/shm")
    results: dict[tuple[str, str], list[tuple[float, float, float | None]]] = {}
    try:
        with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as tmp:
            for run in range(args.runs):
                for engine in ("sqlite", "postgresql"):
                    if engine == "sqlite":
                        target, where = str(Path(tmp) / f"run{run}.db"), None
                    else:
                        target, where = pg.create_database(), server
                    for i, name in enumerate(STEPS):
                        seen = NOW + timedelta(hours=i)
                        sample = measure(partial(step, target, batches[name], seen), where)
                        results.setdefault((name, engine), []).append(sample)
                    if engine == "postgresql":
                        pg.drop_database(target)
    finally:
        pg.stop()
    print(f"\n{args.n:,} items, {BATCHES} transactions per step; medians of {args.runs} runs")
    print("| step | engine | wall s | repcli CPU s | server CPU s |")
    print("|---|---|---:|---:|---:|")
    for (name, engine), samples in results.items():
        wall = statistics.median(s[0] for s in samples)
        cpu = statistics.median(s[1] for s in samples)
        server_cpus = [s[2] for s in samples]
        shown = "-"
        if engine == "postgresql":
            known = [v for v in server_cpus if v is not None]
            shown = f"{statistics.median(known):.2f}" if len(known) == len(samples) else "n/a"
        print(f"| {name} | {engine} | {wall:.2f} | {cpu:.2f} | {shown} |")


if __name__ == "__main__":
    main()

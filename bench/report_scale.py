"""`report` on a generated store of N items vs 10x N: does its time grow linearly, or worse?

Items are spread over the last 365 days across 5 sources and 2,000 products, ~25% negative,
15% still waiting for an answer, with topics and texts of realistic length; written straight
through SQLite into the store's own schema (its migrations) with the full-text index filled
(storegen.py). The report covers the whole year (the worst case: every row in the period),
then the last 30 days. Each report runs in its own process: CPU seconds (user + system) and
peak RSS from the operating system, medians of --runs, the two sizes in turn.
Goal (issue 23): 365 days on 1M <= 2x the 100k time, peak memory <= 1.5x.

Run: python bench/report_scale.py [--small 100000] [--large 1000000] [--runs 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import storegen

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
CONFIG = "sources:\n" + "".join(f"  - {{name: s{i}, type: demo}}\n" for i in range(5))


def one(path: Path, days: int) -> None:
    """The measured part, in a process of its own."""
    from repcli.report import build
    from repcli.sources.registry import parse_config
    from repcli.store import open_store

    with open_store(path) as store:
        build(parse_config(CONFIG), store, NOW, NOW - timedelta(days=days))


def migrate(path: Path) -> None:
    """A kept store made by an older repcli gets its new migrations (indexes) once, untimed:
    the runs measure a store that is up to date, as every report after the first is."""
    from repcli.store import open_store

    with open_store(path):
        pass


def timed(path: Path, days: int) -> tuple[float, float]:
    """(CPU s, peak RSS MiB) of one report in a child process."""
    proc = subprocess.Popen([sys.executable, __file__, "--one", str(path), str(days)])
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"report on {path} failed")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None)
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(Path(args.one[0]), int(args.one[1]))
        return
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        sizes = (args.small, args.large)
        paths = {}
        for n in sizes:
            paths[n] = root / f"report-{n}.db"
            if not paths[n].exists():
                print(f"generating {n:,} items…", flush=True)
                storegen.fill(paths[n], n, 365, NOW, sources=5)
            migrate(paths[n])
        got: dict[tuple[int, int], list[tuple[float, float]]] = {}
        for _ in range(args.runs):
            for days in (365, 30):
                for n in sizes:
                    got.setdefault((n, days), []).append(timed(paths[n], days))
    small, large = args.small, args.large
    print(f"\n| period | {small:,} items | {large:,} items | CPU ratio (data x{large // small}) "
          "| peak memory |")  # fmt: skip
    print("|---|---:|---:|---:|---:|")
    for days in (365, 30):
        a, b = got[(small, days)], got[(large, days)]
        ratio = statistics.median(y[0] / x[0] for x, y in zip(a, b, strict=True))
        print(
            f"| {days} days | {statistics.median(x[0] for x in a):.2f} s | "
            f"{statistics.median(x[0] for x in b):.2f} s | {ratio:.1f}x | "
            f"{statistics.median(x[1] for x in a):.0f} -> {statistics.median(x[1] for x in b):.0f}"
            " MiB |"
        )


if __name__ == "__main__":
    main()

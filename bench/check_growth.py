"""`repcli check` with 500 new reviews on stores of growing history and daily volume.

Does the daily check cost what the day's items cost, or what the whole history costs? Each case
is a generated store (storegen.py: realistic review lengths, 15% of items still waiting for an
answer, a filled full-text index) plus a JSON Lines file of 500 new reviews posted in the last
day, a few of them near-duplicate bursts; `repcli check` reads the file through a `file` source.
Every run starts from a fresh copy of the store (not timed) on tmpfs when /dev/shm exists.

Measured per run, by the operating system, for the whole `repcli check` process (start-up
included): CPU time (user + system) and peak RSS. The cases run in turn (baseline, case, case,
..., baseline, ...), and each ratio is taken against the baseline run of the same round; medians
are printed.

Cases (label=items/days): the baseline 10k over a year (~27 new a day), 100k over a year,
1M over three years, and 300k over a year (30x the baseline's daily volume).

Run: python bench/check_growth.py [--runs 5] [--cases 10k=10000/365,1M=1000000/1095]
     [--keep DIR]   (keep the generated stores in DIR and reuse them next time)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import storegen
import textgen

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
TREE = Path(__file__).resolve().parent.parent  # the repcli this script measures
DEFAULT_CASES = "10k=10000/365,100k=100000/365,1M=1000000/1095,300k/day x30=300000/365"
NEW = 500


def new_reviews(path: Path, n: int = NEW, seed: int = 5) -> None:
    """`n` reviews from the last day; about one in ten is part of a near-duplicate group."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        i = 0
        while i < n:
            product = f"p{rng.randrange(storegen.PRODUCTS)}"
            rating = textgen.rating(rng)
            text = textgen.review(rng, rating)
            copies = rng.choice((3, 4, 5)) if rng.random() < 0.03 else 1
            for _ in range(min(copies, n - i)):
                variant = text if copies == 1 else text.replace(".", "!", rng.randrange(3))
                created = NOW - timedelta(minutes=rng.randrange(24 * 60))
                row = {"id": f"n{i}", "rating": rating, "text": variant,
                       "author": f"Новый покупатель {i}", "product": product,
                       "date": created.strftime("%Y-%m-%dT%H:%M:%SZ")}  # fmt: skip
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
                i += 1


def config_for(work: Path, data: Path) -> Path:
    config = work / "repcli.yaml"
    config.write_text(
        f"store: {work / 'repcli.db'}\nsources:\n  - name: s0\n    type: file\n"
        f"    path: {data}\n    format: jsonl\n"
        "    columns: {external_id: id, rating: rating, text: text, author: author, "
        "product_id: product, created_at: date}\n",
        encoding="utf-8",
    )
    return config


def run_check(base: Path, work: Path, config: Path) -> tuple[float, float]:
    """One `repcli check` on a fresh copy of `base`: (CPU seconds, peak RSS MiB)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work / 'repcli.db'}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(base, work / "repcli.db")
    env = {"REPCLI_NOW": "2026-11-23T09:00:00Z", "PATH": os.environ.get("PATH", "/usr/bin"),
           "HOME": str(work), "NO_COLOR": "1", "PYTHONPATH": str(TREE)}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "repcli", "--config", str(config), "check", "--format", "json"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    assert proc.stderr is not None
    _, status, usage = os.wait4(proc.pid, 0)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 10):
        raise SystemExit(f"repcli check exited {proc.returncode}: {err[-800:]}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cases", default=DEFAULT_CASES)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    cases = []
    for spec in args.cases.split(","):
        label, size = spec.split("=")
        n, days = size.split("/")
        cases.append((label, int(n), int(days)))
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        data = root / "new.jsonl"
        if not data.exists():  # kept with the stores: before/after runs read the same file
            new_reviews(data)
        bases = {}
        for label, n, days in cases:
            base = root / f"store-{n}-{days}.db"
            if not base.exists():
                print(f"generating {label}: {n:,} items over {days} days…", flush=True)
                storegen.fill(base, n, days, NOW)
            bases[label] = base
        work = Path(tmp) / "work"
        work.mkdir()
        config = config_for(work, data)
        cpu: dict[str, list[float]] = {label: [] for label, _, _ in cases}
        rss: dict[str, list[float]] = {label: [] for label, _, _ in cases}
        run_check(bases[cases[0][0]], work, config)  # warm-up, not counted
        for _ in range(args.runs):
            for label, _, _ in cases:
                c, m = run_check(bases[label], work, config)
                cpu[label].append(c)
                rss[label].append(m)
    first = cases[0][0]
    print(f"\n`repcli check`, {NEW} new reviews; median of {args.runs} paired runs")
    print("| store | CPU s | peak MiB | CPU vs " + first + " | memory vs " + first + " |")
    print("|---|---:|---:|---:|---:|")
    for label, n, days in cases:
        cpu_ratio = statistics.median(a / b for a, b in zip(cpu[label], cpu[first], strict=True))
        mem_ratio = statistics.median(a / b for a, b in zip(rss[label], rss[first], strict=True))
        print(
            f"| {label} ({n:,} items, {n / days:,.0f}/day) | {statistics.median(cpu[label]):.2f}"
            f" | {statistics.median(rss[label]):.0f} | {cpu_ratio:.2f}x | {mem_ratio:.2f}x |"
        )


if __name__ == "__main__":
    main()

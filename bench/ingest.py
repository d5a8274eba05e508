"""Ingest: N generated reviews (JSON Lines) into a store, three ways, in one run:

- repcli: `repcli fetch` with a `file` source over the file: parse, analyse (negativity, topics,
  language), version, index (FTS5), in batches with the cursor;
- sqlite-utils: `sqlite-utils insert DB items FILE --nl --pk id` (what a user would do by hand);
- floor: Python's sqlite3 `executemany` of the same rows into a plain table.

Also the peak RSS of the repcli process for N/10 and N items (is memory flat?).
Goal (issue 23): repcli <= 3x sqlite-utils in CPU time on tmpfs.

Times are CPU seconds (user + system, the operating system's account of each child process;
the floor's own process time): wall time mostly measures disk syncs, and sqlite-utils commits
every 100 rows (404 fdatasync per 10k rows against repcli's 11). Files go to tmpfs (/dev/shm)
unless --disk; wall seconds are printed too. Texts have realistic lengths (textgen.py, ~215
characters). Run without the bench extra installed for honest start-up: it pulls numpy into
every process that imports sqlite_utils.

Run: python bench/ingest.py [--n 100000] [--disk] [--repeat 3] (the median of the runs)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import textgen

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
TREE = Path(__file__).resolve().parent.parent  # the repcli this script measures


def generate(path: Path, n: int, seed: int = 7) -> None:
    """Deterministic reviews, written as they are generated (no list of everything)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            rating = textgen.rating(rng)
            text = textgen.review(rng, rating) + f" Заказ {rng.randrange(10**6)}."
            created = NOW - timedelta(minutes=rng.randrange(365 * 24 * 60))
            row = {"id": f"r{i}", "rating": rating, "text": text, "author": f"Покупатель {i % 977}",
                   "product": f"p{i % 1500}", "date": created.strftime("%Y-%m-%dT%H:%M:%SZ")}  # fmt: skip
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def child(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Run a process: (wall s, CPU s, peak RSS MiB), from the operating system's accounting."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.stderr.close()
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{argv[:4]} failed: {err.decode()[-800:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def run_repcli(data: Path, work: Path) -> tuple[float, float, float]:
    config = work / "repcli.yaml"
    config.write_text(
        f"store: {work / 'repcli.db'}\nsources:\n  - name: export\n    type: file\n"
        f"    path: {data}\n    format: jsonl\n"
        "    columns: {external_id: id, rating: rating, text: text, author: author, "
        "product_id: product, created_at: date}\n",
        encoding="utf-8",
    )
    env = {"REPCLI_NOW": "2026-11-23T09:00:00Z", "PATH": "/usr/bin:/bin", "HOME": str(work),
           "PYTHONPATH": str(TREE)}  # fmt: skip
    argv = [sys.executable, "-m", "repcli", "--config", str(config), "fetch", "-q"]
    return child(argv, env)


def run_sqlite_utils(data: Path, work: Path) -> tuple[float, float, float] | None:
    exe = shutil.which("sqlite-utils") or str(Path(sys.executable).with_name("sqlite-utils"))
    if not Path(exe).exists():
        return None
    return child([exe, "insert", str(work / "su.db"), "items", str(data), "--nl", "--pk", "id"])


def run_floor(data: Path, work: Path) -> tuple[float, float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    conn = sqlite3.connect(work / "raw.db")
    conn.execute("CREATE TABLE items (id TEXT PRIMARY KEY, rating INT, text TEXT, author TEXT, "
                 "product TEXT, date TEXT)")  # fmt: skip
    with data.open(encoding="utf-8") as fh, conn:
        rows = (tuple(json.loads(line).values()) for line in fh)
        conn.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?)", rows)
    conn.close()
    return time.perf_counter() - started, time.process_time() - cpu, 0.0


def _median(runs: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """The run with the median CPU time (wall and RSS of that same run)."""
    return sorted(runs, key=lambda r: r[1])[len(runs) // 2]


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--disk", action="store_true", help="work on disk, not on tmpfs")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each way; the median")
    args = parser.parse_args()
    shm = Path("/dev/shm")
    where = None if args.disk or not shm.is_dir() else shm
    with tempfile.TemporaryDirectory(dir=where) as tmp:
        work = Path(tmp)
        small, big = work / "small.jsonl", work / "big.jsonl"
        generate(small, args.n // 10)
        generate(big, args.n)
        (work / "a").mkdir()
        *_, rss_small = run_repcli(small, work / "a")
        runs: dict[str, list[tuple[float, float, float]]] = {"ours": [], "floor": [], "su": []}
        for n in range(args.repeat):  # interleaved: a busy spell on the machine hits all three
            (work / f"b{n}").mkdir()
            runs["ours"].append(run_repcli(big, work / f"b{n}"))
            (work / "raw.db").unlink(missing_ok=True)
            runs["floor"].append(run_floor(big, work))
            (work / "su.db").unlink(missing_ok=True)
            if (got := run_sqlite_utils(big, work)) is not None:
                runs["su"].append(got)
            shutil.rmtree(work / f"b{n}")
        ours, floor = _median(runs["ours"]), _median(runs["floor"])
        su = _median(runs["su"]) if runs["su"] else None
        chars = sum(len(json.loads(line)["text"]) for line in big.open(encoding="utf-8"))
    print(f"{args.n:,} reviews, mean text {chars / args.n:.0f} characters, on "
          f"{'disk' if where is None else 'tmpfs'}")  # fmt: skip
    print("| way | CPU s | wall s | rows/s (CPU) | CPU vs sqlite-utils | CPU vs floor |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, got in (
        ("repcli fetch (file source)", ours),
        ("sqlite-utils insert --nl", su),
        ("sqlite3 executemany", floor),
    ):
        if got is None:
            print(f"| {name} | – | – | – | – | – |")
            continue
        wall, cpu, _ = got
        vs_su = f"{cpu / su[1]:.2f}x" if su else "–"
        print(f"| {name} | {cpu:.1f} | {wall:.1f} | {args.n / cpu:,.0f} | {vs_su} | "
              f"{cpu / floor[1]:.1f}x |")  # fmt: skip
    if args.repeat > 1:
        for key, name in (("ours", "repcli"), ("su", "sqlite-utils"), ("floor", "floor")):
            print(f"CPU s of each run, {name}: " + ", ".join(f"{r[1]:.1f}" for r in runs[key]))
    print(
        f"\npeak RSS of repcli: {rss_small:.0f} MiB for {args.n // 10:,}, "
        f"{ours[2]:.0f} MiB for {args.n:,}"
    )
    return {"repcli_cpu_s": ours[1], "sqlite_utils_cpu_s": su[1] if su else 0.0,
            "floor_cpu_s": floor[1]}  # fmt: skip


if __name__ == "__main__":
    main()

"""Run every benchmark in bench/ in turn and print each one's summary table.

Run: python bench/run_all.py [--quick]   (--quick: smaller sizes, for a first look)
Needs `pip install -e '.[bench]'` for the VADER comparisons; ../shared/data for the quality
evaluation (skipped without it).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "shared/data/sentiment"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    quick = args.quick
    runs: list[tuple[str, list[str]]] = [
        ("start-up", ["startup.py", "--runs", "5" if quick else "15"]),
        ("ingest + analyse", ["ingest.py", "--n", "10000" if quick else "100000"]),
        ("text negativity speed", ["analysis_speed.py", "--repeat", "1" if quick else "3"]),
        (
            "fetch rate vs host limit",
            ["fetch_rate.py", "--rate", "20", "--pages", "20" if quick else "40"],
        ),
        (
            "report scale",
            [
                "report_scale.py",
                "--small",
                "10000" if quick else "100000",
                "--large",
                "100000" if quick else "1000000",
            ],
        ),
    ]
    if DATA.is_dir():
        runs.append(("negativity quality", ["eval_sentiment.py"]))
    for title, argv in runs:
        print(f"\n## {title}\n", flush=True)
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, str(HERE / argv[0]), *argv[1:]],
            check=False,
            capture_output=True,
            text=True,
        )
        lines = result.stdout.strip().splitlines()
        table = [line for line in lines if line.startswith("|")] or lines[-8:]
        print("\n".join(table))
        if result.returncode:
            print(f"(failed: exit {result.returncode}) {result.stderr.strip()[-500:]}")
        print(f"({time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()

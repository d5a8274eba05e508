"""Start-up: `repcli --help` vs the `--help` of a bare two-command Typer app in the same venv
(the floor for any Typer CLI). Median of RUNS runs each, interleaved. Goal: <= 1.3x.

Run: python bench/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE = '''
import typer
app = typer.Typer()
@app.command()
def one(flag: bool = False) -> None:
    """One."""
@app.command()
def two(name: str = "x") -> None:
    """Two."""
app()
'''


def run(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare.py"
        bare.write_text(BARE, encoding="utf-8")
        ours = [sys.executable, "-m", "repcli", "--help"]
        floor = [sys.executable, str(bare), "--help"]
        run(ours), run(floor)  # warm the file cache
        a, b = [], []
        for _ in range(args.runs):
            a.append(run(ours))
            b.append(run(floor))
    mine, base = statistics.median(a), statistics.median(b)
    print(f"repcli --help   {mine * 1000:6.0f} ms (median of {args.runs})")
    print(f"bare Typer app  {base * 1000:6.0f} ms")
    print(f"ratio           {mine / base:6.2f}x  (goal <= 1.3x)")
    return {"repcli_ms": mine * 1000, "typer_ms": base * 1000, "ratio": mine / base}


if __name__ == "__main__":
    main()

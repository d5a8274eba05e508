"""`repcli check` of a shop's first run (its whole history from a file), then a daily one.

A first check imports every review of an export (100k-1M): does the check's memory after the
items are stored (new negatives, signals, alerts) grow with them? Each case is a JSON Lines
file of N generated reviews over a year (ingest.py's, ~215-character texts) read by a `file`
source into a fresh store on tmpfs, with alert rules (new-negative, extortion, burst, spike,
topic-cluster, sla-breach) sent to a local JSON endpoint; then, from a copy of that store, the
daily check: 500 new reviews of the last day (check_growth.py's) in a second file.

Measured per process by the operating system: CPU time (user + system) and peak RSS; the
`fetch` of the same file is measured too (the floor: what storing the items alone costs).

Run: python bench/check_first.py [--sizes 100000,300000] [--daily-runs 3] [--no-alerts]
     [--format json|table]
"""

from __future__ import annotations

import argparse
import http.server
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import check_growth
import ingest

TREE = Path(__file__).resolve().parent.parent  # the repcli this script measures


class _Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def config_for(work: Path, pattern: str, port: int | None) -> Path:
    text = (
        f"store: {work / 'repcli.db'}\nsources:\n  - name: export\n    type: file\n"
        f"    path: '{pattern}'\n    format: jsonl\n"
        "    columns: {external_id: id, rating: rating, text: text, author: author, "
        "product_id: product, created_at: date}\n"
    )
    if port is not None:
        rules = ("new-negative", "extortion", "burst", "spike", "topic-cluster", "sla-breach")
        text += f"alerts:\n  destinations:\n    hook: json://127.0.0.1:{port}/\n  rules:\n"
        text += "".join(f"    - {{rule: {r}, to: [hook]}}\n" for r in rules)
    config = work / "repcli.yaml"
    config.write_text(text, encoding="utf-8")
    return config


def run(config: Path, command: str, now: str, fmt: str = "json") -> tuple[float, float, float]:
    """(CPU s, peak RSS MiB, exit code) of one repcli process."""
    env = {"REPCLI_NOW": now, "PATH": os.environ.get("PATH", "/usr/bin"),
           "HOME": str(config.parent), "NO_COLOR": "1", "PYTHONPATH": str(TREE)}  # fmt: skip
    argv = [sys.executable, "-m", "repcli", "--config", str(config), command, "-q"]
    if command == "check":
        argv += ["--format", fmt]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 10):
        raise SystemExit(f"repcli {command} exited {code}: {err[-800:]}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, code


def _fresh(work: Path) -> None:
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,300000")
    parser.add_argument("--daily-runs", type=int, default=3)
    parser.add_argument("--no-alerts", action="store_true")
    parser.add_argument(
        "--format",
        default="json",
        help="check's output: json lists every new negative, table a page",
    )
    args = parser.parse_args()
    port = None
    if not args.no_alerts:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
    shm = Path("/dev/shm")
    now, tomorrow = "2026-11-23T09:00:00Z", "2026-11-24T09:00:00Z"
    rows = []
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as tmp:
        root = Path(tmp)
        for n in (int(x) for x in args.sizes.split(",")):
            data = root / f"data-{n}"
            data.mkdir()
            ingest.generate(data / "history.jsonl", n)
            work = root / f"work-{n}"
            _fresh(work)
            config = config_for(work, str(data / "*.jsonl"), port)
            fetch_cpu, fetch_rss, _ = run(config, "fetch", now)
            _fresh(work)
            config = config_for(work, str(data / "*.jsonl"), port)
            cpu, rss, code = run(config, "check", now, args.format)
            base = root / f"after-{n}.db"
            shutil.copyfile(work / "repcli.db", base)
            # The next day: 500 new reviews in a second file (the history's is unchanged).
            check_growth.NOW = check_growth.NOW.replace(day=24)
            check_growth.new_reviews(data / "day.jsonl")
            daily: list[tuple[float, float]] = []
            for _ in range(args.daily_runs):
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{work / 'repcli.db'}{suffix}").unlink(missing_ok=True)
                shutil.copyfile(base, work / "repcli.db")
                c, m, _ = run(config, "check", tomorrow, args.format)
                daily.append((c, m))
            (data / "day.jsonl").unlink()
            rows.append((n, fetch_cpu, fetch_rss, cpu, rss, code, daily))
            shutil.rmtree(data)
            shutil.rmtree(work)
            base.unlink()
    print("| reviews | fetch CPU s | fetch peak MiB | first check CPU s | first check peak MiB "
          "| exit | daily check CPU s (median) | daily peak MiB |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, fc, fr, c, r, code, daily in rows:
        dc = statistics.median(d[0] for d in daily)
        dr = statistics.median(d[1] for d in daily)
        print(f"| {n:,} | {fc:.1f} | {fr:.0f} | {c:.1f} | {r:.0f} | {code} | {dc:.2f} | {dr:.0f} |")


if __name__ == "__main__":
    main()

"""Fetch rate against a host limit: does repcli use what a platform allows, and no more?

Local HTTP servers on 127.0.0.1 (one per "host", i.e. per port) each enforce a token bucket of
RATE requests/s like a platform would, with Wildberries' documented burst, answering 429 +
X-Ratelimit-Retry beyond it, and serve Wildberries-format feedback pages. repcli's real
pipeline and HTTP layer fetch from them with `rate_limit: RATE`. Measured in one run:

- one source alone: requests/s reached vs RATE (goal >= 90%), and the number of 429s (goal 0);
- four sources on four hosts at once vs the slowest of them alone (goal <= 1.3x);
- one source against a host stricter than documented (a burst two smaller): its 429s (one,
  then repcli sends evenly) and the rate reached.

Run: python bench/fetch_rate.py [--rate 20] [--pages 40]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

PAGE = 10


class Limited(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, rate: float, burst: int, pages: int) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.rate, self.burst, self.pages = rate, burst, pages
        self.tokens, self.stamp = float(burst), time.monotonic()
        self.lock = threading.Lock()
        self.served = self.refused = 0

    def admit(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                self.served += 1
                return True
            self.refused += 1
            return False


class Handler(BaseHTTPRequestHandler):
    server: Limited

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if not self.server.admit():
            self._send(429, {"title": "too many requests"}, {"X-Ratelimit-Retry": "1"})
            return
        query = parse_qs(urlsplit(self.path).query)
        key = self.path.split("?")[0].rsplit("/", 1)[-1]
        skip = int(query["skip"][0])
        page = skip // PAGE
        rows = []
        if key == "feedbacks" and query["isAnswered"][0] == "false" and page < self.server.pages:
            rows = [_feedback(page * PAGE + i) for i in range(PAGE)]
        self._send(
            200,
            {
                "data": {"countUnanswered": 0, "countArchive": 0, key: rows},
                "error": False,
                "errorText": "",
                "additionalErrors": None,
            },
        )

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)


def _feedback(n: int) -> dict[str, Any]:
    return {
        "id": f"fb{n:06d}", "text": "Пришло вовремя, всё хорошо", "pros": "", "cons": "",
        "productValuation": 5, "createdDate": "2026-05-14T09:41:27+03:00", "answer": None,
        "productDetails": {"nmId": 1000 + n % 7, "productName": "Худи"}, "userName": "Анна",
    }  # fmt: skip


def run(addresses: list[tuple[str, int]], rate: float, workdir: Path) -> float:
    from repcli.pipeline import Pipeline
    from repcli.sources.registry import parse_config
    from repcli.store import open_store

    lines = [f"store: {workdir / f'bench-{time.monotonic_ns()}.db'}", "sources:"]
    for i, (host, port) in enumerate(addresses):
        lines += [
            f"  - name: wb{i}", "    type: wildberries", "    token: bench-token",
            f"    base_url: http://{host!s}:{port}", f"    rate_limit: {rate}", f"    page_size: {PAGE}",
        ]  # fmt: skip
    config = parse_config("\n".join(lines) + "\n", workdir / "repcli.yaml")
    store = open_store(config.store)
    start = time.perf_counter()
    report = Pipeline(config, store, datetime.now(UTC)).run(config.sources, "bench")
    elapsed = time.perf_counter() - start
    store.close()
    failed = [r for r in report.results if r.error]
    assert not failed, failed
    return elapsed


def serve(rate: float, burst: int, pages: int, conn: Connection) -> None:
    """Four "platform hosts" as documented and a fifth, stricter one, in their own process so
    they do not share repcli's GIL."""
    servers = [Limited(rate, burst, pages) for _ in range(4)] + [Limited(rate, burst - 2, pages)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    conn.send([s.server_address[:2] for s in servers])
    while (msg := conn.recv()) != "stop":
        conn.send(servers[msg].served if isinstance(msg, int) else None)
    conn.send([s.refused for s in servers])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--pages", type=int, default=40)
    args = parser.parse_args()
    from repcli.sources.wildberries import WildberriesSource

    burst = WildberriesSource.default_limit.burst
    ours, theirs = multiprocessing.Pipe()
    proc = multiprocessing.Process(
        target=serve, args=(args.rate, burst, args.pages, theirs), daemon=True
    )
    proc.start()
    *addresses, strict = ours.recv()

    def served(i: int) -> int:
        ours.send(i)
        return int(ours.recv())

    def quiet() -> None:
        """Between runs, a quiet spell that refills the hosts' buckets, as between two cron
        runs (a run that starts as the last one ends finds a host's burst spent)."""
        time.sleep(burst / args.rate)

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        alone = []
        for i, address in enumerate(addresses):
            before = served(i)
            elapsed = run([address], args.rate, workdir)
            alone.append((elapsed, served(i) - before))
        quiet()
        together = run(addresses, args.rate, workdir)
        before = served(len(addresses))
        strict_elapsed = run([strict], args.rate, workdir)
        strict_reached = (served(len(addresses)) - before) / strict_elapsed
    ours.send("stop")
    *refused_each, strict_refused = ours.recv()
    refused = sum(refused_each)
    proc.join(5)
    reached = max(n / t for t, n in alone)  # requests/s of the best single run
    slowest = max(t for t, _ in alone)
    ratio = together / slowest
    rows = [
        ("host limit (req/s)", f"{args.rate:g}, burst {burst} (as documented)"),
        ("requests per source", str(alone[0][1])),
        (
            "reached alone (req/s)",
            f"{reached:.1f} = {reached / args.rate:.0%} of the limit (goal >= 90%)",
        ),
        ("429 answers", f"{refused} (goal 0)"),
        ("slowest source alone (s)", f"{slowest:.2f}"),
        (
            "4 sources on 4 hosts (s)",
            f"{together:.2f} = {ratio:.2f}x the slowest alone (goal <= 1.3x)",
        ),
        (
            f"a stricter host (burst {burst - 2})",
            f"{strict_refused} x 429, then even: {strict_reached:.1f} req/s "
            f"= {strict_reached / args.rate:.0%} of the limit",
        ),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    ok = reached / args.rate >= 0.9 and refused == 0 and ratio <= 1.3
    print("goals met" if ok else "GOALS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Peak memory of one fetch of a compression bomb: does one hostile page blow up a run?

A server on 127.0.0.1 answers with a ~31 KB gzip body that decodes to ~31 MiB of JSON
(`[{},{},...]`, ten million empty objects). repcli's HTTP layer fetches it once, and the
connector's next step (`Response.json()`) runs if the layer let the body through. Printed: the
process's resident memory before the fetch, its peak after, and what the layer said.

Run: python bench/hostile_memory.py [--mib 31]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import resource
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def bomb(mib: int) -> bytes:
    count = mib * 1024 * 1024 // 3
    return gzip.compress(b"[" + b"{}," * count + b"{}]", compresslevel=9)


class Handler(BaseHTTPRequestHandler):
    body = b""

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def fetch(url: str) -> str:
    from repcli.http import HostLimit, Http, HttpError

    http = Http()
    try:
        response = await http.request("GET", url, limit=HostLimit(rate=100, burst=2))
        items = response.json()
        return f"let through: {len(response.content) / 2**20:.1f} MiB, {len(items)} objects parsed"
    except HttpError as exc:
        return f"refused: {exc.message}"
    finally:
        await http.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=31, help="decoded size of the page")
    args = parser.parse_args()
    Handler.body = bomb(args.mib)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    import repcli.http  # noqa: F401  (imports count in the baseline, not in the fetch)

    before = rss_mib()
    outcome = asyncio.run(fetch(f"http://127.0.0.1:{server.server_port}/reviews"))
    server.shutdown()
    print(f"page: {len(Handler.body) / 1024:.0f} KB gzip, {args.mib} MiB decoded")
    print(f"rss before the fetch: {before:.0f} MiB")
    print(f"peak rss after it:    {peak_mib():.0f} MiB")
    print(outcome)


if __name__ == "__main__":
    main()

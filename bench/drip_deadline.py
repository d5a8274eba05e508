"""Time to give up on a dripping host, against the source's configured deadline.

A server on 127.0.0.1 answers a Wildberries source slowly on purpose: (a) the status line and
headers, then a body dripped one byte every 0.5 s, never ending; (b) the headers themselves
dripped line by line. The real pipeline runs the source with `timeout: DEADLINE`; printed is
the wall time until the source gave up (goal: within the deadline, plus a fraction of a second)
and its error. Before repcli had a run deadline and a per-request cap, such a host kept `fetch`
running for as long as it dripped (over 7 minutes measured).

Run: python bench/drip_deadline.py [DEADLINE_SECONDS]   (default 3)
"""

from __future__ import annotations

import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def drip_server(mode: str) -> tuple[socket.socket, int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def serve(conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            if mode == "body":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
                conn.sendall(b"Content-Length: 1000000\r\n\r\n{")
                lines = [b"x"] * 10_000
            else:
                lines = [b"HTTP/1.1 200 OK\r\n"] + [b"X-Drip: 1\r\n"] * 10_000
            for chunk in lines:
                time.sleep(0.5)
                conn.sendall(chunk)
        except OSError:
            pass
        finally:
            conn.close()

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return server, server.getsockname()[1]


def main() -> None:
    from repcli.clock import from_iso
    from repcli.pipeline import Pipeline
    from repcli.sources.registry import parse_config
    from repcli.store import open_store

    deadline = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    for mode in ("body", "headers"):
        server, port = drip_server(mode)
        with tempfile.TemporaryDirectory() as tmp:
            config = parse_config(
                f"store: {tmp}/drip.db\nsources:\n  - name: wb\n    type: wildberries\n"
                f"    token: bench-token\n    base_url: http://127.0.0.1:{port}\n"
                f"    questions: false\n    timeout: {deadline}\n",
                Path(tmp) / "repcli.yaml",
            )
            now = from_iso("2026-11-23T09:00:00Z")
            assert now is not None
            store = open_store(config.store)
            start = time.monotonic()
            report = Pipeline(config, store, now).run(config.sources, "fetch")
            took = time.monotonic() - start
            store.close()
        server.close()
        (result,) = report.results
        print(
            f"dripped {mode:7}: gave up after {took:5.2f} s (timeout: {deadline:g} s): {result.error}"
        )


if __name__ == "__main__":
    main()

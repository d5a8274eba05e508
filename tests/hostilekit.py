"""A tiny HTTP/1.1 server on 127.0.0.1 that hands the raw socket to a handler: for behaviour a
well-mannered server (pytest-httpserver) cannot show: answering after the client gave up,
dropping the connection after the request arrived, dripping headers or a body byte by byte.

Every request that arrived in full is recorded (method, target, headers, body) before the
handler runs, so a test can count what the server really received.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit


@dataclasses.dataclass
class Received:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query)


Handler = Callable[["RawServer", socket.socket, Received], None]


class RawServer:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.received: list[Received] = []
        self.stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            try:
                request = _read_request(conn)
            except OSError:
                return
            if request is None:
                return
            self.received.append(request)
            # The client went away: that is what hostile tests provoke.
            with contextlib.suppress(OSError):
                self.handler(self, conn, request)

    def close(self) -> None:
        self.stop.set()
        self._sock.close()
        self._accepting.join(5)
        for thread in self._threads:
            thread.join(5)


def _read_request(conn: socket.socket) -> Received | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    return Received(method, target, headers, body)


def respond(
    conn: socket.socket,
    status: int,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> None:
    head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)


# ------------------------------------------------------------------ handlers


def answer(status: int, body: bytes = b"{}", headers: dict[str, str] | None = None) -> Handler:
    def handle(server: RawServer, conn: socket.socket, request: Received) -> None:
        respond(conn, status, body, {"Content-Type": "application/json", **(headers or {})})

    return handle


def answer_after(seconds: float, status: int = 200, body: bytes = b"{}") -> Handler:
    """Answer (the action done) only after `seconds`: later than a short read timeout."""

    def handle(server: RawServer, conn: socket.socket, request: Received) -> None:
        if not server.stop.wait(seconds):
            respond(conn, status, body)

    return handle


def drop(server: RawServer, conn: socket.socket, request: Received) -> None:
    """Close the connection once the whole request arrived, without a word."""
    conn.shutdown(socket.SHUT_RDWR)


def reset(server: RawServer, conn: socket.socket, request: Received) -> None:
    """A TCP reset once the whole request arrived (SO_LINGER 0, then close)."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def drip_body(every: float, size: int = 10_000) -> Handler:
    """Headers at once, then the body one byte every `every` seconds."""

    def handle(server: RawServer, conn: socket.socket, request: Received) -> None:
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode())
        for _ in range(size):
            if server.stop.wait(every):
                return
            conn.sendall(b" ")

    return handle


def drip_headers(every: float) -> Handler:
    """A status line, then one header line every `every` seconds, never ending."""

    def handle(server: RawServer, conn: socket.socket, request: Received) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        n = 0
        while not server.stop.wait(every):
            n += 1
            conn.sendall(f"X-Drip-{n}: {n}\r\n".encode())

    return handle


@contextmanager
def raw_server(handler: Handler) -> Iterator[RawServer]:
    server = RawServer(handler)
    try:
        yield server
    finally:
        server.close()

"""POST attempts per reply when the platform acted but its answer was lost.

A server on 127.0.0.1 takes each POST (an answer to a review) and then answers 502, answers
only after the client's read timeout, closes the connection, or resets it. Printed: how many
POSTs the server received for one reply in each case (goal: 1 each; before repcli knew which
requests must not be repeated: 5 each) and what the HTTP layer reported.

Run: python bench/post_once.py
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def one_reply(url: str) -> str:
    import httpx

    from repcli.http import HostLimit, Http, HttpError

    async def no_sleep(seconds: float) -> None:
        pass

    http = Http(sleep=no_sleep)
    http._client.timeout = httpx.Timeout(1.0)  # a short read timeout, so the bench is quick
    try:
        await http.request(
            "POST", url, limit=HostLimit(rate=100, burst=2), json_body={"text": "Спасибо!"}
        )
        return "posted"
    except HttpError as exc:
        return f"{type(exc).__name__}: {exc.message}"
    finally:
        await http.aclose()


def main() -> None:
    from tests.hostilekit import answer, answer_after, drop, raw_server, reset

    cases = {
        "502": answer(502, b"<html>502 Bad Gateway</html>"),
        "answer after the timeout": answer_after(3),
        "connection closed": drop,
        "connection reset": reset,
    }
    for name, handler in cases.items():
        with raw_server(handler) as server:
            outcome = asyncio.run(one_reply(server.url("/v1/review/comment/create")))
            print(f"{name:26} POSTs received: {len(server.received)}   ({outcome})")


if __name__ == "__main__":
    main()

"""Helpers for tests on the real HTTP layer: a fake clock whose sleep advances time instantly,
and the loopback-server set-up connector tests share (a config naming one source, JSON answers,
posting one reply)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werkzeug import Request, Response

from repcli.http import Http

if TYPE_CHECKING:
    from repcli.sources.base import PostedReply, ReplyTarget


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def fake_http(clock: FakeClock | None = None, **kw: object) -> tuple[Http, FakeClock]:
    clock = clock or FakeClock()
    return Http(clock=clock, sleep=clock.sleep, **kw), clock  # type: ignore[arg-type]


def run_sources(
    config_yaml: str, store_path: object, now: str, http: Http | None = None, full: bool = False
) -> tuple[object, object]:
    """Run the real pipeline on a config text; returns (report, store)."""
    from pathlib import Path

    from repcli.clock import from_iso
    from repcli.pipeline import Pipeline
    from repcli.sources.registry import parse_config
    from repcli.store import open_store

    config = parse_config(config_yaml, Path(str(store_path)).parent / "repcli.yaml")
    store = open_store(config.store)
    when = from_iso(now)
    assert when is not None
    pipeline = Pipeline(config, store, when, http=http)
    report = pipeline.run(config.sources, "fetch", full=full)
    return report, store


def json_fixtures(folder: Path) -> Callable[[str], Any]:
    """A loader for the JSON fixtures in `folder` (tests/fixtures/<platform>/)."""

    def load(name: str) -> Any:
        return json.loads((folder / name).read_text(encoding="utf-8"))

    return load


def source_config(
    tmp_path: Path, name: str, type_name: str, *settings: str, **extra: object
) -> str:
    """A config text: the store `x.db` in `tmp_path`, and one source `name` of `type_name` with
    the `settings` lines ("key: value"), then `extra` (a test's own keys)."""
    lines = [
        f"store: {tmp_path / 'x.db'}",
        "sources:",
        f"  - name: {name}",
        f"    type: {type_name}",
    ]
    lines += [f"    {line}" for line in settings]
    lines += [f"    {k}: {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A platform's JSON answer, non-ASCII text as it is."""
    return Response(
        json.dumps(body, ensure_ascii=False),
        status,
        content_type="application/json",
        headers=headers,
    )


def bearer_pages(
    token: str,
    refused: Callable[[], Response],
    answers: Mapping[tuple[str, str | None], Any],
    cursor: str,
    load: Callable[[str], Any],
) -> Callable[[Request], Response]:
    """A handler that answers like a paged JSON API behind a bearer token: `refused()` without
    `Authorization: Bearer <token>`, else the answer for (path, the `cursor` query parameter): a
    fixture's name, read by `load`, or a body as it is."""

    def handler(request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {token}":
            return refused()
        answer = answers[(request.path, request.args.get(cursor))]
        return json_response(load(answer) if isinstance(answer, str) else answer)

    return handler


def post_reply(config_yaml: str, now: str, target: ReplyTarget, text: str) -> PostedReply:
    """Post one reply through the first source of `config_yaml`, at `now`, on a fake clock."""
    from repcli.clock import from_iso
    from repcli.sources.base import FetchContext
    from repcli.sources.registry import parse_config, source_class

    src = parse_config(config_yaml).sources[0]
    http, _ = fake_http()
    when = from_iso(now)
    assert when is not None

    async def run() -> PostedReply:
        ctx = FetchContext(when, http)
        try:
            answer: PostedReply = await source_class(src.type)(src, ctx).post_reply(target, text)
            return answer
        finally:
            await ctx.aclose()

    return asyncio.run(run())

"""Helpers for tests on the real HTTP layer: a fake clock whose sleep advances time instantly."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from repcli.http import Http


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

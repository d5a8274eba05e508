"""Helpers for tests on the real HTTP layer: a fake clock whose sleep advances time instantly."""

from __future__ import annotations

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

"""Per-host politeness: a token bucket per host (`host_of`: host[:port]) that keeps to the
platform's documented rate and burst, pauses when the host asks (`retry_after` reads how long
from its answer), and slows down for the rest of the run when the host allows less than
documented. The clock and sleep are injected, so tests never wait."""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import urlsplit

log = logging.getLogger("repcli.http")

MIN_RATE = 0.05
"""Slowing down after rate-limit answers stops here (one request per 20 s)."""

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


@dataclasses.dataclass(frozen=True)
class HostLimit:
    """How hard repcli may use one host."""

    rate: float = 2.0
    """Requests per second, sustained."""
    burst: int = 1
    """Requests the host lets go at once after a quiet spell. repcli keeps one of them in
    reserve: network delays bunch requests up, and a host whose bucket we emptied would answer
    429 to the one that arrives a millisecond early."""
    concurrency: int = 2
    """Requests in flight at once."""


class TokenBucket:
    def __init__(self, limit: HostLimit, clock: Clock, sleep: Sleep) -> None:
        self.limit = limit
        self._clock = clock
        self._sleep = sleep
        self._tokens = self._capacity()
        self._stamp = clock()
        self._paused_until = 0.0
        self._sent = 0
        """Requests let through so far: each one's number is its ticket."""
        self._adapted_at = 0
        """The ticket count when `slow_down` last acted."""
        self._lock = asyncio.Lock()
        self.semaphore = asyncio.Semaphore(limit.concurrency)

    def pause(self, seconds: float) -> None:
        """The host asked us to back off: nobody sends to it before then."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def slow_down(self, host: str, ticket: int) -> None:
        """The host said "too many" to request `ticket` although we kept to its limit: it
        allows less than we were told. The first time, stop bursting (one request per slot);
        after that, 10% slower each time. For the rest of the run: a limit we keep beats a
        pause after every burst. Answers to requests sent before the last step do not count
        again (two requests in flight, two 429s: one step)."""
        if ticket <= self._adapted_at:
            return
        self._adapted_at = self._sent
        if self.limit.burst > 1:
            self.limit = dataclasses.replace(self.limit, burst=1)
            self._tokens = min(self._tokens, self._capacity())
            log.info("%s: rate limited; sending evenly from now on (no bursts)", host)
        else:
            rate = max(MIN_RATE, self.limit.rate * 0.9)
            self.limit = dataclasses.replace(self.limit, rate=rate)
            log.info("%s: rate limited again; slowing to %.2f requests/s", host, rate)

    def _capacity(self) -> float:
        return float(max(1, self.limit.burst - 1))

    async def acquire(self) -> int:
        """Wait for this host's next free slot; returns the request's ticket. Waits are
        computed, never polled, so a fake clock in tests (and float rounding) can never make
        this spin."""
        async with self._lock:
            self._sent += 1
            now = self._clock()
            if now < self._paused_until:
                await self._sleep(self._paused_until - now)
                now = max(self._clock(), self._paused_until)
            self._tokens = min(
                self._capacity(), self._tokens + (now - self._stamp) * self.limit.rate
            )
            self._stamp = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return self._sent
            wait = (1.0 - self._tokens) / self.limit.rate
            await self._sleep(wait)
            # The token we waited for is ours; time overslept is credited on the next call.
            self._tokens = 0.0
            self._stamp = now + wait
            return self._sent


def host_of(url: str) -> str:
    """host[:port] of a URL, never its userinfo (`user:password@`): the key of the host's rate
    limits and the name in messages."""
    parts = urlsplit(url)
    if not parts.netloc:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    return netloc.lower() if netloc else url


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait: `Retry-After` (seconds or an HTTP date), Wildberries' `X-Ratelimit-Retry`
    (seconds), or Yandex Market's `X-RateLimit-Resource-Until` (an HTTP date).

    An HTTP date is measured against the response's own `Date` header when there is one, so a
    skewed local clock (or a test) never changes the wait. Nonsense is no answer: `nan` or a
    negative number counts as absent (the caller's backoff decides); `inf` and huge numbers are
    returned as they are, for the caller's ceiling to refuse.
    """
    for name in ("retry-after", "x-ratelimit-retry", "x-ratelimit-resource-until"):
        value = headers.get(name)
        if not value:
            continue
        try:
            seconds = float(value)
        except ValueError:
            pass
        else:
            if math.isnan(seconds) or seconds < 0:
                continue
            return seconds
        when = _http_date(value)
        if when is None:
            continue
        reference = _response_date(headers) if now is None else now
        return max(0.0, when - (reference if reference is not None else time.time()))
    return None


def _response_date(headers: Mapping[str, str]) -> float | None:
    """The response's Date; when there are several (a front server added its own), the last,
    which the origin wrote."""
    get_list = getattr(headers, "get_list", None)
    values = get_list("date") if get_list else [headers.get("date", "")]
    for value in reversed(values):
        if (parsed := _http_date(value)) is not None:
            return parsed
    return None


def _http_date(value: str) -> float | None:
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None

"""The one HTTP layer every connector uses (httpx + tenacity).

- per-host token-bucket rate limits and concurrency caps, shared by every source in a run, so
  two sources on one host never add up past its limit;
- retries with exponential backoff and jitter on 429, 420 (Yandex Market), 5xx, timeouts and
  connection errors, honouring `Retry-After` / `X-Ratelimit-Retry` (a rate-limited host is paused
  for every source that uses it);
- connect/read timeouts, a response size cap, a user agent naming repcli and its version,
  proxies from the environment (httpx's `trust_env`);
- errors that name the host, the status and the platform's message, never a secret.

The clock and sleep are injectable, so tests check the waits without sleeping.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from repcli import __version__, secrets
from repcli.errors import SourceError

log = logging.getLogger(__name__)

USER_AGENT = f"repcli/{__version__} (reputation monitoring; +https://pypi.org/project/repcli/)"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
MAX_BYTES = 32 * 1024 * 1024
RETRY_STATUSES = frozenset({420, 429, 500, 502, 503, 504})
MAX_WAIT = 300.0
"""Never wait longer than this for one retry, whatever a server asks."""
THROTTLE_STATUSES = frozenset({420, 429})
"""Answers that mean "too many requests" (not "down"): the host's limit is lower than ours."""
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


@dataclasses.dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    content: bytes
    url: str

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json_object(self) -> dict[str, Any] | None:
        """The body as a JSON object, as connectors read platform envelopes and error bodies:
        {} when the body is empty, or when an error status came with a non-JSON page (a proxy's
        HTML; `raise_for_status` names the status); None for JSON that is not an object.
        Invalid JSON with a success status is an HttpError."""
        if not self.content.strip():
            return {}
        try:
            body = self.json()
        except HttpError:
            if self.status >= 400:
                return {}
            raise
        return body if isinstance(body, dict) else None

    def json(self) -> Any:
        try:
            return json.loads(self.content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise HttpError(
                f"{host_of(self.url)}: the response is not valid JSON ({exc})",
                status=self.status,
            ) from None


class HttpError(SourceError):
    """A request failed for good: the message names the host, status and the platform's words."""

    def __init__(self, message: str, status: int | None = None, hint: str | None = None) -> None:
        super().__init__(secrets.redact(message), secrets.redact(hint) if hint else None)
        self.status = status


class OutcomeUnknown(HttpError):
    """A request that must not be repeated (it publishes something: an answer, a comment, a
    message) may have reached the server, but no answer came back that says what it did (a 5xx,
    a timeout or a dropped connection after it was sent). Never retried: the caller records the
    outcome as unknown until someone, or the next fetch, sees what the platform shows."""


class RetryLater(Exception):
    """Raised (by the layer or a connector's `check`) to retry after `wait` seconds or backoff."""

    def __init__(self, reason: str, wait: float | None = None, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait
        self.status = status


def host_of(url: str) -> str:
    return urlsplit(url).netloc or url


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait: `Retry-After` (seconds or an HTTP date), Wildberries' `X-Ratelimit-Retry`
    (seconds), or Yandex Market's `X-RateLimit-Resource-Until` (an HTTP date).

    An HTTP date is measured against the response's own `Date` header when there is one, so a
    skewed local clock (or a test) never changes the wait.
    """
    for name in ("retry-after", "x-ratelimit-retry", "x-ratelimit-resource-until"):
        value = headers.get(name)
        if not value:
            continue
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
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


class Http:
    """One per run, shared by all sources (limits are per host, across sources)."""

    def __init__(
        self,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        max_attempts: int = 5,
        backoff: float = 1.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self.max_attempts = max_attempts
        self.backoff = backoff
        self._buckets: dict[str, TokenBucket] = {}
        self._client = httpx.AsyncClient(
            timeout=DEFAULT_TIMEOUT,
            headers={"User-Agent": USER_AGENT},
            follow_redirects=True,
            transport=transport,
            trust_env=True,
        )
        self.requests_sent = 0
        self.waits: list[float] = []
        """Every retry wait, in seconds (for `status -v`, tests and benchmarks)."""

    def bucket(self, host: str, limit: HostLimit) -> TokenBucket:
        """The host's limiter; the first source to name a host sets its limit, later ones may
        only make it stricter."""
        bucket = self._buckets.get(host)
        if bucket is None:
            bucket = self._buckets[host] = TokenBucket(limit, self._clock, self._sleep)
        elif limit.rate < bucket.limit.rate:
            bucket.limit = dataclasses.replace(bucket.limit, rate=limit.rate)
        return bucket

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RetryLater) and exc.wait is not None:
            return min(exc.wait, MAX_WAIT)
        exponential = self.backoff * 2 ** (state.attempt_number - 1)
        return float(min(exponential + random.uniform(0, self.backoff), MAX_WAIT))  # noqa: S311

    async def _record_sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        await self._sleep(seconds)

    async def request(
        self,
        method: str,
        url: str,
        *,
        limit: HostLimit,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        check: Callable[[Response], None] | None = None,
        max_bytes: int = MAX_BYTES,
    ) -> Response:
        """Send one request politely; retry what is worth retrying; return the final response.

        Statuses >= 400 that are not retried come back as a Response for the connector to read
        the platform's error body; use `raise_for_status` to turn them into an HttpError.
        `check` may raise RetryLater for platforms that report rate limits inside a 200 (VK).
        """
        host = host_of(url)
        bucket = self.bucket(host, limit)
        last: RetryLater | None = None

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0.0
            log.info(
                "%s: %s; retrying in %.1f s (attempt %d of %d)",
                host, getattr(exc, "reason", exc), wait, state.attempt_number + 1, self.max_attempts,
            )  # fmt: skip

        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.max_attempts),
                wait=self._wait,
                retry=retry_if_exception_type(RetryLater),
                sleep=self._record_sleep,
                before_sleep=before_sleep,
                reraise=True,
            ):
                with attempt:
                    ticket, response = await self._send(
                        bucket, method, url, params, json_body, form, headers, max_bytes
                    )
                    # The path only: queries may carry keys (VK, YouTube), never logged.
                    log.debug(
                        "%s %s%s -> %d",
                        method, host, secrets.redact(urlsplit(url).path), response.status,
                    )  # fmt: skip
                    if response.status in RETRY_STATUSES:
                        wait = retry_after(response.headers)
                        if wait is not None:
                            bucket.pause(min(wait, MAX_WAIT))
                        if response.status in THROTTLE_STATUSES:
                            bucket.slow_down(host, ticket)
                        raise RetryLater(f"HTTP {response.status}", wait, response.status)
                    if check is not None:
                        try:
                            check(response)
                        except RetryLater:  # a rate limit reported inside a 200 (VK, Reddit)
                            bucket.slow_down(host, ticket)
                            raise
                    return response
        except RetryLater as exc:
            last = exc
        assert last is not None
        raise HttpError(
            f"{host}: {last.reason}, still failing after {self.max_attempts} attempts",
            status=last.status,
            hint="the platform is rate limiting or down; the next run resumes from the cursor",
        )
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(
        self,
        bucket: TokenBucket,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json_body: Any,
        form: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        max_bytes: int,
    ) -> tuple[int, Response]:
        """The request's ticket at its host's bucket, and the response."""
        ticket = await bucket.acquire()
        async with bucket.semaphore:
            self.requests_sent += 1
            try:
                async with self._client.stream(
                    method, url, params=params, json=json_body, data=form, headers=headers
                ) as resp:
                    declared = resp.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > max_bytes:
                        raise _too_big(url, max_bytes)
                    chunks: list[bytes] = []
                    size = 0
                    async for chunk in resp.aiter_bytes():
                        size += len(chunk)
                        if size > max_bytes:
                            raise _too_big(url, max_bytes)
                        chunks.append(chunk)
                    content = b"".join(chunks)
                    return ticket, Response(resp.status_code, resp.headers, content, str(resp.url))
            except httpx.TimeoutException:
                raise RetryLater("timed out") from None
            except httpx.TransportError as exc:
                raise RetryLater(f"connection failed ({type(exc).__name__})") from None

    async def aclose(self) -> None:
        await self._client.aclose()


def _too_big(url: str, max_bytes: int) -> HttpError:
    return HttpError(
        f"{host_of(url)}: response larger than {max_bytes // (1024 * 1024)} MiB; refused",
        hint="lower the page size (take/limit) for this source",
    )


def raise_for_status(response: Response, platform_message: str | None = None) -> None:
    """Turn a 4xx/5xx into an HttpError naming the status and the platform's own message."""
    if response.status < 400:
        return
    host = host_of(response.url)
    detail = platform_message or response.text[:300].strip() or "no details"
    hint = None
    if response.status in (401, 403):
        hint = "check the source's token/credentials and their permissions (`repcli sources test`)"
    elif response.status == 404:
        hint = "check the source's ids and base_url"
    raise HttpError(f"{host}: HTTP {response.status}: {detail}", status=response.status, hint=hint)

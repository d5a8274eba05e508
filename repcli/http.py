"""The one HTTP layer every connector uses (httpx).

- per-host rate limits and concurrency caps (`repcli.ratelimit`), one bucket per host shared by
  every source in a run, so two sources on one host never add up past its limit;
- retries with exponential backoff and jitter on 429, 420 (Yandex Market), 5xx, timeouts and
  connection errors, honouring `Retry-After` / `X-Ratelimit-Retry` (`ratelimit.retry_after`; a
  rate-limited host is paused for every source that uses it) up to a ceiling (`MAX_WAIT`): a host
  that asks for longer ends the request ("try later") instead of holding the run;
- a request that publishes something (POST/PATCH unless the caller says it only reads) is sent
  once: retried only when the host said "too many requests" or nothing was sent yet; any other
  failure after sending is `OutcomeUnknown`, never a second copy of a public answer;
- redirects followed here, by the rules of `repcli.http_redirects`: at most `MAX_REDIRECTS`; to
  another origin (scheme, host, port) no caller header but `SAFE_HEADERS` and no caller query
  parameter goes along, a request body is never resent there, and a caller may refuse other hosts
  altogether;
- connect/read timeouts and a cap on the whole request (connect, headers, body), so a server
  dripping bytes cannot hang a run; a refused connection fails at once;
- a cap on the decoded response size and on its compression ratio (a 31 KB gzip "bomb" must not
  become 31 MiB of JSON objects in memory), a user agent naming repcli and its version, proxies
  from the environment (httpx's `trust_env`);
- errors (`repcli.http_errors`) that name the host, the status and the platform's message, never
  a secret.

The clock and sleep are injectable, so tests check the waits without sleeping.
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import json
import logging
import math
import random
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from repcli import __version__, secrets
from repcli.http_errors import (
    ASK_THE_PLATFORM,
    HttpError,
    OutcomeUnknown,
    RetryLater,
    outcome_unknown,
)
from repcli.http_redirects import MAX_REDIRECTS, REDIRECT_STATUSES, SAFE_HEADERS, Call, Redirects
from repcli.ratelimit import Clock, HostLimit, Sleep, TokenBucket, host_of, retry_after

__all__ = [  # connectors and tests import these from here, wherever they are defined
    "ASK_THE_PLATFORM",
    "DEFAULT_TIMEOUT",
    "IDEMPOTENT_METHODS",
    "MAX_BYTES",
    "MAX_RATIO",
    "MAX_REDIRECTS",
    "MAX_WAIT",
    "NOT_SENT",
    "RATIO_FROM",
    "REDIRECT_STATUSES",
    "RETRY_STATUSES",
    "SAFE_HEADERS",
    "THROTTLE_STATUSES",
    "TOTAL_TIMEOUT",
    "USER_AGENT",
    "HostLimit",
    "Http",
    "HttpError",
    "OutcomeUnknown",
    "Response",
    "RetryLater",
    "host_of",
    "raise_for_status",
    "retry_after",
]

log = logging.getLogger(__name__)

USER_AGENT = f"repcli/{__version__} (reputation monitoring; +https://pypi.org/project/repcli/)"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
"""Connect, and each read or write: a server silent this long has gone."""
TOTAL_TIMEOUT = 120.0
"""Seconds for one request from connecting to the last byte of the body (a server dripping a
byte at a time never trips the read timeout)."""
MAX_BYTES = 16 * 1024 * 1024
"""Decoded body size cap (a JSON page of that size already takes hundreds of MiB parsed)."""
MAX_RATIO = 100
RATIO_FROM = 1024 * 1024
"""A body that decodes to more than MAX_RATIO times its compressed size is refused once past
RATIO_FROM bytes: platform JSON and HTML compress 5-20:1; a compression bomb, 1000:1."""
RETRY_STATUSES = frozenset({420, 429, 500, 502, 503, 504})
MAX_WAIT = 120.0
"""The longest repcli sleeps before one retry. A host that asks for longer (Retry-After,
X-Ratelimit-Retry...) ends the request with an HttpError "try later": the run goes on with
the other sources, and the next run resumes from the cursor."""
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
"""Methods whose repetition does no harm (as urllib3's Retry.allowed_methods); POST and PATCH
are repeated only when the caller says the request reads (`idempotent=True`)."""
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)
"""Failures before any byte of the request left: retrying cannot publish anything twice."""
THROTTLE_STATUSES = frozenset({420, 429})
"""Answers that mean "too many requests" (not "down"): the host's limit is lower than ours."""


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
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        total_timeout: float = TOTAL_TIMEOUT,
        max_wait: float = MAX_WAIT,
        max_redirects: int = MAX_REDIRECTS,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.total_timeout = total_timeout
        self.max_wait = max_wait
        self.max_redirects = max_redirects
        self._buckets: dict[str, TokenBucket] = {}
        self._client = httpx.AsyncClient(
            timeout=timeout,
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,  # followed in `_follow`, which knows what may go along
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

    def _wait(self, exc: RetryLater, attempt: int, host: str) -> float:
        """Seconds before the next attempt: what the host asked, else exponential backoff with
        jitter. A host that asks for more than `max_wait` gets no retry: an HttpError."""
        if exc.wait is not None:
            if exc.wait > self.max_wait:
                asked = f"{exc.wait:.0f} s" if math.isfinite(exc.wait) else "longer than %d s"
                raise HttpError(
                    f"{host}: {exc.reason}: rate limited for "
                    f"{asked.replace('%d', str(int(self.max_wait)))}; try later",
                    status=exc.status,
                    hint=f"repcli waits at most {self.max_wait:.0f} s for a host; the next run "
                    "resumes from the cursor",
                )
            return exc.wait
        exponential = self.backoff * 2 ** (attempt - 1)
        return float(min(exponential + random.uniform(0, self.backoff), self.max_wait))  # noqa: S311

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
        idempotent: bool | None = None,
        same_host_redirects: bool = False,
    ) -> Response:
        """Send one request politely; retry what is worth retrying; return the final response.

        Statuses >= 400 that are not retried come back as a Response for the connector to read
        the platform's error body; use `raise_for_status` to turn them into an HttpError.
        `check` may raise RetryLater for platforms that report rate limits inside a 200 (VK).

        `idempotent`: may the request be sent again? Default: GET, HEAD, OPTIONS, PUT and DELETE
        yes, POST and PATCH no. Pass True for a POST that only reads (a list, a token); a request
        that publishes is retried only after a rate-limit answer (429/420, or `check`) or a
        failure before anything was sent, and raises OutcomeUnknown for a 5xx, a timeout or a
        dropped connection after it was sent.

        `same_host_redirects`: refuse a redirect to another host (pages fetched from a URL in
        the config: a redirect elsewhere is a moved page to fix there, not one to follow).
        """
        host = host_of(url)
        if idempotent is None:
            idempotent = method.upper() in IDEMPOTENT_METHODS
        call = Call(method, url, params, json_body, form, headers, max_bytes, idempotent)
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._attempt(call, limit, check, same_host_redirects)
            except RetryLater as exc:
                wait = self._wait(exc, attempt, host)
                if attempt >= self.max_attempts:
                    raise HttpError(
                        f"{host}: {exc.reason}, still failing after {self.max_attempts} attempts",
                        status=exc.status,
                        hint="the platform is rate limiting or down; the next run resumes from "
                        "the cursor",
                    ) from None
                log.info(
                    "%s: %s; retrying in %.1f s (attempt %d of %d)",
                    host, exc.reason, wait, attempt + 1, self.max_attempts,
                )  # fmt: skip
                self.waits.append(wait)
                await self._sleep(wait)

    async def _attempt(
        self,
        call: Call,
        limit: HostLimit,
        check: Callable[[Response], None] | None,
        same_host: bool,
    ) -> Response:
        """One attempt, redirects followed: the response, or RetryLater / an HttpError."""
        method, idempotent = call.method, call.idempotent
        ticket, bucket, response = await self._follow(call, limit, same_host)
        host = host_of(response.url)
        # The path only: queries may carry keys (VK, YouTube), never logged.
        log.debug(
            "%s %s%s -> %d",
            method, host, secrets.redact(urlsplit(response.url).path), response.status,
        )  # fmt: skip
        if response.status in THROTTLE_STATUSES:  # "too many": the host did not act
            wait = retry_after(response.headers)
            if wait is not None and wait <= self.max_wait:
                bucket.pause(wait)
            bucket.slow_down(host, ticket)
            raise RetryLater(f"HTTP {response.status}", wait, response.status)
        if response.status >= 500 and not idempotent:
            raise outcome_unknown(host, method, f"HTTP {response.status}", response.status)
        if response.status in RETRY_STATUSES:
            wait = retry_after(response.headers)
            if wait is not None and wait <= self.max_wait:
                bucket.pause(wait)
            raise RetryLater(f"HTTP {response.status}", wait, response.status)
        if check is not None:
            try:
                check(response)
            except RetryLater:  # a rate limit reported inside a 200 (VK, Reddit)
                bucket.slow_down(host, ticket)
                raise
        return response

    async def _follow(
        self, call: Call, limit: HostLimit, same_host: bool
    ) -> tuple[int, TokenBucket, Response]:
        """Send, following redirects as `repcli.http_redirects` says (each hop through its own
        host's limiter)."""
        redirects = Redirects(
            call, same_host=same_host, max_redirects=self.max_redirects, join=_join
        )
        while True:
            bucket = self.bucket(host_of(call.url), limit)
            ticket, response = await self._send(bucket, call)
            location = response.headers.get("location")
            hop = redirects.next(call, response.status, response.url, location)
            if hop is None:
                return ticket, bucket, response
            call = hop

    async def _send(self, bucket: TokenBucket, call: Call) -> tuple[int, Response]:
        """The request's ticket at its host's bucket, and the response (one hop)."""
        ticket = await bucket.acquire()
        method, host, idempotent = call.method, host_of(call.url), call.idempotent
        async with bucket.semaphore:
            self.requests_sent += 1
            cap = asyncio.timeout(self.total_timeout)
            try:
                async with cap:
                    return ticket, await self._exchange(call)
            except TimeoutError:
                if not cap.expired():
                    raise
                what = f"no complete answer within {self.total_timeout:g} s"
                if not idempotent:
                    raise outcome_unknown(host, method, what) from None
                raise HttpError(
                    f"{host}: {what}; stopped",
                    hint="the server is sending very slowly; the next run resumes from the cursor",
                ) from None
            except httpx.ConnectError as exc:
                if _refused(exc):
                    raise HttpError(
                        f"{host}: connection refused (nothing listens there)",
                        hint="check the source's base_url, and the proxy settings "
                        "(HTTPS_PROXY, HTTP_PROXY, NO_PROXY) if you use one",
                    ) from None
                raise RetryLater(f"connection failed ({type(exc).__name__})") from None
            except NOT_SENT as exc:
                raise RetryLater(f"connection failed ({type(exc).__name__})") from None
            except httpx.UnsupportedProtocol:
                raise HttpError(f"{host}: not an http(s) URL; refused") from None
            except httpx.TimeoutException as exc:
                if not idempotent:
                    raise outcome_unknown(
                        host, method, f"timed out ({type(exc).__name__})"
                    ) from None
                raise RetryLater("timed out") from None
            except httpx.TransportError as exc:
                what = f"connection failed ({type(exc).__name__})"
                if not idempotent:
                    raise outcome_unknown(host, method, what) from None
                raise RetryLater(what) from None

    async def _exchange(self, call: Call) -> Response:
        url, max_bytes = call.url, call.max_bytes
        async with self._client.stream(
            call.method,
            url,
            params=call.params,
            json=call.json_body,
            data=call.form,
            headers=call.headers,
        ) as resp:
            declared = resp.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise _too_big(url, max_bytes)
            chunks: list[bytes] = []
            size = 0
            async for chunk in resp.aiter_bytes():
                size += len(chunk)
                if size > RATIO_FROM and size > MAX_RATIO * max(1, resp.num_bytes_downloaded):
                    raise HttpError(
                        f"{host_of(url)}: response compressed more than {MAX_RATIO}:1 "
                        f"({resp.num_bytes_downloaded} bytes became {size}+); refused",
                        hint="a server sent a compression bomb, or a page that is nothing "
                        "but repetition: check the source's URL",
                    )
                if size > max_bytes:
                    raise _too_big(url, max_bytes)
                chunks.append(chunk)
            return Response(resp.status_code, resp.headers, b"".join(chunks), str(resp.url))

    async def aclose(self) -> None:
        await self._client.aclose()


def _refused(exc: BaseException) -> bool:
    """Did the connection fail because nothing listens (ECONNREFUSED), whatever wraps it?"""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError) or (
            isinstance(current, OSError) and current.errno == errno.ECONNREFUSED
        ):
            return True
        todo += [e for e in (current.__cause__, current.__context__) if e is not None]
        todo += list(getattr(current, "exceptions", ()))
    return False


def _join(url: str, location: str) -> str:
    """A redirect's Location resolved against the URL that sent it (httpx's rules)."""
    try:
        return str(httpx.URL(url).join(location))
    except httpx.InvalidURL:
        raise HttpError(f"{host_of(url)}: redirected to an invalid URL; refused") from None


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

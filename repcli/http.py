"""The one HTTP layer every connector uses (httpx).

- per-host rate limits and concurrency caps (`repcli.ratelimit`), one bucket per host shared by
  every source in a run, so two sources on one host never add up past its limit;
- retries with exponential backoff and jitter on 429, 420 (Yandex Market), 5xx, timeouts and
  connection errors, honouring `Retry-After` / `X-Ratelimit-Retry` (a rate-limited host is paused
  for every source that uses it) up to a ceiling (`MAX_WAIT`): a host that asks for longer ends
  the request ("try later") instead of holding the run;
- a request that publishes something (POST/PATCH unless the caller says it only reads) is sent
  once: retried only when the host said "too many requests" or nothing was sent yet; any other
  failure after sending is `OutcomeUnknown`, never a second copy of a public answer;
- redirects followed here, at most `MAX_REDIRECTS`: to another origin (scheme, host, port) no
  caller header but `SAFE_HEADERS` and no caller query parameter goes along, a request body is
  never resent there, and a caller may refuse other hosts altogether;
- connect/read timeouts and a cap on the whole request (connect, headers, body), so a server
  dripping bytes cannot hang a run; a refused connection fails at once;
- a cap on the decoded response size and on its compression ratio (a 31 KB gzip "bomb" must not
  become 31 MiB of JSON objects in memory), a user agent naming repcli and its version, proxies
  from the environment (httpx's `trust_env`);
- errors that name the host, the status and the platform's message, never a secret.

The clock and sleep are injectable, so tests check the waits without sleeping.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import errno
import json
import logging
import math
import random
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from repcli import __version__, secrets
from repcli.errors import SourceError
from repcli.ratelimit import Clock, Sleep, TokenBucket
from repcli.ratelimit import HostLimit as HostLimit  # noqa: PLC0414 (re-exported: connectors import it from here)

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
MAX_REDIRECTS = 10
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
SAFE_HEADERS = frozenset({"accept", "accept-language", "content-type", "user-agent"})
"""The caller's headers that may follow a redirect to another origin; the rest (keys, tokens,
client ids, conditional-request validators) stay with the host they were meant for."""
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)
"""Failures before any byte of the request left: retrying cannot publish anything twice."""
ASK_THE_PLATFORM = "look on the platform, then `repcli post ID --was-posted yes|no`"
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


@dataclasses.dataclass(frozen=True)
class _Call:
    """One request as the caller asked for it; a redirect hop is a new one (`replace`)."""

    method: str
    url: str
    params: Mapping[str, Any] | None
    json_body: Any
    form: Mapping[str, str] | None
    headers: Mapping[str, str] | None
    max_bytes: int
    idempotent: bool


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
        call = _Call(method, url, params, json_body, form, headers, max_bytes, idempotent)
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
        call: _Call,
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
            raise _unknown(host, method, f"HTTP {response.status}", response.status)
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
        self, call: _Call, limit: HostLimit, same_host: bool
    ) -> tuple[int, TokenBucket, Response]:
        """Send, following redirects (each hop through its own host's limiter). Past another
        origin, the caller's headers outside SAFE_HEADERS and the caller's query parameters
        (by name, wherever the server put them back) are dropped; a body is never resent there."""
        origin = _origin(call.url)
        caller_keys = {str(k) for k in call.params or {}} | {
            k for k, _ in parse_qsl(urlsplit(call.url).query)
        }
        hops = 0
        while True:
            bucket = self.bucket(host_of(call.url), limit)
            ticket, response = await self._send(bucket, call)
            location = response.headers.get("location")
            if response.status not in REDIRECT_STATUSES or not location:
                return ticket, bucket, response
            host = host_of(response.url)
            hops += 1
            if hops > self.max_redirects:
                raise HttpError(
                    f"{host}: more than {self.max_redirects} redirects; stopped",
                    hint="open the URL in a browser; set the source's URL/base_url to where it ends",
                )
            try:
                target = httpx.URL(response.url).join(location)
            except httpx.InvalidURL:
                raise HttpError(f"{host}: redirected to an invalid URL; refused") from None
            if target.scheme not in ("http", "https"):
                raise HttpError(f"{host}: redirected to a {target.scheme}: URL; refused")
            if response.status == 303 or (response.status in (301, 302) and call.method == "POST"):
                method = "HEAD" if call.method == "HEAD" else "GET"
                call = dataclasses.replace(call, method=method, json_body=None, form=None)
            new_url = str(target)
            if _origin(new_url) != origin:
                if same_host and not _same_site(new_url, origin):
                    raise HttpError(
                        f"{host}: redirected to another host ({host_of(new_url)}); refused",
                        hint="set the source's URL to the page's own address",
                    )
                if call.json_body is not None or call.form is not None:
                    raise HttpError(
                        f"{host}: asked to send the request on to another host "
                        f"({host_of(new_url)}); refused",
                        hint="check the source's base_url (it should name the API's own host)",
                    )
                headers = {
                    k: v for k, v in (call.headers or {}).items() if k.lower() in SAFE_HEADERS
                }
                call = dataclasses.replace(call, headers=headers)
                new_url = _without_query_keys(new_url, caller_keys)
            # the Location holds the whole query wanted
            call = dataclasses.replace(call, url=new_url, params=None)

    async def _send(self, bucket: TokenBucket, call: _Call) -> tuple[int, Response]:
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
                    raise _unknown(host, method, what) from None
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
                    raise _unknown(host, method, f"timed out ({type(exc).__name__})") from None
                raise RetryLater("timed out") from None
            except httpx.TransportError as exc:
                what = f"connection failed ({type(exc).__name__})"
                if not idempotent:
                    raise _unknown(host, method, what) from None
                raise RetryLater(what) from None

    async def _exchange(self, call: _Call) -> Response:
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


def _unknown(host: str, method: str, what: str, status: int | None = None) -> OutcomeUnknown:
    return OutcomeUnknown(
        f"{host}: {what} after the {method.upper()} was sent; whether it took effect is "
        "unknown, so it is not sent again",
        status=status,
        hint=ASK_THE_PLATFORM,
    )


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


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return (
        scheme,
        (parts.hostname or "").lower(),
        parts.port or {"http": 80, "https": 443}.get(scheme),
    )


def _same_site(url: str, origin: tuple[str, str, int | None]) -> bool:
    """The same host name, give or take `www.`, on the same port or on the default ports of
    the schemes (http://shop.example -> https://www.shop.example is the same site)."""
    scheme, host, port = _origin(url)
    defaults = {("http", 80), ("https", 443)}
    return host.removeprefix("www.") == origin[1].removeprefix("www.") and (
        port == origin[2] or {(scheme, port), (origin[0], origin[2])} <= defaults
    )


def _without_query_keys(url: str, keys: set[str]) -> str:
    parts = urlsplit(url)
    if not parts.query or not keys:
        return url
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in keys]
    return urlunsplit(parts._replace(query=urlencode(kept)))


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

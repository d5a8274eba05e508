"""Meta's Graph API as the `facebook` and `instagram` sources speak it.

- The token travels in an `Authorization: Bearer` header, never in a URL; with an `app_secret`
  each call also carries `appsecret_proof` (HMAC-SHA256 of the token, keyed with the secret).
- Lists page by cursor: `{"data": [...], "paging": {"cursors": {"before", "after"}, "next"}}`.
  `next` is absent on the last page (the cursors may still be there), so paging stops on a
  missing `next`, and asks for the next page itself with `after` (the `next` URL carries the
  token in its query, and could point anywhere).
- Errors: `{"error": {"message", "type", "code", "error_subcode", "error_user_title",
  "error_user_msg", "fbtrace_id", "is_transient"}}`, usually with HTTP 400/403.
  Throttling is a code, not a status: 4 (app), 17 (user), 32 (Page), 613, 341 and the business
  use case codes 80001 (Pages) and 80002 (Instagram); each is retried after the time the usage
  headers name (`estimated_time_to_regain_access`, minutes), else with backoff.
- Usage headers: `X-App-Usage` and `X-Page-Usage` (`{"call_count", "total_cputime",
  "total_time"}`, percent of the limit) and `X-Business-Use-Case-Usage` (`{"<id>": [{"type",
  "call_count", "total_cputime", "total_time", "estimated_time_to_regain_access"}]}`). Past
  `HIGH_USAGE` percent the host is paused before the next call, so a run slows down before
  Meta throttles it (a throttled app is blocked for up to an hour).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from repcli import secrets
from repcli.errors import SourceError
from repcli.http import HostLimit, Http, HttpError, Response, RetryLater, host_of
from repcli.sources.wire import parse
from repcli.sources.wire.paging import PageGuard, row_ids

log = logging.getLogger(__name__)

GRAPH_BASE = "https://graph.facebook.com"
DEFAULT_VERSION = "v25.0"
THROTTLE_CODES = frozenset({4, 17, 32, 341, 613, 80001, 80002})
"""Error codes that mean "too many calls": retried after a wait, never a failure at once."""
HIGH_USAGE = 95
"""Percent of a usage header past which the host is paused before the next call."""
USAGE_PAUSE = 60.0
"""Seconds the host is paused at high usage when Meta names no time to regain access."""
PAGING_KEYS = frozenset({"after", "before", "until", "since", "__paging_token", "offset"})
"""Query keys of a `paging.next` URL that say which page (its token and fields are ours)."""
USAGE_HEADERS = ("x-app-usage", "x-page-usage", "x-business-use-case-usage")
_HINTS = {
    190: "the access token is invalid, expired or revoked: make a new long-lived Page access "
    "token (or a system user token) and set it in the source's access_token",
    102: "the session behind the access token ended: make a new token",
    10: "the token lacks a permission this call needs: see the source's documentation for the "
    "permissions to grant",
    100: "a wrong id or parameter: check the source's ids (numeric) and api_version",
    368: "Meta blocked this action for a while for a policy reason: answer on the platform",
}


def usage(headers: Mapping[str, str]) -> tuple[int, float]:
    """(highest percent in any usage header, longest `estimated_time_to_regain_access` in
    seconds); (0, 0.0) when there are none or they cannot be read."""
    highest, regain = 0, 0.0
    for name in USAGE_HEADERS:
        value = headers.get(name)
        if not value:
            continue
        try:
            parsed = json.loads(value)
        except ValueError:
            continue
        entries: list[Any] = [parsed]
        if name == "x-business-use-case-usage" and isinstance(parsed, dict):
            entries = [e for v in parsed.values() if isinstance(v, list) for e in v]
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            for key in ("call_count", "total_cputime", "total_time"):
                number = entry.get(key)
                if isinstance(number, int | float) and not isinstance(number, bool):
                    highest = max(highest, int(number))
            minutes = entry.get("estimated_time_to_regain_access")
            if isinstance(minutes, int | float) and not isinstance(minutes, bool) and minutes > 0:
                regain = max(regain, float(minutes) * 60)
    return highest, regain


def next_page(body: dict[str, Any]) -> dict[str, str] | None:
    """The query that asks for the page after this one, or None on the last page (no
    `paging.next`). The `after` cursor when there is one; else the time-based paging keys of
    the `next` URL (`until`, `__paging_token`: older feed answers), never its token."""
    paging = body.get("paging")
    paging = paging if isinstance(paging, dict) else {}
    link = paging.get("next")
    if not isinstance(link, str) or not link:
        return None
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, dict) else None
    if isinstance(after, str) and after:
        return {"after": after}
    step = {k: v for k, v in parse_qsl(urlsplit(link).query) if k in PAGING_KEYS}
    return step or None


def graph_time(value: Any, field: str) -> datetime:
    """Graph times: `2026-11-20T10:15:30+0000` (an offset without a colon), as UTC."""
    if isinstance(value, str) and len(value) > 5 and value[-5] in "+-" and value[-4:].isdigit():
        value = f"{value[:-2]}:{value[-2:]}"
    return parse.parse_time(value, field)


def error_of(body: Any) -> dict[str, Any] | None:
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else None


def _code(error: dict[str, Any]) -> int | None:
    code = error.get("code")
    return code if isinstance(code, int) and not isinstance(code, bool) else None


class GraphError(HttpError):
    """An error Meta's Graph API reported, with its own code."""

    def __init__(self, platform: str, error: dict[str, Any], status: int) -> None:
        self.code = _code(error)
        subcode = error.get("error_subcode")
        message = str(error.get("message") or "no message")
        if error.get("error_user_msg") and error["error_user_msg"] != message:
            message = f"{message}: {error['error_user_msg']}"
        codes = f"code {self.code}" + (f", subcode {subcode}" if subcode else "")
        trace = error.get("fbtrace_id")
        hint = _HINTS.get(self.code or 0)
        if self.code is not None and 200 <= self.code <= 299:
            hint = _HINTS[10]
        super().__init__(
            f"{platform}: HTTP {status}: {message} ({codes}"
            + (f", fbtrace_id {trace})" if trace else ")"),
            status=status,
            hint=hint,
        )


class Graph:
    """Calls to one Graph API host with one token (Facebook Page or Instagram account)."""

    def __init__(
        self,
        http: Http,
        *,
        platform: str,
        base_url: str,
        version: str,
        token: str,
        limit: HostLimit,
        app_secret: str | None = None,
        source: str = "",
    ) -> None:
        self.http = http
        self.platform = platform
        self.root = f"{base_url.rstrip('/')}/{version.strip('/')}"
        self.token = token
        self.limit = limit
        self.source = source
        self.proof = (
            hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
            if app_secret
            else None
        )
        secrets.register(token)

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return await self._call("GET", path, params=dict(params or {}))

    async def post(self, path: str, form: Mapping[str, str]) -> dict[str, Any]:
        """A call that publishes: sent once (retried only after a throttling answer)."""
        return await self._call("POST", path, form=dict(form))

    async def pages(
        self, path: str, params: Mapping[str, Any], guard: PageGuard
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Each page's rows of a cursor-paged list, until a page has no `paging.next`."""
        query = dict(params)
        while True:
            body = await self.get(path, query)
            rows = body.get("data")
            if rows is None:
                rows = []
            if not isinstance(rows, list):
                raise SourceError(f"{self.platform}: {path}: `data` is not a list")
            rows = [row for row in rows if isinstance(row, dict)]
            yield rows
            step = next_page(body)
            if step is None:
                return
            guard.next_page(step, row_ids(rows))
            query = {k: v for k, v in query.items() if k not in PAGING_KEYS} | step

    async def _call(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        form: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        query = dict(params or {})
        if self.proof:
            query["appsecret_proof"] = self.proof
        reads = method == "GET"
        response = await self.http.request(
            method,
            f"{self.root}/{path.lstrip('/')}",
            limit=self.limit,
            params=query or None,
            form=form,
            headers={"Authorization": f"Bearer {self.token}"},
            idempotent=reads,
            check=lambda r: self._throttled(r, reads),
        )
        body = response.json_object()
        if body is None:
            raise SourceError(f"{self.platform}: {path}: the answer is not a JSON object")
        error = error_of(body)
        if response.status >= 400 or error is not None:
            if error is None:
                from repcli.http import raise_for_status

                raise_for_status(response)
            raise GraphError(self.platform, error or {}, response.status)
        self._watch(response)
        return body

    def _throttled(self, response: Response, reads: bool) -> None:
        """A throttling code (or, for reads, `is_transient`) becomes RetryLater, after the
        wait the usage headers name when they name one."""
        if response.status < 400 and b'"error"' not in response.content:
            return
        try:
            error = error_of(response.json())
        except HttpError:
            return
        if error is None:
            return
        code = _code(error)
        if code in THROTTLE_CODES or (reads and error.get("is_transient") is True):
            _, regain = usage(response.headers)
            raise RetryLater(
                f"{self.platform} error {code}: {error.get('message') or 'rate limited'}",
                regain or None,
                response.status,
            )

    def _watch(self, response: Response) -> None:
        percent, regain = usage(response.headers)
        if percent < HIGH_USAGE and not regain:
            return
        pause = min(regain or USAGE_PAUSE, self.http.max_wait)
        host = host_of(response.url)
        log.warning(
            "%s: %s API usage at %d%% of its limit; pausing %s for %.0f s",
            self.source or self.platform, self.platform, percent, host, pause,
        )  # fmt: skip
        self.http.bucket(host, self.limit).pause(pause)

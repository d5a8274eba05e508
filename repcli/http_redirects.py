"""Which redirects the HTTP layer (`repcli.http`) follows, and what goes along to each hop.

- 301, 302, 303, 307 and 308 with a Location, at most `MAX_REDIRECTS`, to http(s) URLs only;
- a 303, or a 301/302 answering a POST, becomes a GET (HEAD stays HEAD) without the body;
- to another origin (scheme, host, port): no caller header but `SAFE_HEADERS` and no caller
  query parameter goes along, a request body is never resent there, and a caller may refuse other
  hosts altogether (`same_host`: the same site, give or take `www.` and http -> https).

Plain values in and out: http.py sends each hop and resolves the Location (httpx's rules, `join`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from repcli.http_errors import HttpError
from repcli.ratelimit import host_of

MAX_REDIRECTS = 10
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
SAFE_HEADERS = frozenset({"accept", "accept-language", "content-type", "user-agent"})
"""The caller's headers that may follow a redirect to another origin; the rest (keys, tokens,
client ids, conditional-request validators) stay with the host they were meant for."""

Join = Callable[[str, str], str]
"""A Location resolved against the URL that sent it (raises HttpError when it is invalid)."""


@dataclasses.dataclass(frozen=True)
class Call:
    """One request as the caller asked for it; a redirect hop is a new one (`Redirects.next`)."""

    method: str
    url: str
    params: Mapping[str, Any] | None
    json_body: Any
    form: Mapping[str, str] | None
    headers: Mapping[str, str] | None
    max_bytes: int
    idempotent: bool


class Redirects:
    """The redirects of one request, hop by hop. Past another origin, the caller's headers
    outside SAFE_HEADERS and the caller's query parameters (by name, wherever the server put them
    back) are dropped; a body is never resent there."""

    def __init__(self, call: Call, *, same_host: bool, max_redirects: int, join: Join) -> None:
        self._origin = _origin(call.url)
        self._caller_keys = {str(k) for k in call.params or {}} | {
            k for k, _ in parse_qsl(urlsplit(call.url).query)
        }
        self._same_host = same_host
        self._max_redirects = max_redirects
        self._join = join
        self._hops = 0

    def next(self, call: Call, status: int, url: str, location: str | None) -> Call | None:
        """The request to send after `call` got `status` (and `location`) from `url`: None when
        that answer is not a redirect to follow (it is the response), an HttpError when the
        redirect is refused."""
        if status not in REDIRECT_STATUSES or not location:
            return None
        host = host_of(url)
        self._hops += 1
        if self._hops > self._max_redirects:
            raise HttpError(
                f"{host}: more than {self._max_redirects} redirects; stopped",
                hint="open the URL in a browser; set the source's URL/base_url to where it ends",
            )
        new_url = self._join(url, location)
        scheme = urlsplit(new_url).scheme
        if scheme not in ("http", "https"):
            raise HttpError(f"{host}: redirected to a {scheme}: URL; refused")
        if status == 303 or (status in (301, 302) and call.method == "POST"):
            method = "HEAD" if call.method == "HEAD" else "GET"
            call = dataclasses.replace(call, method=method, json_body=None, form=None)
        if _origin(new_url) != self._origin:
            if self._same_host and not _same_site(new_url, self._origin):
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
            headers = {k: v for k, v in (call.headers or {}).items() if k.lower() in SAFE_HEADERS}
            call = dataclasses.replace(call, headers=headers)
            new_url = _without_query_keys(new_url, self._caller_keys)
        # the Location holds the whole query wanted
        return dataclasses.replace(call, url=new_url, params=None)


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

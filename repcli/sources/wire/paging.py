"""What every paginating connector does to never page forever, follow a link off-site, or take
an unbounded page.

A platform (or a proxy, or a server that is not the platform at all) can answer every request
with a full page, send the same cursor back, or repeat the same items under new cursors. Each
paging loop keeps a `PageGuard` and calls `guard.next_page(cursor, ids)` before it asks for
another page: it stops with a `SourceError` on

- a cursor (page token, offset, next URL) it has already requested in this run,
- a page that brought no id the run had not seen already (the same page again),
- more pages than `max_pages` (a source setting; `DEFAULT_MAX_PAGES` by default).

The connectors yield each page as its own batch, so what came before the stop is stored.
Scraped pages also go through `capped` (at most `MAX_ITEMS_PER_PAGE` items from one page or
response) and next links through `same_site` (only the configured URL's scheme, host and port,
or a host listed in `allow_hosts`).
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from repcli.errors import ConfigError, SourceError

log = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 1000
"""Pages one list of one source may take in one run, unless the source sets `max_pages`."""
MAX_ITEMS_PER_PAGE = 1000
"""Items taken from one scraped page or feed document (html, jsonld, feed); more are dropped."""
EMPTY_PAGES = 3
"""Empty pages in a row that still carry a next cursor before paging stops."""

_STORED = "stored what came before"
_HINT = (
    "the platform (or a proxy in between) kept sending pages; run again later, or lower or "
    "raise max_pages if this list really is that long"
)

T = TypeVar("T")


class PageGuard:
    """Stops a paging loop that does not end by itself: see the module's docstring."""

    def __init__(
        self, source: str, what: str, max_pages: int | None = None, start: Any = None
    ) -> None:
        """`what` names the list ("feedbacks", "https://shop/reviews"); `start` is the cursor
        of the first page (None when the first request carries none). An empty `source` leaves
        the source's name out (for errors collected by `extract.Failures`, which adds it)."""
        self.source = source
        self.what = what
        self.max_pages = max_pages or DEFAULT_MAX_PAGES
        self.pages = 0
        self.empty_run = 0
        self.cursors: set[Hashable] = {_key(start)}
        self.ids: set[Hashable] = set()

    def next_page(self, cursor: Any, ids: Iterable[Any]) -> None:
        """The page just read brought `ids` and points at `cursor`: return if it may be
        fetched, else raise a SourceError saying why paging stopped."""
        self.pages += 1
        key = _key(cursor)
        if key in self.cursors:
            self._stop(f"the platform sent the same cursor twice ({_show(cursor)})")
        self.cursors.add(key)
        page_ids = {_key(i) for i in ids if i is not None}
        fresh = page_ids - self.ids
        self.ids |= page_ids
        if page_ids and not fresh:
            self._stop(f"page {self.pages} brought only items already read in this run")
        self.empty_run = 0 if page_ids else self.empty_run + 1
        if self.empty_run >= EMPTY_PAGES:
            self._stop(f"{self.empty_run} empty pages in a row still pointed to a next page")
        if self.pages >= self.max_pages:
            self._stop(f"max_pages ({self.max_pages}) reached and the platform has more")

    def _stop(self, why: str) -> None:
        where = f"{self.source}: {self.what}" if self.source else self.what
        raise SourceError(f"{where}: {why}; stopped after {self.pages} pages; {_STORED}", _HINT)


def row_ids(rows: Iterable[Any], *keys: str) -> list[Any]:
    """What tells a platform's rows apart, for `PageGuard.next_page`: the first of `keys`
    (default `id`) a row has, else the whole row (a page repeated verbatim still shows)."""
    found: list[Any] = []
    for row in rows:
        if isinstance(row, dict):
            value = next((row[k] for k in keys or ("id",) if row.get(k) not in (None, "")), None)
            found.append(_key(row) if value is None else ("id", _key(value)))
        else:
            found.append(_key(row))
    return found


def max_pages(settings: Any, source: str) -> int:
    """The source's `max_pages` setting (1-100000), or the default."""
    value = getattr(settings, "max_pages", None)
    if value is None:
        return DEFAULT_MAX_PAGES
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100_000:
        raise ConfigError(f"sources: {source}: max_pages must be 1-100000, got {value!r}")
    return value


def capped(items: list[T], where: str, cap: int = MAX_ITEMS_PER_PAGE) -> list[T]:
    """At most `cap` of `items`, with a warning naming the page when some were dropped."""
    if len(items) <= cap:
        return items
    log.warning("%s: more than %d items on one page; kept the first %d", where, cap, cap)
    return items[:cap]


def same_site(link: str, start: str, allow_hosts: Iterable[str] = ()) -> bool:
    """True when `link` is on the scheme, host and port of `start`, or its host is listed in
    `allow_hosts` (a host name, or host:port)."""
    a, b = urlsplit(link), urlsplit(start)
    if (a.scheme, _netloc(a)) == (b.scheme, _netloc(b)):
        return True
    allowed = {h.strip().lower().rstrip(".") for h in allow_hosts if h.strip()}
    host = (a.hostname or "").rstrip(".")
    return a.scheme in ("http", "https") and (host in allowed or _netloc(a) in allowed)


def foreign_link(link: str, page: str) -> SourceError:
    """The error for a next link off the configured site (`extract.Failures` adds the source)."""
    return SourceError(
        f"{page}: the next-page link {link!r} leaves the site; not followed; {_STORED}",
        "list its host in allow_hosts if the site really pages there",
    )


def _netloc(parts: Any) -> str:
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:  # a port that is not a number
        return str(parts.netloc).lower()
    return f"{(parts.hostname or '').rstrip('.')}:{port}"


def _key(value: Any) -> Hashable:
    if isinstance(value, dict):
        return tuple(sorted((str(k), _key(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_key(v) for v in value)
    if isinstance(value, Hashable):
        return value
    return repr(value)


def _show(cursor: Any) -> str:
    text = str(cursor)
    return text if len(text) <= 60 else text[:57] + "..."

"""Apple App Store customer reviews without credentials: the public RSS JSON feed.

The public feed per storefront,
`GET {base}/{cc}/rss/customerreviews/page={N}/id={app_id}/sortby=mostrecent/json`, pages 1-10,
newest first. Every scalar comes wrapped as `{"label": ...}` (the rating too, as a string);
`entry` is a list, a single object when the page holds one review, or missing when it holds
none; old feeds put the app itself first (no `im:rating`) and carry no per-entry `updated`. The
feed has no developer responses. Paging stops at the cursor, at an empty page, or at the page
that `feed.link[rel=last]` names.

`AppStoreFeed` is one half of `repcli.sources.app_store.AppStoreSource` (the `app_store` type),
which reads this feed when no App Store Connect key is configured.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from datetime import datetime
from functools import partial
from typing import Any, ClassVar

from repcli.clock import from_iso, to_iso
from repcli.errors import ConfigError, SourceError
from repcli.http import HostLimit, raise_for_status
from repcli.models import Item
from repcli.sources.base import Batch, HttpSource
from repcli.sources.wire import parse

RSS_PATH = "/{cc}/rss/customerreviews/page={page}/id={app_id}/sortby=mostrecent/json"
RSS_MAX_PAGE = 10
APP_URL = "https://apps.apple.com/{cc}/app/id{app_id}"
_PAGE_IN_LINK = re.compile(r"/page=(\d+)/")
_COUNTRY = re.compile(r"^[a-z]{2}$")
# Apple documents ~20 calls a minute for the iTunes Search API on the same host; the RSS feeds
# document no limit of their own.
RSS_LIMIT = HostLimit(rate=20 / 60, burst=3, concurrency=1)


class AppStoreFeed(HttpSource):
    """Reading the public feed: `base_url` and `limit` (the HttpSource ones) are the feed's."""

    default_base_url: ClassVar[str] = "https://itunes.apple.com"
    default_limit: ClassVar[HostLimit] = RSS_LIMIT

    async def _fetch_rss(
        self, app_id: str, cursor: dict[str, Any], full: bool
    ) -> AsyncIterator[Batch]:
        countries = [str(cc).strip().lower() for cc in self.settings.countries]
        bad = [cc for cc in countries if not _COUNTRY.match(cc)]
        if bad or not countries:
            raise ConfigError(
                f"sources: {self.name}: countries must be two-letter storefront codes, got {bad}"
            )
        marks: dict[str, Any] = dict(cursor.get("rss") or {})
        new_marks = dict(marks)
        for cc in dict.fromkeys(countries):
            mark = _Mark.load({} if full else marks.get(cc))
            newest = _Mark.load(marks.get(cc))
            for page in range(1, RSS_MAX_PAGE + 1):
                feed = await self._rss_page(app_id, cc, page)
                entries = _entries(feed, self.name)
                reviews = [e for e in entries if "im:rating" in e]  # the app itself has none
                product = _label(entries[0], "im:name") if entries else None
                items: list[Item] = []
                reached = False
                for entry in reviews:
                    item = self.parse_row(
                        entry,
                        partial(self._rss_item, feed=feed, app_id=app_id, cc=cc, product=product),
                        "review",
                    )
                    if item is None:
                        continue
                    if mark.covers(item):
                        reached = True
                        continue
                    items.append(item)
                    newest.advance(item)
                if items:
                    # The cursor moves only at the end: a run killed half way re-reads, never skips.
                    yield Batch(items, cursor)
                if not reviews or reached or page >= _last_page(feed):
                    break
            new_marks[cc] = newest.dump()
        yield Batch([], {**cursor, "rss": new_marks})

    async def _rss_page(self, app_id: str, cc: str, page: int) -> dict[str, Any]:
        url = self.base_url + RSS_PATH.format(cc=cc, page=page, app_id=app_id)
        response = await self.ctx.http.request("GET", url, limit=self.limit)
        raise_for_status(response)
        body = response.json()
        feed = body.get("feed") if isinstance(body, dict) else None
        if not isinstance(feed, dict):
            raise SourceError(
                f"{self.name}: the App Store feed for {cc} page {page} has no `feed` object"
            )
        return feed

    def _rss_item(
        self, entry: dict[str, Any], feed: dict[str, Any], app_id: str, cc: str, product: str | None
    ) -> Item:
        review_id = _label(entry, "id")
        if not review_id:
            raise SourceError(f"{self.name}: an App Store review without an id")
        # Old feeds have no per-entry `updated`: the feed's own time is the best we have.
        when = _label(entry, "updated") or _label(feed, "updated")
        author = entry.get("author")
        return Item(
            source=self.name,
            platform=self.platform,
            kind="review",
            external_id=review_id,
            created_at=parse.parse_time(when, "updated") if when else self.now,
            title=parse.text(_label(entry, "title")),
            text=parse.text(_label(entry, "content")) or "",
            rating=parse.rating(_label(entry, "im:rating"), "im:rating"),
            author=parse.text(_label(author, "name")) if isinstance(author, dict) else None,
            product_id=app_id,
            product_name=parse.text(product),
            url=APP_URL.format(cc=cc, app_id=app_id),
            raw=entry,
        )


@dataclasses.dataclass
class _Mark:
    """How far a storefront's feed was read: the newest `updated` and the highest review id
    (old feeds have no `updated`; ids grow over time)."""

    updated: datetime | None = None
    review_id: int | None = None

    @classmethod
    def load(cls, data: Any) -> _Mark:
        if not isinstance(data, dict):
            return cls()
        review_id = str(data.get("id") or "")
        return cls(from_iso(data.get("updated")), int(review_id) if review_id.isdigit() else None)

    def dump(self) -> dict[str, Any]:
        review_id = str(self.review_id) if self.review_id is not None else None
        return {"updated": to_iso(self.updated), "id": review_id}

    def covers(self, item: Item) -> bool:
        dated = isinstance(item.raw, dict) and "updated" in item.raw
        if dated and self.updated is not None:
            return item.created_at <= self.updated
        if self.review_id is not None and item.external_id.isdigit():
            return int(item.external_id) <= self.review_id
        return False

    def advance(self, item: Item) -> None:
        if isinstance(item.raw, dict) and "updated" in item.raw:
            self.updated = max(self.updated or item.created_at, item.created_at)
        if item.external_id.isdigit():
            self.review_id = max(self.review_id or 0, int(item.external_id))


def _label(obj: Any, key: str) -> str | None:
    """`obj[key].label`, the feed's way of wrapping every scalar; None when anything is missing."""
    value = obj.get(key) if isinstance(obj, dict) else None
    label = value.get("label") if isinstance(value, dict) else None
    return str(label) if isinstance(label, str | int | float) else None


def _entries(feed: dict[str, Any], name: str) -> list[dict[str, Any]]:
    entry = feed.get("entry")
    if entry is None:  # an empty page has no `entry` at all
        return []
    if isinstance(entry, dict):  # one review on the page: an object, not a list
        return [entry]
    if isinstance(entry, list):
        return [e for e in entry if isinstance(e, dict)]
    raise SourceError(f"{name}: unexpected `entry` in the App Store feed: {type(entry).__name__}")


def _last_page(feed: dict[str, Any]) -> int:
    links = feed.get("link")
    for link in links if isinstance(links, list) else [links]:
        attrs = link.get("attributes") if isinstance(link, dict) else None
        if isinstance(attrs, dict) and attrs.get("rel") == "last":
            match = _PAGE_IN_LINK.search(str(attrs.get("href") or ""))
            if match:
                return min(int(match.group(1)), RSS_MAX_PAGE)
    return RSS_MAX_PAGE

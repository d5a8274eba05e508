"""Apple App Store customer reviews: the public RSS JSON feed, or the App Store Connect API.

Without credentials: the public feed per storefront,
`GET {base}/{cc}/rss/customerreviews/page={N}/id={app_id}/sortby=mostrecent/json`, pages 1-10,
newest first. Every scalar comes wrapped as `{"label": ...}` (the rating too, as a string);
`entry` is a list, a single object when the page holds one review, or missing when it holds
none; old feeds put the app itself first (no `im:rating`) and carry no per-entry `updated`. The
feed has no developer responses. Paging stops at the cursor, at an empty page, or at the page
that `feed.link[rel=last]` names.

With `key_id` + `issuer_id` + `private_key` (the .p8 file or its PEM text): the App Store Connect
API, `GET /v1/apps/{id}/customerReviews?sort=-createdDate&limit=200&include=response`, which
covers every territory and brings the developer's response; paged by `links.next`; each request
carries `Authorization: Bearer <JWT>` signed ES256 (header `kid`, `typ`; claims `iss`, `iat`,
`exp` under 20 minutes later, `aud` appstoreconnect-v1).

Answers (Connect mode only): `POST /v1/customerReviewResponses` with the JSON:API document
`{"data": {"type": "customerReviewResponses", "attributes": {"responseBody"}, "relationships":
{"review": {"data": {"type": "customerReviews", "id"}}}}}` -> 201 with the response's `id` and
`state` PENDING_PUBLISH; it comes back as the review's included response on a later fetch.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from repcli.clock import from_iso, to_iso
from repcli.config import SourceConfig
from repcli.errors import ConfigError, SourceError
from repcli.http import HostLimit, raise_for_status
from repcli.models import Item
from repcli.sources.base import (
    Batch,
    FetchContext,
    HttpSettings,
    HttpSource,
    PostedReply,
    ReplyTarget,
    refusals_as_rejections,
)
from repcli.sources.wire import parse
from repcli.sources.wire.paging import PageGuard, max_pages, row_ids
from repcli.sources.wire.tokens import sign_jwt

RSS_PATH = "/{cc}/rss/customerreviews/page={page}/id={app_id}/sortby=mostrecent/json"
RSS_MAX_PAGE = 10
CONNECT_BASE = "https://api.appstoreconnect.apple.com"
CONNECT_AUDIENCE = "appstoreconnect-v1"
TOKEN_LIFETIME = 19 * 60
"""Apple refuses tokens whose `exp` is 20 minutes or more after `iat`."""
TOKEN_RENEW_AFTER = 15 * 60
APP_URL = "https://apps.apple.com/{cc}/app/id{app_id}"
CONNECT_APP_URL = "https://apps.apple.com/app/id{app_id}"
_PAGE_IN_LINK = re.compile(r"/page=(\d+)/")
_COUNTRY = re.compile(r"^[a-z]{2}$")
# Apple documents ~20 calls a minute for the iTunes Search API on the same host; the RSS feeds
# document no limit of their own.
RSS_LIMIT = HostLimit(rate=20 / 60, burst=3, concurrency=1)
# App Store Connect: a rolling hour of ~3600 requests per key (`X-Rate-Limit: user-hour-lim`).
CONNECT_LIMIT = HostLimit(rate=1.0, burst=5, concurrency=1)


@dataclasses.dataclass(frozen=True, kw_only=True)
class AppStoreSettings(HttpSettings):
    app_id: str
    """The app's numeric Apple ID (the digits in apps.apple.com/app/id<digits>)."""
    countries: tuple[str, ...] = ("us",)
    """Storefronts of the public feed, as two-letter codes (us, gb, ru, ua...)."""
    key_id: str | None = None
    """App Store Connect API key ID; with issuer_id and private_key, the API is used instead
    of the public feed (all territories, and your published responses)."""
    issuer_id: str | None = None
    """App Store Connect API issuer ID (Users and Access > Integrations)."""
    private_key: str | None = dataclasses.field(
        default=None, metadata={"secret": True, "document": True}
    )
    """The API key's .p8 file path, or its PEM text."""
    api_base_url: str | None = None
    """Override the App Store Connect API address (a proxy, a test server)."""
    answered_lookback_days: int = 7
    """API: re-read reviews this far back, to see responses given in App Store Connect."""
    page_size: int = 200
    """API: reviews per request (`limit`, at most 200)."""


class AppStoreSource(HttpSource):
    type_name: ClassVar[str] = "app_store"
    platform: ClassVar[str] = "app_store"
    settings_class: ClassVar[type[Any]] = AppStoreSettings
    description: ClassVar[str] = (
        "Apple App Store reviews: public RSS feed per country, or App Store Connect API (key)"
    )
    default_base_url: ClassVar[str] = "https://itunes.apple.com"
    default_limit: ClassVar[HostLimit] = RSS_LIMIT

    def __init__(self, config: SourceConfig, ctx: FetchContext) -> None:
        super().__init__(config, ctx)
        self._token: str | None = None
        self._token_minted = 0.0
        self._born = time.monotonic()

    @property
    def connect_configured(self) -> bool:
        s = self.settings
        given = {"key_id": s.key_id, "issuer_id": s.issuer_id, "private_key": s.private_key}
        if not any(given.values()):
            return False
        missing = [name for name, value in given.items() if not value]
        if missing:
            raise ConfigError(
                f"sources: {self.name}: App Store Connect needs key_id, issuer_id and "
                f"private_key; missing: {', '.join(missing)}",
                "set all three (private_key: the .p8 path or ${ASC_PRIVATE_KEY}), or none of "
                "them to read the public feed",
            )
        return True

    async def fetch(self, cursor: dict[str, Any], full: bool = False) -> AsyncIterator[Batch]:
        app_id = str(self.settings.app_id).strip()
        if not app_id.isdigit():
            raise ConfigError(
                f"sources: {self.name}: app_id must be the app's numeric Apple ID, got {app_id!r}",
                "it is the number in the app's link: apps.apple.com/app/id<digits>",
            )
        if self.connect_configured:
            async for batch in self._fetch_connect(app_id, cursor, full):
                yield batch
        else:
            async for batch in self._fetch_rss(app_id, cursor, full):
                yield batch

    # ------------------------------------------------------------------ the public RSS feed

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

    # ------------------------------------------------------------- the App Store Connect API

    async def _fetch_connect(
        self, app_id: str, cursor: dict[str, Any], full: bool
    ) -> AsyncIterator[Batch]:
        if not 1 <= self.settings.page_size <= 200:
            raise ConfigError(f"sources: {self.name}: page_size must be 1-200")
        since = from_iso(cursor.get("connect_since"))
        if full or since is None:
            stop_at = self.now - timedelta(days=self.settings.full_backfill_days)
        else:
            stop_at = since - timedelta(days=self.settings.answered_lookback_days)
        newest = since
        url: str | None = f"{self.connect_base}/v1/apps/{app_id}/customerReviews"
        params: dict[str, Any] | None = {
            "sort": "-createdDate",
            "limit": self.settings.page_size,
            "include": "response",
        }
        guard = PageGuard(self.name, "customerReviews", max_pages(self.settings, self.name), url)
        while url:
            body = await self._connect_call(url, params)
            data = body.get("data")
            if not isinstance(data, list):
                raise SourceError(f"{self.name}: App Store Connect answered without a data list")
            responses = _responses(body.get("included"))
            items: list[Item] = []
            reached = False
            for review in data:
                item = self.parse_row(
                    review,
                    partial(self._connect_item, responses=responses, app_id=app_id),
                    "review",
                )
                if item is None:
                    continue
                if item.created_at < stop_at:
                    reached = True
                    continue
                items.append(item)
                newest = max(newest or item.created_at, item.created_at)
            if items:
                yield Batch(items, cursor)
            link = (body.get("links") or {}).get("next")
            if reached or not data or not isinstance(link, str) or not link:
                break
            url, params = self._rebase(link), None  # the next link carries the query
            guard.next_page(url, row_ids(data))
        yield Batch([], {**cursor, "connect_since": to_iso(newest)})

    @property
    def connect_base(self) -> str:
        return (self.settings.api_base_url or CONNECT_BASE).rstrip("/")

    @property
    def connect_limit(self) -> HostLimit:
        if self.settings.rate_limit:
            return dataclasses.replace(CONNECT_LIMIT, rate=float(self.settings.rate_limit))
        return CONNECT_LIMIT

    def _rebase(self, link: str) -> str:
        """`links.next` names Apple's host; keep its path and query on the configured base."""
        parts, base = urlsplit(link), urlsplit(self.connect_base)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

    @property
    def can_reply(self) -> bool:
        return self.connect_configured

    async def post_reply(self, target: ReplyTarget, text: str) -> PostedReply:
        if not self.connect_configured:
            return await super().post_reply(target, text)
        document = {
            "data": {
                "type": "customerReviewResponses",
                "attributes": {"responseBody": text},
                "relationships": {
                    "review": {"data": {"type": "customerReviews", "id": target.external_id}}
                },
            }
        }
        url = f"{self.connect_base}/v1/customerReviewResponses"
        with refusals_as_rejections("App Store Connect"):
            body = await self._connect_call(url, None, method="POST", json_body=document)
        answer_id = (body.get("data") or {}).get("id")
        return PostedReply(external_id=str(answer_id) if answer_id else None)

    async def _connect_call(
        self,
        url: str,
        params: dict[str, Any] | None,
        method: str = "GET",
        json_body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        response = await self.ctx.http.request(
            method,
            url,
            limit=self.connect_limit,
            params=params,
            json_body=json_body,
            headers={"Authorization": f"Bearer {self._connect_token()}"},
        )
        body = response.json_object() or {}
        raise_for_status(response, _connect_error(body))
        return body

    def _connect_token(self) -> str:
        """A signed ES256 JWT, made again before it gets old (a run may outlast 20 minutes)."""
        elapsed = time.monotonic() - self._born
        if self._token and elapsed - self._token_minted < TOKEN_RENEW_AFTER:
            return self._token
        issued = int(self.now.timestamp() + elapsed)
        claims = {
            "iss": self.settings.issuer_id,
            "iat": issued,
            "exp": issued + TOKEN_LIFETIME,
            "aud": CONNECT_AUDIENCE,
        }
        token = sign_jwt(
            claims,
            self._private_key,
            algorithm="ES256",
            headers={"kid": self.settings.key_id, "typ": "JWT"},
            needs=f"sources: {self.name}: App Store Connect",
            bad_key=f"sources: {self.name}: private_key is not a usable EC P-256 key",
            bad_key_hint="use the AuthKey_<key id>.p8 file App Store Connect gave you, unchanged",
        )
        self._token, self._token_minted = token, elapsed
        return token

    def _private_key(self) -> str:
        value = str(self.settings.private_key).strip()
        if "-----BEGIN" in value:
            return value.replace("\\n", "\n")  # PEM text from an env var may have literal \n
        path = Path(value).expanduser()
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"sources: {self.name}: cannot read private_key file ({type(exc).__name__})",
                "private_key is the path of the .p8 file, or its PEM text",
            ) from None

    def _connect_item(self, review: Any, responses: dict[str, dict[str, Any]], app_id: str) -> Item:
        try:
            attrs = review.get("attributes") or {}
            linked = ((review.get("relationships") or {}).get("response") or {}).get("data")
            response = responses.get(str(linked.get("id"))) if isinstance(linked, dict) else None
            response = response or responses.get(f"review:{review['id']}")
            answer = (response or {}).get("attributes") or {}
            return Item(
                source=self.name,
                platform=self.platform,
                kind="review",
                external_id=str(review["id"]),
                created_at=parse.parse_time(attrs.get("createdDate"), "createdDate"),
                title=parse.text(attrs.get("title")),
                text=parse.text(attrs.get("body")) or "",
                rating=parse.rating(attrs.get("rating")),
                author=parse.text(attrs.get("reviewerNickname")),
                product_id=app_id,
                url=CONNECT_APP_URL.format(app_id=app_id),
                answer_text=parse.text(answer.get("responseBody")),
                answered_at=parse.optional_time(answer.get("lastModifiedDate"), "lastModifiedDate"),
                raw={"data": review, "included": [response] if response else []},
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise SourceError(
                f"{self.name}: an App Store Connect review without the expected fields ({exc!r})"
            ) from None


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


def _responses(included: Any) -> dict[str, dict[str, Any]]:
    """Included customerReviewResponses, by their own id and by the review they answer."""
    found: dict[str, dict[str, Any]] = {}
    for obj in included if isinstance(included, list) else []:
        if not isinstance(obj, dict) or obj.get("type") != "customerReviewResponses":
            continue
        found[str(obj.get("id"))] = obj
        review = ((obj.get("relationships") or {}).get("review") or {}).get("data")
        if isinstance(review, dict) and review.get("id"):
            found[f"review:{review['id']}"] = obj
    return found


def _connect_error(body: dict[str, Any]) -> str | None:
    """`{"errors": [{"status", "code", "title", "detail"}]}`, the App Store Connect error shape."""
    errors = body.get("errors")
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return None
    first = errors[0]
    parts = [str(first[k]) for k in ("code", "title", "detail") if first.get(k)]
    return ": ".join(parts) or None

"""Google Business Profile: reviews of the shop's locations, with the owner's replies.

Reviews: `GET https://mybusiness.googleapis.com/v4/accounts/{a}/locations/{l}/reviews` with
`pageSize` <= 50 and `pageToken`; the answer is `{"reviews": [...], "averageRating",
"totalReviewCount", "nextPageToken"}` (no `nextPageToken` on the last page), newest change
first (`orderBy` defaults to `updateTime desc`). A review: `name`
(`accounts/{a}/locations/{l}/reviews/{r}`), `reviewId`, `reviewer{profilePhotoUrl,
displayName, isAnonymous}`, `starRating` as a word (`ONE`..`FIVE`, `STAR_RATING_UNSPECIFIED`),
`comment` (absent for a rating without words), `createTime`, `updateTime` (RFC 3339, 0-9
fraction digits) and `reviewReply{comment, updateTime}` once the owner replied.

Paging stops at the first page that reaches back past the cursor (the newest `updateTime` seen
for that location) minus `lookback_days`, so replies given in the Google UI are read back.

Locations: `location_ids` (the numbers in `locations/{l}`); when empty, every location of the
account, listed once a run through the Business Information API
(`GET mybusinessbusinessinformation.googleapis.com/v1/accounts/{a}/locations?readMask=name,title`),
whose `title` becomes the items' `product_name`.

OAuth: an installed/web app's `client_id`, `client_secret` and a user's `refresh_token` with the
`https://www.googleapis.com/auth/business.manage` scope, exchanged at
`https://oauth2.googleapis.com/token` (`grant_type=refresh_token`) for an access token that is
reused until near its `expires_in`; one 401 from the API gets one fresh token.

Answers: `PUT .../reviews/{r}/reply` with `{"comment": text}` (at most 4096 bytes) returns the
`ReviewReply`. A PUT replaces the one reply a review can have, so sending it again cannot
publish a second answer: the HTTP layer may repeat it after a 5xx.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, ClassVar

from repcli import secrets
from repcli.config import SourceConfig
from repcli.errors import ConfigError, SourceError
from repcli.http import HostLimit, Response, raise_for_status
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
from repcli.sources.wire.tokens import GOOGLE_TOKEN_URI, request_token

INFO_BASE = "https://mybusinessbusinessinformation.googleapis.com"
SCOPE = "https://www.googleapis.com/auth/business.manage"
STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}


@dataclasses.dataclass(frozen=True, kw_only=True)
class GoogleBusinessSettings(HttpSettings):
    account_id: str
    """The account's number, as in accounts/{account_id} (Business Profile Manager)."""
    client_id: str
    """The OAuth client id of your Google Cloud project (approved for the Business Profile API)."""
    client_secret: str = dataclasses.field(metadata={"secret": True})
    """The OAuth client secret."""
    refresh_token: str = dataclasses.field(metadata={"secret": True})
    """A refresh token of a location owner or manager, scope business.manage."""
    location_ids: tuple[str, ...] = ()
    """Locations to read (the numbers in locations/{id}); empty: all of the account."""
    lookback_days: int = 7
    """Re-read reviews changed this far behind the cursor, to see replies given elsewhere."""
    page_size: int = 50
    """Reviews per request (`pageSize`, 1-50)."""
    token_url: str | None = None
    """Override the OAuth token endpoint (a test server)."""
    info_base_url: str | None = None
    """Override the Business Information API address (a proxy, a test server)."""


class GoogleBusinessSource(HttpSource):
    type_name: ClassVar[str] = "google_business"
    platform: ClassVar[str] = "google_business"
    settings_class: ClassVar[type[Any]] = GoogleBusinessSettings
    description: ClassVar[str] = (
        "Google Business Profile reviews of your locations, with replies (OAuth refresh token)"
    )
    default_base_url: ClassVar[str] = "https://mybusiness.googleapis.com"
    # The Business Profile APIs allow 300 requests a minute per project: stay well below.
    default_limit: ClassVar[HostLimit] = HostLimit(rate=2.0, burst=2, concurrency=1)

    can_reply = True

    def __init__(self, config: SourceConfig, ctx: FetchContext) -> None:
        super().__init__(config, ctx)
        self._token: str | None = None
        self._token_until = 0.0

    def _validate(self) -> None:
        s: GoogleBusinessSettings = self.settings
        for key in ("client_id", "client_secret", "refresh_token"):
            if not str(getattr(s, key) or "").strip():
                raise ConfigError(f"sources: {self.name}: {key} is empty")
        ids = (s.account_id, *s.location_ids)
        if not all(str(i).strip().isdigit() for i in ids):
            raise ConfigError(
                f"sources: {self.name}: account_id and location_ids must be numbers",
                "as in accounts/<account_id>/locations/<location_id>, quoted: '1234567890'",
            )
        if not 1 <= s.page_size <= 50:
            raise ConfigError(f"sources: {self.name}: page_size must be 1-50")

    async def fetch(self, cursor: dict[str, Any], full: bool = False) -> AsyncIterator[Batch]:
        self._validate()
        s: GoogleBusinessSettings = self.settings
        new_cursor = dict(cursor)
        for location, title in await self._locations():
            since = cursor.get(location)
            if full or not isinstance(since, int | float):
                stop_before = (self.now - timedelta(days=s.full_backfill_days)).timestamp()
                newest = 0.0
            else:
                stop_before = since - timedelta(days=s.lookback_days).total_seconds()
                newest = float(since)
            async for items, page_newest in self._reviews(location, title, stop_before):
                newest = max(newest, page_newest)
                # The cursor moves only at the end: a run killed half way re-reads, never skips.
                yield Batch(items, cursor)
            if newest:
                new_cursor[location] = newest
        yield Batch([], new_cursor)

    async def test(self) -> str:
        self._validate()
        locations = await self._locations()
        return f"ok: signed in, {len(locations)} location(s) to read"

    async def _locations(self) -> list[tuple[str, str | None]]:
        """(location name `accounts/a/locations/l`, its title when listed) for each location."""
        s: GoogleBusinessSettings = self.settings
        account = f"accounts/{str(s.account_id).strip()}"
        if s.location_ids:
            return [(f"{account}/locations/{str(i).strip()}", None) for i in s.location_ids]
        base = (s.info_base_url or INFO_BASE).rstrip("/")
        found: list[tuple[str, str | None]] = []
        token: str | None = None
        guard = PageGuard(self.name, "locations", max_pages(s, self.name))
        while True:
            params = {"readMask": "name,title", "pageSize": 100}
            body = await self._call(
                "GET", f"{base}/v1/{account}/locations", params={**params, "pageToken": token}
            )
            rows = body.get("locations") or []
            if not isinstance(rows, list):
                raise SourceError(f"{self.name}: `locations` is not a list")
            for row in rows:
                name = row.get("name") if isinstance(row, dict) else None
                if isinstance(name, str) and name.startswith("locations/"):
                    found.append((f"{account}/{name}", parse.text(row.get("title"))))
            token = body.get("nextPageToken") or None
            if not token or not rows:
                return found
            guard.next_page(token, row_ids(rows, "name"))

    async def _reviews(
        self, location: str, title: str | None, stop_before: float
    ) -> AsyncIterator[tuple[list[Item], float]]:
        s: GoogleBusinessSettings = self.settings
        token: str | None = None
        guard = PageGuard(self.name, f"reviews of {location}", max_pages(s, self.name))
        while True:
            params: dict[str, Any] = {"pageSize": s.page_size}
            if token:
                params["pageToken"] = token
            body = await self._call("GET", f"{self.base_url}/v4/{location}/reviews", params=params)
            rows = body.get("reviews") or []
            if not isinstance(rows, list):
                raise SourceError(f"{self.name}: `reviews` is not a list")
            items = self.parse_rows(rows, lambda r: self._item(r, location, title), "review")
            stamps = [_changed(item) for item in items]
            yield items, max(stamps, default=0.0)
            token = body.get("nextPageToken") or None
            # Newest change first: a page reaching back past the cursor ends the walk.
            if not token or not rows or (stamps and min(stamps) < stop_before):
                return
            guard.next_page(token, row_ids(rows, "reviewId", "name"))

    def _item(self, row: Any, location: str, title: str | None) -> Item:
        if not isinstance(row, dict):
            raise SourceError(f"{self.name}: a Google review that is not an object")
        review_id = row.get("reviewId") or str(row.get("name") or "").rpartition("/")[2]
        if not isinstance(review_id, str) or not review_id:
            raise SourceError(f"{self.name}: a Google review without a reviewId")
        created = parse.parse_time(row.get("createTime"), "createTime")
        updated = parse.optional_time(row.get("updateTime"), "updateTime")
        reviewer = row.get("reviewer")
        reviewer = reviewer if isinstance(reviewer, dict) else {}
        reply = row.get("reviewReply")
        reply = reply if isinstance(reply, dict) else {}
        answer = parse.text(reply.get("comment"))
        return Item(
            source=self.name,
            platform=self.platform,
            kind="review",
            external_id=review_id,
            created_at=created,
            updated_at=updated if updated and updated > created else None,
            rating=_stars(row.get("starRating")),
            text=parse.text(row.get("comment")) or "",
            author=None
            if reviewer.get("isAnonymous") is True
            else parse.text(reviewer.get("displayName")),
            product_id=location,
            product_name=title,
            answer_text=answer,
            answered_at=parse.optional_time(reply.get("updateTime"), "reviewReply.updateTime")
            if answer
            else None,
            raw=row,
        )

    async def post_reply(self, target: ReplyTarget, text: str) -> PostedReply:
        self._validate()
        name = (target.raw or {}).get("name")
        if not (isinstance(name, str) and name.startswith("accounts/") and "/reviews/" in name):
            if not target.product_id:
                raise SourceError(f"{self.name}: review {target.external_id} has no location")
            name = f"{target.product_id}/reviews/{target.external_id}"
        with refusals_as_rejections("Google"):
            await self._call("PUT", f"{self.base_url}/v4/{name}/reply", json_body={"comment": text})
        return PostedReply()

    # ---------------------------------------------------------------- the wire

    async def _call(
        self,
        method: str,
        url: str,
        params: dict[str, Any] | None = None,
        json_body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        for attempt in (1, 2):
            response = await self.ctx.http.request(
                method,
                url,
                limit=self.limit,
                params=query or None,
                json_body=json_body,
                headers={"Authorization": f"Bearer {await self._access_token()}"},
            )
            if response.status == 401 and attempt == 1:
                self._token = None  # expired early or revoked: one fresh token, once
                continue
            break
        body = response.json_object()
        if body is None:
            raise SourceError(f"{self.name}: Google answered JSON that is not an object")
        raise_for_status(response, _google_error(response, body))
        return body

    async def _access_token(self) -> str:
        if self._token and time.monotonic() < self._token_until:
            return self._token
        s: GoogleBusinessSettings = self.settings
        secrets.register(s.refresh_token)
        secrets.register(s.client_secret)
        token = await request_token(
            self.ctx.http,
            s.token_url or GOOGLE_TOKEN_URI,
            {
                "client_id": s.client_id,
                "client_secret": s.client_secret,
                "refresh_token": s.refresh_token,
                "grant_type": "refresh_token",
            },
            refused="the refresh token",
            hint="check client_id, client_secret and refresh_token",
            hints={
                "invalid_grant": "the refresh token was revoked or expired (a project in "
                "'Testing' gets tokens that last 7 days): sign in again and set a new "
                "refresh_token"
            },
        )
        self._token, self._token_until = token.value, time.monotonic() + token.good_for
        return token.value


def _stars(value: Any) -> int | None:
    """`ONE`..`FIVE`; `STAR_RATING_UNSPECIFIED`, absent or unknown words: None."""
    if value in (None, "", "STAR_RATING_UNSPECIFIED"):
        return None
    if isinstance(value, str) and value in STARS:
        return STARS[value]
    return parse.rating(value, "starRating")  # a number, as some proxies send: checked


def _changed(item: Item) -> float:
    """When the review last changed: its own update, or the owner's reply."""
    times = [t for t in (item.created_at, item.updated_at, item.answered_at) if t]
    return max(t.timestamp() for t in times)


def _google_error(response: Response, body: dict[str, Any]) -> str | None:
    """`{"error": {"code", "message", "status", "details"}}` -> "STATUS: message"."""
    if response.status < 400:
        return None
    error = body.get("error")
    if not isinstance(error, dict):
        return None
    words = ": ".join(str(error[k]) for k in ("status", "message") if error.get(k))
    return words or None

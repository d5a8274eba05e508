"""eBay seller feedback through the REST Feedback API (commerce/feedback/v1, released 2025-10).

GET {base}/commerce/feedback/v1/feedback with `user_id` (the seller) and
`feedback_type=FEEDBACK_RECEIVED` (both required), `filter=role:BUYER[,period:N]` (feedback the
seller received from buyers; `period` = days to look back), `sort=TIME` (newest first) and
`limit` (25-200) / `offset` paging; `Authorization: Bearer <user access token>` with scope
`commerce.feedback.readonly` (or `commerce.feedback`). The answer is
`{feedbackEntries: [...], pagination: {count, limit, offset, total, next, prev}}`; `next` is
there only when another page exists. `sort=TIME` orders by when the buyer paid, not by when the
feedback was left, so paging never stops early on dates: each run reads every page of the
smallest period window (30 or 365 days; older: lifetime) covering `lookback_days` before the
newest feedback seen. Errors come as `{"errors": [{errorId, domain, category, message,
longMessage, parameters}]}`.

Each entry's overall rating is `commentType` POSITIVE / NEUTRAL / NEGATIVE, mapped onto 5 / 3 / 1
(the original stays in `raw`, with the detailed seller ratings in `feedbackRatings`). The
seller's reply is `replyComment.commentText`; replies carry no timestamp, so `answered_at` stays
empty. A buyer's later `followupComment` stays in `raw`.

Replying (not implemented here) is `respondToFeedback`: POST .../respond_to_feedback with
`{feedbackId, recipientUserId: providerUserDetail.userId, responseText (<= 500 chars),
responseType: "REPLY"}` and the `commerce.feedback` scope (not the read-only one); 409 with
errorId 501032 means a reply is already there, 403 with 501031 that the feedback was automated.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any, ClassVar

from repcli.clock import from_iso, to_iso
from repcli.errors import ConfigError, SourceError
from repcli.http import HostLimit, HttpError, Response, host_of, raise_for_status
from repcli.models import Item
from repcli.sources.base import Batch, HttpSettings, HttpSource
from repcli.sources.wire import parse
from repcli.sources.wire.paging import PageGuard, max_pages, row_ids

PATH = "/commerce/feedback/v1/feedback"
ITEM_URL = "https://www.ebay.com/itm/{listing_id}"
RATINGS = {"POSITIVE": 5, "NEUTRAL": 3, "NEGATIVE": 1}
REMOVED = "--"
"""What eBay puts in `commentText` when it removed a comment under its policy."""
PERIODS = (30, 365)
"""`filter=period:N` values that both lists in the docs accept (7/30/90/180/365 in the
parameter's description, 30/60/365 in error 501037's)."""
NOT_FOUND = 501039
"""'Feedback not found for the given request parameters': nothing to read, not a failure
(unconfirmed whether an empty window answers this or an empty list; both end the paging)."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class EbaySettings(HttpSettings):
    user_id: str
    """The seller's eBay username (or public user ID) whose received feedback is read."""
    access_token: str = dataclasses.field(metadata={"secret": True})
    """A user access token (authorization code grant) with scope commerce.feedback.readonly."""
    marketplace_id: str | None = None
    """Sent as X-EBAY-C-MARKETPLACE-ID (EBAY_US, EBAY_DE...); the method documents no such
    header, so leave it empty unless eBay support asks for it."""
    page_size: int = 200
    """Entries per request (`limit`): eBay allows 25-200."""
    lookback_days: int = 7
    """Re-read feedback this far before the newest seen, to pick up replies given on eBay."""


class EbaySource(HttpSource):
    type_name: ClassVar[str] = "ebay"
    platform: ClassVar[str] = "ebay"
    settings_class: ClassVar[type[Any]] = EbaySettings
    description: ClassVar[str] = "eBay seller feedback, REST Feedback API (user OAuth token)"
    default_base_url: ClassVar[str] = "https://api.ebay.com"
    # eBay publishes per-day call quotas per API (e.g. 5 000/day for many); the Feedback API's
    # own number is not on the call-limits page we could read (unconfirmed): one request a
    # second, one in flight, stays far below any daily quota a morning run can reach.
    default_limit: ClassVar[HostLimit] = HostLimit(rate=1.0, burst=2, concurrency=1)

    async def fetch(self, cursor: dict[str, Any], full: bool = False) -> AsyncIterator[Batch]:
        settings: EbaySettings = self.settings
        if not settings.access_token:
            raise ConfigError(
                f"sources: {self.name}: access_token is empty",
                "set access_token: ${EBAY_ACCESS_TOKEN} (a user token with commerce.feedback.readonly)",
            )
        if not str(settings.user_id or "").strip():
            raise ConfigError(
                f"sources: {self.name}: user_id is empty", "the seller's eBay username"
            )
        if not 25 <= settings.page_size <= 200:
            raise ConfigError(f"sources: {self.name}: page_size must be 25-200 (eBay's limits)")
        since = from_iso(cursor.get("since"))
        if full or since is None:
            start = self.now - timedelta(days=settings.full_backfill_days)
        else:
            start = since - timedelta(days=settings.lookback_days)
        newest = since
        offset = 0
        params = {
            "user_id": str(settings.user_id).strip(),
            "feedback_type": "FEEDBACK_RECEIVED",
            "filter": self._filter_param(start),
            "sort": "TIME",
            "limit": settings.page_size,
        }
        guard = PageGuard(self.name, "feedback", max_pages(self.settings, self.name), offset)
        while True:
            body = await self._get({**params, "offset": offset})
            rows = body.get("feedbackEntries")
            rows = [] if rows is None else rows
            if not isinstance(rows, list):
                raise SourceError(
                    f"{self.name}: eBay answered with feedbackEntries that is not a list"
                )
            items = self.parse_rows(rows, self._item, "review")
            if items:
                newest = max([t for t in (newest, *(i.created_at for i in items)) if t])
                # The cursor moves only at the end: a run killed half way re-reads, never skips.
                yield Batch(items, cursor)
            if not rows or not _has_next(body.get("pagination"), offset, len(rows), settings):
                break
            offset += settings.page_size
            guard.next_page(offset, row_ids(rows, "feedbackId"))
        yield Batch([], {**cursor, "since": to_iso(newest)} if newest else dict(cursor))

    def _filter_param(self, start: datetime) -> str:
        """Feedback from buyers (the seller's received feedback), limited server-side to the
        smallest documented period that covers `start`; older windows read the lifetime."""
        days = math.ceil((self.now - start).total_seconds() / 86400)
        period = next((p for p in PERIODS if days <= p), None)
        return "role:BUYER" + (f",period:{period}" if period else "")

    async def _get(self, params: dict[str, Any]) -> dict[str, Any]:
        headers = {
            "Authorization": f"Bearer {self.settings.access_token}",
            "Accept": "application/json",
        }
        if self.settings.marketplace_id:
            headers["X-EBAY-C-MARKETPLACE-ID"] = str(self.settings.marketplace_id)
        response = await self.ctx.http.request(
            "GET", self.base_url + PATH, limit=self.limit, params=params, headers=headers
        )
        body = response.json_object()
        if body is None:
            raise SourceError(f"{self.name}: eBay answered with JSON that is not an object")
        errors = _errors(body)
        if response.status == 400 and NOT_FOUND in {e.get("errorId") for e in errors}:
            return {}
        _raise(response, errors)
        return body

    def _item(self, row: Any) -> Item:
        try:
            summary = row.get("orderLineItemSummary") or {}
            listing_id = parse.text(summary.get("listingId"))
            comment = row.get("feedbackComment") or {}
            reply = row.get("replyComment") or {}
            reply_text = parse.text(reply.get("commentText"))
            if reply.get("commentTextRemovedPerPolicy") or reply_text == REMOVED:
                reply_text = None  # customers no longer see it: the feedback needs an answer again
            text = parse.text(comment.get("commentText"))
            feedback_id = parse.text(row.get("feedbackId"))
            if not feedback_id:
                raise SourceError(f"{self.name}: an eBay feedback entry without a feedbackId")
            return Item(
                source=self.name,
                platform=self.platform,
                kind="review",
                external_id=feedback_id,
                created_at=parse.parse_time(row.get("feedbackEnteredDate"), "feedbackEnteredDate"),
                text="" if text in (None, REMOVED) else text,
                rating=RATINGS.get(str(row.get("commentType") or "").upper()),
                author=parse.text((row.get("providerUserDetail") or {}).get("userId")),
                product_id=listing_id,
                product_name=parse.text(summary.get("listingTitle")),
                order_id=parse.text(summary.get("orderLineItemId")),
                url=ITEM_URL.format(listing_id=listing_id) if listing_id else None,
                answer_text=reply_text,
                answered_at=None,  # reply comments carry no date, only a period bucket
                raw=row,
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise SourceError(
                f"{self.name}: an eBay feedback entry without the expected fields ({exc!r})"
            ) from None


def _has_next(pagination: Any, offset: int, count: int, settings: EbaySettings) -> bool:
    """`pagination.next` is there only when another page exists; without a pagination object,
    a full page means there may be more."""
    if not isinstance(pagination, dict):
        return count >= settings.page_size
    total = pagination.get("total")
    if isinstance(total, int) and offset + count >= total:
        return False
    return bool(pagination.get("next"))


def _errors(body: dict[str, Any]) -> list[dict[str, Any]]:
    errors = body.get("errors")
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def _message(errors: list[dict[str, Any]]) -> str | None:
    """'errorId 1001: Invalid access token (longMessage)' for the first error."""
    if not errors:
        return None
    first = errors[0]
    message = parse.text(first.get("message")) or parse.text(first.get("longMessage"))
    long = parse.text(first.get("longMessage"))
    parts = [f"errorId {first['errorId']}" if first.get("errorId") is not None else None, message]
    text = ": ".join(p for p in parts if p)
    if long and long != message:
        text += f" ({long})"
    return text or None


def _raise(response: Response, errors: list[dict[str, Any]]) -> None:
    if response.status == 401:
        raise HttpError(
            f"{host_of(response.url)}: HTTP 401: {_message(errors) or 'unauthorized'}",
            status=401,
            hint="the eBay user access token is invalid or expired (they live about 2 hours): "
            "mint a new one from the refresh token (grant_type=refresh_token, scope "
            "https://api.ebay.com/oauth/api_scope/commerce.feedback.readonly) and update "
            "${EBAY_ACCESS_TOKEN}",
        )
    raise_for_status(response, _message(errors))

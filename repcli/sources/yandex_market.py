"""Yandex Market Partner API: reviews of the seller's goods (api.partner.market.yandex.ru).

POST /v2/businesses/{businessId}/goods-feedback with the `Api-Key` header, a filter body
(`dateTimeFrom`/`dateTimeTo`, both exclusive, at most 6 months apart) and `page_token`/`limit`
in the query; the envelope is `{status, result: {feedbacks, paging: {nextPageToken}}}` and the
token is absent on the last page. Reviews carry no reply: the seller's answer is the BUSINESS
comment from .../goods-feedback/comments, read for reviews that have comments. Each run re-reads
`answered_lookback_days` before the newest review seen. The rate-limit answer is HTTP 420.

Answers: POST .../goods-feedback/comments/update `{feedbackId, comment: {text}}` creates the
shop's comment and returns it (`result.id`, status UNMODERATED until Market's moderation passes).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from datetime import datetime, timedelta
from typing import Any, ClassVar

from repcli.clock import from_iso, to_iso
from repcli.errors import ConfigError, SourceError
from repcli.http import HostLimit, HttpError, raise_for_status
from repcli.models import Item
from repcli.sources.base import (
    Batch,
    HttpSettings,
    HttpSource,
    PostedReply,
    ReplyTarget,
    refusals_as_rejections,
)
from repcli.sources.wire import parse
from repcli.sources.wire.paging import PageGuard, max_pages, row_ids

WINDOW = timedelta(days=180)
"""The filter's dates may be at most 6 months apart; 180 days is within any 6 months."""
_COMMENTS_LIMIT = 50
"""Comments per request: the most the method allows."""
_HIDDEN_COMMENTS = frozenset({"BANNED", "DELETED"})
"""Seller comments customers do not see: a review with only these still needs an answer."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class YandexMarketSettings(HttpSettings):
    business_id: str
    """The cabinet (business) id, as in /businesses/{businessId}/ (not a campaign id)."""
    api_key: str = dataclasses.field(metadata={"secret": True})
    """An Api-Key token with the `communication` (or `all-methods[:read-only]`) scope."""
    answered_lookback_days: int = 7
    """Re-read reviews this far before the newest seen, to catch replies given in the cabinet."""
    page_size: int = 50
    """Reviews per request (`limit`): 1-50."""


class YandexMarketSource(HttpSource):
    type_name: ClassVar[str] = "yandex_market"
    platform: ClassVar[str] = "yandex_market"
    settings_class: ClassVar[type[Any]] = YandexMarketSettings
    description: ClassVar[str] = "Yandex Market Partner API goods feedback (Api-Key)"
    default_base_url: ClassVar[str] = "https://api.partner.market.yandex.ru"
    # goods-feedback and its comments: 5 000 requests/hour per cabinet each (10 000 with the
    # 'Медиум' subscription), at most 4 requests in flight per cabinet.
    default_limit: ClassVar[HostLimit] = HostLimit(rate=5000 / 3600, burst=4, concurrency=2)

    async def fetch(self, cursor: dict[str, Any], full: bool = False) -> AsyncIterator[Batch]:
        settings: YandexMarketSettings = self.settings
        if not settings.api_key:
            raise ConfigError(
                f"sources: {self.name}: api_key is empty", "set api_key: ${YANDEX_MARKET_API_KEY}"
            )
        if not str(settings.business_id).isdigit():
            raise ConfigError(
                f"sources: {self.name}: business_id must be a number, got {settings.business_id!r}",
                "the cabinet id from the seller cabinet URL or GET /v2/campaigns",
            )
        if not 1 <= settings.page_size <= 50:
            raise ConfigError(f"sources: {self.name}: page_size must be 1-50")
        since = _cursor_time(cursor.get("feedbacks_since"))
        if full or since is None:
            start = self.now - timedelta(days=settings.full_backfill_days)
        else:
            start = since - timedelta(days=settings.answered_lookback_days)
        newest = since
        for date_from, date_to in self._windows(start):
            body = {"dateTimeFrom": _rfc3339(date_from)}
            if date_to is not None:
                body["dateTimeTo"] = _rfc3339(date_to)
            pages = self._pages("goods-feedback", body, "feedbacks", settings.page_size)
            async for rows in pages:
                found = [await self._item(row) for row in rows]
                items = [item for item in found if item is not None]
                newest = max(
                    [t for t in (newest, *(i.created_at for i in items)) if t], default=None
                )
                # The cursor moves only at the end: a run killed half way re-reads, never skips.
                yield Batch(items, cursor)
        new_cursor = dict(cursor)
        if newest is not None:
            new_cursor["feedbacks_since"] = to_iso(newest)
        yield Batch([], new_cursor)

    def _windows(self, start: datetime) -> list[tuple[datetime, datetime | None]]:
        """Filter windows of at most 180 days from `start` to now (the last one open-ended).
        Both bounds are exclusive, so each window starts a second before the previous ended."""
        windows: list[tuple[datetime, datetime | None]] = []
        date_from = start
        while self.now - date_from > WINDOW:
            date_to = date_from + WINDOW
            windows.append((date_from, date_to))
            date_from = date_to - timedelta(seconds=1)
        windows.append((date_from, None))
        return windows

    async def _pages(
        self, path: str, body: dict[str, Any], key: str, limit: int
    ) -> AsyncGenerator[list[Any], None]:
        """`page_token` paging, the same `limit` on every page; stop when
        `result.paging.nextPageToken` is absent."""
        token: str | None = None
        guard = PageGuard(self.name, f"{path} {key}", max_pages(self.settings, self.name))
        while True:
            params: dict[str, Any] = {"limit": limit}
            if token:
                params["page_token"] = token
            result = await self._post(path, body, params)
            rows = result.get(key) or []
            if not isinstance(rows, list):
                raise SourceError(f"{self.name}: unexpected {key} list shape from Yandex Market")
            if rows:
                yield rows
            paging = result.get("paging") or {}
            next_token = (
                parse.text(paging.get("nextPageToken")) if isinstance(paging, dict) else None
            )
            if not next_token:
                return
            guard.next_page(next_token, row_ids(rows, "feedbackId", "id"))
            token = next_token

    async def _item(self, row: Any) -> Item | None:
        """The review with the seller's reply; None for a row that cannot be read (kept in
        `rejects`: one bad review costs only itself)."""
        item = self.parse_row(row, self._review, "review")
        if item is None:
            return None
        comments = _object(row.get("statistics")).get("commentsCount")
        if isinstance(comments, int) and comments > 0:
            reply = await self._seller_comment(row.get("feedbackId"))
            if reply is not None:
                item.answer_text = parse.text(reply.get("text"))
        return item

    def _review(self, row: Any) -> Item:
        if not isinstance(row, dict):
            raise SourceError(f"{self.name}: Yandex Market sent a review that is not an object")
        feedback_id = row.get("feedbackId")
        ids = _object(row.get("identifiers"))
        description = _object(row.get("description"))
        statistics = _object(row.get("statistics"))
        order_id = ids.get("orderId")
        try:
            if feedback_id in (None, "") or isinstance(feedback_id, bool):
                raise SourceError("no feedbackId")
            item = Item(
                source=self.name,
                platform=self.platform,
                kind="review",
                external_id=str(feedback_id),
                created_at=parse.parse_time(row.get("createdAt"), "createdAt"),
                text=parse.text(description.get("comment")) or "",
                pros=parse.text(description.get("advantages")),
                cons=parse.text(description.get("disadvantages")),
                rating=parse.rating(statistics.get("rating"), "statistics.rating"),
                product_id=parse.text(ids.get("offerId")),
                order_id=str(order_id) if order_id not in (None, "") else None,
                author=parse.text(row.get("author")),
                raw=row,
            )
        except SourceError as exc:
            raise SourceError(
                f"{self.name}: a review Yandex Market sent is unreadable: {exc}"
            ) from None
        return item

    async def _seller_comment(self, feedback_id: Any) -> dict[str, Any] | None:
        """The seller's reply: the first BUSINESS comment on the review itself (no `parentId`).
        Comments have no date, so `answered_at` stays empty."""
        body = {"feedbackId": feedback_id}
        pages = self._pages("goods-feedback/comments", body, "comments", _COMMENTS_LIMIT)
        async with aclosing(pages):  # the first match ends the paging
            async for rows in pages:
                for comment in rows:
                    if not isinstance(comment, dict) or comment.get("parentId") is not None:
                        continue
                    if _object(comment.get("author")).get("type") != "BUSINESS":
                        continue
                    if comment.get("status") in _HIDDEN_COMMENTS:
                        continue
                    if parse.text(comment.get("text")):
                        return comment
        return None

    can_reply = True

    async def post_reply(self, target: ReplyTarget, text: str) -> PostedReply:
        feedback_id = target.external_id
        body = {
            "feedbackId": int(feedback_id) if feedback_id.isdigit() else feedback_id,
            "comment": {"text": text},
        }
        with refusals_as_rejections("Yandex Market"):
            result = await self._post("goods-feedback/comments/update", body, {})
        return PostedReply(external_id=str(result["id"]) if result.get("id") else None)

    async def _post(
        self, path: str, body: dict[str, Any], params: dict[str, Any]
    ) -> dict[str, Any]:
        url = f"{self.base_url}/v2/businesses/{self.settings.business_id}/{path}"
        response = await self.ctx.http.request(
            "POST",
            url,
            limit=self.limit,
            idempotent=path in ("goods-feedback", "goods-feedback/comments"),  # the lists
            params=params,
            json_body=body,
            headers={"Api-Key": self.settings.api_key},
        )
        data = response.json_object()
        raise_for_status(response, _error_message(data))
        if data is None or data.get("status", "OK") != "OK":
            detail = _error_message(data) or "expected {status: OK, result: {...}}"
            raise HttpError(f"Yandex Market: {detail}", status=response.status)
        result = data.get("result")
        if not isinstance(result, dict):
            raise HttpError(f"Yandex Market {path}: the response has no result", response.status)
        return result


def _error_message(body: dict[str, Any] | None) -> str | None:
    """`{"status": "ERROR", "errors": [{"code", "message"}]}`, every error named."""
    errors = (body or {}).get("errors")
    if not isinstance(errors, list):
        return None
    parts = [
        ": ".join(str(e[k]) for k in ("code", "message") if e.get(k))
        for e in errors
        if isinstance(e, dict)
    ]
    return "; ".join(p for p in parts if p) or None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _rfc3339(value: datetime) -> str:
    return value.replace(microsecond=0).isoformat()


def _cursor_time(value: Any) -> datetime | None:
    try:
        return from_iso(value) if isinstance(value, str) else None
    except ValueError:
        return None

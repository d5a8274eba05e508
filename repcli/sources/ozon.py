"""Ozon Seller API: customers' reviews and questions (api-seller.ozon.ru).

Every method is a POST with a JSON body and the `Client-Id` + `Api-Key` headers. Reviews come
from /v2/review/list (`last_id` cursor until `has_next` is false, `filters.published_from`); the
list has counts only, so the seller's reply is read from /v1/review/comment/list (the `is_owner`
comment) for reviews that have comments. Questions come from /v1/question/list
(`filter.date_from`, stop on `has_next: false` or an empty `last_id`) and their answers from
/v1/question/answer/list. Each run re-reads `answered_lookback_days` before the newest item it
has seen, so a reply given in the seller portal closes ours.

Answers: /v1/review/comment/create `{review_id, text, mark_review_as_processed}` returns
`{comment_id}`; /v1/question/answer/create `{question_id, sku, text}` (2-3000 characters)
returns `{answer_id}`. Both come back on the next fetch as the seller's comment or answer.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
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

log = logging.getLogger(__name__)

PRODUCT_URL = "https://www.ozon.ru/product/{sku}/"
"""The product page: the same pattern as `product_url` in the question methods."""
_COMMENTS_LIMIT = 100
"""/v1/review/comment/list takes 20..100 per page."""
_HIDDEN_ANSWERS = frozenset({"MODERATION_FAILED", "DUPLICATE"})
"""Answers to questions that customers never see: they do not count as answered."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class OzonSettings(HttpSettings):
    client_id: str = dataclasses.field(metadata={"secret": True})
    """The seller's Client-Id (Seller settings -> API keys)."""
    api_key: str = dataclasses.field(metadata={"secret": True})
    """An Api-Key with access to reviews (and questions); reviews need the 'Управление
    отзывами' or Premium Pro subscription, questions need Premium Plus."""
    questions: bool = True
    """Also fetch customers' questions."""
    seller_name: str | None = None
    """Your store's name as Ozon shows it on your answers. Other customers may answer questions
    too: when set, only answers by this name count as yours; when empty, any answer does."""
    review_media: bool = False
    """Read /v2/review/info for reviews with photos or videos, so `raw` holds their URLs
    (one more request per such review)."""
    answered_lookback_days: int = 7
    """Re-read items this far before the newest seen, to catch replies given in the portal."""
    page_size: int = 100
    """Items per request (`limit`): 20-100."""


class OzonSource(HttpSource):
    type_name: ClassVar[str] = "ozon"
    platform: ClassVar[str] = "ozon"
    settings_class: ClassVar[type[Any]] = OzonSettings
    description: ClassVar[str] = "Ozon Seller API reviews and questions (Client-Id + Api-Key)"
    default_base_url: ClassVar[str] = "https://api-seller.ozon.ru"
    # Ozon documents 50 requests/s per Client-Id shared by all of a seller's integrations, plus
    # unpublished per-method limits (429, code 8): repcli takes a tenth of that.
    default_limit: ClassVar[HostLimit] = HostLimit(rate=5.0, burst=5, concurrency=2)

    async def fetch(self, cursor: dict[str, Any], full: bool = False) -> AsyncIterator[Batch]:
        settings: OzonSettings = self.settings
        for key in ("client_id", "api_key"):
            if not getattr(settings, key):
                raise ConfigError(
                    f"sources: {self.name}: {key} is empty",
                    f"set {key}: ${{OZON_{key.upper()}}}",
                )
        if not 20 <= settings.page_size <= 100:
            raise ConfigError(f"sources: {self.name}: page_size must be 20-100")
        new_cursor = dict(cursor)
        lists = [("reviews", self._reviews)]
        if settings.questions:
            lists.append(("questions", self._questions))
        for key, pages in lists:
            since = _cursor_time(cursor.get(f"{key}_since"))
            newest = since
            async for items in pages(self._start(since, full)):
                newest = max([t for t in (newest, *(i.created_at for i in items)) if t])
                # The cursor moves only at the end: a run killed half way re-reads, never skips.
                yield Batch(items, cursor)
            if newest is not None:
                new_cursor[f"{key}_since"] = to_iso(newest)
        yield Batch([], new_cursor)

    def _start(self, since: datetime | None, full: bool) -> datetime | None:
        """Where a list starts: everything on --full, the backfill on a first run, else the
        cursor minus the lookback."""
        if full:
            return None
        if since is None:
            return self.now - timedelta(days=self.settings.full_backfill_days)
        return since - timedelta(days=self.settings.answered_lookback_days)

    async def _reviews(self, start: datetime | None) -> AsyncIterator[list[Item]]:
        filters: dict[str, Any] = {"status": "ALL", "order_status": "ALL"}
        if start is not None:
            filters["published_from"] = _rfc3339(start)
        body = {"limit": self.settings.page_size, "sort_dir": "ASC", "filters": filters}
        async for rows in self._cursor_pages("/v2/review/list", body, "reviews"):
            items = [await self._review(row) for row in rows]
            yield [item for item in items if item is not None]

    async def _questions(self, start: datetime | None) -> AsyncIterator[list[Item]]:
        filter_: dict[str, Any] = {"status": "ALL"}
        if start is not None:
            filter_["date_from"] = _rfc3339(start)
        body = {"limit": self.settings.page_size, "sort_dir": "ASC", "filter": filter_}
        async for rows in self._cursor_pages("/v1/question/list", body, "questions"):
            items = [await self._question(row) for row in rows]
            yield [item for item in items if item is not None]

    async def _cursor_pages(
        self, path: str, body: dict[str, Any], key: str
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """`last_id` paging: stop when `has_next` is false or `last_id` comes back empty. A
        response without `has_next` (older ones, or false left out) goes on while pages come."""
        last_id = ""
        guard = PageGuard(self.name, f"{key} ({path})", max_pages(self.settings, self.name), "")
        while True:
            data = await self._post(path, {**body, "last_id": last_id})
            rows = _rows(data, key, self.name)
            if rows:
                yield rows
            next_id = parse.text(data.get("last_id")) or ""
            has_next = data["has_next"] if "has_next" in data else bool(rows)
            if not has_next or not next_id:
                return
            guard.next_page(next_id, row_ids(rows))
            last_id = next_id

    async def _review(self, row: Any) -> Item | None:
        """The review with the seller's reply; None for a row that cannot be read (kept in
        `rejects`: one bad review costs only itself)."""
        item = self.parse_row(row, lambda r: self._item(r, "review"), "review")
        if item is None:
            return None
        if _count(row.get("comments_amount")) > 0:
            reply = await self._seller_comment(item.external_id)
            if reply is not None:
                item.answer_text = parse.text(reply.get("text"))
                item.answered_at = self._answer_time(reply, item.external_id)
        has_media = _count(row.get("photos_amount")) + _count(row.get("videos_amount")) > 0
        if self.settings.review_media and has_media:
            info = await self._post("/v2/review/info", {"review_id": item.external_id})
            if info.get("id") == item.external_id:
                item.raw = info
        return item

    async def _seller_comment(self, review_id: str) -> dict[str, Any] | None:
        """The seller's reply: the first own top-level comment (else the first own reply in a
        thread). Ozon returns only comments that passed moderation."""
        comments: list[dict[str, Any]] = []
        offset = 0
        what = f"comments of review {review_id}"
        guard = PageGuard(self.name, what, max_pages(self.settings, self.name), offset)
        while True:
            body = {
                "review_id": review_id,
                "limit": _COMMENTS_LIMIT,
                "offset": offset,
                "sort_dir": "ASC",
            }
            page = _rows(await self._post("/v1/review/comment/list", body), "comments", self.name)
            comments += page
            if len(page) < _COMMENTS_LIMIT:
                break
            offset += len(page)
            guard.next_page(offset, row_ids(page))
        own = [c for c in comments if c.get("is_owner") and not c.get("is_rejected")]
        top = [c for c in own if not c.get("parent_comment_id")]
        return (top or own)[0] if own else None

    async def _question(self, row: Any) -> Item | None:
        item = self.parse_row(row, lambda r: self._item(r, "question"), "question", "q:")
        if item is None:
            return None
        if _count(row.get("answers_count")) > 0:
            question_id = item.external_id.removeprefix("q:")
            try:
                answer = await self._seller_answer(question_id, row.get("sku"))
            except _NoSku as exc:  # the question is stored; its answers cannot be asked for
                log.warning("%s: %s; its answers were not read", self.name, exc)
                answer = None
            if answer is not None:
                item.answer_text = parse.text(answer.get("text"))
                item.answered_at = self._answer_time(answer, item.external_id)
        return item

    def _answer_time(self, answer: dict[str, Any], external_id: str) -> datetime | None:
        """When the seller's comment or answer was published; None (and a warning) when its
        date cannot be read: the item and the answer's text are still stored."""
        try:
            return parse.optional_time(answer.get("published_at"), "published_at")
        except SourceError as exc:
            log.warning(
                "%s: the answer to %s has no readable date (%s)", self.name, external_id, exc
            )
            return None

    async def _seller_answer(self, question_id: str, sku: Any) -> dict[str, Any] | None:
        try:
            sku_number = int(sku)
        except (TypeError, ValueError, OverflowError):
            raise _NoSku(f"question {question_id} has no valid sku ({sku!r})") from None
        answers: list[dict[str, Any]] = []
        last_id = ""
        what = f"answers to question {question_id}"
        guard = PageGuard(self.name, what, max_pages(self.settings, self.name), last_id)
        while True:
            body = {"question_id": question_id, "sku": sku_number, "last_id": last_id}
            data = await self._post("/v1/question/answer/list", body)
            answers += _rows(data, "answers", self.name)
            next_id = parse.text(data.get("last_id")) or ""
            if not next_id or next_id == last_id:
                break
            guard.next_page(next_id, row_ids(_rows(data, "answers", self.name)))
            last_id = next_id
        seller = parse.text(self.settings.seller_name)
        for answer in answers:
            if answer.get("status_publication") in _HIDDEN_ANSWERS or not answer.get("text"):
                continue
            if seller is None or parse.text(answer.get("author_name")) == seller:
                return answer
        return None

    def _item(self, row: Any, kind: str) -> Item:
        if not isinstance(row, dict):
            raise SourceError(f"{self.name}: Ozon sent a {kind} that is not an object: {row!r}")
        try:
            item_id = parse.text(row.get("id"))
            if item_id is None:
                raise SourceError(f"{self.name}: a {kind} without an id")
            sku = parse.text(row.get("sku"))
            if kind == "review":
                return Item(
                    source=self.name,
                    platform=self.platform,
                    kind="review",
                    external_id=item_id,
                    created_at=parse.parse_time(row.get("published_at"), "published_at"),
                    text=parse.text(row.get("text")) or "",
                    rating=parse.rating(row.get("rating"), "rating"),
                    product_id=sku,
                    url=PRODUCT_URL.format(sku=sku) if sku else None,
                    raw=row,
                )
            return Item(
                source=self.name,
                platform=self.platform,
                kind="question",
                external_id=f"q:{item_id}",
                created_at=parse.parse_time(row.get("published_at"), "published_at"),
                text=parse.text(row.get("text")) or "",
                product_id=sku,
                author=parse.text(row.get("author_name")),
                url=parse.text(row.get("question_link"))
                or parse.text(row.get("product_url"))
                or (PRODUCT_URL.format(sku=sku) if sku else None),
                raw=row,
            )
        except SourceError as exc:
            raise SourceError(f"{self.name}: a {kind} Ozon sent is unreadable: {exc}") from None

    can_reply = True

    async def post_reply(self, target: ReplyTarget, text: str) -> PostedReply:
        if target.kind == "question":
            sku = str((target.raw or {}).get("sku") or target.product_id or "")
            path, key = "/v1/question/answer/create", "answer_id"
            body: dict[str, Any] = {
                "question_id": target.external_id.removeprefix("q:"),
                "sku": int(sku) if sku.isdigit() else sku,  # int64 in Ozon's schema
                "text": text,
            }
        else:
            path, key = "/v1/review/comment/create", "comment_id"
            body = {
                "review_id": target.external_id,
                "text": text,
                "mark_review_as_processed": True,
            }
        with refusals_as_rejections("Ozon"):
            data = await self._post(path, body)
        answer_id = data.get(key)
        return PostedReply(external_id=str(answer_id) if answer_id else None)

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.ctx.http.request(
            "POST",
            self.base_url + path,
            limit=self.limit,
            idempotent=path.endswith(("/list", "/info")),  # reads; a .../create publishes
            json_body=body,
            headers={"Client-Id": self.settings.client_id, "Api-Key": self.settings.api_key},
        )
        data = response.json_object()
        raise_for_status(response, _error_message(data))
        if data is None:
            raise HttpError(f"Ozon {path}: expected a JSON object", status=response.status)
        return data


class _NoSku(Exception):
    """A question whose `sku` is no number: its answers cannot be listed."""


def _error_message(body: dict[str, Any] | None) -> str | None:
    """Ozon's error body `{code, message, details}` (code is a gRPC status: 16, 7, 8...)."""
    if not body or not body.get("message"):
        return None
    code = body.get("code")
    return f"{body['message']} (code {code})" if code not in (None, "") else str(body["message"])


def _rows(data: dict[str, Any], key: str, source: str) -> list[dict[str, Any]]:
    rows = data.get(key) or []
    if not isinstance(rows, list):
        raise SourceError(f"{source}: unexpected {key} list shape from Ozon")
    return rows


def _count(value: Any) -> int:
    """Counters are ints in lists but strings in some methods (`answers_count: "1"`)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _rfc3339(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _cursor_time(value: Any) -> datetime | None:
    try:
        return from_iso(value) if isinstance(value, str) else None
    except ValueError:
        return None

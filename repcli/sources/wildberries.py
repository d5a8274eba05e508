"""Wildberries seller Feedbacks and Questions API (feedbacks-api.wildberries.ru).

GET /api/v1/feedbacks and /api/v1/questions with `isAnswered`, `take`/`skip`, `order` and
`dateFrom`/`dateTo` (unix seconds); the token goes bare in `Authorization`. Every run reads all
unanswered items (so an answer given in the seller portal closes ours) and the answered ones
posted since the cursor, minus `answered_lookback_days` to catch late answers.

Answers: POST /api/v1/feedbacks/answer `{"id", "text"}` (204 No Content; text 2-5000
characters) for a feedback, and PATCH /api/v1/questions `{"id", "answer": {"text"}, "state":
"wbRu"}` for a question (200 with the usual `{"data", "error", "errorText"}` envelope). The answer
shows up in the feedback's `answer` on the next fetch.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, ClassVar

from repcli.errors import ConfigError, SourceError
from repcli.http import HostLimit, HttpError, raise_for_status
from repcli.models import Item, Kind
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

PRODUCT_URL = "https://www.wildberries.ru/catalog/{nm_id}/detail.aspx"
_LISTS: tuple[tuple[str, Kind], ...] = (("feedbacks", "review"), ("questions", "question"))


@dataclasses.dataclass(frozen=True, kw_only=True)
class WildberriesSettings(HttpSettings):
    token: str = dataclasses.field(metadata={"secret": True})
    """The seller API token with the 'Вопросы и отзывы' (feedbacks and questions) scope."""
    questions: bool = True
    """Also fetch customers' questions."""
    answered_lookback_days: int = 30
    """Re-read answered items this far back, to see answers given in the seller portal."""
    page_size: int = 1000
    """Items per request (`take`); the API allows up to 5000 (feedbacks) and 10000 (questions)."""


class WildberriesSource(HttpSource):
    type_name: ClassVar[str] = "wildberries"
    platform: ClassVar[str] = "wildberries"
    settings_class: ClassVar[type[Any]] = WildberriesSettings
    description: ClassVar[str] = "Wildberries seller feedbacks and questions API (token)"
    default_base_url: ClassVar[str] = "https://feedbacks-api.wildberries.ru"
    # All feedback and question methods share one limit per seller: 3 requests/s, burst 6.
    default_limit: ClassVar[HostLimit] = HostLimit(rate=3.0, burst=6, concurrency=1)

    async def fetch(self, cursor: dict[str, Any], full: bool = False) -> AsyncIterator[Batch]:
        if not self.settings.token:
            raise ConfigError(f"sources: {self.name}: token is empty", "set token: ${WB_TOKEN}")
        if not 1 <= self.settings.page_size <= 5000:
            raise ConfigError(f"sources: {self.name}: page_size must be 1-5000")
        take = self.settings.page_size
        new_cursor = dict(cursor)
        for key, kind in _LISTS:
            if kind == "question" and not self.settings.questions:
                continue
            since = cursor.get(f"{key}_since")
            if full or since is None:
                date_from = int(
                    (self.now - timedelta(days=self.settings.full_backfill_days)).timestamp()
                )
            else:
                lookback = timedelta(days=self.settings.answered_lookback_days)
                date_from = int(since - lookback.total_seconds())
            newest = since or 0
            for answered in (False, True):
                params: dict[str, Any] = {"isAnswered": str(answered).lower(), "order": "dateDesc"}
                if answered:
                    params["dateFrom"] = date_from
                async for items in self._pages(key, kind, take, params):
                    newest = max([newest, *(int(i.created_at.timestamp()) for i in items)])
                    # The cursor moves only at the end: a run killed half way re-reads, never skips.
                    yield Batch(items, cursor)
            new_cursor[f"{key}_since"] = newest
        yield Batch([], new_cursor)

    can_reply = True

    async def post_reply(self, target: ReplyTarget, text: str) -> PostedReply:
        if target.kind == "question":
            method, path = "PATCH", "/api/v1/questions"
            body: dict[str, Any] = {
                "id": target.external_id.removeprefix("q:"),
                "answer": {"text": text},
                "state": "wbRu",
            }
        else:
            method, path = "POST", "/api/v1/feedbacks/answer"
            body = {"id": target.external_id, "text": text}
        with refusals_as_rejections("Wildberries"):
            await self._send(method, path, json_body=body)
        return PostedReply()

    async def _pages(
        self, key: str, kind: Kind, take: int, params: dict[str, Any]
    ) -> AsyncIterator[list[Item]]:
        skip = 0
        what = f"{key} (isAnswered={params['isAnswered']})"
        guard = PageGuard(self.name, what, max_pages(self.settings, self.name), start=skip)
        while True:
            data = await self._get(f"/api/v1/{key}", {**params, "take": take, "skip": skip})
            rows = (data.get("data") or {}).get(key) or []
            if not isinstance(rows, list):
                raise SourceError(f"{self.name}: unexpected {key} list shape from Wildberries")
            if rows:
                prefix = "q:" if kind == "question" else ""
                yield self.parse_rows(rows, lambda row: self._item(row, kind), kind, prefix)
            if len(rows) < take:
                return
            skip += take
            guard.next_page(skip, row_ids(rows))

    async def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send("GET", path, params=params)

    async def _send(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        json_body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        response = await self.ctx.http.request(
            method,
            self.base_url + path,
            limit=self.limit,
            params=params,
            json_body=json_body,
            headers={"Authorization": self.settings.token},
        )
        body = response.json_object() or {}
        raise_for_status(response, _error_message(body))
        if body.get("error"):  # a method error can come with HTTP 200
            raise HttpError(f"Wildberries: {_error_message(body)}", status=response.status)
        return body

    def _item(self, row: dict[str, Any], kind: Kind) -> Item:
        try:
            product = row.get("productDetails") or {}
            nm_id = product.get("nmId")
            answer = row.get("answer") or {}
            return Item(
                source=self.name,
                platform=self.platform,
                kind=kind,
                external_id=str(row["id"]) if kind == "review" else f"q:{row['id']}",
                created_at=parse.parse_time(row["createdDate"], "createdDate"),
                text=parse.text(row.get("text")) or "",
                pros=parse.text(row.get("pros")),
                cons=parse.text(row.get("cons")),
                rating=parse.rating(row.get("productValuation"), "productValuation")
                if kind == "review"
                else None,
                product_id=str(nm_id) if nm_id is not None else None,
                product_name=parse.text(product.get("productName")),
                author=parse.text(row.get("userName")),
                url=PRODUCT_URL.format(nm_id=nm_id) if nm_id else None,
                answer_text=parse.text(answer.get("text")),
                answered_at=parse.optional_time(answer.get("createDate"), "answer.createDate"),
                raw=row,
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise SourceError(
                f"{self.name}: a {kind} without the expected fields ({exc!r})"
            ) from None


def _error_message(body: dict[str, Any]) -> str | None:
    """Both Wildberries error shapes: method errors (errorText) and gateway errors (title/detail)."""
    if body.get("errorText"):
        return str(body["errorText"])
    if body.get("title") or body.get("detail"):
        return ": ".join(str(body[k]) for k in ("title", "detail") if body.get(k))
    return None

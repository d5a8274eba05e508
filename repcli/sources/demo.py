"""The `demo` source type: a realistic offline data set shipped with repcli.

Each dataset mimics one platform's shape (marketplace reviews with pros/cons, app-store reviews,
questions, unrated social comments) in Russian, Ukrainian and English. Times are relative to the
demo's first run (its *anchor*, kept in the source's cursor), so the demo always looks current:
items with a negative age and customers' edits appear on later runs, as they would in real life.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any, ClassVar, Literal, get_args

from repcli.clock import from_iso, to_iso
from repcli.errors import ReplyRejected, SourceError
from repcli.models import Item
from repcli.sources.base import Batch, PostedReply, ReplyTarget, Source

Dataset = Literal[
    "wildberries",
    "ozon",
    "yandex_market",
    "app_store",
    "google_play",
    "vk",
    "telegram",
    "facebook",
]
DATASETS: tuple[str, ...] = get_args(Dataset)
_URLS = {
    "wildberries": "https://www.wildberries.ru/catalog/{product}/detail.aspx",
    "ozon": "https://www.ozon.ru/product/{product}/",
    "yandex_market": "https://market.yandex.ru/product/{product}",
    "app_store": "https://apps.apple.com/app/id1600000000",
    "google_play": "https://play.google.com/store/apps/details?id=shop.demo.app",
    "vk": "https://vk.com/wall-200000000",
    "telegram": "https://t.me/demo_shop_chat",
    "facebook": "https://www.facebook.com/demo.shop.page",
}


@dataclasses.dataclass(frozen=True)
class DemoSettings:
    dataset: Dataset = "wildberries"
    """Which platform's demo data to serve."""


@cache
def load_dataset(name: str) -> dict[str, Any]:
    ref = resources.files("repcli.sources").joinpath(f"demo_data/{name}.json")
    data: dict[str, Any] = json.loads(ref.read_text(encoding="utf-8"))
    return data


class DemoSource(Source):
    type_name: ClassVar[str] = "demo"
    platform: ClassVar[str] = "demo"
    settings_class: ClassVar[type[Any]] = DemoSettings
    description: ClassVar[str] = "bundled offline demo data (no network, no tokens)"
    can_reply = True
    max_answer = 1000

    async def post_reply(self, target: ReplyTarget, text: str) -> PostedReply:
        """The demo platform accepts answers of up to 1000 characters; nothing leaves this
        machine (the demo's items don't change: its next fetch shows no answer)."""
        if len(text) > self.max_answer:
            raise ReplyRejected(
                f"demo: the answer has {len(text)} characters, the platform takes at most "
                f"{self.max_answer}",
                "shorten the draft: `repcli reply ID --edit`",
            )
        return PostedReply(external_id=f"demo-answer-{target.external_id}")

    async def fetch(self, cursor: dict[str, Any], full: bool = False) -> AsyncIterator[Batch]:
        anchor = from_iso(cursor.get("anchor")) or self.now
        dataset: str = self.settings.dataset
        try:
            data = load_dataset(dataset)
        except (OSError, ValueError) as exc:
            raise SourceError(f"demo dataset {dataset!r} cannot be read: {exc}") from None
        items = [
            item for raw in data["items"] if (item := self._item(raw, dataset, anchor)) is not None
        ]
        yield Batch(items=items, cursor={"anchor": to_iso(anchor)})

    def _item(self, raw: dict[str, Any], dataset: str, anchor: datetime) -> Item | None:
        created = anchor - timedelta(hours=raw["age_hours"])
        if created > self.now:
            return None  # not posted yet
        rating, text, updated = raw["rating"], raw["text"], None
        for edit in raw.get("edits") or []:
            edited_at = anchor + timedelta(hours=edit["after_hours"])
            if edited_at > self.now:
                break
            rating = edit["rating"] if edit.get("rating") is not None else rating
            text = edit["text"] if edit.get("text") is not None else text
            updated = edited_at
        answer_text = answered_at = None
        if raw.get("answer"):
            answered = anchor - timedelta(hours=raw["answer"]["age_hours"])
            if answered <= self.now:
                answer_text, answered_at = raw["answer"]["text"], answered
        product = raw.get("product_id")
        return Item(
            source=self.name,
            platform=dataset,
            kind=raw["kind"],
            external_id=raw["id"],
            created_at=created,
            updated_at=updated,
            text=text or "",
            url=_URLS[dataset].format(product=product or ""),
            product_id=product,
            product_name=raw.get("product_name"),
            author=raw.get("author"),
            rating=rating,
            title=raw.get("title"),
            pros=raw.get("pros"),
            cons=raw.get("cons"),
            answer_text=answer_text,
            answered_at=answered_at,
            order_id=raw.get("order_id"),
            lang=raw.get("lang"),
        )

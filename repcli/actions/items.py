"""What the item listings share (queue, list, search, export, draft): the columns of an item
row and the checked store filter of their options."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from repcli.config.model import Config
    from repcli.store import ItemFilter

ITEM_COLUMNS = (
    "id", "source", "platform", "kind", "external_id", "created_at", "rating", "negative",
    "sentiment", "sentiment_score", "reasons", "topics", "lang", "product_id", "product_name",
    "author", "order_id", "title", "text", "pros", "cons", "answer_text", "answered_at",
    "status", "needs_reply", "due_at", "url",
)  # fmt: skip
"""An item row's columns in the stable order of exports (csv, jsonl, md): new columns are only
ever appended."""


def item_filter(
    config: Config,
    now: datetime,
    sources: Sequence[str] = (),
    since: str | None = None,
    limit: int = 0,
    negative: bool = False,
    kinds: Sequence[str] = (),
) -> ItemFilter:
    """The store filter of --source, --since, --limit (0: all), --negative and --kind, checked:
    an unknown source is a NotFoundError, an unknown kind a UsageError, not an empty list."""
    from repcli.errors import UsageError
    from repcli.models import KINDS
    from repcli.store import ItemFilter
    from repcli.timespec import parse_since

    for name in sources:
        config.source(name)  # unknown source names are an error, not an empty list
    for kind in kinds:
        if kind not in KINDS:
            raise UsageError(f"--kind {kind!r} is unknown", f"use one of: {', '.join(KINDS)}")
    return ItemFilter(
        sources=tuple(sources),
        since=parse_since(since, now) if since else None,
        negative=True if negative else None,
        kinds=tuple(kinds),
        limit=limit,
    )

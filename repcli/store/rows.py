"""The rows the store returns, by field: one TypedDict per query shape, so `mypy --strict`
checks every `row["field"]` a caller reads (a misspelt field is a type error, not a KeyError at
run time).

Each class lists exactly the columns its query selects (see the method named in its
docstring); the types are what SQLite hands back after the store's decoding (`reads.item_row`:
JSON lists decoded, flags as bools). Times are ISO text; `None` where the column may be NULL.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

# ----------------------------------------------------------------- items


class ItemRow(TypedDict):
    """A stored item (`reads.ITEM_FIELDS`): `list_items`, `get_item`, `queue`, `search`..."""

    id: int
    source: str
    platform: str
    kind: str
    external_id: str
    created_at: str
    updated_at: str | None
    rating: int | None
    sentiment: str | None
    sentiment_score: float | None
    negative: bool
    reasons: list[str]
    topics: list[str]
    lang: str | None
    product_id: str | None
    product_name: str | None
    author: str | None
    order_id: str | None
    title: str | None
    text: str | None
    pros: str | None
    cons: str | None
    answer_text: str | None
    answered_at: str | None
    needs_reply: bool
    status: str
    assignee: str | None
    due_at: str | None
    first_seen_at: str | None
    last_seen_at: str | None
    flagged_at: str | None
    url: str | None
    verified_buyer: bool | None


class ChangedItemRow(ItemRow):
    """`changed_items`: an item whose rating or text changed, with its rating before."""

    previous_rating: int | None


class VersionRow(TypedDict):
    """`versions`: what an item said before an edit."""

    rating: int | None
    title: str | None
    text: str | None
    pros: str | None
    cons: str | None
    seen_from: str | None
    replaced_at: str


class SignalRow(TypedDict):
    """What cross-item signals read of an item (`signal_window`'s lighter reads)."""

    id: int
    source: str
    platform: str
    product_id: str | None
    product_name: str | None
    author: str | None
    rating: int | None
    negative: bool
    topics: list[str]
    created_at: str


class SignalTextRow(SignalRow):
    """`recent_for_signals`, and the signal window's reads for near-duplicates: with the
    text."""

    text: str | None


# ----------------------------------------------------------------- replies and history


class ItemReplyRow(TypedDict):
    """`replies`: an item's replies, as `show` lists them."""

    id: int
    text: str
    author: str | None
    status: str
    created_at: str
    posted_at: str | None
    platform_error: str | None


class ReplyRow(TypedDict):
    """`reply`, `open_reply`, `posted_reply`: a whole `replies` row."""

    id: int
    item_id: int
    text: str
    author: str | None
    status: str
    created_at: str
    approved_at: str | None
    posted_at: str | None
    platform_error: str | None
    external_id: str | None
    template: str | None
    updated_at: str | None
    attempts: int


class ReplyListRow(TypedDict):
    """`list_replies`: a reply with its item's source, platform, rating and author."""

    id: int
    item_id: int
    source: str
    platform: str
    rating: int | None
    author: str | None
    """The item's author (the customer)."""
    status: str
    template: str | None
    text: str
    drafted_by: str | None
    created_at: str
    approved_at: str | None
    posted_at: str | None
    attempts: int
    platform_error: str | None


class EventRow(TypedDict):
    """`history`: one event of an item's history."""

    at: str
    actor: str | None
    action: str
    detail: str | None


# ----------------------------------------------------------------- alerts


class AlertStateRow(TypedDict):
    """`alert_states`: where one alert stands."""

    key: str
    status: str
    attempts: int


class AlertRow(TypedDict):
    """`alert_log`: one (rule, key, destination) of the alert log."""

    id: int
    rule: str
    key: str
    item_id: int | None
    destination: str
    status: str
    sent_at: str | None
    attempts: int
    error: str | None


# ----------------------------------------------------------------- orders


class OrderRow(TypedDict):
    """A whole `orders` row: `orders_by_order_id`, `orders_for_product`, `order_for_item`,
    `uninvited`."""

    id: int
    order_id: str
    customer: str | None
    email: str | None
    phone: str | None
    product_id: str
    """'' when the export did not say."""
    product_name: str | None
    ordered_at: str | None
    delivered_at: str | None
    platform: str | None
    imported_at: str
    raw: NotRequired[str | None]
    """The export's row as JSON; the order commands drop it before showing an order."""


class OrderListRow(OrderRow):
    """`list_orders`: an order with the ids of the reviews linked to it."""

    review_ids: str | None
    """Comma-separated item ids (SQLite's group_concat), None when none."""


class UnlinkedReviewRow(TypedDict):
    """`unlinked_reviews`: a review not yet linked to an order."""

    id: int
    order_id: str | None
    author: str | None
    product_id: str | None
    created_at: str


# ----------------------------------------------------------------- status and report


class SourceStatusRow(TypedDict):
    """`source_status`: a source's cursor, last run and counts."""

    source: str
    cursor_updated_at: str | None
    last_success_at: str | None
    consecutive_failures: int
    last_error: str | None
    last_run_at: str | None
    last_run_status: str | None
    last_fetched: int | None
    last_new: int | None
    last_changed: int | None
    items: int
    negative_items: int
    open_items: int
    newest_item_at: str | None
    last_rejected: int | None
    rejects: int


# The report's aggregates (`stats.py`: `period_counts`, `product_ratings`) are still plain dicts.


# ----------------------------------------------------------------- exports


ExportRow = dict[str, Any]
"""`export_rows`, and `export_changes` of replies, versions or events: the columns of
`exports.EXPORT_COLUMNS[what]`, which differ by `what`. Exports write them by column name
(the columns are data), so these stay plain dicts."""

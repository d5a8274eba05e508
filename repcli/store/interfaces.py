"""The store's public interface, one small Protocol per area: what each method takes and the
rows (`rows.py`) it returns. `Store` satisfies every one of them (tests/test_store_interfaces.py
checks that with mypy, and that each public method of `Store` is declared in exactly one).

Code that needs one area only can say so: `def collect(store: AlertLog) -> ...` takes any
object with the alert log's methods (a test double, or another engine's store).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from repcli.models import Item, Reject
    from repcli.store.exports import ExportBatch
    from repcli.store.reads import ItemFilter
    from repcli.store.rows import (
        AlertRow,
        AlertStateRow,
        ChangedItemRow,
        EventRow,
        ItemReplyRow,
        ItemRow,
        OrderListRow,
        OrderRow,
        ReplyListRow,
        ReplyRow,
        SignalTextRow,
        SourceStatusRow,
        UnlinkedReviewRow,
        VersionRow,
    )
    from repcli.store.signal_window import SignalWindow
    from repcli.store.writes import Analysis, UpsertResult


@runtime_checkable
class Transactions(Protocol):
    """The connection: write transactions, and closing."""

    def transaction(self) -> AbstractContextManager[None]: ...
    def begin(self) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def close(self) -> None: ...


@runtime_checkable
class ItemReads(Protocol):
    """Items as the listings read them (`reads.py`)."""

    def list_items(self, flt: ItemFilter) -> list[ItemRow]: ...
    def get_item(self, item_id: int) -> ItemRow | None: ...
    def get_items(self, ids: Sequence[int]) -> list[ItemRow]: ...
    def item_raw(self, item_id: int) -> str | None: ...
    def versions(self, item_id: int) -> list[VersionRow]: ...
    def replies(self, item_id: int) -> list[ItemReplyRow]: ...
    def changed_items(
        self, since: datetime, sources: Sequence[str] = ()
    ) -> list[ChangedItemRow]: ...
    def rated_texts(self) -> list[tuple[str, int, str]]: ...
    def kind_counts(self) -> dict[str, tuple[int, int]]: ...
    def recently_seen_negatives(
        self, since: datetime, exclude_sources: Sequence[str] = ()
    ) -> list[ItemRow]: ...
    def unreported_negatives(
        self,
        sources: Sequence[str] = (),
        exclude_sources: Sequence[str] = (),
        limit: int = 0,
        topics: Sequence[str] = (),
    ) -> list[ItemRow]: ...
    def count_unreported_negatives(
        self, sources: Sequence[str] = (), exclude_sources: Sequence[str] = ()
    ) -> tuple[int, int]: ...
    def search(self, query: str, flt: ItemFilter) -> list[ItemRow]: ...
    def queue(
        self, now: datetime, flt: ItemFilter, exclude_sources: Sequence[str] = ()
    ) -> list[ItemRow]: ...
    def overdue(
        self, now: datetime, flt: ItemFilter, exclude_sources: Sequence[str] = ()
    ) -> list[ItemRow]: ...
    def queue_counts(
        self, now: datetime, flt: ItemFilter, exclude_sources: Sequence[str] = ()
    ) -> tuple[int, int]: ...


@runtime_checkable
class SignalReads(Protocol):
    """What cross-item signals read: the whole window, or piecemeal near given items."""

    def recent_for_signals(
        self, since: datetime, exclude_sources: Sequence[str] = ()
    ) -> list[SignalTextRow]: ...
    def signal_window(
        self, since: datetime, exclude_sources: Sequence[str] = ()
    ) -> SignalWindow: ...


@runtime_checkable
class ItemWrites(Protocol):
    """Storing fetched items, their analysis, rejects, and what `check` has shown."""

    def upsert_items(
        self, items: Sequence[Item], analyse: Callable[[Item], Analysis], seen_at: datetime
    ) -> UpsertResult: ...
    def record_rejects(
        self, source: str, rejects: Sequence[Reject], seen_at: datetime, run_id: int | None
    ) -> None: ...
    def stored_items(
        self, sources: Sequence[str]
    ) -> Iterator[tuple[int, Item, tuple[Any, ...]]]: ...
    def save_analysis(self, item_id: int, old: tuple[Any, ...], analysis: Analysis) -> str: ...
    def mark_negatives_reported(
        self,
        when: datetime,
        up_to_id: int,
        sources: Sequence[str] = (),
        exclude_sources: Sequence[str] = (),
        also_sources: Sequence[str] = (),
    ) -> int: ...


@runtime_checkable
class RunLog(Protocol):
    """Runs, each source's cursor, and their status."""

    def start_run(self, group: str, command: str, source: str, when: datetime) -> int: ...
    def add_to_run(
        self, run_id: int, fetched: int, new: int, changed: int, rejected: int = 0
    ) -> None: ...
    def finish_run(
        self,
        run_id: int,
        source: str,
        when: datetime,
        error: str | None,
        interrupted: bool = False,
    ) -> None: ...
    def save_cursor(self, source: str, cursor: dict[str, Any], when: datetime) -> None: ...
    def cursor_for(self, source: str) -> dict[str, Any]: ...
    def source_status(self) -> list[SourceStatusRow]: ...


@runtime_checkable
class ReplyWorkflow(Protocol):
    """Item status, assignees, notes, history, and replies through posting (`workflow.py`)."""

    def add_event(
        self, item_id: int, at: datetime, actor: str | None, action: str, detail: str | None = None
    ) -> None: ...
    def history(self, item_id: int) -> list[EventRow]: ...
    def set_status(
        self, ids: Sequence[int], status: str, at: datetime, actor: str, note: str | None = None
    ) -> list[int]: ...
    def assign(
        self, ids: Sequence[int], assignee: str | None, at: datetime, actor: str
    ) -> None: ...
    def add_note(self, item_id: int, text: str, at: datetime, actor: str) -> None: ...
    def open_item(self, item_id: int) -> None: ...
    def reply(self, reply_id: int) -> ReplyRow: ...
    def open_reply(self, item_id: int) -> ReplyRow | None: ...
    def posted_reply(self, item_id: int) -> ReplyRow | None: ...
    def list_replies(
        self, statuses: Sequence[str] = (), sources: Sequence[str] = (), limit: int = 0
    ) -> list[ReplyListRow]: ...
    def save_draft(
        self, item_id: int, text: str, template: str | None, at: datetime, actor: str
    ) -> int: ...
    def approve_reply(self, reply_id: int, at: datetime, actor: str) -> None: ...
    def claim_for_posting(self, reply_id: int, at: datetime) -> bool: ...
    def finish_posting(
        self,
        reply_id: int,
        at: datetime,
        actor: str,
        external_id: str | None = None,
        error: str | None = None,
    ) -> None: ...
    def posting_unknown(self, reply_id: int, at: datetime, actor: str, message: str) -> None: ...
    def resolve_stuck_reply(
        self, reply_id: int, posted: bool, at: datetime, actor: str
    ) -> None: ...


@runtime_checkable
class AlertLog(Protocol):
    """What was alerted where (`alerts.py`)."""

    def alert_states(self, rule: str, destination: str) -> dict[str, AlertStateRow]: ...
    def record_alerts(
        self,
        rule: str,
        destination: str,
        events: Sequence[tuple[str, int | None, str]],
        when: datetime,
        error: str | None,
        max_attempts: int,
    ) -> None: ...
    def alert_log(self, limit: int = 0, statuses: Sequence[str] = ()) -> list[AlertRow]: ...


@runtime_checkable
class OrderBook(Protocol):
    """Imported shop orders and their links to reviews (`orders.py`)."""

    def upsert_orders(
        self, orders: Iterable[dict[str, Any]], when: datetime
    ) -> tuple[int, int]: ...
    def has_orders(self) -> bool: ...
    def unlinked_reviews(self) -> list[UnlinkedReviewRow]: ...
    def orders_by_order_id(self, order_id: str) -> list[OrderRow]: ...
    def orders_for_product(self, product_id: str, until: str, since: str) -> list[OrderRow]: ...
    def link_order(self, item_id: int, order_ref: int, at: datetime, reason: str) -> None: ...
    def order_for_item(self, item_id: int) -> OrderRow | None: ...
    def list_orders(
        self, customer: str | None = None, product: str | None = None, limit: int = 0
    ) -> list[OrderListRow]: ...
    def uninvited(self, since: str, until: str) -> list[OrderRow]: ...


@runtime_checkable
class ReportStats(Protocol):
    """The report's aggregates over a period (`stats.py`)."""

    def period_counts(
        self, since: str, until: str, product: str | None, bucket: str | None
    ) -> list[dict[str, Any]]: ...
    def answer_summary(
        self,
        since: str,
        until: str,
        sources: Sequence[str],
        product: str | None,
        sla_micros: Mapping[tuple[str, str | None], int],
        default_micros: int,
        now_micros: int,
    ) -> tuple[int, int, int]: ...
    def answer_hours_at(
        self,
        since: str,
        until: str,
        sources: Sequence[str],
        product: str | None,
        ranks: Sequence[int],
    ) -> dict[int, float]: ...
    def topic_counts(
        self, before: str, since: str, until: str, sources: Sequence[str], product: str | None
    ) -> dict[str, tuple[int, int]]: ...
    def product_ratings(
        self, before: str, since: str, until: str, sources: Sequence[str]
    ) -> list[dict[str, Any]]: ...
    def reply_effect(
        self, since: str, until: str, sources: Sequence[str], product: str | None
    ) -> tuple[int, int, int, int]: ...
    def nth_latest(self, since: str, exclude_sources: Sequence[str], n: int) -> str | None: ...


@runtime_checkable
class ExportFeed(Protocol):
    """`export`'s reads and bookmarks (`exports.py`)."""

    def export_rows(
        self, what: str, since: str | None, limit: int = 0, sources: Sequence[str] = ()
    ) -> list[dict[str, Any]]: ...
    def export_changes(
        self,
        what: str,
        after: int = 0,
        limit: int = 0,
        sources: Sequence[str] = (),
        negative: bool = False,
    ) -> ExportBatch: ...
    def export_mark(self, name: str, what: str, filter: str = "") -> int: ...
    def set_export_mark(
        self, name: str, what: str, filter: str, seq: int, rows: int, when: datetime
    ) -> None: ...


AREAS: tuple[type, ...] = (
    Transactions, ItemReads, SignalReads, ItemWrites, RunLog, ReplyWorkflow, AlertLog,
    OrderBook, ReportStats, ExportFeed,
)  # fmt: skip
"""Every area: each public method of `Store` is declared in exactly one of them."""

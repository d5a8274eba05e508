"""Reads: the queries behind every listing. Rows come back as plain dicts."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

from repcli.clock import to_iso
from repcli.store.base import StoreBase
from repcli.store.dialect import SQLITE, Dialect
from repcli.store.rows import (
    ChangedItemRow,
    ItemReplyRow,
    ItemRow,
    SignalTextRow,
    SourceStatusRow,
    VersionRow,
)

if TYPE_CHECKING:
    from repcli.store.signal_window import SignalWindow

ITEM_FIELDS = (
    "id", "source", "platform", "kind", "external_id", "created_at", "updated_at", "rating",
    "sentiment", "sentiment_score", "negative", "reasons", "topics", "lang", "product_id",
    "product_name", "author", "order_id", "title", "text", "pros", "cons", "answer_text",
    "answered_at", "needs_reply", "status", "assignee", "due_at", "first_seen_at",
    "last_seen_at", "flagged_at", "url", "verified_buyer",
)  # fmt: skip
_JSON_FIELDS = ("reasons", "topics")
_BOOL_FIELDS = ("negative", "needs_reply", "verified_buyer")
R = TypeVar("R")


@dataclasses.dataclass(frozen=True)
class ItemFilter:
    sources: Sequence[str] = ()
    since: datetime | None = None
    negative: bool | None = None
    kinds: Sequence[str] = ()
    statuses: Sequence[str] = ()
    assignees: Sequence[str] = ()
    topics: Sequence[str] = ()
    """Items tagged with any of these topics."""
    ratings: Sequence[int] = ()
    product: str | None = None
    """A product id, or words of a product name (case-insensitive)."""
    limit: int = 0
    """0 = no limit."""

    def where(self, alias: str = "items", dialect: Dialect = SQLITE) -> tuple[list[str], list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if self.sources:
            clauses.append(f"{alias}.source IN ({','.join('?' * len(self.sources))})")
            params.extend(self.sources)
        if self.since is not None:
            clauses.append(f"{alias}.created_at >= ?")
            params.append(to_iso(self.since))
        if self.negative is not None:
            clauses.append(f"{alias}.negative = ?")
            params.append(int(self.negative))
        if self.kinds:
            clauses.append(f"{alias}.kind IN ({','.join('?' * len(self.kinds))})")
            params.extend(self.kinds)
        if self.statuses:
            clauses.append(f"{alias}.status IN ({','.join('?' * len(self.statuses))})")
            params.extend(self.statuses)
        if self.assignees:
            clauses.append(f"{alias}.assignee IN ({','.join('?' * len(self.assignees))})")
            params.extend(self.assignees)
        if self.topics:
            marks = ",".join("?" * len(self.topics))
            clauses.append(
                f"EXISTS (SELECT 1 FROM {dialect.json_items(f'{alias}.topics', 'j')} "
                f"WHERE j.value IN ({marks}))"
            )
            params.extend(self.topics)
        if self.ratings:
            clauses.append(f"{alias}.rating IN ({','.join('?' * len(self.ratings))})")
            params.extend(self.ratings)
        if self.product:
            clauses.append(
                f"({alias}.product_id = ? "
                f"OR {dialect.fold(f'{alias}.product_name')} LIKE ? ESCAPE '\\')"
            )
            folded = self.product.casefold()
            escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params.extend([self.product, f"%{escaped}%"])
        return clauses, params


def item_row(row: sqlite3.Row) -> dict[str, Any]:
    """A stored item as a plain dict: JSON columns decoded, flags as bools."""
    data = {key: row[key] for key in row.keys()}  # noqa: SIM118 - sqlite3.Row is not a dict
    for key in _JSON_FIELDS:
        if key in data:
            data[key] = json.loads(data[key]) if data[key] else []
    for key in _BOOL_FIELDS:
        if key in data and data[key] is not None:
            data[key] = bool(data[key])
    return data


def _select(alias: str = "items") -> str:
    return ", ".join(f"{alias}.{f}" for f in ITEM_FIELDS)


def _limit(limit: int) -> str:
    return f" LIMIT {int(limit)}" if limit and limit > 0 else ""


class Reads(StoreBase):
    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[ItemRow]:
        """Items (`ITEM_FIELDS`), decoded."""
        return self._shaped(ItemRow, sql, params)

    def _shaped(self, shape: type[R], sql: str, params: Sequence[Any] = ()) -> list[R]:
        """Rows decoded by `item_row`, of the shape (`rows.py`) that `sql` selects."""
        cur = self.conn.cursor()
        cur.row_factory = sqlite3.Row
        return cast("list[R]", [item_row(r) for r in cur.execute(sql, params)])

    def list_items(self, flt: ItemFilter) -> list[ItemRow]:
        clauses, params = flt.where(dialect=self.dialect)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT {_select()} FROM items{where} ORDER BY created_at DESC, id DESC"
        return self._rows(sql + _limit(flt.limit), params)

    def get_item(self, item_id: int) -> ItemRow | None:
        rows = self._rows(f"SELECT {_select()} FROM items WHERE id = ?", (item_id,))
        return rows[0] if rows else None

    def item_raw(self, item_id: int) -> str | None:
        """The platform's own payload as fetched (JSON text), for APIs that need its ids."""
        row = self.conn.execute("SELECT raw FROM items WHERE id = ?", (item_id,)).fetchone()
        return row[0] if row else None

    def get_items(self, ids: Sequence[int]) -> list[ItemRow]:
        found: list[ItemRow] = []
        for start in range(0, len(ids), 400):
            part = list(ids[start : start + 400])
            found += self._rows(
                f"SELECT {_select()} FROM items WHERE id IN ({','.join('?' * len(part))})", part
            )
        found.sort(key=lambda r: (r["created_at"], r["id"]), reverse=True)
        return found

    def versions(self, item_id: int) -> list[VersionRow]:
        return self._shaped(
            VersionRow,
            "SELECT rating, title, text, pros, cons, seen_from, replaced_at FROM item_versions "
            "WHERE item_id = ? ORDER BY id",
            (item_id,),
        )

    def replies(self, item_id: int) -> list[ItemReplyRow]:
        return self._shaped(
            ItemReplyRow,
            "SELECT id, text, author, status, created_at, posted_at, platform_error "
            "FROM replies WHERE item_id = ? ORDER BY id",
            (item_id,),
        )

    def changed_items(self, since: datetime, sources: Sequence[str] = ()) -> list[ChangedItemRow]:
        """Items whose rating or text changed at or after `since`, with their previous rating."""
        flt = ItemFilter(sources=sources)
        clauses, params = flt.where(dialect=self.dialect)
        clauses.append("v.replaced_at >= ?")
        params.append(to_iso(since))
        sql = (
            f"SELECT {_select()}, v.rating AS previous_rating FROM items "
            "JOIN item_versions v ON v.item_id = items.id "
            f"WHERE {' AND '.join(clauses)} ORDER BY v.replaced_at DESC, items.id DESC"
        )
        return self._shaped(ChangedItemRow, sql, params)

    def rated_texts(self) -> list[tuple[str, int, str]]:
        """(title, text and cons, rating, source) of rated reviews: what `repcli train` learns
        from. Pros are left out: they are praise by construction."""
        rows = self.conn.execute(
            "SELECT title, text, cons, rating, source FROM items WHERE rating IS NOT NULL "
            "AND kind = 'review' ORDER BY id"
        )
        out = []
        for title, text, cons, rating, source in rows:
            joined = "\n".join(p for p in (title, text, cons) if p)
            if joined.strip():
                out.append((joined, int(rating), source))
        return out

    def kind_counts(self) -> dict[str, tuple[int, int]]:
        """Per kind: (items, rated items)."""
        rows = self.conn.execute(
            "SELECT kind, count(*), count(rating) FROM items GROUP BY kind ORDER BY kind"
        )
        return {kind: (n, rated) for kind, n, rated in rows}

    def recent_for_signals(
        self, since: datetime, exclude_sources: Sequence[str] = ()
    ) -> list[SignalTextRow]:
        """The fields cross-item signals read, for items posted since `since`."""
        clauses, params = ["created_at >= ?"], [to_iso(since)]
        if exclude_sources:
            clauses.append(f"source NOT IN ({','.join('?' * len(exclude_sources))})")
            params.extend(exclude_sources)
        sql = (
            "SELECT id, source, platform, product_id, product_name, author, rating, negative, "
            f"topics, text, created_at FROM items WHERE {' AND '.join(clauses)} ORDER BY id"
        )
        return self._shaped(SignalTextRow, sql, params)

    def signal_window(self, since: datetime, exclude_sources: Sequence[str] = ()) -> SignalWindow:
        """The items `recent_for_signals(since, exclude_sources)` returns, read piecemeal
        through indexes: what `signals.fresh` asks for."""
        from repcli.store.signal_window import SignalWindow

        return SignalWindow(self.conn, to_iso(since) or "", exclude_sources, self.dialect)

    def recently_seen_negatives(
        self, since: datetime, exclude_sources: Sequence[str] = ()
    ) -> list[ItemRow]:
        """Negative items first seen since `since` (what new-negative alerts consider)."""
        clauses, params = ["negative = 1", "first_seen_at >= ?"], [to_iso(since)]
        if exclude_sources:
            clauses.append(f"source NOT IN ({','.join('?' * len(exclude_sources))})")
            params.extend(exclude_sources)
        sql = f"SELECT {_select()} FROM items WHERE {' AND '.join(clauses)} ORDER BY created_at"
        return self._rows(sql, params)

    def _unreported_where(
        self, sources: Sequence[str], exclude_sources: Sequence[str], topics: Sequence[str] = ()
    ) -> tuple[list[str], list[Any]]:
        """WHERE clauses of the negatives no `check` has shown yet."""
        flt = ItemFilter(sources=sources, negative=True, topics=topics)
        clauses, params = flt.where(dialect=self.dialect)
        clauses.append("items.reported_at IS NULL")
        if exclude_sources:
            clauses.append(f"items.source NOT IN ({','.join('?' * len(exclude_sources))})")
            params.extend(exclude_sources)
        return clauses, params

    def unreported_negatives(
        self,
        sources: Sequence[str] = (),
        exclude_sources: Sequence[str] = (),
        limit: int = 0,
        topics: Sequence[str] = (),
    ) -> list[ItemRow]:
        """Negative items no `check` has shown yet, newest first (competitors' sources go in
        `exclude_sources`: their items are for reports, never for check's queue); the first
        `limit` of them (0: every one), those tagged with any of `topics` if given."""
        clauses, params = self._unreported_where(sources, exclude_sources, topics)
        sql = (
            f"SELECT {_select()} FROM items WHERE {' AND '.join(clauses)} "
            "ORDER BY created_at DESC, id DESC"
        )
        return self._rows(sql + _limit(limit), params)

    def count_unreported_negatives(
        self, sources: Sequence[str] = (), exclude_sources: Sequence[str] = ()
    ) -> tuple[int, int]:
        """(how many items `unreported_negatives` returns, the highest item id in the store):
        counted by the database, no row read; the id bounds `mark_negatives_reported`."""
        clauses, params = self._unreported_where(sources, exclude_sources)
        (count,) = self.conn.execute(
            f"SELECT count(*) FROM items WHERE {' AND '.join(clauses)}", params
        ).fetchone()
        (last,) = self.conn.execute("SELECT coalesce(max(id), 0) FROM items").fetchone()
        return int(count), int(last)

    def mark_negatives_reported(
        self,
        when: datetime,
        up_to_id: int,
        sources: Sequence[str] = (),
        exclude_sources: Sequence[str] = (),
        also_sources: Sequence[str] = (),
    ) -> int:
        """Mark reported, in one statement, what `unreported_negatives(sources,
        exclude_sources)` and `unreported_negatives(also_sources)` select among the items up to
        id `up_to_id` (those stored before the check counted them: not one a concurrent fetch
        adds after), by the condition instead of a list of every id; how many it marked."""
        clauses, params = self._unreported_where(sources, exclude_sources)
        where = " AND ".join(clauses)
        if also_sources:
            more, more_params = self._unreported_where(also_sources, ())
            where = f"({where}) OR ({' AND '.join(more)})"
            params = [*params, *more_params]
        stamp = to_iso(when)
        cursor = self.conn.execute(
            "UPDATE items SET reported_at = ?, flagged_at = COALESCE(flagged_at, ?) "
            f"WHERE items.id <= ? AND ({where})",
            [stamp, stamp, up_to_id, *params],
        )
        return int(cursor.rowcount)

    def search(self, query: str, flt: ItemFilter) -> list[ItemRow]:
        """Full-text search over title, text, pros and cons; best matches first."""
        clauses, params = flt.where(dialect=self.dialect)
        found = self.dialect.search(query)
        sql = (
            f"SELECT {_select()} FROM {found.source} "
            f"WHERE {' AND '.join([found.where, *clauses])} "
            f"ORDER BY {found.order}, items.created_at DESC"
        )
        params = [*found.where_params, *params, *found.order_params]
        return self._rows(sql + _limit(flt.limit), params)

    def queue(
        self, now: datetime, flt: ItemFilter, exclude_sources: Sequence[str] = ()
    ) -> list[ItemRow]:
        """Open items that need an answer: overdue first, then by deadline, negatives first."""
        clauses, params = self._queue_where(flt, exclude_sources)
        stamp = to_iso(now)
        sql = (
            f"SELECT {_select()} FROM items WHERE {' AND '.join(clauses)} "
            "ORDER BY (items.due_at < ?) DESC, items.negative DESC, items.due_at ASC, items.id"
        )
        return self._rows(sql + _limit(flt.limit), [*params, stamp])

    def overdue(
        self, now: datetime, flt: ItemFilter, exclude_sources: Sequence[str] = ()
    ) -> list[ItemRow]:
        """The items of `queue` past their deadline, in its order: chosen by SQLite through
        the index of open items (m008) instead of reading the whole queue."""
        clauses, params = self._queue_where(flt, exclude_sources)
        stamp = to_iso(now)
        clauses += ["items.due_at <> ''", "items.due_at < ?"]
        sql = (
            f"SELECT {_select()} FROM items WHERE {' AND '.join(clauses)} "
            "ORDER BY items.negative DESC, items.due_at ASC, items.id"
        )
        return self._rows(sql + _limit(flt.limit), [*params, stamp])

    def queue_counts(
        self, now: datetime, flt: ItemFilter, exclude_sources: Sequence[str] = ()
    ) -> tuple[int, int]:
        """(waiting, overdue): how many items `queue` lists and how many of them are past
        their deadline, counted by SQLite (a covering index of open items, m008) instead of
        reading every open item."""
        clauses, params = self._queue_where(flt, exclude_sources)
        row = self.conn.execute(
            "SELECT count(*), coalesce(sum(CASE WHEN items.due_at <> '' AND items.due_at < ? "
            "THEN 1 ELSE 0 END), 0) "
            f"FROM items WHERE {' AND '.join(clauses)}",
            [to_iso(now), *params],
        ).fetchone()
        return int(row[0]), int(row[1])

    def _queue_where(
        self, flt: ItemFilter, exclude_sources: Sequence[str]
    ) -> tuple[list[str], list[Any]]:
        clauses, params = flt.where(dialect=self.dialect)
        clauses += ["items.needs_reply = 1", "items.answer_text IS NULL"]
        if not flt.statuses:
            clauses.append("items.status IN ('new', 'open')")
        if exclude_sources:
            clauses.append(f"items.source NOT IN ({','.join('?' * len(exclude_sources))})")
            params.extend(exclude_sources)
        return clauses, params

    def source_status(self) -> list[SourceStatusRow]:
        """Per source: counts, last run, errors, cursor age."""
        sql = """
        WITH counts AS (
          SELECT source, COUNT(*) AS items, SUM(negative) AS negative,
                 SUM(CASE WHEN needs_reply = 1 AND answer_text IS NULL
                     AND status IN ('new', 'open') THEN 1 ELSE 0 END)
                   AS open, MAX(created_at) AS newest
          FROM items GROUP BY source
        ), last_run AS (
          SELECT source, started_at, finished_at, status, fetched, new, changed, error,
                 rejected, ROW_NUMBER() OVER (PARTITION BY source ORDER BY id DESC) AS n
          FROM runs
        ), rejected AS (
          SELECT source, COUNT(*) AS rejects FROM rejects GROUP BY source
        )
        SELECT s.source, s.updated_at AS cursor_updated_at, s.last_success_at,
               s.consecutive_failures, s.last_error,
               r.started_at AS last_run_at, r.status AS last_run_status,
               r.fetched AS last_fetched, r.new AS last_new, r.changed AS last_changed,
               COALESCE(c.items, 0) AS items, COALESCE(c.negative, 0) AS negative_items,
               COALESCE(c.open, 0) AS open_items, c.newest AS newest_item_at,
               r.rejected AS last_rejected, COALESCE(j.rejects, 0) AS rejects
        FROM source_state s
        LEFT JOIN last_run r ON r.source = s.source AND r.n = 1
        LEFT JOIN counts c ON c.source = s.source
        LEFT JOIN rejected j ON j.source = s.source
        ORDER BY s.source
        """
        return self._shaped(SourceStatusRow, sql)

    def cursor_for(self, source: str) -> dict[str, Any]:
        row = self.conn.execute(
            "SELECT cursor FROM source_state WHERE source = ?", (source,)
        ).fetchone()
        if row and row[0]:
            value = json.loads(row[0])
            return value if isinstance(value, dict) else {}
        return {}

"""What `export` reads beyond items (replies, versions, history), and where each named export
left off (`--since last-run`).

A bookmark is a number in the change sequence (table `changes`, migration
m006_change_sequence): every insert, and every update of a column an export shows, gives the
row the next number, in commit order. An export reads the rows numbered after its bookmark and,
once its output is written, saves the number of the last row it wrote. A writer that commits
while an export reads gets numbers after everything that export could see, so it is in the
next export, whatever the clocks said.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from repcli.clock import to_iso
from repcli.store.base import StoreBase
from repcli.store.reads import ITEM_FIELDS, item_row

EXPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "replies": ("id", "item_id", "source", "status", "template", "text", "author", "created_at",
                "updated_at", "approved_at", "posted_at", "attempts", "platform_error", "external_id"),
    "versions": ("id", "item_id", "source", "rating", "title", "text", "pros", "cons",
                 "seen_from", "replaced_at"),
    "events": ("id", "item_id", "source", "at", "actor", "action", "detail"),
}  # fmt: skip
_TIME = {
    "replies": "COALESCE(r.updated_at, r.created_at)",
    "versions": "r.replaced_at",
    "events": "r.at",
}
_TABLE = {"items": "items", "replies": "replies", "versions": "item_versions", "events": "events"}


@dataclasses.dataclass(frozen=True, slots=True)
class ExportBatch:
    rows: list[dict[str, Any]]
    mark: int
    """The bookmark to save once `rows` are written: the last row's number, or (when the
    rows are all there is) the newest number the export's snapshot held."""


def filter_key(sources: Sequence[str] = (), negative: bool = False) -> str:
    """A bookmark's filter, as the options that give it (one bookmark per name, what and
    filter): '' for none, else e.g. `--negative --source a --source b`."""
    parts = ["--negative"] if negative else []
    parts += [f"--source {s}" for s in sorted(set(sources))]
    return " ".join(parts)


class Exports(StoreBase):
    def export_rows(
        self, what: str, since: str | None, limit: int = 0, sources: Sequence[str] = ()
    ) -> list[dict[str, Any]]:
        """Rows of replies / versions / events (with the item's source), oldest first; with
        `since`, only those created or changed since then."""
        clauses, params = _where(sources)
        if since:
            clauses.append(f"{_TIME[what]} >= ?")
            params.append(since)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = (
            f"SELECT {_columns(what)} FROM {_TABLE[what]} r JOIN items i ON i.id = r.item_id "
            f"{where} ORDER BY {_TIME[what]}, r.id" + (f" LIMIT {int(limit)}" if limit else "")
        )
        cur = self.conn.cursor()
        cur.row_factory = sqlite3.Row
        return [dict(row) for row in cur.execute(sql, params)]

    def export_changes(
        self,
        what: str,
        after: int = 0,
        limit: int = 0,
        sources: Sequence[str] = (),
        negative: bool = False,
    ) -> ExportBatch:
        """Rows of `what` (items, replies, versions, events) changed after the bookmark `after`,
        in change order, at most `limit` (0: all); read in one snapshot."""
        items = what == "items"
        clauses, params = _where(sources, negative, "r" if items else "i")
        clauses += ["c.kind = ?", "c.seq > ?"]
        params += [what, after]
        columns = ", ".join(f"r.{f}" for f in ITEM_FIELDS) if items else _columns(what)
        join = "" if items else "JOIN items i ON i.id = r.item_id"
        where = " AND ".join(clauses)
        sql = (
            f"SELECT c.seq AS _seq, {columns} FROM changes c "
            f"JOIN {_TABLE[what]} r ON r.id = c.row_id {join} WHERE {where} ORDER BY c.seq"
            + (f" LIMIT {int(limit)}" if limit else "")
        )
        cur = self.conn.cursor()
        cur.row_factory = sqlite3.Row
        in_transaction = self.conn.in_transaction
        if not in_transaction:
            self.dialect.begin_read(self.conn)  # one snapshot: the rows and the newest number
        try:
            found = cur.execute(sql, params).fetchall()
            newest = self.conn.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM changes WHERE kind = ?", (what,)
            ).fetchone()[0]
        finally:
            if not in_transaction:
                self.conn.execute("COMMIT")
        rows = [item_row(row) if items else dict(row) for row in found]
        seqs = [row.pop("_seq") for row in rows]
        complete = not limit or len(rows) < limit
        mark = max(after, newest if complete else seqs[-1])
        return ExportBatch(rows, mark)

    def export_mark(self, name: str, what: str, filter: str = "") -> int:
        """The bookmark of the export `name` of `what` with `filter` (0: never ran)."""
        row = self.conn.execute(
            "SELECT last_seq FROM export_marks WHERE name = ? AND what = ? AND filter = ?",
            (name, what, filter),
        ).fetchone()
        return int(row[0]) if row else 0

    def set_export_mark(
        self, name: str, what: str, filter: str, seq: int, rows: int, when: datetime
    ) -> None:
        """Save a bookmark after its rows were written; it never moves back (two runs of the
        same export at once keep the further one)."""
        self.conn.execute(
            "INSERT INTO export_marks (name, what, filter, last_seq, rows, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name, what, filter) DO UPDATE SET "
            f"last_seq = {self.dialect.greatest('export_marks.last_seq', 'excluded.last_seq')}, "
            "rows = excluded.rows, "
            "updated_at = excluded.updated_at",
            (name, what, filter, seq, rows, to_iso(when)),
        )


def _columns(what: str) -> str:
    return ", ".join("i.source" if c == "source" else f"r.{c}" for c in EXPORT_COLUMNS[what])


def _where(
    sources: Sequence[str], negative: bool = False, alias: str = "i"
) -> tuple[list[str], list[Any]]:
    """Filters on the item (`alias`) a row belongs to."""
    clauses: list[str] = []
    params: list[Any] = []
    if sources:
        clauses.append(f"{alias}.source IN ({','.join('?' * len(sources))})")
        params.extend(sources)
    if negative:
        clauses.append(f"{alias}.negative = 1")
    return clauses, params

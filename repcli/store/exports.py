"""What `export` reads beyond items (replies, versions, history), and where each named export
left off (`--since last-run`)."""

from __future__ import annotations

import sqlite3
from typing import Any

from repcli.store.base import StoreBase

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
_TABLE = {"replies": "replies", "versions": "item_versions", "events": "events"}


class Exports(StoreBase):
    def export_rows(
        self, what: str, since: str | None, limit: int = 0, after: bool = False
    ) -> list[dict[str, Any]]:
        """Rows of replies / versions / events (with the item's source), oldest first; with
        `since`, only those created or changed since then (strictly after, with `after`: a
        bookmark's own instant was exported already)."""
        columns = ", ".join("i.source" if c == "source" else f"r.{c}" for c in EXPORT_COLUMNS[what])
        where = f"WHERE {_TIME[what]} {'>' if after else '>='} ?" if since else ""
        sql = (
            f"SELECT {columns} FROM {_TABLE[what]} r JOIN items i ON i.id = r.item_id {where} "
            f"ORDER BY {_TIME[what]}, r.id" + (f" LIMIT {int(limit)}" if limit else "")
        )
        cur = self.conn.cursor()
        cur.row_factory = sqlite3.Row
        return [dict(row) for row in cur.execute(sql, [since] if since else [])]

    def changed_item_ids(self, since: str) -> set[int]:
        """Items first seen, edited, or moved along the workflow after the bookmark `since`."""
        rows = self.conn.execute(
            "SELECT id FROM items WHERE first_seen_at > ? "
            "UNION SELECT item_id FROM item_versions WHERE replaced_at > ? "
            "UNION SELECT item_id FROM events WHERE at > ?",
            (since, since, since),
        )
        return {int(r[0]) for r in rows}

    def export_mark(self, name: str) -> str | None:
        row = self.conn.execute("SELECT last_at FROM exports WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_export_mark(self, name: str, when: str, rows: int) -> None:
        self.conn.execute(
            "INSERT INTO exports (name, last_at, rows) VALUES (?, ?, ?) ON CONFLICT (name) "
            "DO UPDATE SET last_at = excluded.last_at, rows = excluded.rows",
            (name, when, rows),
        )

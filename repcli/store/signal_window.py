"""The reads behind incremental signals: the items of the signal window (what
`recent_for_signals` returns) that lie near given items, found through indexes, so the daily
`check` reads what its new items touch instead of the whole window.

Every method returns records exactly as `recent_for_signals` does (same fields and decoding,
ordered by id), restricted to the window: posted at or after `since`, not from
`exclude_sources`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from typing import Any

from repcli.store.reads import item_row

_FIELDS = (
    "id, source, platform, product_id, product_name, author, rating, negative, topics, text, "
    "created_at"
)
_LIGHT = _FIELDS.replace(" text,", "")  # the signals but near-duplicates never read the text
_CHUNK = 400


class SignalWindow:
    def __init__(self, conn: sqlite3.Connection, since: str, exclude_sources: Sequence[str]):
        self._conn = conn
        self._where = ["created_at >= ?"]
        self._params: list[Any] = [since]
        if exclude_sources:
            self._where.append(f"source NOT IN ({','.join('?' * len(exclude_sources))})")
            self._params.extend(exclude_sources)

    def _rows(
        self, clauses: Sequence[str], params: Sequence[Any], fields: str = _LIGHT
    ) -> list[dict[str, Any]]:
        cur = self._conn.cursor()
        cur.row_factory = sqlite3.Row
        where = " AND ".join([*self._where, *clauses])
        sql = f"SELECT {fields} FROM items WHERE {where} ORDER BY id"
        return [item_row(r) for r in cur.execute(sql, [*self._params, *params])]

    def items(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """These items, those of them in the window, with their text."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(ids), _CHUNK):
            part = list(ids[start : start + _CHUNK])
            found += self._rows([f"id IN ({','.join('?' * len(part))})"], part, _FIELDS)
        found.sort(key=lambda r: int(r["id"]))
        return found

    def product_texts(
        self, platform: Any, product_id: Any, low: str | None = None, high: str | None = None
    ) -> list[dict[str, Any]]:
        """One product's items with a text of 20 characters or more (what near-duplicate bursts
        compare), posted between `low` and `high` (ISO text, inclusive) when given."""
        clauses = ["platform IS ?", "product_id IS ?", "length(text) >= 20"]
        params: list[Any] = [platform, product_id]
        if low is not None:
            clauses.append("created_at >= ?")
            params.append(low)
        if high is not None:
            clauses.append("created_at <= ?")
            params.append(high)
        return self._rows(clauses, params, _FIELDS)

    def first_text_id(self, platform: Any, product_id: Any) -> int:
        """The lowest id among `product_texts(platform, product_id)` (0 when none)."""
        where = " AND ".join(
            [*self._where, "platform IS ?", "product_id IS ?", "length(text) >= 20"]
        )
        row = self._conn.execute(
            f"SELECT min(id) FROM items WHERE {where}", [*self._params, platform, product_id]
        ).fetchone()
        return int(row[0] or 0)

    def one_star(self, platform: Any, product_id: Any) -> list[dict[str, Any]]:
        """One product's 1★ items on one platform."""
        return self._rows(["rating = 1", "platform IS ?", "product_id = ?"], [platform, product_id])

    def negatives(
        self, product_id: str | None = None, topics: Sequence[str] = ()
    ) -> list[dict[str, Any]]:
        """Negative items of one product (any platform), or tagged with any of `topics`."""
        clauses, params = ["negative <> 0"], []
        if product_id is not None:
            clauses.append("product_id = ?")
            params.append(product_id)
        if topics:
            marks = ",".join("?" * len(topics))
            clauses.append(
                "topics <> '' AND EXISTS (SELECT 1 FROM json_each(items.topics) "
                f"WHERE value IN ({marks}))"
            )
            params.extend(topics)
        return self._rows(clauses, params)

    def by_authors(self, keys: Collection[tuple[Any, str]]) -> dict[tuple[Any, str], list[Any]]:
        """Rated items by these (platform, author trimmed and lower-cased as Python does)
        keys: one pass over the window's rated items (SQLite's lower() folds ASCII only, so
        the spellings of one name cannot be looked up in an index)."""
        found: dict[tuple[Any, str], list[Any]] = {key: [] for key in keys}
        if not found:
            return found
        where = " AND ".join([*self._where, "rating IS NOT NULL", "author IS NOT NULL"])
        sql = f"SELECT id, platform, author FROM items WHERE {where}"
        owner: dict[int, tuple[Any, str]] = {}
        for item_id, platform, author in self._conn.execute(sql, self._params):
            key = (platform, str(author).strip().lower())
            if key in found:
                owner[item_id] = key
        ids = sorted(owner)
        for start in range(0, len(ids), _CHUNK):
            part = ids[start : start + _CHUNK]
            for row in self._rows([f"id IN ({','.join('?' * len(part))})"], part):
                found[owner[int(row["id"])]].append(row)
        return found

"""The reads behind incremental signals: the items of the signal window (what
`recent_for_signals` returns) that lie near given items, found through indexes, so the daily
`check` reads what its new items touch instead of the whole window.

Every method returns records exactly as `recent_for_signals` does (same fields and decoding,
ordered by id), restricted to the window: posted at or after `since`, not from
`exclude_sources`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterator, Sequence
from typing import Any, cast

from repcli.store.dialect import SQLITE, Dialect
from repcli.store.reads import item_row
from repcli.store.rows import SignalRow, SignalTextRow

_FIELDS = (
    "id, source, platform, product_id, product_name, author, rating, negative, topics, text, "
    "created_at"
)
_LIGHT = _FIELDS.replace(" text,", "")  # the signals but near-duplicates never read the text
_CHUNK = 400


class SignalWindow:
    def __init__(
        self,
        conn: sqlite3.Connection,
        since: str,
        exclude_sources: Sequence[str],
        dialect: Dialect = SQLITE,
    ):
        self._conn = conn
        self._dialect = dialect
        self._where = ["created_at >= ?"]
        self._params: list[Any] = [since]
        if exclude_sources:
            self._where.append(f"source NOT IN ({','.join('?' * len(exclude_sources))})")
            self._params.extend(exclude_sources)

    def _rows(
        self, clauses: Sequence[str], params: Sequence[Any], fields: str = _LIGHT
    ) -> list[SignalRow]:
        cur = self._conn.cursor()
        cur.row_factory = sqlite3.Row
        where = " AND ".join([*self._where, *clauses])
        sql = f"SELECT {fields} FROM items WHERE {where} ORDER BY id"
        return cast(
            "list[SignalRow]", [item_row(r) for r in cur.execute(sql, [*self._params, *params])]
        )

    def _text_rows(self, clauses: Sequence[str], params: Sequence[Any]) -> list[SignalTextRow]:
        return cast("list[SignalTextRow]", self._rows(clauses, params, _FIELDS))

    def items(self, ids: Sequence[int]) -> list[SignalTextRow]:
        """These items, those of them in the window, with their text."""
        found: list[SignalTextRow] = []
        for start in range(0, len(ids), _CHUNK):
            part = list(ids[start : start + _CHUNK])
            found += self._text_rows([f"id IN ({','.join('?' * len(part))})"], part)
        found.sort(key=lambda r: int(r["id"]))
        return found

    def items_in(self, ranges: Sequence[tuple[int, int]]) -> list[SignalTextRow]:
        """The items whose ids lie in these ranges ((first, last), inclusive), those of them
        in the window, with their text, by id: what `signals.fresh` reads of many fresh items,
        a piece at a time (a few ranges cover the consecutive ids of one import)."""
        if not ranges:
            return []
        terms: list[str] = []
        params: list[Any] = []
        for first, last in ranges:
            terms.append("id = ?" if first == last else "id BETWEEN ? AND ?")
            params += [first] if first == last else [first, last]
        return self._text_rows([f"({' OR '.join(terms)})"], params)

    def product_texts(
        self,
        platform: Any,
        product_id: Any,
        low: str | None = None,
        high: str | None = None,
        *,
        first_id: int | None = None,
        last_id: int | None = None,
    ) -> list[SignalTextRow]:
        """One product's items with a text of 20 characters or more (what near-duplicate bursts
        compare), posted between `low` and `high` (ISO text, inclusive) when given, with ids
        between `first_id` and `last_id` (inclusive) when given."""
        same = self._dialect.same
        clauses = [same("platform", "?"), same("product_id", "?"), "length(text) >= 20"]
        params: list[Any] = [platform, product_id]
        for clause, value in (
            ("created_at >= ?", low), ("created_at <= ?", high),
            ("id >= ?", first_id), ("id <= ?", last_id),
        ):  # fmt: skip
            if value is not None:
                clauses.append(clause)
                params.append(value)
        return self._text_rows(clauses, params)

    def first_text_id(self, platform: Any, product_id: Any) -> int:
        """The lowest id among `product_texts(platform, product_id)` (0 when none)."""
        where = " AND ".join(
            [
                *self._where,
                self._dialect.same("platform", "?"),
                self._dialect.same("product_id", "?"),
                "length(text) >= 20",
            ]
        )
        row = self._conn.execute(
            f"SELECT min(id) FROM items WHERE {where}", [*self._params, platform, product_id]
        ).fetchone()
        return int(row[0] or 0)

    def product_groups(self) -> Iterator[list[SignalTextRow]]:
        """The window's items with a text of 20 characters or more, one product (all its
        platforms) at a time, in posting order: what near-duplicate bursts compare, read
        along the (product_id, created_at) index in bounded memory."""
        cur = self._conn.cursor()
        cur.row_factory = sqlite3.Row
        where = " AND ".join([*self._where, "length(text) >= 20"])
        sql = f"SELECT {_FIELDS} FROM items WHERE {where} ORDER BY product_id, created_at, id"
        group: list[SignalTextRow] = []
        for row in cur.execute(sql, self._params):
            record = cast(SignalTextRow, item_row(row))
            if group and group[0]["product_id"] != record["product_id"]:
                yield group
                group = []
            group.append(record)
        if group:
            yield group

    def one_star_since(self, low: str) -> list[SignalRow]:
        """1★ items of a product posted at or after `low`."""
        cur = self._conn.cursor()
        cur.row_factory = sqlite3.Row
        where = " AND ".join([*self._where, "rating = 1", "product_id <> ''"])
        rows = cur.execute(  # sorted here: ORDER BY id would walk the whole table
            f"SELECT {_LIGHT} FROM items WHERE {where}", self._params_from(low)
        )
        return sorted((cast(SignalRow, item_row(r)) for r in rows), key=lambda r: int(r["id"]))

    def one_star(self, platform: Any, product_id: Any) -> list[SignalRow]:
        """One product's 1★ items on one platform."""
        return self._rows(
            ["rating = 1", self._dialect.same("platform", "?"), "product_id = ?"],
            [platform, product_id],
        )

    def _negative_source(self, dimension: str) -> tuple[str, str]:
        """(FROM clause, value expression) of negatives per product or per topic: a topic
        listed twice in one item counts twice, as `spikes` and `topic_clusters` count it."""
        if dimension == "product":
            return "items", "items.product_id"
        return f"items, {self._dialect.json_items('items.topics', 'j')}", "j.value"

    def negative_counts(
        self, dimension: str, values: Sequence[str], low: str, high: str
    ) -> dict[str, int]:
        """Negatives per product (any platform) or topic among `values`, posted in
        [`low`, `high`): counted by SQLite, no row leaves it."""
        if not values:
            return {}
        source, value = self._negative_source(dimension)
        marks = ",".join("?" * len(values))
        where = " AND ".join(
            [*self._where, "negative <> 0", f"{value} IN ({marks})", "created_at < ?"]
        )
        rows = self._conn.execute(
            f"SELECT {value}, count(*) FROM {source} WHERE {where} GROUP BY {value}",
            [*self._params_from(low), *values, high],
        )
        return {str(v): int(n) for v, n in rows}

    def negative_ids(
        self, dimension: str, values: Sequence[str] | None, low: str
    ) -> list[tuple[str, int, str]]:
        """(value, id, created_at) of the negatives per product (any platform) or topic among
        `values` (None: every product or topic) posted at or after `low`, by id."""
        if values is not None and not values:
            return []
        source, value = self._negative_source(dimension)
        clauses = [*self._where, "negative <> 0"]
        if values is None and dimension == "product":
            clauses.append("items.product_id <> ''")
        elif values is not None:
            clauses.append(f"{value} IN ({','.join('?' * len(values))})")
        rows = self._conn.execute(  # sorted here: ORDER BY id would walk the whole table
            f"SELECT {value}, items.id, created_at FROM {source} WHERE {' AND '.join(clauses)}",
            [*self._params_from(low), *(values or ())],
        )
        return sorted(((str(v), int(i), str(c)) for v, i, c in rows), key=lambda r: r[1])

    def product_names(self, products: Sequence[str]) -> dict[str, tuple[Any, Any]]:
        """(product_name, product_id) of each product's first negative (lowest id) in the
        window: what a product spike is named after."""
        if not products:
            return {}
        marks = ",".join("?" * len(products))
        where = " AND ".join([*self._where, "negative <> 0", f"product_id IN ({marks})"])
        rows = self._conn.execute(  # each product's row of the lowest id
            "SELECT product_id, product_name, id FROM items WHERE id IN "
            f"(SELECT min(id) FROM items WHERE {where} GROUP BY product_id)",
            [*self._params, *products],
        )
        return {str(p): (name, p) for p, name, _ in rows}

    def _params_from(self, low: str) -> list[Any]:
        """The window's parameters with its start raised to `low` when that is later."""
        return [max(self._params[0], low), *self._params[1:]]

    def one_star_authors(
        self, keys: Collection[tuple[Any, str]] | None
    ) -> dict[tuple[Any, str], int]:
        """How many 1★ items each of these (platform, author folded as in `by_authors`) keys
        (None: every author) has: a pass over the window's 1★ items only, from an index
        (m009)."""
        found = dict.fromkeys(keys or (), 0)
        if keys is not None and not found:
            return found
        where = " AND ".join([*self._where, "rating = 1", "author IS NOT NULL"])
        sql = f"SELECT platform, author FROM items WHERE {where}"
        for platform, author in self._conn.execute(sql, self._params):
            key = (platform, str(author).strip().lower())
            if key in found:
                found[key] += 1
            elif keys is None:
                found[key] = 1
        return found

    def by_authors(
        self, keys: Collection[tuple[Any, str]]
    ) -> dict[tuple[Any, str], list[SignalRow]]:
        """Rated items by these (platform, author trimmed and lower-cased as Python does)
        keys: one pass over the window's rated items (SQLite's lower() folds ASCII only, so
        the spellings of one name cannot be looked up in an index)."""
        found: dict[tuple[Any, str], list[SignalRow]] = {key: [] for key in keys}
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

"""Orders imported from shop exports, and their links to reviews."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from repcli.clock import to_iso
from repcli.store.base import StoreBase
from repcli.store.rows import OrderListRow, OrderRow, UnlinkedReviewRow

ORDER_FIELDS = (
    "order_id", "customer", "email", "phone", "product_id", "product_name", "ordered_at",
    "delivered_at", "platform",
)  # fmt: skip
R = TypeVar("R")


class Orders(StoreBase):
    def _order_rows(self, shape: type[R], sql: str, params: Sequence[Any] = ()) -> list[R]:
        """Rows as dicts, of the shape (`rows.py`) that `sql` selects."""
        cur = self.conn.cursor()
        cur.row_factory = sqlite3.Row
        return cast("list[R]", [dict(row) for row in cur.execute(sql, params)])

    def upsert_orders(self, orders: Iterable[dict[str, Any]], when: datetime) -> tuple[int, int]:
        """Insert or update orders keyed by (order_id, product_id); (new, updated). In a
        transaction; an identical row changes nothing."""
        new = updated = 0
        stamp = to_iso(when)
        for order in orders:
            values = [order.get(f) for f in ORDER_FIELDS]
            values[4] = values[4] or ""  # one row per order and product; '' when unknown
            raw = json.dumps(order.get("raw") or {}, ensure_ascii=False)
            old = self.conn.execute(
                f"SELECT id, {', '.join(ORDER_FIELDS)} FROM orders "
                "WHERE order_id = ? AND product_id = ?",
                (values[0], values[4]),
            ).fetchone()
            if old is None:
                self.conn.execute(
                    f"INSERT INTO orders ({', '.join(ORDER_FIELDS)}, imported_at, raw) "
                    f"VALUES ({', '.join('?' * (len(ORDER_FIELDS) + 2))})",
                    [*values, stamp, raw],
                )
                new += 1
            elif list(old[1:]) != values:
                sets = ", ".join(f"{f} = ?" for f in ORDER_FIELDS)
                self.conn.execute(
                    f"UPDATE orders SET {sets}, imported_at = ?, raw = ? WHERE id = ?",
                    [*values, stamp, raw, old[0]],
                )
                updated += 1
        return new, updated

    def has_orders(self) -> bool:
        return self.conn.execute("SELECT 1 FROM orders LIMIT 1").fetchone() is not None

    def unlinked_reviews(self) -> list[UnlinkedReviewRow]:
        return self._order_rows(
            UnlinkedReviewRow,
            "SELECT id, order_id, author, product_id, created_at FROM items "
            "WHERE order_ref IS NULL AND kind = 'review'",
        )

    def orders_by_order_id(self, order_id: str) -> list[OrderRow]:
        return self._order_rows(
            OrderRow, "SELECT * FROM orders WHERE order_id = ? ORDER BY id", (order_id,)
        )

    def orders_for_product(self, product_id: str, until: str, since: str) -> list[OrderRow]:
        return self._order_rows(
            OrderRow,
            "SELECT * FROM orders WHERE product_id = ? AND ordered_at <= ? AND ordered_at >= ?",
            (product_id, until, since),
        )

    def link_order(self, item_id: int, order_ref: int, at: datetime, reason: str) -> None:
        self.conn.execute(
            "UPDATE items SET order_ref = ?, verified_buyer = 1 WHERE id = ?", (order_ref, item_id)
        )
        self.conn.execute(
            "INSERT INTO events (item_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)",
            (item_id, to_iso(at), "repcli", "order linked", reason),
        )

    def order_for_item(self, item_id: int) -> OrderRow | None:
        """The order an item is linked to (for reply templates and `show`)."""
        rows = self._order_rows(
            OrderRow,
            "SELECT o.* FROM orders o JOIN items i ON i.order_ref = o.id WHERE i.id = ?",
            (item_id,),
        )
        return rows[0] if rows else None

    def list_orders(
        self, customer: str | None = None, product: str | None = None, limit: int = 0
    ) -> list[OrderListRow]:
        clauses, params = ["1 = 1"], []
        if customer:
            clauses.append("o.customer LIKE ?")
            params.append(f"%{customer}%")
        if product:
            clauses.append("(o.product_id = ? OR o.product_name LIKE ?)")
            params.extend([product, f"%{product}%"])
        sql = (
            f"SELECT o.*, (SELECT {self.dialect.string_agg('i.id')} FROM items i "
            "WHERE i.order_ref = o.id) "
            f"AS review_ids FROM orders o WHERE {' AND '.join(clauses)} "
            "ORDER BY o.ordered_at DESC, o.id DESC" + (f" LIMIT {int(limit)}" if limit else "")
        )
        return self._order_rows(OrderListRow, sql, params)

    def uninvited(self, since: str, until: str) -> list[OrderRow]:
        """Orders bought (or delivered, when known) in [since, until] with no review linked to
        them nor naming their order id: the review-invitation list."""
        return self._order_rows(
            OrderRow,
            "SELECT o.* FROM orders o WHERE COALESCE(o.delivered_at, o.ordered_at) BETWEEN ? AND ? "
            "AND NOT EXISTS (SELECT 1 FROM items i WHERE i.order_ref = o.id "
            "OR (i.order_id = o.order_id AND i.order_id IS NOT NULL)) "
            "ORDER BY COALESCE(o.delivered_at, o.ordered_at), o.order_id",
            (since, until),
        )

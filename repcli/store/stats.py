"""The report's reads: aggregates over a period, computed by SQLite (indexes on created_at,
source and product_id keep them linear in the period's size)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from repcli.store.base import StoreBase


def _scope(sources: Sequence[str], product: str | None, alias: str = "i") -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if sources:
        clauses.append(f"{alias}.source IN ({','.join('?' * len(sources))})")
        params.extend(sources)
    if product:
        clauses.append(f"{alias}.product_id = ?")
        params.append(product)
    return (" AND " + " AND ".join(clauses)) if clauses else "", params


class Stats(StoreBase):
    def _stat_rows(self, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        cur = self.conn.cursor()
        cur.row_factory = sqlite3.Row
        return [dict(r) for r in cur.execute(sql, params)]

    def period_totals(
        self, since: str, until: str, sources: Sequence[str], product: str | None
    ) -> dict[str, Any]:
        scope, params = _scope(sources, product)
        row = self._stat_rows(
            "SELECT count(*) AS items, sum(kind = 'review') AS reviews, "
            "sum(rating IS NOT NULL) AS rated, avg(rating) AS rating_avg, "
            "sum(negative) AS negatives, sum(needs_reply) AS needing_reply, "
            "sum(needs_reply AND (answer_text IS NOT NULL OR status = 'answered')) AS answered, "
            "sum(rating = 1) AS r1, sum(rating = 2) AS r2, sum(rating = 3) AS r3, "
            "sum(rating = 4) AS r4, sum(rating = 5) AS r5, "
            "sum(topics LIKE '%\"extortion\"%') AS extortion "
            f"FROM items i WHERE created_at >= ? AND created_at < ?{scope}",
            [since, until, *params],
        )[0]
        return {k: (v or 0) if k != "rating_avg" else v for k, v in row.items()}

    def rating_trend(
        self, since: str, until: str, sources: Sequence[str], product: str | None, weekly: bool
    ) -> list[dict[str, Any]]:
        scope, params = _scope(sources, product)
        bucket = "strftime('%Y-W%W', created_at)" if weekly else "substr(created_at, 1, 10)"
        return self._stat_rows(
            f"SELECT {bucket} AS bucket, count(*) AS items, avg(rating) AS rating_avg, "
            "sum(rating IS NOT NULL) AS rated, sum(negative) AS negatives "
            f"FROM items i WHERE created_at >= ? AND created_at < ?{scope} "
            "GROUP BY bucket ORDER BY bucket",
            [since, until, *params],
        )

    def answer_times(
        self, since: str, until: str, sources: Sequence[str], product: str | None
    ) -> list[dict[str, Any]]:
        """Items that call for an answer (negatives and questions): when they were posted and
        first answered (the platform's answer, or our posted reply, whichever came first)."""
        scope, params = _scope(sources, product)
        return self._stat_rows(
            "SELECT i.id, i.source, i.kind, i.created_at, i.status, "
            "(SELECT min(t) FROM (SELECT i.answered_at AS t UNION ALL "
            " SELECT min(r.posted_at) FROM replies r WHERE r.item_id = i.id)) AS first_answer "
            "FROM items i WHERE (i.negative = 1 OR i.kind = 'question') "
            f"AND i.created_at >= ? AND i.created_at < ?{scope}",
            [since, until, *params],
        )

    def topic_counts(
        self, since: str, until: str, sources: Sequence[str], product: str | None
    ) -> dict[str, int]:
        scope, params = _scope(sources, product)
        rows = self.conn.execute(
            "SELECT j.value, count(*) FROM items i, json_each(i.topics) j "
            f"WHERE i.negative = 1 AND i.created_at >= ? AND i.created_at < ?{scope} "
            "GROUP BY j.value",
            [since, until, *params],
        )
        return {str(topic): int(n) for topic, n in rows}

    def product_ratings(
        self, since: str, until: str, sources: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        scope, params = _scope(sources, None)
        rows = self._stat_rows(
            "SELECT product_id, max(product_name) AS product_name, avg(rating) AS rating_avg, "
            "count(rating) AS rated FROM items i WHERE rating IS NOT NULL AND product_id IS NOT NULL "
            f"AND created_at >= ? AND created_at < ?{scope} GROUP BY product_id",
            [since, until, *params],
        )
        return {r["product_id"]: r for r in rows}

    def reply_effect(
        self, since: str, until: str, sources: Sequence[str], product: str | None
    ) -> tuple[int, int, int, int]:
        """Rated reviews answered in the period, comparing the rating when answered (the first
        version replaced after the answer, else the current one) with the rating now:
        (answered, changed, improved, sum of the changes), summed by SQLite."""
        scope, params = _scope(sources, product)
        row = self.conn.execute(
            "SELECT count(*), coalesce(sum(rating_now <> rating_then), 0), "
            "coalesce(sum(rating_now > rating_then), 0), "
            "coalesce(sum(rating_now - rating_then), 0) FROM (SELECT i.rating AS rating_now, "
            "COALESCE((SELECT v.rating FROM item_versions v WHERE v.item_id = i.id "
            "  AND v.replaced_at > i.answered_at ORDER BY v.replaced_at LIMIT 1), i.rating) "
            "  AS rating_then "
            "FROM items i WHERE i.answered_at IS NOT NULL AND i.rating IS NOT NULL "
            f"AND i.answered_at >= ? AND i.answered_at < ?{scope})",
            [since, until, *params],
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2]), int(row[3])

    def source_summary(self, since: str, until: str) -> list[dict[str, Any]]:
        return self._stat_rows(
            "SELECT source, count(*) AS items, avg(rating) AS rating_avg, "
            "avg(negative) AS negative_share FROM items "
            "WHERE created_at >= ? AND created_at < ? GROUP BY source ORDER BY source",
            [since, until],
        )

    def all_time_product(self, sources: Sequence[str]) -> list[dict[str, Any]]:
        scope, params = _scope(sources, None)
        return self._stat_rows(
            "SELECT product_id, max(product_name) AS product_name, avg(rating) AS rating_avg, "
            "count(rating) AS rated FROM items i WHERE rating IS NOT NULL AND product_id IS NOT NULL"
            f"{scope} GROUP BY product_id",
            params,
        )

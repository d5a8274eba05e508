"""The report's reads: aggregates over a period, computed by SQLite from covering indexes
(m010_report_indexes), so no item row (with its text) is read and nothing per item reaches
Python: totals, trend and sources grouped by bucket and source; ratings per product for the
period, the one before and all time in one pass; answer times counted, with the two
percentiles' ranks picked by SQLite."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from repcli.store.base import StoreBase
from repcli.store.dialect import SQLITE, Dialect


def _scope(
    sources: Sequence[str], product: str | None, alias: str = "i", dialect: Dialect = SQLITE
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if sources:
        # `+`: a filter, never the index to search (the unique (source, external_id) one
        # would read every row of the period's sources instead of a covering index).
        source = dialect.filter_only(f"{alias}.source")
        clauses.append(f"{source} IN ({','.join('?' * len(sources))})")
        params.extend(sources)
    if product:
        clauses.append(f"{alias}.product_id = ?")
        params.append(product)
    return (" AND " + " AND ".join(clauses)) if clauses else "", params


def _micros(column: str, dialect: Dialect) -> str:
    """SQL for a stored time (clock.to_iso: UTC, `...SS.ffffffZ`) as integer microseconds since
    the epoch: exact, so comparisons and differences agree with Python's datetimes."""
    return (
        f"({dialect.epoch_seconds(column)} * 1000000 "
        f"+ CAST(substr(rtrim({column}, 'Z') || '000000', 21, 6) AS INTEGER))"
    )


def _count_if(condition: str) -> str:
    """How many rows of the group meet `condition` (0 for none)."""
    return f"coalesce(sum(CASE WHEN {condition} THEN 1 ELSE 0 END), 0)"


_REVIEW = "kind = 'review'"
_EXTORTION = "topics LIKE '%\"extortion\"%'"
_COUNTS = (
    "items", "reviews", "rated", "rating_sum", "negatives", "r1", "r2", "r3", "r4", "r5",
    "extortion",
)  # fmt: skip


class Stats(StoreBase):
    def _stat_rows(self, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        cur = self.conn.cursor()
        cur.row_factory = sqlite3.Row
        return [dict(r) for r in cur.execute(sql, params)]

    def period_counts(
        self, since: str, until: str, product: str | None, bucket: str | None
    ) -> list[dict[str, Any]]:
        """Items posted in [since, until) of every source (of `product` if given), counted per
        source and `bucket` (day, week, or None: the whole period): items, reviews, rated,
        rating_sum, negatives, r1..r5 (per star), extortion. Sums, so callers add rows up
        exactly (the average is rating_sum / rated). One query a day: each groups a day's
        index entries by source, where one query grouping by day would sort the period."""
        scope, params = _scope((), product, dialect=self.dialect)
        count_if = self.dialect.count_if
        stars = ", ".join(f"{count_if(f'rating = {n}')} AS r{n}" for n in range(1, 6))
        sql = (
            "SELECT source, count(*) AS items, "
            f"{count_if(_REVIEW)} AS reviews, count(rating) AS rated, "
            "coalesce(sum(rating), 0) AS rating_sum, coalesce(sum(negative), 0) AS negatives, "
            f"{stars}, {count_if(_EXTORTION)} AS extortion "
            f"FROM items i WHERE created_at >= ? AND created_at < ?{scope} GROUP BY source"
        )
        if not bucket:
            rows = self._stat_rows(sql + " ORDER BY source", [since, until, *params])
            return [{"bucket": "", **r} for r in rows]
        # Times are fixed-width UTC text (clock.to_iso): a day is the text range of its date.
        added: dict[tuple[str, str], dict[str, Any]] = {}
        day = date.fromisoformat(since[:10])
        while (start := day.isoformat()) < until:
            day += timedelta(days=1)
            low, high = max(since, start), min(until, day.isoformat())
            # %W as SQLite's strftime (and the dialects' week_bucket) numbers weeks
            name = start if bucket == "day" else date.fromisoformat(start).strftime("%Y-W%W")
            for r in self._stat_rows(sql, [low, high, *params]):
                got = added.setdefault((name, r["source"]), dict.fromkeys(_COUNTS, 0))
                for k in _COUNTS:
                    got[k] += r[k]
        return [
            {"bucket": name, "source": source, **counts}
            for (name, source), counts in sorted(added.items())
        ]

    def _answer_rows(
        self,
        since: str,
        until: str,
        sources: Sequence[str],
        product: str | None,
        sla_micros: Mapping[tuple[str, str | None], int],
        default_micros: int,
    ) -> tuple[str, list[Any]]:
        """SQL of the items that call for an answer (negatives and questions) posted in
        [since, until): created (µs), first answer (the platform's, or our posted reply,
        whichever came first; µs, NULL if none), due (µs: created + the SLA of its source and
        kind, `sla_micros[(source, kind)]`, then `[(source, None)]`, then the default), status."""
        scope, params = _scope(sources, product, dialect=self.dialect)
        cases: list[str] = []
        case_params: list[Any] = []
        for (source, kind), micros in sorted(
            sla_micros.items(), key=lambda kv: (kv[0][0], kv[0][1] is None, kv[0][1] or "")
        ):
            if kind is None:
                cases.append("WHEN i.source = ? THEN ?")
                case_params += [source, int(micros)]
            else:
                cases.append("WHEN i.source = ? AND i.kind = ? THEN ?")
                case_params += [source, kind, int(micros)]
        sla = f"CASE {' '.join(cases)} ELSE ? END" if cases else "?"
        case_params.append(int(default_micros))
        # The first answer: the platform's, or our earliest posted reply.
        first = (
            f"coalesce({self.dialect.least('i.answered_at', 'p.posted')}, i.answered_at, p.posted)"
        )
        created = _micros("i.created_at", self.dialect)
        sql = (
            f"SELECT {created} AS created, {_micros(first, self.dialect)} AS first, "
            f"{created} + {sla} AS due, i.status AS status FROM items i "
            "LEFT JOIN (SELECT item_id, min(posted_at) AS posted FROM replies "
            "WHERE posted_at IS NOT NULL GROUP BY item_id) p ON p.item_id = i.id "
            "WHERE (i.negative = 1 OR i.kind = 'question') "
            f"AND i.created_at >= ? AND i.created_at < ?{scope}"
        )
        return sql, [*case_params, since, until, *params]

    def answer_summary(
        self,
        since: str,
        until: str,
        sources: Sequence[str],
        product: str | None,
        sla_micros: Mapping[tuple[str, str | None], int],
        default_micros: int,
        now_micros: int,
    ) -> tuple[int, int, int]:
        """(needing an answer, answered, SLA breaches) among the items that call for an answer
        posted in [since, until): answered after the due time, or unanswered, still new or
        open, and due before `now_micros`."""
        sql, params = self._answer_rows(since, until, sources, product, sla_micros, default_micros)
        row = self.conn.execute(
            "SELECT count(*), count(first), coalesce(sum(CASE WHEN (CASE WHEN first IS NOT NULL "
            "THEN first > due ELSE due < ? AND status IN ('new', 'open') END) THEN 1 ELSE 0 END), "
            f"0) FROM ({sql}) AS answers",
            [now_micros, *params],
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2])

    def answer_hours_at(
        self,
        since: str,
        until: str,
        sources: Sequence[str],
        product: str | None,
        ranks: Sequence[int],
    ) -> dict[int, float]:
        """The hours to the first answer (negative ones counted as 0) of the answered items
        that call for one, at these ranks (0-based) of their ascending order: one sort in
        SQLite, only the asked values leave it."""
        if not ranks:
            return {}
        sql, params = self._answer_rows(since, until, sources, product, {}, 0)
        marks = ",".join("?" * len(ranks))
        hours = "CAST(first - created AS DOUBLE PRECISION) / 1000000.0 / 3600"
        rows = self.conn.execute(
            "SELECT rank, hours FROM (SELECT row_number() OVER (ORDER BY hours) - 1 AS rank, "
            f"hours FROM (SELECT {self.dialect.greatest(hours, '0.0')} AS hours "
            f"FROM ({sql}) AS answers WHERE first IS NOT NULL) AS answered) AS ranked "
            f"WHERE rank IN ({marks})",
            [*params, *ranks],
        )
        return {int(rank): float(hours) for rank, hours in rows}

    def topic_counts(
        self,
        before: str,
        since: str,
        until: str,
        sources: Sequence[str],
        product: str | None,
    ) -> dict[str, tuple[int, int]]:
        """Negatives per topic: (posted in [since, until), posted in [before, since)); a topic
        listed twice in one item counts twice. (`+`: read from the covering period index,
        not m009's index of negatives, which lacks `negative` itself.)"""
        scope, params = _scope(sources, product, dialect=self.dialect)
        topics = self.dialect.json_items("i.topics", "j")
        rows = self.conn.execute(
            f"SELECT j.value, {_count_if('i.created_at >= ?')}, "
            f"{_count_if('i.created_at < ?')} FROM items i, {topics} "
            f"WHERE {self.dialect.filter_only('i.negative')} = 1 AND i.created_at >= ? AND i.created_at < ?{scope} "
            "GROUP BY j.value",
            [since, since, before, until, *params],
        )
        return {str(topic): (int(now), int(then)) for topic, now, then in rows}

    def product_ratings(
        self, before: str, since: str, until: str, sources: Sequence[str]
    ) -> list[dict[str, Any]]:
        """Rated items per product, one pass over all time: for [since, until) (`rated`,
        `rating_sum`, `product_name`), for [before, since) (`previous_rated`,
        `previous_sum`) and all time (`all_rated`, `all_sum`, `all_name`); names are each
        span's greatest."""
        scope, params = _scope(sources, None, dialect=self.dialect)
        now = "created_at >= ? AND created_at < ?"
        then = "created_at >= ? AND created_at < ?"
        return self._stat_rows(
            f"SELECT product_id, count(CASE WHEN {now} THEN 1 END) AS rated, "
            f"coalesce(sum(CASE WHEN {now} THEN rating END), 0) AS rating_sum, "
            f"max(CASE WHEN {now} THEN product_name END) AS product_name, "
            f"count(CASE WHEN {then} THEN 1 END) AS previous_rated, "
            f"coalesce(sum(CASE WHEN {then} THEN rating END), 0) AS previous_sum, "
            "count(*) AS all_rated, sum(rating) AS all_sum, max(product_name) AS all_name "
            "FROM items i WHERE rating IS NOT NULL AND product_id IS NOT NULL"
            f"{scope} GROUP BY product_id ORDER BY product_id",
            [since, until, since, until, since, until, before, since, before, since, *params],
        )

    def reply_effect(
        self, since: str, until: str, sources: Sequence[str], product: str | None
    ) -> tuple[int, int, int, int]:
        """Rated reviews answered in the period, comparing the rating when answered (the first
        version replaced after the answer, else the current one) with the rating now:
        (answered, changed, improved, sum of the changes), summed by SQLite. Answered ones
        are counted from an index; only those with a version replaced since `since` (edited
        after their answer, if at all) are compared."""
        scope, params = _scope(sources, product, dialect=self.dialect)
        answered = (
            "i.answered_at IS NOT NULL AND i.rating IS NOT NULL "
            f"AND i.answered_at >= ? AND i.answered_at < ?{scope}"
        )
        (count,) = self.conn.execute(
            f"SELECT count(*) FROM items i WHERE {answered}", [since, until, *params]
        ).fetchone()
        row = self.conn.execute(
            f"SELECT {_count_if('rating_now <> rating_then')}, "
            f"{_count_if('rating_now > rating_then')}, "
            "coalesce(sum(rating_now - rating_then), 0) FROM (SELECT i.rating AS rating_now, "
            "COALESCE((SELECT v.rating FROM item_versions v WHERE v.item_id = i.id "
            "  AND v.replaced_at > i.answered_at ORDER BY v.replaced_at LIMIT 1), i.rating) "
            "  AS rating_then FROM items i "
            "WHERE i.id IN (SELECT item_id FROM item_versions WHERE replaced_at > ?) "
            f"AND {answered}) AS compared",
            [since, since, until, *params],
        ).fetchone()
        return int(count), int(row[0]), int(row[1]), int(row[2])

    def nth_latest(self, since: str, exclude_sources: Sequence[str], n: int) -> str | None:
        """When the `n`-th latest item posted at or after `since` (competitors' aside) was
        posted, if more than `n` were (None: `n` or fewer). Reads n + 1 index entries."""
        clauses, params = ["created_at >= ?"], [since]
        if exclude_sources:
            clauses.append(f"source NOT IN ({','.join('?' * len(exclude_sources))})")
            params.extend(exclude_sources)
        rows = self.conn.execute(
            f"SELECT created_at FROM items WHERE {' AND '.join(clauses)} "
            "ORDER BY created_at DESC LIMIT 2 OFFSET ?",
            [*params, max(n - 1, 0)],
        ).fetchall()
        return str(rows[0][0]) if len(rows) == 2 else None

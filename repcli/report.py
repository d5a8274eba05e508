"""The report: what happened over a period, as numbers (JSON schema `repcli.report/1`).

Every figure is computed here from the store's aggregates (repcli/store/stats.py); renderers
(repcli/render/report_*.py) only lay them out. Times are hours; ratings 1-5; shares 0-1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from repcli.clock import from_iso, to_iso
from repcli.models import KINDS

if TYPE_CHECKING:
    from repcli.analysis.signals import Signal
    from repcli.config import Config
    from repcli.store import Store

SCHEMA = "repcli.report/1"
SIGNAL_ITEMS = 20_000
"""Near-duplicate bursts and one-star authors are looked for among the signal window's latest
this many items (and those posted at the same time as the last of them)."""


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def fives_needed(average: float, count: int, target: float) -> int | None:
    """How many 5★ reviews lift `count` reviews averaging `average` to `target` (None: never)."""
    if average >= target:
        return 0
    if target >= 5:
        return None
    return math.ceil(count * (target - average) / (5 - target) - 1e-9)


def _r(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _at(ranked: dict[int, float], n: int, q: float) -> float | None:
    """`percentile` of n ascending values of which `ranked` holds the two around q."""
    if not n:
        return None
    pos = (n - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return ranked[low] + (ranked[high] - ranked[low]) * (pos - low)


def _micros(delta: timedelta) -> int:
    return delta // timedelta(microseconds=1)


@dataclass(frozen=True)
class _Scope:
    """What the store's queries ask about: the period and the one before it (ISO times), the
    sources reported on, and the product if one."""

    since: str
    until: str
    previous_since: str
    own: list[str]
    product: str | None

    def period(self) -> dict[str, Any]:
        """The "period" section."""
        return {
            "since": self.since,
            "until": self.until,
            "previous_since": self.previous_since,
            "sources": self.own,
            "product": self.product,
        }


def _answers(config: Config, store: Store, now: datetime, scope: _Scope) -> dict[str, Any]:
    # Answering: response rate, time to first answer, SLA breaches (against each source's SLA
    # for the item's kind, as configured now), counted by SQLite.
    s, u, own, product = scope.since, scope.until, scope.own, scope.product
    sla: dict[tuple[str, str | None], int] = {}
    for src in config.sources:
        sla.setdefault((src.name, None), _micros(timedelta(hours=config.sla_hours(src, ""))))
        for kind in KINDS:
            sla.setdefault((src.name, kind), _micros(timedelta(hours=config.sla_hours(src, kind))))
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    needing, answered, breaches = store.answer_summary(
        s, u, own, product, sla, _micros(timedelta(hours=24)), _micros(now - epoch)
    )
    ranks = sorted(
        {f((answered - 1) * q / 100) for q in (50, 90) for f in (math.floor, math.ceil)}
        if answered
        else set()
    )
    ranked = store.answer_hours_at(s, u, own, product, ranks)
    return {
        "needing_reply": needing,
        "answered": answered,
        "response_rate": _r(answered / needing, 3) if needing else None,
        "median_hours": _r(_at(ranked, answered, 50), 1),
        "p90_hours": _r(_at(ranked, answered, 90), 1),
        "sla_breaches": breaches,
    }


def _sum(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Rows of `period_counts` added up, with the average rating (None: nothing rated)."""
    keys = ("items", "reviews", "rated", "rating_sum", "negatives", "extortion")
    out: dict[str, Any] = {
        k: sum(r[k] for r in rows) for k in (*keys, "r1", "r2", "r3", "r4", "r5")
    }
    out["rating_avg"] = out["rating_sum"] / out["rated"] if out["rated"] else None
    return out


def _signals(
    config: Config,
    store: Store,
    since: datetime,
    until: datetime,
    competitors: Sequence[str],
    limit: int,
) -> tuple[list[Signal], str | None]:
    """What detect() finds in the signal window but topic clusters, read piecemeal (bounded
    memory), and from when near-duplicate bursts and one-star authors were looked for if not
    from the window's start: among the window's latest `limit` items at most (the other
    signals are counted from indexes)."""
    from repcli.analysis import signals

    start = since - timedelta(days=config.signals.baseline_days)
    window = store.signal_window(start, competitors)
    latest = store.nth_latest(to_iso(start) or "", competitors, limit)
    later = from_iso(latest)
    if latest is None or later is None:
        return signals.period(window, until, config.signals), None
    recent = store.signal_window(later, competitors)
    return signals.period(window, until, config.signals, recent), latest


def _of(rows: Sequence[dict[str, Any]], own: Sequence[str]) -> Sequence[dict[str, Any]]:
    """The rows of the sources reported on (all of them when none is named)."""
    return [r for r in rows if r["source"] in own] if own else rows


def _counts(
    store: Store, scope: _Scope, step: str
) -> tuple[Sequence[dict[str, Any]], Sequence[dict[str, Any]], dict[str, Any]]:
    """The period's counts of the sources reported on, per source and bucket; every source's,
    per source; and the previous period's totals."""
    s, u, product = scope.since, scope.until, scope.product
    # One pass per span over the period's index entries, counted per source (and bucket).
    counted = store.period_counts(s, u, product, step)
    everyone = store.period_counts(s, u, None, None) if product else counted
    previous = store.period_counts(scope.previous_since, s, product, None)
    return _of(counted, scope.own), everyone, _sum(_of(previous, scope.own))


def _totals(totals: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """The "totals" and "rating" sections: the period's counts beside the previous period's."""
    return {
        "totals": {
            "items": totals["items"],
            "reviews": totals["reviews"],
            "negatives": totals["negatives"],
            "previous_items": before["items"],
            "previous_negatives": before["negatives"],
        },
        "rating": {
            "average": _r(totals["rating_avg"]),
            "previous_average": _r(before["rating_avg"]),
            "rated": totals["rated"],
            "distribution": {str(k): totals[f"r{k}"] for k in range(1, 6)},
        },
    }


def _trend(mine: Sequence[dict[str, Any]], step: str) -> dict[str, Any]:
    """The "trend" section: the period's counts per day or week."""
    buckets: dict[str, list[dict[str, Any]]] = {}
    for r in mine:
        buckets.setdefault(r["bucket"], []).append(r)
    trend = [(bucket, _sum(rows)) for bucket, rows in sorted(buckets.items())]
    return {
        "step": step,
        "points": [
            {
                "bucket": bucket,
                "items": r["items"],
                "rating": _r(r["rating_avg"]),
                "negatives": r["negatives"],
            }
            for bucket, r in trend
        ],
    }


def _topics(store: Store, scope: _Scope) -> list[dict[str, Any]]:
    """The "topics" section: each topic met in the period, most frequent first."""
    counts = store.topic_counts(
        scope.previous_since, scope.since, scope.until, scope.own, scope.product
    )
    return [
        {"topic": t, "count": n, "previous": p, "change": n - p}
        for t, (n, p) in sorted(counts.items(), key=lambda kv: (-kv[1][0], kv[0]))
        if n
    ]


def _products(
    store: Store, scope: _Scope, target: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The products whose rating fell most, and how many 5★ reviews each product needs to
    reach `target` (fewest first)."""
    s, u, product = scope.since, scope.until, scope.product
    worst, forecast = [], []
    for row in store.product_ratings(scope.previous_since, s, u, scope.own):
        cur = row["rating_sum"] / row["rated"] if row["rated"] else None
        prev = row["previous_sum"] / row["previous_rated"] if row["previous_rated"] else None
        change = _r(cur - prev) if cur is not None and prev is not None else None
        if row["rated"] >= 2 and row["previous_rated"] >= 2 and change is not None and change < 0:
            worst.append({
                "product_id": row["product_id"], "product_name": row["product_name"],
                "rating": _r(cur), "previous": _r(prev), "change": change,
            })  # fmt: skip
        if product and row["product_id"] != product:
            continue
        average = row["all_sum"] / row["all_rated"]
        need = fives_needed(average, row["all_rated"], target)
        if need:
            forecast.append({
                "product_id": row["product_id"], "product_name": row["all_name"],
                "rating": _r(average), "reviews": row["all_rated"], "target": target,
                "five_star_needed": need,
            })  # fmt: skip
    worst.sort(key=lambda w: w["change"])
    forecast.sort(key=lambda f: f["five_star_needed"])
    return worst, forecast


def _reply_effect(store: Store, scope: _Scope) -> dict[str, Any]:
    """The "reply_effect" section: how ratings changed after an answer."""
    answered, changed, improved, change = store.reply_effect(
        scope.since, scope.until, scope.own, scope.product
    )
    return {
        "answered": answered,
        "changed": changed,
        "improved": improved,
        "average_change": _r(change / changed) if changed else None,
    }


def _comparison(
    everyone: Sequence[dict[str, Any]], competitors: Sequence[str]
) -> list[dict[str, Any]]:
    """The "comparison" section: every source's items, rating and share of negatives."""
    by_source: dict[str, list[dict[str, Any]]] = {}
    for r in everyone:
        by_source.setdefault(r["source"], []).append(r)
    comparison = []
    for source, rows in sorted(by_source.items()):
        total = _sum(rows)
        comparison.append({
            "source": source, "competitor": source in competitors,
            "items": total["items"], "rating": _r(total["rating_avg"]),
            "negative_share": _r(total["negatives"] / total["items"], 3),
        })  # fmt: skip
    return comparison


def _suspicious(
    totals: dict[str, Any], found: Sequence[Signal], capped: str | None
) -> dict[str, Any]:
    """The "suspicious" section: extortion, and what the signals found."""
    return {
        "extortion": totals["extortion"],
        "signals": len(found),
        "bursts": sum(x.kind in ("burst", "one-star-burst") for x in found),
        "one_star_authors": sum(x.kind == "one-star-author" for x in found),
        "capped_since": capped,
    }


def build(
    config: Config,
    store: Store,
    now: datetime,
    since: datetime,
    until: datetime | None = None,
    sources: Sequence[str] = (),
    product: str | None = None,
    target: float = 4.7,
    signal_items: int = SIGNAL_ITEMS,
) -> dict[str, Any]:
    until = until or now
    span = until - since
    s, u = to_iso(since) or "", to_iso(until) or ""
    ps = to_iso(since - span) or ""
    competitors = [c.name for c in config.sources if c.competitor]
    own = list(sources) or [c.name for c in config.sources if not c.competitor]
    scope = _Scope(s, u, ps, own, product)
    step = "week" if span > timedelta(days=45) else "day"
    mine, everyone, before = _counts(store, scope, step)
    totals = _sum(mine)
    answers = _answers(config, store, now, scope)
    topics = _topics(store, scope)
    worst, forecast = _products(store, scope, target)
    effect = _reply_effect(store, scope)
    found, capped = _signals(config, store, since, until, competitors, signal_items)
    return {
        "schema": SCHEMA,
        "period": scope.period(),
        **_totals(totals, before),
        "trend": _trend(mine, step),
        "answers": answers,
        "topics": topics,
        "worst_products": worst[:5],
        "reply_effect": effect,
        "forecast": forecast[:10],
        "comparison": _comparison(everyone, competitors),
        "suspicious": _suspicious(totals, found, capped),
    }

"""The report: what happened over a period, as numbers (JSON schema `repcli.report/1`).

Every figure is computed here from the store's aggregates (repcli/store/stats.py); renderers
(repcli/render/report_*.py) only lay them out. Times are hours; ratings 1-5; shares 0-1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from repcli.clock import from_iso, to_iso

if TYPE_CHECKING:
    from repcli.config import Config
    from repcli.store import Store

SCHEMA = "repcli.report/1"


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


def _hours(start: str | None, end: str | None) -> float | None:
    a, b = from_iso(start), from_iso(end)
    return None if a is None or b is None else (b - a).total_seconds() / 3600


def _answers(
    config: Config,
    store: Store,
    now: datetime,
    s: str,
    u: str,
    own: Sequence[str],
    product: str | None,
) -> dict[str, Any]:
    # Answering: response rate, time to first answer, SLA breaches (against each source's SLA
    # for the item's kind, as configured now).
    hours, breaches, answered, needing = [], 0, 0, 0
    by_name = {c.name: c for c in config.sources}
    stamp = to_iso(now) or ""
    for row in store.answer_times(s, u, own, product):
        needing += 1
        src = by_name.get(row["source"])
        sla = config.sla_hours(src, row["kind"]) if src else 24.0
        due = to_iso((from_iso(row["created_at"]) or now) + timedelta(hours=sla)) or ""
        first = row["first_answer"]
        if first:
            answered += 1
            taken = _hours(row["created_at"], first)
            if taken is not None:
                hours.append(max(taken, 0.0))
            breaches += first > due
        elif due < stamp and row["status"] in ("new", "open"):
            breaches += 1

    return {
        "needing_reply": needing,
        "answered": answered,
        "response_rate": _r(answered / needing, 3) if needing else None,
        "median_hours": _r(percentile(hours, 50), 1),
        "p90_hours": _r(percentile(hours, 90), 1),
        "sla_breaches": breaches,
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
) -> dict[str, Any]:
    until = until or now
    span = until - since
    s, u = to_iso(since) or "", to_iso(until) or ""
    ps = to_iso(since - span) or ""
    competitors = [c.name for c in config.sources if c.competitor]
    own = list(sources) or [c.name for c in config.sources if not c.competitor]
    totals = store.period_totals(s, u, own, product)
    before = store.period_totals(ps, s, own, product)

    answers = _answers(config, store, now, s, u, own, product)
    topics_now = store.topic_counts(s, u, own, product)
    topics_before = store.topic_counts(ps, s, own, product)
    topics = [
        {
            "topic": t,
            "count": n,
            "previous": topics_before.get(t, 0),
            "change": n - topics_before.get(t, 0),
        }
        for t, n in sorted(topics_now.items(), key=lambda kv: (-kv[1], kv[0]))
    ]

    now_products = store.product_ratings(s, u, own)
    before_products = store.product_ratings(ps, s, own)
    worst = []
    for pid, cur in now_products.items():
        prev = before_products.get(pid)
        change = _r(cur["rating_avg"] - prev["rating_avg"]) if prev else None
        if prev and cur["rated"] >= 2 and prev["rated"] >= 2 and change is not None and change < 0:
            worst.append({
                "product_id": pid, "product_name": cur["product_name"],
                "rating": _r(cur["rating_avg"]), "previous": _r(prev["rating_avg"]),
                "change": change,
            })  # fmt: skip
    worst.sort(key=lambda w: w["change"])

    answered, changed, improved, change = store.reply_effect(s, u, own, product)
    effect = {
        "answered": answered,
        "changed": changed,
        "improved": improved,
        "average_change": _r(change / changed) if changed else None,
    }

    forecast = []
    for row in store.all_time_product(own):
        if product and row["product_id"] != product:
            continue
        need = fives_needed(row["rating_avg"], row["rated"], target)
        if need:
            forecast.append({
                "product_id": row["product_id"], "product_name": row["product_name"],
                "rating": _r(row["rating_avg"]), "reviews": row["rated"], "target": target,
                "five_star_needed": need,
            })  # fmt: skip
    forecast.sort(key=lambda f: f["five_star_needed"])

    comparison = []
    for row in store.source_summary(s, u):
        comparison.append({
            "source": row["source"], "competitor": row["source"] in competitors,
            "items": row["items"], "rating": _r(row["rating_avg"]),
            "negative_share": _r(row["negative_share"], 3),
        })  # fmt: skip

    from repcli.analysis import signals

    # What detect() finds in the period but topic clusters, read piecemeal (bounded memory).
    window = store.signal_window(since - timedelta(days=config.signals.baseline_days), competitors)
    found = signals.period(window, until, config.signals)

    weekly = span > timedelta(days=45)
    distribution = {str(k): totals[f"r{k}"] for k in range(1, 6)}
    return {
        "schema": SCHEMA,
        "period": {
            "since": s,
            "until": u,
            "previous_since": ps,
            "sources": own,
            "product": product,
        },
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
            "distribution": distribution,
        },
        "trend": {
            "step": "week" if weekly else "day",
            "points": [
                {
                    "bucket": r["bucket"],
                    "items": r["items"],
                    "rating": _r(r["rating_avg"]),
                    "negatives": r["negatives"] or 0,
                }
                for r in store.rating_trend(s, u, own, product, weekly)
            ],
        },
        "answers": answers,
        "topics": topics,
        "worst_products": worst[:5],
        "reply_effect": effect,
        "forecast": forecast[:10],
        "comparison": comparison,
        "suspicious": {
            "extortion": totals["extortion"],
            "signals": len(found),
            "bursts": sum(x.kind in ("burst", "one-star-burst") for x in found),
            "one_star_authors": sum(x.kind == "one-star-author" for x in found),
        },
    }

"""`report` at scale (issue 23): every figure comes from SQLite aggregates over covering
indexes, equal to the row-by-row computation it replaced; near-duplicate bursts and one-star
authors are looked for among a bounded number of the latest items, and the report says so."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from repcli.clock import from_iso, to_iso
from repcli.models import Item, Verdict
from repcli.report import build, fives_needed, percentile
from repcli.sources.registry import parse_config
from repcli.store import Store, open_store
from repcli.store.writes import Analysis

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
CONFIG = (
    "sources:\n"
    "  - {name: shop, type: demo, sla_hours: 30, sla: {question: 5}}\n"
    "  - {name: market, type: demo}\n"
    "  - {name: rival, type: demo, competitor: true}\n"
    "sla: {comment: 3}\n"
)
TOPICS = ["delivery", "damaged", "quality", "extortion"]


def _analysis(item: Item) -> Analysis:
    """Negative at 1-2★, or for unrated items whose text says so; topics from the text."""
    negative = (item.rating or 3) <= 2 or "плохо" in item.text
    topics = tuple(t for t in TOPICS if t in item.text)
    verdict = Verdict("negative" if negative else "positive", 0.5, negative, (), topics)
    due = item.created_at + timedelta(hours=24) if negative and not item.answer_text else None
    return Analysis(verdict, negative and not item.answer_text, due)


def _random_store(path: Path, seed: int) -> None:
    """~400 items over 140 days: three sources, three kinds, four products and none,
    ratings and none, some answered on the platform (a few before they were posted),
    some by a posted reply, some edited after their answer."""
    rng = random.Random(seed)
    items = []
    for n in range(400):
        created = NOW - timedelta(
            seconds=rng.randrange(140 * 86400), microseconds=rng.randrange(10**6)
        )
        kind = rng.choice(["review", "review", "question", "comment"])
        rating = rng.choice([None, 1, 2, 3, 4, 5, 5]) if kind == "review" else None
        words = rng.sample([*TOPICS, "плохо", "хорошо", "нормально"], rng.randrange(3))
        answered = rng.random() < 0.5
        items.append(
            Item(
                source=rng.choice(["shop", "shop", "market", "rival", "other"]),
                platform="wildberries",
                kind=kind,
                external_id=f"x{n}",
                created_at=created,
                text=" ".join(["отзыв", *words]),
                rating=rating,
                product_id=rng.choice(["p1", "p2", "p3", "p4", None]),
                product_name=rng.choice(["Чайник", "Чайник 2", None]),
                answer_text="Спасибо" if answered else None,
                answered_at=created + timedelta(hours=rng.uniform(-2, 80)) if answered else None,
            )
        )
    with open_store(path) as store:
        with store.transaction():
            store.upsert_items(items, _analysis, NOW - timedelta(days=150))
            ids = [r[0] for r in store.conn.execute("SELECT id FROM items ORDER BY id")]
            statuses = rng.choices(["new", "open", "answered", "resolved"], k=len(ids))
            for item_id, status in zip(ids, statuses, strict=True):
                store.conn.execute("UPDATE items SET status = ? WHERE id = ?", (status, item_id))
        for item_id in rng.sample(ids, 60):
            created = from_iso(
                store.conn.execute(
                    "SELECT created_at FROM items WHERE id = ?", (item_id,)
                ).fetchone()[0]
            )
            assert created is not None
            posted = created + timedelta(hours=rng.uniform(0.5, 60))
            with store.transaction():
                reply = store.save_draft(item_id, "Ответ", None, posted, "test")
                store.approve_reply(reply, posted, "test")
            if store.claim_for_posting(reply, posted):
                store.finish_posting(reply, posted, "test", external_id=f"a{item_id}")
        # Some answered reviews are edited later (a new rating: item_versions keeps the old).
        edited = [i for i in items if i.answered_at and i.rating][:25]
        with store.transaction():
            store.upsert_items(
                [
                    dataclass_replace(i, rating=rng.randint(1, 5), text=i.text + " !")
                    for i in edited
                ],
                _analysis,
                NOW - timedelta(days=1),
            )


def dataclass_replace(item: Item, **changes: Any) -> Item:
    import dataclasses

    return dataclasses.replace(item, **changes)


def _reference(store: Store, since: datetime, until: datetime, own: list[str],
               competitors: list[str], product: str | None, target: float) -> dict[str, Any]:  # fmt: skip
    """The report's figures computed row by row in Python from every item (what report.py
    did before issue 23), but the signals."""
    config = parse_config(CONFIG)
    cur = store.conn.cursor()
    cols = ["id", "source", "kind", "product_id", "product_name", "rating", "negative",
            "topics", "created_at", "answered_at", "status"]  # fmt: skip
    rows = [dict(zip(cols, r, strict=True))
            for r in cur.execute(f"SELECT {', '.join(cols)} FROM items")]  # fmt: skip
    versions: dict[int, list[tuple[str, int | None]]] = defaultdict(list)
    for item_id, when, rating in cur.execute(
        "SELECT item_id, replaced_at, rating FROM item_versions"
    ):
        versions[item_id].append((when, rating))
    posted: dict[int, str] = {}
    for item_id, when in cur.execute("SELECT item_id, posted_at FROM replies"):
        if when and (item_id not in posted or when < posted[item_id]):
            posted[item_id] = when
    span = until - since
    s, u, ps = to_iso(since) or "", to_iso(until) or "", to_iso(since - span) or ""

    def scoped(lo: str, hi: str, by_product: bool = True) -> list[dict[str, Any]]:
        return [r for r in rows if lo <= r["created_at"] < hi and r["source"] in own
                and (not by_product or not product or r["product_id"] == product)]  # fmt: skip

    def avg(values: list[int]) -> float | None:
        return sum(values) / len(values) if values else None

    def r2(v: float | None, d: int = 2) -> float | None:
        return None if v is None else round(v, d)

    now_rows, before_rows = scoped(s, u), scoped(ps, s)
    rated = [r["rating"] for r in now_rows if r["rating"] is not None]
    weekly = span > timedelta(days=45)
    buckets: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in now_rows:
        day = datetime.fromisoformat(r["created_at"][:10])
        buckets[day.strftime("%Y-W%W") if weekly else r["created_at"][:10]].append(r)
    trend = [{"bucket": b, "items": len(rs),
              "rating": r2(avg([r["rating"] for r in rs if r["rating"] is not None])),
              "negatives": sum(r["negative"] for r in rs)}
             for b, rs in sorted(buckets.items())]  # fmt: skip

    hours, breaches, answered, needing = [], 0, 0, 0
    by_name = {c.name: c for c in config.sources}
    for r in now_rows:
        if not (r["negative"] == 1 or r["kind"] == "question"):
            continue
        needing += 1
        src = by_name.get(r["source"])
        sla = config.sla_hours(src, r["kind"]) if src else 24.0
        due = to_iso((from_iso(r["created_at"]) or NOW) + timedelta(hours=sla)) or ""
        firsts = [t for t in (r["answered_at"], posted.get(r["id"])) if t]
        if firsts:
            first = min(firsts)
            answered += 1
            taken = (from_iso(first) or NOW) - (from_iso(r["created_at"]) or NOW)
            hours.append(max(taken.total_seconds() / 3600, 0.0))
            breaches += first > due
        elif due < (to_iso(NOW) or "") and r["status"] in ("new", "open"):
            breaches += 1

    def topic_counts(rs: list[dict[str, Any]]) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for r in rs:
            if r["negative"] == 1:
                for t in json.loads(r["topics"] or "[]"):
                    counts[t] += 1
        return counts

    topics_now, topics_before = topic_counts(now_rows), topic_counts(before_rows)
    effect = [0, 0, 0, 0]
    for r in rows:
        if (
            r["answered_at"] is None
            or r["rating"] is None
            or r["source"] not in own
            or not s <= r["answered_at"] < u
            or (product and r["product_id"] != product)
        ):
            continue
        later = sorted(v for v in versions[r["id"]] if v[0] > r["answered_at"])
        then = later[0][1] if later and later[0][1] is not None else r["rating"]
        effect[0] += 1
        effect[1] += r["rating"] != then
        effect[2] += r["rating"] > then
        effect[3] += r["rating"] - then
    answered_n, changed, improved, total_change = effect

    def per_product(rs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for r in rs:
            if r["rating"] is None or r["product_id"] is None:
                continue
            p = out.setdefault(r["product_id"], {"ratings": [], "names": []})
            p["ratings"].append(r["rating"])
            p["names"].append(r["product_name"])
        return out

    now_p, before_p = per_product(scoped(s, u, False)), per_product(scoped(ps, s, False))
    worst = []
    for pid, cur_p in sorted(now_p.items()):
        prev = before_p.get(pid)
        if prev and len(cur_p["ratings"]) >= 2 and len(prev["ratings"]) >= 2:
            a, b = avg(cur_p["ratings"]), avg(prev["ratings"])
            assert a is not None and b is not None
            change = r2(a - b)
            if change is not None and change < 0:
                names = [n for n in cur_p["names"] if n is not None]
                worst.append({"product_id": pid, "product_name": max(names) if names else None,
                              "rating": r2(a), "previous": r2(b), "change": change})  # fmt: skip
    worst.sort(key=lambda w: w["change"])
    forecast = []
    for pid, p in sorted(per_product(scoped("", "~", False)).items()):
        if product and pid != product:
            continue
        a = avg(p["ratings"])
        assert a is not None
        need = fives_needed(a, len(p["ratings"]), target)
        if need:
            names = [n for n in p["names"] if n is not None]
            forecast.append({"product_id": pid, "product_name": max(names) if names else None,
                             "rating": r2(a), "reviews": len(p["ratings"]), "target": target,
                             "five_star_needed": need})  # fmt: skip
    forecast.sort(key=lambda f: f["five_star_needed"])
    comparison = []
    for source in sorted({r["source"] for r in rows if s <= r["created_at"] < u}):
        rs = [r for r in rows if s <= r["created_at"] < u and r["source"] == source]
        comparison.append({"source": source, "competitor": source in competitors,
                           "items": len(rs),
                           "rating": r2(avg([r["rating"] for r in rs if r["rating"] is not None])),
                           "negative_share": r2(sum(r["negative"] for r in rs) / len(rs), 3)})  # fmt: skip
    return {
        "totals": {
            "items": len(now_rows),
            "reviews": sum(r["kind"] == "review" for r in now_rows),
            "negatives": sum(r["negative"] for r in now_rows),
            "previous_items": len(before_rows),
            "previous_negatives": sum(r["negative"] for r in before_rows),
        },
        "rating": {
            "average": r2(avg(rated)),
            "previous_average": r2(
                avg([r["rating"] for r in before_rows if r["rating"] is not None])
            ),
            "rated": len(rated),
            "distribution": {str(k): rated.count(k) for k in range(1, 6)},
        },
        "trend": {"step": "week" if weekly else "day", "points": trend},
        "answers": {
            "needing_reply": needing,
            "answered": answered,
            "response_rate": r2(answered / needing, 3) if needing else None,
            "median_hours": r2(percentile(hours, 50), 1),
            "p90_hours": r2(percentile(hours, 90), 1),
            "sla_breaches": breaches,
        },
        "topics": [
            {
                "topic": t,
                "count": n,
                "previous": topics_before.get(t, 0),
                "change": n - topics_before.get(t, 0),
            }
            for t, n in sorted(topics_now.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "worst_products": worst[:5],
        "reply_effect": {
            "answered": answered_n,
            "changed": changed,
            "improved": improved,
            "average_change": r2(total_change / changed) if changed else None,
        },
        "forecast": forecast[:10],
        "comparison": comparison,
        "extortion": sum('"extortion"' in (r["topics"] or "") for r in now_rows),
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(
    ("days", "product", "sources"),
    [(30, None, ()), (90, None, ()), (60, "p2", ()), (20, None, ("market",)), (100, "p1", ("shop", "rival"))],
)  # fmt: skip
def test_report_figures_equal_the_row_by_row_computation(
    tmp_path: Path, seed: int, days: int, product: str | None, sources: tuple[str, ...]
) -> None:
    path = tmp_path / "r.db"
    _random_store(path, seed)
    config = parse_config(CONFIG)
    since = NOW - timedelta(days=days)
    with open_store(path) as store:
        got = build(config, store, NOW, since, None, sources, product, 4.7)
        own = list(sources) or ["shop", "market"]
        want = _reference(store, since, NOW, own, ["rival"], product, 4.7)
    assert got["answers"]["needing_reply"] > 0 and got["trend"]["points"]
    assert got["reply_effect"]["answered"] > 0
    for key in ("totals", "trend", "answers", "topics", "worst_products", "reply_effect",
                "forecast", "comparison"):  # fmt: skip
        assert got[key] == want[key], key
    assert got["rating"] == want["rating"]
    assert got["suspicious"]["extortion"] == want["extortion"]


def test_weeks_are_named_as_sqlite_names_them(tmp_path: Path) -> None:
    """Weekly trend buckets come from the days' names (one strftime a day): across year ends
    they are the weeks SQLite gives each item's time."""
    items = [
        Item(source="shop", platform="wildberries", kind="review", external_id=f"w{n}",
             created_at=datetime(2020, 12, 20, 13, tzinfo=UTC) + timedelta(days=n), rating=5)
        for n in range(0, 800, 3)
    ]  # fmt: skip
    with open_store(tmp_path / "w.db") as store:
        with store.transaction():
            store.upsert_items(items, _analysis, NOW)
        rows = store.period_counts("2020-01-01T00:00:00Z", "2024-01-01T00:00:00Z", None, "week")
        want: dict[str, int] = defaultdict(int)
        for (name,) in store.conn.execute("SELECT strftime('%Y-W%W', created_at) FROM items"):
            want[name] += 1
    assert {r["bucket"]: r["items"] for r in rows} == want


def _plans(store: Store, run: Any) -> list[str]:
    """The query plans of every statement `run` makes the store execute."""
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        run()
    finally:
        store.conn.set_trace_callback(None)
    plans = []
    for sql in statements:
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            plans += [str(r[3]) for r in store.conn.execute("EXPLAIN QUERY PLAN " + sql)]
    return plans


def test_the_reports_aggregates_read_covering_indexes_only(tmp_path: Path) -> None:
    """No aggregate reads an item's row (with its text): every use of `items` is a search
    of a covering index (linear in the span, never a scan of the table). The signal window
    reads rows: it is bounded by `signal_items` (below). With --product, that product's items
    in the period may be read; the reply effect reads the items edited since the period
    began."""
    path = tmp_path / "r.db"
    _random_store(path, 7)
    s, u, ps = (
        "2026-10-24T09:00:00.000000Z",
        "2026-11-23T09:00:00.000000Z",
        "2026-09-24T09:00:00.000000Z",
    )
    own = ["shop", "market"]
    sla = {("shop", None): 30 * 3600 * 10**6, ("shop", "question"): 5 * 3600 * 10**6}
    with open_store(path) as store:
        calls = [
            lambda: store.period_counts(s, u, None, "day"),
            lambda: store.period_counts(s, u, None, "week"),
            lambda: store.period_counts(ps, s, "p1", None),
            lambda: store.answer_summary(s, u, own, None, sla, 24 * 3600 * 10**6, 10**16),
            lambda: store.answer_hours_at(s, u, own, "p2", [0, 1, 5]),
            lambda: store.topic_counts(ps, s, u, own, None),
            lambda: store.product_ratings(ps, s, u, own),
            lambda: store.reply_effect(s, u, own, None),
            lambda: store.nth_latest(ps, ["rival"], 50),
        ]
        for call in calls:
            plans = _plans(store, call)
            on_items = [p for p in plans if " items" in f" {p}" or " i " in f" {p} "]
            assert on_items, plans
            for plan in on_items:
                bounded = "COVERING INDEX" in plan or "(product_id=? AND created_at>?" in plan
                # the items edited since the period began, looked up by id (reply effect)
                bounded = bounded or plan == "SEARCH i USING INTEGER PRIMARY KEY (rowid=?)"
                assert plan.startswith("SEARCH") and bounded, plans


def _burst_store(path: Path) -> None:
    """A burst of near-identical reviews 20 days ago, then 30 ordinary reviews since."""
    text = "Очень плохой товар, пришёл сломанный, не покупайте его никогда"
    burst = [
        Item(source="shop", platform="wildberries", kind="review", external_id=f"b{n}",
             created_at=NOW - timedelta(days=20, hours=n), text=text + "!" * n, rating=1,
             product_id="p1", author=f"a{n}")
        for n in range(4)
    ]  # fmt: skip
    later = [
        Item(source="shop", platform="wildberries", kind="review", external_id=f"o{n}",
             created_at=NOW - timedelta(days=10, hours=-5 * n), text=f"обычный отзыв номер {n} " * 2,
             rating=5, product_id=f"q{n}", author=f"c{n}")
        for n in range(30)
    ]  # fmt: skip
    with open_store(path) as store, store.transaction():
        store.upsert_items([*burst, *later], _analysis, NOW)


def test_bursts_and_authors_are_looked_for_among_the_latest_items_only(tmp_path: Path) -> None:
    """The rule (issue 23): near-duplicate bursts and one-star authors are looked for among
    the signal window's latest `signal_items` items; `capped_since` says from when when that
    cut the window, and is null when the window was read whole."""
    path = tmp_path / "b.db"
    _burst_store(path)
    config = parse_config(CONFIG)
    since = NOW - timedelta(days=30)
    with open_store(path) as store:
        whole = build(config, store, NOW, since, signal_items=34)["suspicious"]
        cut = build(config, store, NOW, since, signal_items=30)["suspicious"]
        more = build(config, store, NOW, since, signal_items=31)["suspicious"]
        latest = [r[0] for r in store.conn.execute(
            "SELECT created_at FROM items ORDER BY created_at DESC")]  # fmt: skip
    assert whole["bursts"] == 1 and whole["capped_since"] is None
    assert cut["bursts"] == 0 and cut["capped_since"] == latest[29]
    # The 31st latest is the burst's last review: one review alone makes no burst.
    assert more["bursts"] == 0 and more["capped_since"] == latest[30]
    assert whole["signals"] - whole["bursts"] == cut["signals"]  # the other signals stay

"""Incremental signals (`signals.fresh`, what `check` runs) find exactly what `detect` over the
whole window finds for the fresh items, in the same order, without reading the whole window."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from repcli.analysis import signals
from repcli.clock import to_iso
from repcli.config import SignalSettings
from repcli.store import Store, open_store

NOW = datetime.fromisoformat("2026-11-23T09:00:00+00:00")
SINCE = NOW - timedelta(days=30)
BASE = "Ужасное качество, развалилось после первой стирки, не покупайте"
TEXTS = [
    BASE,
    BASE.lower() + "!!",
    BASE + " 😡",
    BASE.replace("качество", "качество — всё"),
    "Курьер опоздал на три дня, коробка мятая, внутри всё перевёрнуто",
    "Курьер опоздал на три дня, коробка мятая",
    "Отличное качество, всё как в описании, спасибо",
    "коротко",
    "",
]
AUTHORS = ["Анна К.", "анна к. ", "АННА К.", "Ivan", "ivan", "Покупатель", None]
COMPETITOR = "rival"


def _insert(store: Store, rows: list[dict[str, Any]]) -> None:
    cols = list(rows[0])
    store.conn.executemany(
        f"INSERT INTO items ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        [[r[c] for c in cols] for r in rows],
    )
    store.conn.execute(  # as upsert_items does: the index must match the table
        "INSERT INTO items_fts (rowid, title, text, pros, cons) "
        "SELECT id, title, text, pros, cons FROM items"
    )


def _row(i: int, spec: tuple[Any, ...]) -> dict[str, Any]:
    text, hours, rating, product, platform, author, negative, topics, rival = spec
    return {
        "id": i, "source": COMPETITOR if rival else "shop", "external_id": f"x{i}",
        "kind": "review", "platform": platform, "product_id": product,
        "product_name": f"Товар {product}" if product else None, "author": author,
        "rating": rating, "negative": int(negative), "topics": json.dumps(topics),
        "text": text, "created_at": to_iso(NOW - timedelta(hours=hours)), "status": "new",
    }  # fmt: skip


ROWS = st.lists(
    st.tuples(
        st.sampled_from(TEXTS),
        st.floats(-2, 80) | st.floats(-2, 24 * 33),
        st.sampled_from([None, 1, 1, 1, 2, 5]),
        st.sampled_from(["p1", "p2", "p3:x", None]),
        st.sampled_from(["wildberries", "ozon"]),
        st.sampled_from(AUTHORS),
        st.booleans(),
        st.lists(st.sampled_from(["delivery", "damaged", "extortion", "качество"]), max_size=2),
        st.sampled_from([False, False, False, True]),
    ),
    min_size=1,
    max_size=60,
)
SETTINGS = st.sampled_from([
    SignalSettings(),
    SignalSettings(duplicate_min=2, one_star_min=2, spike_min=2, cluster_min=2, author_min=2),
    SignalSettings(duplicate_similarity=0.3, burst_hours=400, cluster_days=20, spike_min=1),
])  # fmt: skip


@settings(max_examples=120, deadline=None)
@given(ROWS, st.data(), SETTINGS)
def test_fresh_finds_what_detect_finds_for_the_fresh_items(
    specs: list[tuple[Any, ...]], data: st.DataObject, s: SignalSettings
) -> None:
    rows = [_row(i + 1, spec) for i, spec in enumerate(specs)]
    ids = [r["id"] for r in rows]
    fresh = data.draw(st.sets(st.sampled_from([*ids, 999])) | st.just(set(ids[len(ids) // 2 :])))
    store = _scratch_store()
    store.conn.execute("DELETE FROM items")
    _insert(store, rows)
    everything = signals.detect(store.recent_for_signals(SINCE, [COMPETITOR]), NOW, s)
    expected = [x for x in everything if fresh & set(x.item_ids)]
    found = signals.fresh(store.signal_window(SINCE, [COMPETITOR]), fresh, NOW, s)
    assert found == expected


_SCRATCH: list[Store] = []


def _scratch_store() -> Store:
    """One store for every example (a new one each would be most of the test's time)."""
    if not _SCRATCH:
        folder = tempfile.mkdtemp()
        _SCRATCH.append(open_store(Path(folder) / "s.db"))
    return _SCRATCH[0]


def test_fresh_reads_only_near_the_fresh_items(tmp_path: Path) -> None:
    """A burst of three fresh near-duplicates among 2,000 other items of the window: the
    texts read are the product's within the burst window, not the window's."""
    rows = [
        _row(i, (f"{BASE} {i}" * 2, i % 700, 5, f"q{i % 50}", "wildberries", "Ivan", False, [],
                 False))
        for i in range(1, 2001)
    ]  # fmt: skip
    rows += [_row(3000 + k, (TEXTS[k], k, 1, "p1", "wildberries", None, True, [], False))
             for k in range(3)]  # fmt: skip
    with open_store(tmp_path / "s.db") as store:
        _insert(store, rows)
        window = store.signal_window(SINCE)
        read: list[int] = []
        original = window.product_texts

        def counting(*args: Any, **kw: Any) -> list[dict[str, Any]]:
            found = original(*args, **kw)
            read.append(len(found))
            return found

        window.product_texts = counting  # type: ignore[method-assign]
        (burst, *_) = signals.fresh(window, [3000, 3001, 3002], NOW)
    assert burst.kind == "burst" and burst.item_ids == (3000, 3001, 3002)
    assert sum(read) <= 6


@settings(max_examples=120, deadline=None)
@given(ROWS, SETTINGS)
def test_period_finds_what_detect_finds_but_clusters(
    specs: list[tuple[Any, ...]], s: SignalSettings
) -> None:
    """What a report counts: every signal of the window but topic clusters, read piecemeal."""
    rows = [_row(i + 1, spec) for i, spec in enumerate(specs)]
    store = _scratch_store()
    store.conn.execute("DELETE FROM items")
    _insert(store, rows)
    everything = signals.detect(store.recent_for_signals(SINCE, [COMPETITOR]), NOW, s)
    expected = [x for x in everything if x.kind != "topic-cluster"]
    found = signals.period(store.signal_window(SINCE, [COMPETITOR]), NOW, s)
    assert sorted(found, key=repr) == sorted(expected, key=repr)

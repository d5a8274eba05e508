"""What keeps the daily `check` independent of the store's history: the queue counted from an
index, and the full-text index rewritten only when an item's words change."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from repcli.clock import to_iso
from repcli.store import ItemFilter, Store, open_store

NOW = datetime.fromisoformat("2026-11-23T09:00:00+00:00")


def _add(store: Store, i: int, **kw: object) -> None:
    row: dict[str, object] = {
        "source": "shop", "external_id": str(i), "kind": "review", "text": f"коробка мятая {i}",
        "created_at": to_iso(NOW - timedelta(days=i)), "status": "new", "needs_reply": 1,
    } | kw  # fmt: skip
    cols = list(row)
    store.conn.execute(
        f"INSERT INTO items ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        list(row.values()),
    )
    store.conn.execute(
        "INSERT INTO items_fts (rowid, title, text, pros, cons) "
        "SELECT id, title, text, pros, cons FROM items WHERE rowid = last_insert_rowid()"
    )


def _index_state(store: Store) -> list[tuple[object, ...]]:
    return store.conn.execute("SELECT id, block FROM items_fts_data ORDER BY id").fetchall()


def test_updating_other_columns_leaves_the_search_index_alone(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.db") as store:
        _add(store, 1)
        before = _index_state(store)
        store.conn.execute(
            "UPDATE items SET status = 'open', reported_at = ?, last_seen_at = ?, negative = 1, "
            "topics = '[\"damaged\"]' WHERE id = 1",
            (to_iso(NOW), to_iso(NOW)),
        )
        store.conn.execute("UPDATE items SET text = text, title = title WHERE id = 1")
        assert _index_state(store) == before


def test_editing_the_words_updates_the_search_index(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.db") as store:
        _add(store, 1)
        _add(store, 2)
        store.conn.execute("UPDATE items SET text = 'заменили на целую' WHERE id = 1")
        store.conn.execute("UPDATE items SET cons = 'целую не прислали' WHERE id = 2")
        assert [r["id"] for r in store.search("целую", ItemFilter())] == [1, 2]
        assert [r["id"] for r in store.search("мятая", ItemFilter())] == [2]
        store.conn.execute("INSERT INTO items_fts (items_fts) VALUES ('integrity-check')")


def test_queue_counts_are_what_the_queue_lists(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.db") as store:
        due = {"past": to_iso(NOW - timedelta(hours=1)), "future": to_iso(NOW + timedelta(1))}
        _add(store, 1, due_at=due["past"])
        _add(store, 2, due_at=due["future"], status="open")
        _add(store, 3, due_at=None)
        _add(store, 4, due_at="")
        _add(store, 5, due_at=due["past"], answer_text="Спасибо")
        _add(store, 6, due_at=due["past"], status="answered")
        _add(store, 7, due_at=due["past"], needs_reply=0)
        _add(store, 8, due_at=due["past"], source="rival")
        queue = store.queue(NOW, ItemFilter(), exclude_sources=["rival"])
        overdue = [q for q in queue if q["due_at"] and q["due_at"] < to_iso(NOW)]
        assert sorted(q["id"] for q in queue) == [1, 2, 3, 4]
        assert store.queue_counts(NOW, ItemFilter(), ["rival"]) == (len(queue), len(overdue))
        assert store.queue_counts(NOW, ItemFilter()) == (5, 2)


def test_the_queue_is_counted_from_a_covering_index(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.db") as store:
        plan = store.conn.execute(
            "EXPLAIN QUERY PLAN SELECT count(*), sum(items.due_at <> '' AND items.due_at < ?) "
            "FROM items WHERE items.needs_reply = 1 AND items.answer_text IS NULL "
            "AND items.status IN ('new', 'open') AND items.source NOT IN (?)",
            ("x", "rival"),
        ).fetchall()
    assert "COVERING INDEX items_open_queue" in " ".join(str(row[-1]) for row in plan)


def test_overdue_is_the_queue_past_its_deadline_in_its_order(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.db") as store:
        hours = [5, -3, 2, 9, 1, 7, -1, 4]
        for i, h in enumerate(hours, 1):
            due = to_iso(NOW - timedelta(hours=h))
            _add(store, i, due_at=due, negative=i % 3 == 0, source="rival" if i == 4 else "shop")
        _add(store, 20, due_at="")
        _add(store, 21, due_at=None)
        stamp = to_iso(NOW) or ""
        for exclude in ([], ["rival"]):
            queue = store.queue(NOW, ItemFilter(), exclude_sources=exclude)
            expected = [q["id"] for q in queue if q.get("due_at") and q["due_at"] < stamp]
            overdue = store.overdue(NOW, ItemFilter(), exclude_sources=exclude)
            assert [q["id"] for q in overdue] == expected and len(expected) >= 5
            assert overdue == [q for q in queue if q["id"] in set(expected)]


def test_alerts_on_fresh_items_are_the_window_signals_they_take_part_in(tmp_path: Path) -> None:
    """`alerts.collect` given the fresh items reads near them; given every item of the window,
    it finds what the full `detect` finds."""
    from repcli import alerts
    from repcli.sources.registry import parse_config

    config = parse_config(
        "sources:\n  - {name: shop, type: demo}\n  - {name: rival, type: demo, competitor: true}\n"
        "alerts:\n  destinations: {team: 'json://127.0.0.1:9/x'}\n  rules:\n"
        "    - {rule: burst, to: [team]}\n    - {rule: spike, to: [team]}\n"
        "    - {rule: topic-cluster, to: [team]}\n    - {rule: sla-breach, to: [team]}\n"
    )
    text = "Ужасное качество, развалилось после первой стирки, не покупайте"
    with open_store(tmp_path / "s.db") as store:
        for i in range(1, 13):
            _add(
                store, i, text=text + "!" * (i % 2), product_id=f"p{i % 2}", rating=1,
                negative=1, topics='["quality"]', author=f"A{i % 4}", due_at=to_iso(NOW - timedelta(hours=i)),
                created_at=to_iso(NOW - timedelta(hours=i * 3)),
            )  # fmt: skip
        every = alerts.collect(config, store, NOW)
        assert {rule for rule, found in every.items() if found} == {
            "burst", "spike", "topic-cluster", "sla-breach",
        }  # fmt: skip
        assert alerts.collect(config, store, NOW, fresh_ids=range(1, 13)) == every
        only = alerts.collect(config, store, NOW, fresh_ids=[1])
        assert only["sla-breach"] == every["sla-breach"]
        assert all("#1," in e.line or "#1)" in e.line for e in only["spike"] + only["burst"])

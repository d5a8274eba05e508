from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from repcli.errors import ExitCode, StoreError
from repcli.models import Item, Verdict
from repcli.store import ItemFilter, Store, open_store
from repcli.store.migrations import MIGRATIONS
from repcli.store.writes import Analysis

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def item(external_id: str, rating: int | None = 1, text: str = "сломалось", **kw: object) -> Item:
    return Item(
        source="s",
        platform="p",
        kind="review",
        external_id=external_id,
        created_at=T0,
        rating=rating,
        text=text,
        **kw,
    )  # type: ignore[arg-type]


def analyse(it: Item) -> Analysis:
    neg = (it.rating or 5) <= 2
    return Analysis(
        Verdict("negative" if neg else "positive", 1.0 if neg else 0.0, neg, ("r",)),
        neg,
        T0 + timedelta(hours=24),
    )


def count(store: Store, table: str) -> int:
    return int(store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def tables(store: Store) -> set[str]:
    if store.dialect.name == "sqlite":
        return set(store.db.table_names())
    sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    return {r[0] for r in store.conn.execute(sql)}


def test_migrations_from_empty_and_reopen(store_target: Path | str, tmp_path: Path) -> None:
    path = tmp_path / "sub" / "x.db" if isinstance(store_target, Path) else store_target
    store = open_store(path)
    names = [r[0] for r in store.conn.execute("SELECT name FROM _migrations ORDER BY name")]
    assert names == [name for name, _ in MIGRATIONS]
    if store.dialect.name == "sqlite":
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {
        "items",
        "item_versions",
        "replies",
        "runs",
        "source_state",
        "alerts",
        "items_fts",
        "changes",
        "export_marks",
        "rejects",
        "events",
        "orders",
    } <= tables(store)
    store.close()
    again = open_store(path)
    assert [r[0] for r in again.conn.execute("SELECT name FROM _migrations ORDER BY name")] == (
        names
    )
    again.close()


def test_newer_store_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    open_store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(StoreError, match="written by a newer repcli") as info:
        open_store(path)
    assert info.value.exit_code is ExitCode.STORE


def test_corrupt_file_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not a repcli store, or the file is corrupt"):
        open_store(path)
    assert path.read_bytes().startswith(b"this is not sqlite")  # left untouched


def test_directory_and_missing(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a folder"):
        open_store(tmp_path)
    with pytest.raises(StoreError, match="no store yet"):
        open_store(tmp_path / "nope.db", create=False)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    open_store(path).close()
    path.chmod(0)
    with pytest.raises(StoreError):
        open_store(path)


def test_unwritable_folder_for_new_store(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create the store's folder"):
        open_store(blocker / "x.db")


def test_locked_store_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    store = open_store(path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    store.conn.execute("PRAGMA busy_timeout = 50")
    with pytest.raises(StoreError, match="locked by another repcli run"), store.transaction():
        pass
    other.execute("ROLLBACK")
    with store.transaction():
        pass


def test_upsert_versions_and_keys(store_target: Path | str) -> None:
    store = open_store(store_target)
    with store.transaction():
        first = store.upsert_items([item("1"), item("2", rating=5, text="отлично")], analyse, T0)
    assert len(first.new_ids) == 2
    with store.transaction():
        same = store.upsert_items([item("1"), item("2", rating=5, text="отлично")], analyse, T0)
    assert (same.new_ids, same.changed_ids, same.unchanged) == ([], [], 2)
    later = T0 + timedelta(days=1)
    with store.transaction():
        edit = store.upsert_items([item("1", rating=4, text="заменили, спасибо")], analyse, later)
    assert edit.changed_ids == first.new_ids[:1]
    versions = store.versions(first.new_ids[0])
    assert [(v["rating"], v["text"]) for v in versions] == [(1, "сломалось")]
    current = store.get_item(first.new_ids[0])
    assert current is not None and current["rating"] == 4 and current["negative"] is False
    assert count(store, "items") == 2


def test_new_and_edited_items_are_searchable(store_target: Path | str) -> None:
    store = open_store(store_target)
    with store.transaction():
        ids = store.upsert_items(
            [item(str(i), text=f"посылка {i} пришла мятая") for i in range(900)], analyse, T0
        ).new_ids
    assert len(ids) == 900 == len(set(ids))
    assert [r["external_id"] for r in store.search("мятая", ItemFilter())][:1] != []
    assert len(store.search("мятая", ItemFilter())) == 900
    with store.transaction():
        store.upsert_items([item("7", text="заменили на целую")], analyse, T0)
    assert [r["id"] for r in store.search("целую", ItemFilter())] == [ids[7]]
    assert len(store.search("мятая", ItemFilter())) == 899
    if store.dialect.name != "sqlite":
        return
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.conn.execute("INSERT INTO items_fts (items_fts) VALUES ('integrity-check')")


def test_a_store_indexed_by_the_old_trigger_is_not_indexed_twice(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    with store_at(path, upto="m003_exports") as store:  # as repcli 0.1 left it: a trigger
        store.conn.execute(
            "INSERT INTO items (source, external_id, kind, created_at, text) "
            "VALUES ('s', 'old', 'review', '2026-11-01', 'коробка мятая')"
        )
        store.conn.commit()
    store = open_store(path)
    with store.transaction():
        store.upsert_items([item("new", text="коробка мятая")], analyse, T0)
    assert sorted(r["external_id"] for r in store.search("мятая", ItemFilter())) == ["new", "old"]
    triggers = {
        r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")
    }
    assert "items_ai" not in triggers and {"items_au", "items_ad"} <= triggers


@contextlib.contextmanager
def store_at(path: Path, upto: str) -> Iterator[Store]:
    """A store with the migrations up to `upto` only (an older repcli's)."""
    import repcli.store.db as db

    names = [name for name, _ in MIGRATIONS]
    older = MIGRATIONS[: names.index(upto) + 1]
    original = list(db.MIGRATIONS)
    db.MIGRATIONS[:] = older
    try:
        store = open_store(path)
        yield store
        store.close()
    finally:
        db.MIGRATIONS[:] = original


def test_duplicate_within_batch_and_other_source(store_target: Path | str) -> None:
    store = open_store(store_target)
    other = item("1")
    other.source = "t"
    with store.transaction():
        result = store.upsert_items([item("1"), item("1", text="v2"), other], analyse, T0)
    assert len(result.new_ids) == 2


def test_answer_on_platform_closes_item(store_target: Path | str) -> None:
    store = open_store(store_target)
    with store.transaction():
        (item_id,) = store.upsert_items([item("1")], analyse, T0).new_ids
    assert [r["id"] for r in store.queue(T0, ItemFilter())] == [item_id]
    answered = item("1", answer_text="Извините, заменим", answered_at=T0)
    with store.transaction():
        store.upsert_items([answered], analyse, T0)
    assert store.queue(T0, ItemFilter()) == []
    row = store.get_item(item_id)
    assert row is not None and row["status"] == "answered"


def test_rollback_keeps_store_intact(store_target: Path | str) -> None:
    store = open_store(store_target)
    with pytest.raises(RuntimeError), store.transaction():
        store.upsert_items([item("1")], analyse, T0)
        raise RuntimeError("killed half way")
    assert count(store, "items") == 0


def test_edit_without_answer_keeps_the_answer_we_saw(store_target: Path | str) -> None:
    store = open_store(store_target)
    with store.transaction():
        (item_id,) = store.upsert_items(
            [item("1", answer_text="Заменим!", answered_at=T0)], analyse, T0
        ).new_ids
    with store.transaction():
        store.upsert_items([item("1", text="сломалось снова")], analyse, T0 + timedelta(hours=1))
    row = store.get_item(item_id)
    assert row is not None and row["text"] == "сломалось снова" and row["answer_text"] == "Заменим!"


def test_a_value_the_engine_refuses_costs_only_its_row(store_target: Path | str) -> None:
    store = open_store(store_target)
    batch = [item("1"), item("huge", rating=2**70), item("2")]
    with store.transaction():
        result = store.upsert_items(batch, analyse, T0)
        store.record_rejects("s", result.rejects, T0, None)
    assert len(result.new_ids) == 2
    assert [r.external_id for r in result.rejects] == ["huge"]
    assert sorted(r["external_id"] for r in store.list_items(ItemFilter())) == ["1", "2"]
    with store.transaction():  # seen again: one row, counted twice
        again = store.upsert_items([item("huge", rating=2**70)], analyse, T0)
        store.record_rejects("s", again.rejects, T0 + timedelta(hours=1), None)
    rows = store.conn.execute("SELECT key, count, last_seen_at FROM rejects").fetchall()
    assert [tuple(r) for r in rows] == [("huge", 2, "2026-11-20T13:00:00.000000Z")]


def test_a_nul_character_is_a_reject_on_both_engines(store_target: Path | str) -> None:
    """A NUL character: PostgreSQL text cannot hold it, so on both engines the item is kept
    aside like any row the store refuses (the same store on either engine), with a reason
    that says why; the rest of the batch is stored."""
    store = open_store(store_target)
    with store.transaction():
        result = store.upsert_items([item("1"), item("nul", text="a\x00b")], analyse, T0)
    stored = sorted(r["external_id"] for r in store.list_items(ItemFilter()))
    assert stored == ["1"] and [r.external_id for r in result.rejects] == ["nul"]
    assert "NUL" in result.rejects[0].reason

"""The store on PostgreSQL: what only PostgreSQL has (URLs, connecting, the advisory write
lock, the placeholder translation), and the invariants that concurrent writers must keep on
both engines."""

from __future__ import annotations

import dataclasses
import re
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from repcli.errors import ExitCode, StoreError
from repcli.models import Item, Verdict
from repcli.store import ItemFilter, open_store
from repcli.store.dialect import WRITE_LOCK, redact_url
from repcli.store.migrations import MIGRATIONS
from repcli.store.pg import translate
from repcli.store.pg_schema import MIGRATIONS as PG_MIGRATIONS
from repcli.store.writes import Analysis
from tests.test_store import T0, item


def analyse(it: Item) -> Analysis:
    neg = (it.rating or 5) <= 2
    return Analysis(
        Verdict("negative" if neg else "positive", 1.0 if neg else 0.0, neg, ("r",)),
        neg,
        T0 + timedelta(hours=24),
    )


# ----------------------------------------------------------------- without a server


def test_both_engines_have_the_same_migrations() -> None:
    assert [name for name, _ in PG_MIGRATIONS] == [name for name, _ in MIGRATIONS]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT a FROM t WHERE b = ? AND c IN (?, ?)", "SELECT a FROM t WHERE b = %s AND c IN (%s, %s)"),
        ("SELECT '?' , \"we?rd\", ? -- what?\n", "SELECT '?' , \"we?rd\", %s -- what?\n"),
        ("SELECT 'it''s ?', ?", "SELECT 'it''s ?', %s"),
        ("x LIKE '%\"a\"%' AND y = ? /* 50% ? */", "x LIKE '%%\"a\"%%' AND y = %s /* 50%% ? */"),
        ("SELECT 5 % ?", "SELECT 5 %% %s"),
    ],
)  # fmt: skip
def test_placeholders_outside_literals_become_psycopg_ones(sql: str, expected: str) -> None:
    assert translate(sql) == expected


def test_a_url_is_shown_without_its_password() -> None:
    assert redact_url("postgresql://ann:s3cret@db.example:5433/rep") == (
        "postgresql://ann:***@db.example:5433/rep"
    )
    assert "s3cret" not in redact_url("postgres://ann@db/rep?password=s3cret&sslmode=require")
    assert redact_url("postgresql://ann@db/rep") == "postgresql://ann@db/rep"


def test_connection_failure_names_the_host_not_the_password() -> None:
    pytest.importorskip("psycopg")
    url = "postgresql://ann:s3cret@127.0.0.1:1/rep?connect_timeout=2"
    with pytest.raises(StoreError) as info:
        open_store(url)
    text = f"{info.value} {info.value.hint}"
    assert "127.0.0.1:1" in text and "s3cret" not in text
    assert "postgresql://ann:***@127.0.0.1:1/rep" in str(info.value)
    assert info.value.exit_code is ExitCode.STORE


def test_without_psycopg_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg raises ImportError
    with pytest.raises(StoreError) as info:
        open_store("postgresql://ann:s3cret@db.example/rep")
    assert info.value.hint == "pip install 'repcli[postgres]'"
    assert "s3cret" not in str(info.value)


# ----------------------------------------------------------------- on a server


def test_a_newer_store_is_refused(pg_url: str) -> None:
    open_store(pg_url).close()
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO _migrations (name, applied_at) VALUES ('m999_future', '')")
    with pytest.raises(StoreError, match="written by a newer repcli") as info:
        open_store(pg_url)
    assert info.value.exit_code is ExitCode.STORE


def test_a_held_write_lock_is_the_locked_error(pg_url: str) -> None:
    import psycopg

    store = open_store(pg_url)
    store.dialect.busy_timeout_ms = 50
    with psycopg.connect(pg_url, autocommit=True) as other:
        other.execute("BEGIN")
        other.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")  # another run writes
        with pytest.raises(StoreError, match="locked by another repcli run"), store.transaction():
            pass
        other.execute("ROLLBACK")
    with store.transaction():  # the failed wait left nothing open
        store.upsert_items([item("1")], analyse, T0)
    assert len(store.list_items(ItemFilter())) == 1
    store.close()


def test_an_error_that_escapes_names_the_store_without_its_password(pg_url: str) -> None:
    import psycopg

    from repcli.store.base import as_store_error

    store = open_store(pg_url)
    with pytest.raises(psycopg.Error) as info, store.transaction():
        store.conn.execute("SELECT no_such_column FROM items")
    assert store.path == redact_url(pg_url)
    error = as_store_error("postgresql://ann:s3cret@db/rep", info.value)
    assert error is not None and "s3cret" not in str(error)
    assert str(error).startswith("postgresql://ann:***@db/rep: store error:")
    assert as_store_error(store.path, ValueError("not the store's")) is None
    with store.transaction():  # the failed transaction was rolled back
        pass
    store.close()


# ----------------------------------------------------------------- concurrent writers


def _together(workers: int, work: object) -> list[object]:
    """Run `work(i)` in `workers` threads started at the same moment; their results."""
    barrier = threading.Barrier(workers)
    results: list[object] = [None] * workers
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)  # type: ignore[operator]
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


def test_concurrent_upserts_of_the_same_items_leave_no_duplicates(
    store_target: Path | str,
) -> None:
    stores = [open_store(store_target) for _ in range(4)]  # one connection per writer
    batch = [item(str(i), text=f"посылка {i} мятая") for i in range(1000)]

    def write(i: int) -> tuple[int, int, int]:
        with stores[i].transaction():
            done = stores[i].upsert_items(batch, analyse, T0 + timedelta(minutes=i))
        return len(done.new_ids), done.unchanged, len(done.rejects)

    results = _together(4, write)
    for each in stores[1:]:
        each.close()
    # One writer stored them; the others, after it, found them all there: none refused.
    assert sorted(results) == [(0, 1000, 0)] * 3 + [(1000, 0, 0)]  # type: ignore[type-var]
    store = stores[0]
    rows = store.conn.execute(
        "SELECT count(*), count(DISTINCT external_id) FROM items WHERE source = 's'"
    ).fetchone()
    assert tuple(rows) == (1000, 1000)
    numbered = store.conn.execute(
        "SELECT count(*), count(DISTINCT row_id) FROM changes WHERE kind = 'items'"
    ).fetchone()
    assert tuple(numbered) == (1000, 1000)
    assert len(store.search("мятая", ItemFilter())) == 1000
    store.close()


def test_concurrent_claims_post_a_reply_once(store_target: Path | str) -> None:
    store = open_store(store_target)
    with store.transaction():
        (item_id,) = store.upsert_items([item("1")], analyse, T0).new_ids
        reply_id = store.save_draft(item_id, "Извините!", None, T0, "ann")
        store.approve_reply(reply_id, T0, "ann")
    store.close()

    stores = [open_store(store_target) for _ in range(6)]

    def claim(i: int) -> bool:
        return stores[i].claim_for_posting(reply_id, T0 + timedelta(seconds=i))

    results = _together(6, claim)
    for each in stores:
        each.close()
    assert results.count(True) == 1 and results.count(False) == 5
    store = open_store(store_target)
    assert store.reply(reply_id)["status"] == "posting"
    assert store.reply(reply_id)["attempts"] == 1
    store.close()


def test_export_marks_follow_commit_order_across_writers(store_target: Path | str) -> None:
    """Numbers in the change sequence are handed out in commit order: after all writers, the
    items' numbers are distinct and a bookmark taken from the newest number misses none."""
    open_store(store_target).close()

    def write(i: int) -> None:
        store = open_store(store_target)
        try:
            for n in range(5):
                with store.transaction():
                    store.upsert_items([item(f"{i}-{n}")], analyse, T0)
        finally:
            store.close()

    _together(3, write)
    store = open_store(store_target)
    batch = store.export_changes("items")
    assert len(batch.rows) == 15 and len({r["external_id"] for r in batch.rows}) == 15
    assert store.export_changes("items", after=batch.mark).rows == []
    store.close()


def test_a_writer_waits_for_the_one_before_so_no_export_skips_a_change(pg_url: str) -> None:
    """Writer A holds a change; writer B, starting after it, must commit after it: else an
    export between B's commit and A's would bookmark past A's change and lose it forever."""
    first, second, reader = (open_store(pg_url) for _ in range(3))
    first.begin()
    first.upsert_items([item("a")], analyse, T0)  # numbered, not committed

    def write_b() -> None:
        with second.transaction():
            second.upsert_items([item("b")], analyse, T0)

    b = threading.Thread(target=write_b)
    b.start()
    waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    for _ in range(6000):  # until B is blocked on the write lock (or, wrongly, done)
        if not b.is_alive() or reader.conn.execute(waiting).fetchone()[0]:
            break
        threading.Event().wait(0.01)
    seen = reader.export_changes("items")
    first.commit()
    b.join(60)
    later = reader.export_changes("items", after=seen.mark)
    exported = [r["external_id"] for r in [*seen.rows, *later.rows]]
    assert sorted(exported) == ["a", "b"]
    for store in (first, second, reader):
        store.close()


def test_both_engines_end_with_the_same_tables_columns_and_indexes(
    tmp_path: Path, pg_url: str
) -> None:
    lite, pg = open_store(tmp_path / "x.db"), open_store(pg_url)
    derived = ("items_fts", "sqlite_sequence")
    lite_tables = [
        name
        for (name,) in lite.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not name.startswith(derived)
    ]
    pg_tables = [
        r[0]
        for r in pg.conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        if r[0] != "items_fts"
    ]
    assert sorted(pg_tables) == sorted(lite_tables)
    for table in lite_tables:
        lite_columns = [r[1] for r in lite.conn.execute(f"PRAGMA table_info({table})")]
        pg_columns = [
            r[0]
            for r in pg.conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position",
                (table,),
            )
        ]
        assert pg_columns == lite_columns, table
    lite_indexes = _sqlite_indexes(lite.conn)
    pg_indexes = {
        name: index
        for name, index in _pg_indexes(pg.conn).items()
        if not name.endswith("_pkey") and not name.startswith("items_fts")
    }
    assert sorted(pg_indexes) == sorted(lite_indexes)
    for name, index in lite_indexes.items():
        assert pg_indexes[name] == index, name
    lite.close()
    pg.close()


def _predicate(sql: str | None) -> str:
    """A partial index's condition as both engines can be compared: no parentheses, casts of
    literals or case."""
    if sql is None:
        return ""
    return " ".join(re.sub(r"::\w+|[()]", " ", sql).lower().split())


def _sqlite_indexes(conn: Any) -> dict[str, tuple[str, bool, list[str], str]]:
    """Each index made by a migration: (table, unique, key columns in order, condition)."""
    found = {}
    rows = conn.execute(
        'SELECT m.name, m.tbl_name, m.sql, l."unique" FROM sqlite_master m, '
        "pragma_index_list(m.tbl_name) l WHERE m.type = 'index' AND m.sql IS NOT NULL "
        "AND l.name = m.name"
    )
    for name, table, sql, unique in rows.fetchall():
        columns = [
            r[0]
            for r in conn.execute("SELECT name FROM pragma_index_info(?) ORDER BY seqno", (name,))
        ]
        where = re.search(r"\)\s+WHERE\s+(.*)$", sql, re.IGNORECASE | re.DOTALL)
        found[name] = (table, bool(unique), columns, _predicate(where and where.group(1)))
    return found


def _pg_indexes(conn: Any) -> dict[str, tuple[str, bool, list[str], str]]:
    """`_sqlite_indexes` of a PostgreSQL store's public schema."""
    rows = conn.execute(
        "SELECT c.relname, t.relname, x.indisunique, pg_get_expr(x.indpred, x.indrelid), "
        "array(SELECT pg_get_indexdef(x.indexrelid, k + 1, true) "
        "FROM generate_subscripts(x.indkey, 1) AS k ORDER BY k) "
        "FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid "
        "JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public'"
    )
    return {
        name: (table, bool(unique), list(columns), _predicate(where))
        for name, table, unique, where, columns in rows.fetchall()
    }


def test_text_sorts_and_folds_alike_on_both_engines(store_target: Path | str) -> None:
    """By code point, as SQLite sorts (`B` before `a`), whatever the database's locale; and
    a product filter folds Cyrillic case."""
    store = open_store(store_target)
    batch = []
    for source, name in (("a-shop", "полотенце Банное"), ("B-shop", "Полотенце банное")):
        each = item(source)
        each.source, each.product_name, each.product_id = source, name, "p1"
        batch.append(each)
    with store.transaction():
        store.upsert_items(batch, analyse, T0)
    for source in ("a-shop", "B-shop", "_x"):
        store.start_run("g", "fetch", source, T0)
    assert [r["source"] for r in store.source_status()] == ["B-shop", "_x", "a-shop"]
    found = store.list_items(ItemFilter(product="ПОЛОТЕНЦЕ БАННОЕ"))
    assert sorted(r["source"] for r in found) == ["B-shop", "a-shop"]
    (row,) = store.conn.execute("SELECT max(product_name) FROM items").fetchall()
    assert row[0] == "полотенце Банное"
    store.close()


def test_a_write_outside_a_transaction_takes_the_write_lock_too(pg_url: str) -> None:
    """As SQLite's autocommit write takes its lock: one statement with no BEGIN before it
    waits for the writer that holds the lock, and says so when it waits too long."""
    import psycopg

    from repcli.store.base import as_store_error

    store = open_store(pg_url)
    store.dialect.busy_timeout_ms = 50
    with psycopg.connect(pg_url, autocommit=True) as other:
        other.execute("BEGIN")
        other.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
        with pytest.raises(psycopg.Error) as info:
            store.conn.execute(
                "INSERT INTO source_state (source, consecutive_failures) VALUES (?, 0)", ("s",)
            )
        other.execute("ROLLBACK")
    error = as_store_error(store.path, info.value)
    assert error is not None and "locked by another repcli run" in str(error)
    assert not store.conn.in_transaction
    store.conn.execute(
        "INSERT INTO source_state (source, consecutive_failures) VALUES (?, 0)", ("s",)
    )
    assert store.conn.execute("SELECT count(*) FROM source_state").fetchone()[0] == 1
    store.close()


# ----------------------------------------------------------------- round trips (issue 21)


class _Counting:
    """A store connection that counts the statements sent through it (cursors included)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.statements: list[str] = []

    def execute(self, sql: str, params: Any = ()) -> Any:
        self.statements.append(sql)
        return self._inner.execute(sql, params)

    def executemany(self, sql: str, seq: Any) -> Any:
        self.statements.append(sql)
        return self._inner.executemany(sql, seq)

    def cursor(self) -> Any:
        owner, cur = self, self._inner.cursor()

        class Cursor:
            row_factory: Any = None

            def execute(self, sql: str, params: Any = ()) -> Any:
                owner.statements.append(sql)
                cur.row_factory = self.row_factory or cur.row_factory
                return cur.execute(sql, params)

        return Cursor()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def test_a_reupsert_of_unchanged_items_costs_a_few_statements_per_chunk(
    store_target: Path | str,
) -> None:
    from repcli.store.writes import _CHUNK

    n = 2 * _CHUNK + 7  # three chunks
    batch = [item(str(i), text=f"отзыв {i}") for i in range(n)]
    with open_store(store_target) as store:
        with store.transaction():
            store.upsert_items(batch, analyse, T0)
        counting = _Counting(store.conn)
        store.conn = counting  # type: ignore[assignment]
        later = T0 + timedelta(hours=1)
        with store.transaction():
            done = store.upsert_items(batch, analyse, later)
        store.conn = counting._inner
        assert (done.new_ids, done.changed_ids, done.unchanged) == ([], [], n)
        touches = [s for s in counting.statements if s.startswith("UPDATE items")]
        assert len(touches) == 3  # one per chunk, not one per item
        # savepoint, the stored rows, the touch, release: the same for any number of items
        assert len(counting.statements) <= 3 * 4 + 2
        seen = store.conn.execute(
            "SELECT last_seen_at, count(*) FROM items GROUP BY last_seen_at"
        ).fetchall()
        assert [tuple(row) for row in seen] == [("2026-11-20T13:00:00.000000Z", n)]
        assert store.conn.execute("SELECT count(*) FROM changes").fetchone()[0] == n


def _reingest(target: str | Path) -> list[tuple[Any, ...]]:
    """New, edited, answered and unchanged items in one batch; what the store then holds:
    the change sequence, versions and events in their order."""
    first = [item(str(i), text=f"отзыв {i}") for i in range(30)]
    second = []
    for i, old in enumerate(first):
        if i % 3 == 0:
            second.append(dataclasses.replace(old, text=f"отзыв {i} изменён", rating=5))
        elif i % 5 == 1:
            second.append(dataclasses.replace(old, answer_text="Спасибо", answered_at=T0))
        else:
            second.append(old)
    second += [item(str(i), text=f"новый {i}") for i in range(30, 40)]
    with open_store(target) as store:
        for at, batch in enumerate((first, second)):
            with store.transaction():
                store.upsert_items(batch, analyse, T0 + timedelta(hours=at))
        out: list[tuple[Any, ...]] = []
        for sql in (
            "SELECT kind, row_id FROM changes ORDER BY seq",
            "SELECT id, item_id, text, replaced_at FROM item_versions ORDER BY id",
            "SELECT id, item_id, action, detail FROM events ORDER BY id",
            "SELECT id, text, rating, answer_text, status, last_seen_at FROM items ORDER BY id",
        ):
            out += [tuple(row) for row in store.conn.execute(sql).fetchall()]
        assert len(store.search("изменён", ItemFilter())) == 10
    return out


def test_both_engines_store_a_reingest_alike(pg_url: str, tmp_path: Path) -> None:
    assert _reingest(pg_url) == _reingest(tmp_path / "store.db")


def test_a_store_migrated_to_postgresql_keeps_its_triggers_and_indexes(
    tmp_path: Path, pg_url: str, pg_server: Any
) -> None:
    from repcli.store.transfer import migrate

    fresh = pg_server.create_database()  # what a new store has: the reference
    try:
        with open_store(fresh) as reference:
            expected = _schema_objects(reference)
    finally:
        pg_server.drop_database(fresh)
    with open_store(tmp_path / "store.db") as source:
        with source.transaction():
            source.upsert_items([item(str(i), text=f"мятая {i}") for i in range(50)], analyse, T0)
        with open_store(pg_url) as target:
            assert all(copy.verified for copy in migrate(source, target))
            assert _schema_objects(target) == expected
            assert len(target.search("мятая", ItemFilter())) == 50
            with target.transaction():  # the triggers index and number what comes next
                target.upsert_items([item("new", text="свежая посылка")], analyse, T0)
            assert len(target.search("свежая", ItemFilter())) == 1
            last = target.conn.execute(
                "SELECT kind FROM changes ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            assert last[0] == "items"


def _schema_objects(store: Any) -> list[tuple[Any, ...]]:
    """Each index (name, definition) and trigger (name, enabled) of the store's tables."""
    rows = store.conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
        "UNION ALL SELECT tgname, tgenabled::text FROM pg_trigger WHERE NOT tgisinternal "
        "ORDER BY 1"
    ).fetchall()
    return [tuple(row) for row in rows]


def test_an_unreachable_server_is_named_with_why_on_one_line() -> None:
    """No server listens: the error names the host and port and the reason libpq gives
    (its first line, not its indented second), keeps the password out, and says what to do."""
    import socket

    from repcli.errors import StoreError

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(StoreError) as caught:
        open_store(f"postgresql://anna:pw-77x1@127.0.0.1:{port}/team")
    text = str(caught.value)
    assert "pw-77x1" not in text
    message = text.splitlines()[0]
    assert message.startswith(f"postgresql://anna:***@127.0.0.1:{port}/team: cannot connect")
    assert "Connection refused" in message and "  " not in message and "\t" not in message
    assert "hint:" in text

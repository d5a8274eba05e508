"""`export --since last-run` exports every change exactly once; a closed pipe never moves a
bookmark.

The bookmark is a change sequence (commit-ordered), not a clock: a writer whose clock says
"before the export" but that commits after it is still exported next time. `--limit` moves the
bookmark only past what was written; each filter has its own bookmark. Output that cannot be
written (a closed pipe, a full disk) is exit 8 and the bookmark stays where it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from repcli.clock import to_iso
from repcli.errors import ExitCode
from repcli.models import Item, Verdict
from repcli.store import Store, open_store
from repcli.store.exports import filter_key
from repcli.store.writes import Analysis
from tests.conftest import NOW, ROOT, Cli

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
DEMO_ITEMS = 377


def item(
    external_id: str, source: str = "wb-demo", text: str = "сломалось", rating: int = 1
) -> Item:
    return Item(
        source=source, platform="wildberries", kind="review", external_id=external_id,
        created_at=T0 - timedelta(days=1), rating=rating, text=text,
    )  # fmt: skip


def analyse(it: Item) -> Analysis:
    neg = (it.rating or 5) <= 2
    verdict = Verdict("negative" if neg else "positive", 1.0 if neg else 0.0, neg, ("r",))
    return Analysis(verdict, neg, T0 + timedelta(hours=24))


def add_items(store: Store, items: list[Item], seen: datetime) -> list[int]:
    with store.transaction():
        return store.upsert_items(items, analyse, seen).new_ids


def rows(cli: Cli, *args: str, now: str = NOW) -> list[dict]:  # type: ignore[type-arg]
    result = cli("export", *args, "--format", "jsonl", env={"REPCLI_NOW": now})
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture
def shop(cli: Cli, demo_config: Path) -> Iterator[Store]:
    """The demo shop checked once (377 items); the store, open for direct writes."""
    assert cli("check", "-q", "--format", "json").exit_code == 0
    store = open_store(demo_config.parent / "repcli-demo.db")
    yield store
    store.close()


# ----------------------------------------------------------------- 1. a sequence, not a clock


def test_a_writer_that_started_before_the_export_but_committed_after_is_exported(
    cli: Cli, shop: Store
) -> None:
    assert len(rows(cli, "--since", "last-run")) == DEMO_ITEMS
    # A `check` that started an hour before that export and committed only now.
    late = add_items(shop, [item("late-1"), item("late-2")], T0 - timedelta(hours=1))
    assert sorted(r["id"] for r in rows(cli, "--since", "last-run")) == sorted(late)
    assert rows(cli, "--since", "last-run") == []


def test_rows_committed_while_an_export_reads_come_in_the_next_export(
    cli: Cli, shop: Store, demo_config: Path
) -> None:
    """Two connections: the export reads while another writer's transaction is open; the writer
    commits before the export saves its bookmark (the race the wall clock lost)."""
    assert len(rows(cli, "--since", "last-run")) == DEMO_ITEMS
    reader = open_store(demo_config.parent / "repcli-demo.db")
    try:
        shop.begin()
        shop.upsert_items([item("race-1")], analyse, T0 - timedelta(minutes=5))
        shop.set_status([1], "resolved", T0 - timedelta(minutes=5), "ann")
        mark = reader.export_mark("items", "items", "")
        batch = reader.export_changes("items", after=mark)
        assert batch.rows == []  # the writer has not committed yet
        shop.commit()
        with reader.transaction():
            reader.set_export_mark("items", "items", "", batch.mark, len(batch.rows), T0)
    finally:
        reader.close()
    later = rows(cli, "--since", "last-run", now="2026-11-23T10:00:00Z")
    assert "race-1" in {r["external_id"] for r in later}
    assert {r["id"]: r["status"] for r in later}[1] == "resolved"
    assert len(later) == 2


def test_touching_items_on_a_fetch_is_not_a_change(cli: Cli, shop: Store) -> None:
    assert len(rows(cli, "--since", "last-run")) == DEMO_ITEMS
    assert cli("check", "-q", "--format", "json").exit_code == 0  # sees the same items again
    assert rows(cli, "--since", "last-run") == []
    for what in ("events", "versions", "replies"):
        rows(cli, "--what", what, "--since", "last-run")
    shop.conn.execute("UPDATE items SET last_seen_at = 'x', reported_at = 'y'")
    assert rows(cli, "--since", "last-run") == []


# ----------------------------------------------------------------- 2. only what was written


def test_limit_moves_the_bookmark_only_past_the_rows_written(cli: Cli, shop: Store) -> None:
    assert len(rows(cli, "--since", "last-run")) == DEMO_ITEMS
    new = add_items(shop, [item(f"n{i}") for i in range(45)], T0)
    got = [rows(cli, "--since", "last-run", "--limit", "20") for _ in range(4)]
    assert [len(g) for g in got] == [20, 20, 5, 0]
    assert [r["id"] for g in got for r in g] == new  # in commit order, each once


def test_limit_on_the_first_run_of_a_bookmark(cli: Cli, shop: Store) -> None:
    seen: list[int] = []
    for _ in range(5):
        seen += [r["id"] for r in rows(cli, "--since", "last-run", "-n", "100", "--name", "crm")]
    assert len(seen) == len(set(seen)) == DEMO_ITEMS


def test_limit_on_events(cli: Cli, shop: Store) -> None:
    with shop.transaction():
        shop.set_status(list(range(1, 31)), "resolved", T0, "ann")
    got = [rows(cli, "--what", "events", "--since", "last-run", "-n", "7") for _ in range(6)]
    assert [len(g) for g in got] == [7, 7, 7, 7, 2, 0]
    assert [e["item_id"] for g in got for e in g] == list(range(1, 31))


def test_each_filter_has_its_own_bookmark(cli: Cli, shop: Store) -> None:
    wb = rows(cli, "--source", "wb-demo", "--since", "last-run")
    ozon = rows(cli, "--source", "ozon-demo", "--since", "last-run")
    assert wb and {r["source"] for r in wb} == {"wb-demo"}
    assert ozon and {r["source"] for r in ozon} == {"ozon-demo"}
    assert rows(cli, "--source", "wb-demo", "--since", "last-run") == []
    assert len(rows(cli, "--since", "last-run")) == DEMO_ITEMS  # unfiltered: a bookmark of its own
    negative = rows(cli, "--negative", "--since", "last-run")
    assert negative and all(r["negative"] for r in negative)
    add_items(shop, [item("w1"), item("o1", source="ozon-demo")], T0)
    assert [
        r["external_id"] for r in rows(cli, "--source", "ozon-demo", "--since", "last-run")
    ] == ["o1"]
    assert [r["external_id"] for r in rows(cli, "--source", "wb-demo", "--since", "last-run")] == [
        "w1"
    ]
    assert len(rows(cli, "--negative", "--since", "last-run")) == 2


def test_a_source_filter_with_a_limit_on_replies(cli: Cli, shop: Store) -> None:
    """The old code cut at --limit first and filtered by source after: rows were lost."""
    wb = [r["id"] for r in shop.list_items(_flt("wb-demo"))][:3]
    oz = [r["id"] for r in shop.list_items(_flt("ozon-demo"))][:3]
    with shop.transaction():
        for a, b in zip(oz, wb, strict=True):
            shop.save_draft(a, "Спасибо", None, T0, "ann")
            shop.save_draft(b, "Спасибо", None, T0, "ann")
    got = [
        rows(cli, "--what", "replies", "--source", "wb-demo", "--since", "last-run", "-n", "2")
        for _ in range(3)
    ]
    assert [[r["item_id"] for r in g] for g in got] == [wb[:2], wb[2:], []]


def test_negative_is_for_items_only(cli: Cli, shop: Store) -> None:
    """An item that turns negative later would not bring its replies, versions or events into
    a `--negative --since last-run` export: refused, not silently ignored as before."""
    for what in ("replies", "versions", "events"):
        result = cli("export", "--what", what, "--negative", "--since", "last-run")
        assert result.exit_code == ExitCode.USAGE
        assert "--negative" in result.stderr and "items" in result.stderr


def _flt(source: str):  # type: ignore[no-untyped-def]
    from repcli.store import ItemFilter

    return ItemFilter(sources=(source,))


# ----------------------------------------------------------------- 3. written, then the bookmark


def _repcli(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "repcli", "--config", str(config), *args]


@pytest.fixture(autouse=True)
def _this_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Subprocesses run the repcli these tests sit next to, not whichever is installed."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))


def test_a_closed_pipe_moves_no_bookmark(cli: Cli, shop: Store, demo_config: Path) -> None:
    proc = subprocess.Popen(
        _repcli(demo_config, "export", "--since", "last-run"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"{")
    proc.stdout.close()  # the consumer stops reading: 377 rows do not fit in a pipe's buffer
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == ExitCode.OUTPUT
    assert "Traceback" not in err and "Exception ignored" not in err
    assert err.startswith("error: ") and "closed" in err and "bookmark" in err
    assert len(rows(cli, "--since", "last-run")) == DEMO_ITEMS


def test_head_dash_1(cli: Cli, shop: Store, demo_config: Path) -> None:
    command = " ".join(_repcli(demo_config, "export", "--since", "last-run"))
    done = subprocess.run(
        ["bash", "-c", f"{command} | head -1; exit ${{PIPESTATUS[0]}}"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == ExitCode.OUTPUT, done.stderr
    assert len(done.stdout.splitlines()) == 1
    assert len(done.stderr.strip().splitlines()) <= 2, done.stderr  # the message and its hint
    assert len(rows(cli, "--since", "last-run")) == DEMO_ITEMS


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_a_full_disk_moves_no_bookmark(cli: Cli, shop: Store, demo_config: Path) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            _repcli(demo_config, "export", "--since", "last-run", "-n", "3"),
            stdout=full, stderr=subprocess.PIPE, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == ExitCode.OUTPUT, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert "No space left" in done.stderr
    assert len(rows(cli, "--since", "last-run")) == DEMO_ITEMS


def test_an_output_file_that_cannot_be_written_moves_no_bookmark(
    cli: Cli, shop: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    def full(*args: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    target = tmp_path / "out.jsonl"
    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", full)
        result = cli("export", "--since", "last-run", "--output", str(target))
    assert result.exit_code == ExitCode.OUTPUT, result.output
    assert "No space left" in result.stderr and not target.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []
    assert cli("export", "--since", "last-run", "--output", str(target)).exit_code == 0
    assert len(target.read_text().splitlines()) == DEMO_ITEMS
    assert rows(cli, "--since", "last-run") == []


def test_any_command_on_a_closed_pipe_is_one_line_not_a_traceback(
    cli: Cli, shop: Store, demo_config: Path
) -> None:
    proc = subprocess.Popen(
        _repcli(demo_config, "list", "--format", "jsonl"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == ExitCode.OUTPUT
    assert "Traceback" not in err and "Exception ignored" not in err and "internal" not in err


# ----------------------------------------------------------------- migrating a time bookmark


@contextlib.contextmanager
def _older_store(path: Path, upto: str) -> Iterator[Store]:
    import repcli.store.db as db
    from repcli.store.migrations import MIGRATIONS

    names = [name for name, _ in MIGRATIONS]
    original = list(db.MIGRATIONS)
    db.MIGRATIONS[:] = MIGRATIONS[: names.index(upto) + 1]
    try:
        store = open_store(path)
        yield store
        store.close()
    finally:
        db.MIGRATIONS[:] = original


def test_a_time_bookmark_becomes_the_matching_sequence(cli: Cli, demo_config: Path) -> None:
    path = demo_config.parent / "repcli-demo.db"
    t1, t2 = T0 - timedelta(hours=2), T0 - timedelta(hours=1)

    def insert(old: Store, external_id: str, seen: datetime) -> int:  # as repcli 0.1 did
        cur = old.conn.execute(
            "INSERT INTO items (source, external_id, kind, created_at, text, status, "
            "first_seen_at, last_seen_at) VALUES ('wb-demo', ?, 'review', ?, 'x', 'new', ?, ?)",
            (external_id, to_iso(T0), to_iso(seen), to_iso(seen)),
        )
        assert cur.lastrowid is not None
        old.conn.execute("INSERT INTO items_fts (rowid, text) VALUES (?, 'x')", (cur.lastrowid,))
        return cur.lastrowid

    with _older_store(path, "m004_fts_by_statement") as old, old.transaction():
        first = [insert(old, "a", t1), insert(old, "b", t1)]
        old.set_status([first[0]], "resolved", t1, "ann")
        old.conn.execute(
            "INSERT INTO exports (name, last_at, rows) VALUES ('items', ?, 2), ('crm', ?, 2), "
            "('events', ?, 1)",
            ("2026-11-23T07:00:00.000000Z",) * 3,
        )
        later = [insert(old, "c", t2)]
        old.set_status([first[1]], "resolved", t2, "ann")
    assert sorted(r["id"] for r in rows(cli, "--since", "last-run")) == [first[1], *later]
    assert sorted(r["id"] for r in rows(cli, "--since", "last-run", "--name", "crm")) == [
        first[1],
        *later,
    ]
    events = rows(cli, "--what", "events", "--since", "last-run")
    assert [(e["item_id"], e["action"]) for e in events] == [(first[1], "status resolved")]
    assert len(rows(cli, "--since", "last-run", "--name", "new")) == 3


# ----------------------------------------------------------------- 4. any interleaving


_WHATS = ("items", "events", "replies", "versions")
_FILTERS: tuple[tuple[tuple[str, ...], bool], ...] = (((), False), (("a",), False), ((), True))


class ExportMachine(RuleBasedStateMachine):
    """Checks (new items, edits), replies, status changes and exports with and without --limit
    and filters, in any order; some writes commit while an export reads. Each bookmark gets
    every change exactly once: no row twice for the same change, none missing after a drain."""

    def __init__(self) -> None:
        super().__init__()
        import tempfile

        self.dir = tempfile.TemporaryDirectory()
        self.store = open_store(Path(self.dir.name) / "x.db")
        self.reader = open_store(Path(self.dir.name) / "x.db")
        self.n = 0
        self.version: dict[tuple[str, int], int] = {}  # (what, id) -> changes made so far
        self.exported: dict[tuple[str, str, int], int] = {}  # (what, filter, id) -> version
        self.clock = T0

    def teardown(self) -> None:
        self.store.close()
        self.reader.close()
        self.dir.cleanup()

    def _tick(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    def _ids(self) -> list[int]:
        return [r[0] for r in self.store.conn.execute("SELECT id FROM items ORDER BY id")]

    def _bump(self, what: str, row_id: int) -> None:
        self.version[(what, row_id)] = self.version.get((what, row_id), 0) + 1

    def _sync_appended(self) -> None:
        """Events and versions are append-only: each row is one change."""
        for what, table in (("events", "events"), ("versions", "item_versions")):
            for (row_id,) in self.store.conn.execute(f"SELECT id FROM {table}"):
                self.version.setdefault((what, row_id), 1)

    # --------------------------------------------------------------- writes

    def _write(self, op: str, pick: int, rating: int, source: str) -> None:
        ids = self._ids()
        now = self._tick()
        if op == "new" or not ids:
            self.n += 1
            new = self.store.upsert_items(
                [item(f"x{self.n}", source=source, rating=rating)], analyse, now
            ).new_ids
            self._bump("items", new[0])
            return
        target = ids[pick % len(ids)]
        row = self.store.get_item(target)
        assert row is not None
        if op == "edit":
            self.store.upsert_items(
                [item(row["external_id"], source=row["source"], text=f"t{now}", rating=rating)],
                analyse,
                now,
            )
            self._bump("items", target)
        elif op == "status":
            status = ("open", "resolved", "ignored")[pick % 3]
            if self.store.set_status([target], status, now, "ann"):
                self._bump("items", target)
        elif op == "reply" and not self.store.posted_reply(target):
            before = self.store.open_reply(target)
            reply = self.store.save_draft(target, f"r{now}", None, now, "ann")
            if row["status"] == "new":
                self._bump("items", target)
            if before is None or before["text"] != f"r{now}" or before["status"] != "draft":
                self._bump("replies", reply)
        elif op == "approve":
            draft = self.store.open_reply(target)
            if draft and draft["status"] == "draft":
                self.store.approve_reply(draft["id"], now, "bob")
                self._bump("replies", draft["id"])

    @rule(
        ops=st.lists(
            st.tuples(
                st.sampled_from(["new", "new", "edit", "status", "reply", "approve"]),
                st.integers(0, 50),
                st.integers(1, 5),
                st.sampled_from(["a", "b"]),
            ),
            min_size=1,
            max_size=4,
        )
    )
    def check(self, ops: list[tuple[str, int, int, str]]) -> None:
        with self.store.transaction():
            for op in ops:
                self._write(*op)
        self._sync_appended()

    # --------------------------------------------------------------- exports

    def _export(
        self, what: str, flt: int, limit: int, during: list[tuple[str, int, int, str]]
    ) -> None:
        sources, negative = _FILTERS[flt]
        negative = negative and what == "items"  # --negative is for items only (see below)
        key = filter_key(sources, negative)
        mark = self.reader.export_mark("x", what, key)
        pending_before = dict(self.version)  # what the export can see
        if during:  # a writer holds its transaction open while the export reads
            self.store.begin()
            for op in during:
                self._write(*op)
        batch = self.reader.export_changes(what, mark, limit, sources, negative)
        seen: set[int] = set()
        for row in batch.rows:
            assert row["id"] not in seen
            seen.add(row["id"])
            current = pending_before[(what, row["id"])]
            last = self.exported.get((what, key, row["id"]), 0)
            assert current > last, f"{what} {row['id']} exported twice for one change"
            self.exported[(what, key, row["id"])] = current
        if not limit or len(batch.rows) < limit:
            self._assert_drained(what, key, sources, negative, pending_before)
        if during:  # the writer commits after the export read, before it saves its bookmark
            self.store.commit()
            self._sync_appended()
        with self.reader.transaction():
            self.reader.set_export_mark("x", what, key, batch.mark, len(batch.rows), T0)

    def _assert_drained(
        self,
        what: str,
        key: str,
        sources: tuple[str, ...],
        negative: bool,
        versions: dict[tuple[str, int], int],
    ) -> None:
        """After an export that was not cut by its limit, every change it could see is out
        (read as the export saw the store: without the writer's open transaction)."""
        table = {"items": "items", "events": "events", "replies": "replies"}.get(
            what, "item_versions"
        )
        on_item = "i.id = r.id" if what == "items" else "i.id = r.item_id"
        sql = f"SELECT r.id, i.source, i.negative FROM {table} r JOIN items i ON {on_item}"
        for row_id, source, is_negative in self.reader.conn.execute(sql):
            if (sources and source not in sources) or (negative and not is_negative):
                continue
            if (what, row_id) not in versions:
                continue  # written after the export read
            assert self.exported.get((what, key, row_id), 0) == versions[(what, row_id)], (
                f"{what} {row_id}: change {versions[(what, row_id)]} never exported"
            )

    @rule(
        what=st.sampled_from(_WHATS),
        flt=st.integers(0, len(_FILTERS) - 1),
        limit=st.sampled_from([0, 0, 1, 2, 3]),
    )
    def export(self, what: str, flt: int, limit: int) -> None:
        self._export(what, flt, limit, [])

    @rule(
        what=st.sampled_from(_WHATS),
        flt=st.integers(0, len(_FILTERS) - 1),
        limit=st.sampled_from([0, 2]),
        during=st.lists(
            st.tuples(
                st.sampled_from(["new", "edit", "status", "reply", "approve"]),
                st.integers(0, 50),
                st.integers(1, 5),
                st.sampled_from(["a", "b"]),
            ),
            min_size=1,
            max_size=3,
        ),
    )
    def export_while_a_check_commits(
        self, what: str, flt: int, limit: int, during: list[tuple[str, int, int, str]]
    ) -> None:
        self._export(what, flt, limit, during)


ExportMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=25, deadline=None, suppress_health_check=list(HealthCheck)
)
test_exports_each_change_once = ExportMachine.TestCase

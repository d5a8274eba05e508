"""`repcli store migrate`: a store copied whole into an empty one, ids kept, verified."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from repcli.errors import ExitCode
from repcli.store import open_store
from repcli.store.transfer import DERIVED, TABLES
from tests.conftest import ROOT, Cli

KEYS = {t.name: ", ".join(t.key) for t in TABLES}


def _config(folder: Path, store: str) -> Path:
    """The demo config, plus a file source whose export is edited between two checks (item
    versions), at `store`."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (ROOT / "config.example.yaml").read_text(encoding="utf-8")
    lines = [f"store: {store}" if line.startswith("store:") else line for line in text.splitlines()]
    (folder / "export.csv").write_text(
        "id,date,rating,text\nx-1,2026-11-20,1,Пришло разбитое\nx-2,2026-11-21,5,Отлично\n",
        encoding="utf-8",
    )
    lines += [
        "  - name: shop-file",
        "    type: file",
        f"    path: {folder / 'export.csv'}",
        "    columns: {external_id: id, created_at: date, rating: rating, text: text}",
    ]
    path = folder / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _fill(cli: Cli, folder: Path) -> None:
    """Something in every table: items and runs (check), versions (an edited row), events
    (note, assign), replies, orders, an export bookmark."""
    assert cli("check", "--format", "jsonl").exit_code == 0
    (folder / "export.csv").write_text(
        "id,date,rating,text\nx-1,2026-11-20,1,Пришло разбитое и поцарапанное\n"
        "x-2,2026-11-21,5,Отлично\n",
        encoding="utf-8",
    )
    assert cli("check", "--format", "jsonl").exit_code == 0
    first = json.loads(cli("queue", "-f", "jsonl", "-n", "1").output.splitlines()[0])["id"]
    assert cli("note", str(first), "звонили клиенту").exit_code == 0
    assert cli("assign", "boris", str(first)).exit_code == 0
    assert cli("reply", str(first), "--text", "Простите, заменим.").exit_code == 0
    (folder / "orders.csv").write_text(
        "order_id,customer,product_id,ordered_at\nE-1,Anna,p-1,2026-11-05\n", encoding="utf-8"
    )
    assert cli("orders", "import", str(folder / "orders.csv")).exit_code == 0
    done = cli("export", "--since", "last-run", "-f", "jsonl", "-o", str(folder / "out.jsonl"))
    assert done.exit_code == 0, done.output


def _sqlite_tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every data table of a SQLite store, read with sqlite3 (not the code under test)."""
    conn = sqlite3.connect(path)
    try:
        return {
            name: conn.execute(f"SELECT * FROM {name} ORDER BY {key}").fetchall()
            for name, key in KEYS.items()
        }
    finally:
        conn.close()


def _migrate(cli: Cli, target: str) -> Any:
    return cli("store", "migrate", "--to", target, "--format", "jsonl")


@pytest.fixture
def source(tmp_path: Path) -> Cli:
    cli = Cli(_config(tmp_path / "a", "a.db"))
    _fill(cli, tmp_path / "a")
    return cli


def test_sqlite_to_sqlite_copies_every_row_with_its_id(source: Cli, tmp_path: Path) -> None:
    before = _sqlite_tables(tmp_path / "a" / "a.db")
    assert all(before[t.name] for t in TABLES if t.name not in ("alerts", "rejects"))
    done = _migrate(source, str(tmp_path / "b.db"))
    assert done.exit_code == 0, done.output
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["table"] for line in lines] == [t.name for t in TABLES]
    assert all(line["verified"] is True for line in lines)
    assert {line["table"]: line["rows"] for line in lines} == {
        name: len(rows) for name, rows in before.items()
    }
    assert _sqlite_tables(tmp_path / "b.db") == before
    assert _sqlite_tables(tmp_path / "a" / "a.db") == before  # the source is only read
    assert "Copied and verified" in done.stderr

    copy = Cli(_config(tmp_path / "b", str(tmp_path / "b.db")))
    # The full-text index was built for the copied items; listings read the same.
    assert (
        copy("search", "разбитое", "-f", "jsonl").stdout
        == source("search", "разбитое", "-f", "jsonl").stdout
    )
    assert copy("search", "разбитое", "-f", "jsonl").stdout.count("\n") == 1
    assert copy("queue", "-f", "jsonl").stdout == source("queue", "-f", "jsonl").stdout
    # Ids go on from the copied ones.
    first = json.loads(copy("queue", "-f", "jsonl", "-n", "1").stdout.splitlines()[0])["id"]
    assert copy("note", str(first), "ещё раз").exit_code == 0
    events = _sqlite_tables(tmp_path / "b.db")["events"]
    assert events[-1][0] == before["events"][-1][0] + 1


def test_a_target_with_rows_is_refused_and_left_alone(source: Cli, tmp_path: Path) -> None:
    other = Cli(_config(tmp_path / "b", "b.db"))
    assert other("check", "--format", "jsonl").exit_code == 0
    before = _sqlite_tables(tmp_path / "b" / "b.db")
    done = _migrate(source, str(tmp_path / "b" / "b.db"))
    assert done.exit_code == ExitCode.STORE
    assert "not an empty store (its items table has rows); nothing was copied" in done.stderr
    assert done.stdout == ""
    assert _sqlite_tables(tmp_path / "b" / "b.db") == before


def test_a_copy_that_does_not_read_back_the_same_commits_nothing(
    source: Cli, tmp_path: Path
) -> None:
    """A target that changes what it is given (here a trigger) fails the verification: the
    copy rolls back whole."""
    target = tmp_path / "b.db"
    open_store(target).close()
    conn = sqlite3.connect(target)
    conn.execute(
        "CREATE TRIGGER tamper AFTER INSERT ON runs BEGIN "
        "UPDATE runs SET fetched = fetched + 1 WHERE id = NEW.id; END"
    )
    conn.commit()
    conn.close()
    done = _migrate(source, str(target))
    assert done.exit_code == ExitCode.STORE
    assert "the copy does not match the source in runs" in done.stderr
    assert "nothing was committed" in done.stderr
    assert not any(_sqlite_tables(target).values())


@pytest.mark.parametrize(
    ("to", "message"),
    [
        ("a/./a.db", "that is the configured store itself"),
        ("mysql://anna:pw-mysql-7@db/x", "mysql:// stores are not supported"),
        # --to is read by the same rules as `store:` in a config
        ("postgresql://anna:pw-mysql-7@db:port/x", "not a valid PostgreSQL URL"),
        ("postgresql://", "the PostgreSQL URL names no server or database"),
    ],
)
def test_bad_targets_are_usage_errors(source: Cli, to: str, message: str) -> None:
    done = source("store", "migrate", "--to", to)  # (run in tmp_path: a/a.db is the source)
    assert done.exit_code == ExitCode.USAGE
    assert message in done.stderr
    assert "pw-mysql-7" not in done.output


def test_an_unreachable_target_names_it_without_its_password(source: Cli) -> None:
    done = _migrate(source, "postgresql://anna:pw-target-3@127.0.0.1:1/x")
    assert done.exit_code == ExitCode.STORE
    assert "postgresql://***@127.0.0.1:1/x" in done.stderr or "anna:***@" in done.stderr
    assert "pw-target-3" not in done.output


def test_transfer_knows_every_table_of_a_fresh_store(store_target: Path | str) -> None:
    """A migration that adds a table must add it to transfer.TABLES (or DERIVED)."""
    with open_store(store_target) as store:
        if store.dialect.name == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
        else:
            sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        names = {str(row[0]) for row in store.conn.execute(sql).fetchall()}
    derived = {n for n in names if n.startswith(DERIVED) or n.startswith("sqlite_")}
    assert names - derived == {t.name for t in TABLES}


def test_round_trip_through_postgresql(source: Cli, tmp_path: Path, pg_url: str) -> None:
    """SQLite -> PostgreSQL -> SQLite gives back every row as it was; on PostgreSQL the
    store reads as it did on SQLite, and new rows get new ids."""
    before = _sqlite_tables(tmp_path / "a" / "a.db")
    there = _migrate(source, pg_url)
    assert there.exit_code == 0, there.output
    sums = [json.loads(line) for line in there.stdout.splitlines()]
    assert all(line["verified"] for line in sums)

    on_pg = Cli(_config(tmp_path / "pg", pg_url))
    for listing in (["queue"], ["list", "-n", "0"], ["search", "разбитое"]):
        assert on_pg(*listing, "-f", "jsonl").stdout == source(*listing, "-f", "jsonl").stdout
    back = on_pg("store", "migrate", "--to", str(tmp_path / "back.db"), "-f", "jsonl")
    assert back.exit_code == 0, back.output
    assert back.stdout == there.stdout  # the same counts and checksums
    assert _sqlite_tables(tmp_path / "back.db") == before

    first = json.loads(on_pg("queue", "-f", "jsonl", "-n", "1").stdout.splitlines()[0])["id"]
    assert on_pg("note", str(first), "ещё раз").exit_code == 0
    assert on_pg("reply", str(first), "--text", "Вторая попытка.").exit_code == 0
    history = json.loads(on_pg("show", str(first), "-f", "json").stdout)
    assert "ещё раз" in json.dumps(history, ensure_ascii=False)

"""Every index on `items`, `item_versions` and `changes` is in the plan of a statement that one
of the commands below runs (on SQLite): an index no query uses only slows every insert down
(issue 23), so adding one without the query that needs it fails here.

The statements are recorded as the commands run (through the CLI, on the demo store), then
planned with `EXPLAIN QUERY PLAN` and their own parameters. The store keeps no statistics
(no ANALYZE), so a small store's plans are a large one's.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli

Recorded = list[tuple[str, Any]]

COMMANDS = [
    ["check", "--format", "json"],
    ["check", "--format", "json"],
    ["queue", "--format", "json"],
    ["list", "--format", "json"],
    ["list", "--format", "json", "--negative", "--since", "30d"],
    ["list", "--format", "json", "--product", "p1", "--status", "open"],
    ["search", "--format", "json", "качество"],
    ["export", "--format", "jsonl", "--what", "items", "--since", "last-run", "--name", "a"],
    ["export", "--format", "jsonl", "--what", "versions", "--since", "30d"],
    ["export", "--format", "jsonl", "--what", "events", "--since", "last-run", "--name", "b"],
    ["report", "--format", "json"],
    ["report", "--format", "json", "--since", "30d", "--product", "p1"],
    ["signals", "--format", "json"],
    ["draft", "--format", "json"],
]
TABLES = ("items", "item_versions", "changes")


def _recording(recorded: Recorded) -> type[sqlite3.Connection]:
    class Cursor(sqlite3.Cursor):
        def execute(self, sql: str, params: Any = (), /) -> Any:
            recorded.append((sql, params))
            return super().execute(sql, params)

    class Connection(sqlite3.Connection):
        def cursor(self, factory: Any = Cursor) -> Any:
            return super().cursor(factory)

        def execute(self, sql: str, params: Any = (), /) -> Any:
            return self.cursor().execute(sql, params)

    return Connection


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Each recorded statement's plan (one line of its steps), by index name."""
    from tests.conftest import ROOT

    tmp = tmp_path_factory.mktemp("indexes")
    config = tmp / "config.yaml"
    text = (ROOT / "config.example.yaml").read_text(encoding="utf-8")
    config.write_text(text.replace("store: repcli-demo.db", f"store: {tmp / 's.db'}"), "utf-8")
    recorded: Recorded = []
    connect = sqlite3.connect
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REPCLI_NOW", "2026-11-23T09:00:00Z")
        mp.setattr(
            sqlite3,
            "connect",
            lambda *a, **kw: connect(*a, **({"factory": _recording(recorded)} | kw)),
        )
        cli = Cli(config)
        for argv in COMMANDS:
            result = cli(*argv)
            assert result.exit_code in (0, 10), (argv, result.output)
    conn = sqlite3.connect(tmp / "s.db")
    conn.create_function("repcli_fold", 1, lambda v: v, deterministic=True)
    used: dict[str, list[str]] = {}
    for sql, params in recorded:
        if not re.match(r"\s*(SELECT|WITH|UPDATE|DELETE)\b", sql, re.IGNORECASE):
            continue
        steps = " | ".join(
            str(r[-1]) for r in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
        )
        for name in re.findall(r"INDEX (\w+)", steps):
            used.setdefault(name, []).append(f"{' '.join(sql.split())}\n  -> {steps}")
    conn.close()
    return used


def _indexes(path: Path) -> dict[str, bool]:
    """The migrations' indexes on TABLES: name -> unique."""
    conn = sqlite3.connect(path)
    rows = conn.execute(
        "SELECT m.name, l.[unique] FROM sqlite_master m JOIN pragma_index_list(m.tbl_name) l "
        f"ON l.name = m.name WHERE m.type = 'index' AND m.tbl_name IN {TABLES}"
    ).fetchall()
    conn.close()
    return {name: bool(unique) for name, unique in rows}


def test_every_index_is_used_by_a_query(
    plans: dict[str, list[str]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    from repcli.store import open_store

    path = tmp_path_factory.mktemp("schema") / "s.db"
    with open_store(path):
        pass
    # Unique indexes enforce a key (an item's (source, external_id), a change's row): kept
    # whether or not a plan reads them.
    unused = [name for name, unique in _indexes(path).items() if not unique and name not in plans]
    assert unused == [], f"indexes no command's query uses: {unused}"


@pytest.mark.parametrize(
    ("index", "query"),
    [
        ("items_open_queue", "items.answer_text IS NULL"),
        ("items_product_created", "product_id"),
        ("items_report_period", "ORDER BY created_at DESC, id DESC"),
        ("idx_items_negative_reported_at", "items.reported_at IS NULL"),
    ],
)
def test_the_daily_queries_keep_their_index(
    plans: dict[str, list[str]], index: str, query: str
) -> None:
    """What the dropped indexes served (m011) is served by the indexes that covered them."""
    assert any(query in plan for plan in plans.get(index, [])), plans.get(index)


def test_no_index_is_a_prefix_of_another(tmp_path: Path) -> None:
    """A full index whose columns begin another full index's is redundant: the longer one
    serves its searches (SQLite and PostgreSQL alike)."""
    from repcli.store import open_store

    with open_store(tmp_path / "s.db") as store:
        rows = store.conn.execute(
            "SELECT m.name, m.tbl_name, l.[unique], l.partial FROM sqlite_master m "
            "JOIN pragma_index_list(m.tbl_name) l ON l.name = m.name WHERE m.type = 'index'"
        ).fetchall()
        keys = {
            name: [
                c for (c,) in store.conn.execute("SELECT name FROM pragma_index_info(?)", (name,))
            ]
            for name, _, _, _ in rows
        }
    full = [(name, table, unique) for name, table, unique, partial in rows if not partial]
    redundant = [
        (a, b)
        for a, table, unique in full
        for b, other, _ in full
        if not unique and a != b and table == other and keys[b][: len(keys[a])] == keys[a]
    ]
    assert redundant == []

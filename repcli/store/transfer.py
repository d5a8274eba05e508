"""Copying a whole store to another one (`repcli store migrate`): SQLite to PostgreSQL, back, or
to another file of the same engine.

Every table is copied in dependency order (items before what points at them), ids kept, inside
one write transaction on the target, from one read snapshot of the source (a `check` running
meanwhile is in the copy whole or not at all). Before the target commits, each table's row
count and a SHA-256 over its rows (in key order, values normalised: the engines spell the same
number alike) are read back from the target and compared with the source's: a difference rolls
the whole copy back. The target must be empty; nothing in it is ever replaced.

What the schema derives is not copied: the full-text index is rebuilt by the target (as its
items arrive on SQLite; on PostgreSQL once, after the copy, with the other indexes), `_migrations` is the target's own (both stores are at the same schema version).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from repcli.errors import StoreError

if TYPE_CHECKING:
    from repcli.store.db import Store

PAGE = 2000
"""Rows read, written and hashed at a time."""


@dataclasses.dataclass(frozen=True)
class Table:
    name: str
    key: tuple[str, ...]
    """The primary key: rows are read, and hashed, in its order."""

    @property
    def numbered(self) -> bool:
        """Whether the key is one integer column (read page by page along it)."""
        return self.key in (("id",), ("seq",))


TABLES: tuple[Table, ...] = (
    Table("orders", ("id",)),
    Table("items", ("id",)),
    Table("item_versions", ("id",)),
    Table("replies", ("id",)),
    Table("events", ("id",)),
    Table("runs", ("id",)),
    Table("rejects", ("id",)),
    Table("source_state", ("source",)),
    Table("alerts", ("id",)),
    Table("export_marks", ("name", "what", "filter")),
    Table("changes", ("seq",)),
)
"""Every table of the store's data, parents first. A migration that adds a table adds it here
(tests/test_store_migrate.py checks that a fresh store has no other)."""

DERIVED = ("_migrations", "items_fts")
"""Tables (and their engine's shadow tables) the target makes for itself."""


@dataclasses.dataclass(frozen=True)
class TableCopy:
    """One table's copy: its rows and the checksum each side gave."""

    table: str
    rows: int
    source_sha256: str
    target_rows: int
    target_sha256: str

    @property
    def verified(self) -> bool:
        return self.rows == self.target_rows and self.source_sha256 == self.target_sha256


Progress = Callable[[str, int], None]
"""Called with a table's name and the rows copied so far."""


def migrate(source: Store, target: Store, progress: Progress | None = None) -> list[TableCopy]:
    """Copy every table of `source` into the empty store `target`, verify, then commit; the
    per-table counts and checksums. StoreError (nothing committed) when the target is not
    empty, the schemas differ, a row is refused, or a table does not verify."""
    columns = _columns(source, target)
    copies: list[TableCopy] = []
    source.dialect.begin_read(source.conn)
    try:
        with target.transaction():
            _require_empty(target)  # under the write lock: no run can start filling it now
            # Inserting versions, events and replies stamps them in the change sequence by
            # trigger; the source's own sequence (that export bookmarks point into) replaces it.
            # (On PostgreSQL the triggers and indexes wait for the end: dialect.bulk_load.)
            with target.dialect.bulk_load(target.conn):
                for table in TABLES:
                    if table.name == "changes":
                        target.conn.execute("DELETE FROM changes")
                    rows, digest = _copy(source, target, table, columns[table.name], progress)
                    copies.append(TableCopy(table.name, rows, digest, -1, ""))
            _restart_numbering(target)
            copies = [_verified(target, copy, columns[copy.table]) for copy in copies]
            bad = [copy for copy in copies if not copy.verified]
            if bad:
                raise StoreError(
                    f"{target.path}: the copy does not match the source in "
                    + ", ".join(f"{c.table} ({c.rows} rows, {c.target_rows} copied)" for c in bad)
                    + "; nothing was committed",
                    "report this as a bug, with `repcli --traceback store migrate ...`",
                )
    finally:
        source.rollback()
    return copies


def _columns(source: Store, target: Store) -> dict[str, list[str]]:
    """Each table's columns, as the source has them; the target must have the same ones."""
    found_in = source.dialect.schema_version(source.conn)
    found_out = target.dialect.schema_version(target.conn)
    if found_in != found_out:
        raise StoreError(
            f"{target.path}: schema {found_out}, the source's is {found_in}",
            "run the same repcli version on both stores",
        )
    columns: dict[str, list[str]] = {}
    for table in TABLES:
        mine, theirs = _names(source, table.name), _names(target, table.name)
        if sorted(mine) != sorted(theirs):
            raise StoreError(
                f"{target.path}: table {table.name} has other columns than the source's "
                f"({', '.join(sorted(set(mine) ^ set(theirs)))})",
                "run the same repcli version on both stores",
            )
        columns[table.name] = mine
    return columns


def _names(store: Store, table: str) -> list[str]:
    cur = store.conn.execute(f"SELECT * FROM {table} WHERE 1 = 0")
    return [str(d[0]) for d in cur.description]


def _require_empty(target: Store) -> None:
    for table in TABLES:
        if target.conn.execute(f"SELECT 1 FROM {table.name} LIMIT 1").fetchone() is not None:
            raise StoreError(
                f"{target.path}: not an empty store (its {table.name} table has rows); "
                "nothing was copied",
                "migrate into a new database (createdb NAME) or a new file; a store is never "
                "merged into another",
            )


def _rows(store: Store, table: Table, names: Sequence[str]) -> Iterator[list[tuple[Any, ...]]]:
    """The table's rows in key order, a page at a time."""
    select = f"SELECT {', '.join(names)} FROM {table.name}"
    if not table.numbered:
        # Text keys sort differently under each database's collation: sort here, by code point.
        at = [names.index(k) for k in table.key]
        rows = [tuple(r) for r in store.conn.execute(select).fetchall()]
        rows.sort(key=lambda r: tuple(r[i] for i in at))
        for start in range(0, len(rows), PAGE):
            yield rows[start : start + PAGE]
        return
    (key,) = table.key
    at_key = names.index(key)
    last: int | None = None
    while True:
        if last is None:
            page = store.conn.execute(f"{select} ORDER BY {key} LIMIT {PAGE}").fetchall()
        else:
            page = store.conn.execute(
                f"{select} WHERE {key} > ? ORDER BY {key} LIMIT {PAGE}", (last,)
            ).fetchall()
        if not page:
            return
        rows = [tuple(r) for r in page]
        yield rows
        last = int(rows[-1][at_key])


def _copy(
    source: Store, target: Store, table: Table, names: list[str], progress: Progress | None
) -> tuple[int, str]:
    insert = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    digest = hashlib.sha256()
    count = 0
    for rows in _rows(source, table, names):
        _hash(digest, rows)
        try:
            target.conn.executemany(insert, rows)
            if table.name == "items":
                target.dialect.index_new_items(target.conn, [r[names.index("id")] for r in rows])
        except target.dialect.errors as exc:
            keys = ", ".join(str(r[names.index(table.key[0])]) for r in rows[:1])
            raise StoreError(
                f"{target.path}: the target refused a row of {table.name} (from {keys} on, "
                f"{_first_line(exc)}); nothing was committed"
            ) from None
        count += len(rows)
        if progress is not None:
            progress(table.name, count)
    return count, digest.hexdigest()


def _verified(target: Store, copy: TableCopy, names: list[str]) -> TableCopy:
    table = next(t for t in TABLES if t.name == copy.table)
    digest = hashlib.sha256()
    count = 0
    for rows in _rows(target, table, names):
        _hash(digest, rows)
        count += len(rows)
    return dataclasses.replace(copy, target_rows=count, target_sha256=digest.hexdigest())


def _restart_numbering(target: Store) -> None:
    """PostgreSQL's identities do not move past ids inserted as they are: set each to the
    table's largest (SQLite numbers from the largest rowid by itself)."""
    if target.dialect.name != "postgresql":
        return
    for table in TABLES:
        if table.numbered:
            (key,) = table.key
            target.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{key}'), "
                f"COALESCE(MAX({key}), 0) + 1, false) FROM {table.name}"
            )


def _hash(digest: Any, rows: list[tuple[Any, ...]]) -> None:
    for row in rows:
        digest.update(
            json.dumps([_plain(v) for v in row], ensure_ascii=False, separators=(",", ":")).encode(
                "utf-8", "surrogatepass"
            )
        )
        digest.update(b"\n")


def _plain(value: Any) -> Any:
    """A value as both engines give it back: a whole float as an int (SQLite keeps 1.0 in an
    integer column as 1, PostgreSQL's numeric sums come back whole), bytes as hex."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "bytes:" + bytes(value).hex()
    return value


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

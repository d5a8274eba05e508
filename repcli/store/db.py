"""Opening the store file safely, and migrating it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from repcli.clock import now, to_iso
from repcli.config.model import is_store_url
from repcli.errors import StoreError
from repcli.store.alerts import Alerts
from repcli.store.base import BUSY_TIMEOUT_MS, explain
from repcli.store.exports import Exports
from repcli.store.migrations import MIGRATIONS
from repcli.store.orders import Orders
from repcli.store.reads import Reads
from repcli.store.stats import Stats
from repcli.store.workflow import Workflow
from repcli.store.writes import Writes


class Store(Reads, Writes, Workflow, Alerts, Orders, Stats, Exports):
    """A repcli store: the connection (StoreBase) with its reads and writes."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(target: Path | str, create: bool = True) -> Store:
    """Open (and create or migrate) the store: a file path (SQLite), or a `postgresql://` URL
    (PostgreSQL: the database must exist; its tables are made on first use)."""
    if is_store_url(target):  # the one rule `store:` and `--to` are read by
        return _open_postgres(str(target))
    path = Path(target)
    if not path.exists():
        if not create:
            raise StoreError(
                f"{path}: no store yet", "run `repcli fetch` or `repcli check` to create it"
            )
        try:
            _make_private_folders(path.parent)
        except OSError as exc:
            raise StoreError(f"{path}: cannot create the store's folder: {exc}") from None
        _create_private(path)
    elif path.is_dir():
        raise StoreError(f"{path}: is a folder, not a store file", "set `store:` to a file path")
    try:
        conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        # 8 MiB of page cache (SQLite's default is 2): a batch's rows touch a dozen indexes,
        # and with the default their pages spill and are read back (100k rows inserted in one
        # transaction: 10.4 -> 6.2 s CPU; 32 MiB: 5.2 s for 24 MiB more memory).
        conn.execute("PRAGMA cache_size = -8192")
        store = Store(path, conn)
        _migrate(store)
    except sqlite3.Error as exc:
        raise explain(path, exc) from None
    return store


def _open_postgres(url: str) -> Store:
    from repcli.store import pg, pg_schema

    conn = pg.connect(url)
    dialect = conn.dialect
    store = Store(dialect.label, conn, dialect)
    try:
        _migrate(store, pg_schema.MIGRATIONS, conn)
    except dialect.errors as exc:
        store.close()
        raise dialect.explain(dialect.label, exc) from None
    except BaseException:
        store.close()
        raise
    return store


def _migrate(
    store: Store, migrations: Sequence[tuple[str, Callable[[Any], None]]] = (), target: Any = None
) -> None:
    """Apply the migrations the store has not had (SQLite's, on `store.db`, by default)."""
    if not migrations:
        migrations, target = MIGRATIONS, store.db
    conn, dialect = store.conn, store.dialect
    version = dialect.schema_version(conn)
    if version > len(migrations):
        raise StoreError(
            f"{store.path}: this store was written by a newer repcli "
            f"(schema {version}, this repcli knows {len(migrations)})",
            "upgrade repcli (pip install -U repcli), or use another store file",
        )
    if version == len(migrations):
        return
    with store.transaction():
        # Re-read inside the write lock: another process may have migrated meanwhile.
        version = dialect.schema_version(conn)
        conn.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
        )
        applied = {row[0] for row in conn.execute("SELECT name FROM _migrations")}
        for name, migration in migrations[version:]:
            if name not in applied:
                migration(target)
                conn.execute(
                    "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                    (name, to_iso(now())),
                )
        dialect.set_schema_version(conn, len(migrations))


def _make_private_folders(folder: Path) -> None:
    """The folders repcli makes for a store are its owner's only (0700); existing ones are left
    as they are."""
    missing: list[Path] = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is not a folder")
    for each in reversed(missing):
        try:
            each.mkdir(mode=0o700)
        except FileExistsError:  # made meanwhile by another process
            continue


def _create_private(path: Path) -> None:
    """Create the store file 0600, whatever the umask: it holds customers' names and raw
    payloads. SQLite gives its -wal, -shm and -journal files the mode of the database file."""
    import os

    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it meanwhile: keep it as it is
        return
    except OSError as exc:
        raise StoreError(
            f"{path}: cannot create the store: {exc.strerror}",
            "check the folder's permissions and free disk space",
        ) from None
    try:
        os.fchmod(fd, 0o600)  # the umask can only take bits away, but be explicit
    finally:
        os.close(fd)

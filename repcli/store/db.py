"""Opening the store file safely, and transactions."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from repcli.clock import now, to_iso
from repcli.errors import StoreError
from repcli.store.migrations import MIGRATIONS
from repcli.store.reads import Reads
from repcli.store.writes import Writes

BUSY_TIMEOUT_MS = 5000


class Store(Reads, Writes):
    """A repcli store. Reads and writes live in mixins; this class owns the connection."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn
        self.db = sqlite_utils.Database(conn)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction: all of it lands, or none of it (a kill leaves the last one)."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise _explain(self.path, exc) from None
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self.conn.execute("ROLLBACK")
            raise _explain(self.path, exc) from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _explain(path: Path, exc: sqlite3.Error) -> StoreError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StoreError(
            f"{path}: the store is locked by another repcli run (waited {BUSY_TIMEOUT_MS} ms)",
            "wait for the other run to finish, or check for a stuck process",
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreError(
            f"{path}: not a repcli store, or the file is corrupt ({text})",
            "point `store:` in the config at another file; keep this one for inspection",
        )
    if "readonly" in text or "unable to open" in text or "disk I/O" in text:
        return StoreError(
            f"{path}: cannot write the store ({text})",
            "check the file's and its folder's permissions and free disk space",
        )
    if "full" in text:
        return StoreError(f"{path}: disk full ({text})", "free some disk space and run again")
    return StoreError(f"{path}: store error: {text}")


def open_store(path: Path, create: bool = True) -> Store:
    """Open (and create or migrate) the store at `path`."""
    if not path.exists():
        if not create:
            raise StoreError(
                f"{path}: no store yet", "run `repcli fetch` or `repcli check` to create it"
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{path}: cannot create the store's folder: {exc}") from None
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
        store = Store(path, conn)
        _migrate(store)
    except sqlite3.Error as exc:
        raise _explain(path, exc) from None
    return store


def _migrate(store: Store) -> None:
    conn = store.conn
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise StoreError(
            f"{store.path}: this store was written by a newer repcli "
            f"(schema {version}, this repcli knows {len(MIGRATIONS)})",
            "upgrade repcli (pip install -U repcli), or use another store file",
        )
    if version == len(MIGRATIONS):
        return
    with store.transaction():
        # Re-read inside the write lock: another process may have migrated meanwhile.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
        )
        applied = {row[0] for row in conn.execute("SELECT name FROM _migrations")}
        for name, migration in MIGRATIONS[version:]:
            if name not in applied:
                migration(store.db)
                conn.execute(
                    "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", (name, to_iso(now()))
                )
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")

"""The connection every part of the store shares, and its transactions."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlite_utils

from repcli.errors import StoreError
from repcli.store.dialect import BUSY_TIMEOUT_MS, Dialect, postgres_error

__all__ = ["BUSY_TIMEOUT_MS", "StoreBase", "as_store_error", "explain"]


def _fold(value: str | None) -> str | None:
    return value.casefold() if isinstance(value, str) else value


class StoreBase:
    """Owns the connection; `Reads` and `Writes` build on it."""

    def __init__(self, path: Path | str, conn: Any, dialect: Dialect | None = None) -> None:
        """`conn` is an sqlite3 connection, or (with the `PostgreSQL` dialect) a
        `pg.PgConnection`, which takes the same calls."""
        self.path = path
        """The store file, or the PostgreSQL URL with its password as ***."""
        self.dialect = dialect or Dialect()
        self.conn: sqlite3.Connection = conn
        if isinstance(conn, sqlite3.Connection):
            self.db = sqlite_utils.Database(conn)
            # SQLite's LIKE and lower() fold ASCII only; product names are Cyrillic too.
            conn.create_function("repcli_fold", 1, _fold, deterministic=True)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction: all of it lands, or none of it (a kill leaves the last one)."""
        self.begin()
        try:
            yield
        except BaseException:
            self.rollback()
            raise
        self.commit()

    def begin(self) -> None:
        """Open a write transaction (`transaction()` where one block holds it all; the pipeline
        holds one across the batches of an all-or-nothing unit, such as one file's rows)."""
        try:
            self.dialect.begin(self.conn)
        except self.dialect.errors as exc:
            self.rollback()
            raise self.dialect.explain(self.path, exc) from None

    def commit(self) -> None:
        try:
            self.conn.execute("COMMIT")
        except self.dialect.errors as exc:
            self.rollback()
            raise self.dialect.explain(self.path, exc) from None

    def rollback(self) -> None:
        """Undo the open transaction, if SQLite has not already (it does on a full disk)."""
        if self.conn.in_transaction:
            # If the database already undid it, the original error is what matters.
            with contextlib.suppress(*self.dialect.errors):
                self.conn.execute("ROLLBACK")

    def close(self) -> None:
        self.conn.close()


def as_store_error(path: Path | str, exc: BaseException) -> StoreError | None:
    """The store's explanation of an SQLite or PostgreSQL error that escaped a write; None
    for others. `path` is the store file or its PostgreSQL URL."""
    if isinstance(exc, sqlite3.Error):
        return explain(Path(path), exc)
    if postgres_error(exc):
        from repcli.store.dialect import explain_pg, redact_url

        return explain_pg(redact_url(str(path)), exc)
    return None


def _read_only_file_system(path: Path) -> bool:
    folder = path.parent if path.parent.exists() else Path.cwd()
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # no statvfs (Windows)
        return False


def explain(path: Path, exc: sqlite3.Error) -> StoreError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StoreError(
            f"{path}: the store is locked by another repcli run (waited {BUSY_TIMEOUT_MS} ms)",
            "wait for the other run to finish, or check for a stuck process",
        )
    if "malformed" in text or "corrupt" in text:
        return StoreError(
            f"{path}: the store file is corrupt ({text})",
            f"restore it from a backup, or salvage what is readable: sqlite3 {path} "
            f"'.recover' | sqlite3 recovered.db (then point `store:` at recovered.db)",
        )
    if "not a database" in text:
        return StoreError(
            f"{path}: not a repcli store, or the file is corrupt ({text})",
            "point `store:` in the config at another file; keep this one for inspection",
        )
    if "readonly" in text or "unable to open" in text or "disk I/O" in text:
        if _read_only_file_system(path):
            return StoreError(
                f"{path}: the store is on a read-only file system ({text})",
                "remount it read-write, or copy the store somewhere writable and point "
                "`store:` at the copy",
            )
        return StoreError(
            f"{path}: cannot write the store ({text})",
            "check the file's and its folder's permissions and free disk space",
        )
    if "full" in text:
        return StoreError(f"{path}: disk full ({text})", "free some disk space and run again")
    return StoreError(f"{path}: store error: {text}")

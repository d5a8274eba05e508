"""PostgreSQL under the store's SQL: a psycopg 3 connection that the store calls as it calls
sqlite3 (`execute(sql, params)` with `?` placeholders, rows with index and key access,
`rowcount`, `in_transaction`).

Reads outside a transaction run in autocommit. A write outside one (an INSERT, UPDATE or
DELETE with no BEGIN before it) runs in a transaction of its own that takes the write lock
first, as SQLite's autocommit write takes its lock: writers take turns either way.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from repcli.errors import StoreError
from repcli.store.dialect import PostgreSQL, redact_url

_WRITES = frozenset({"insert", "update", "delete"})


@functools.lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """`?` placeholders to psycopg's `%s`, and a literal `%` to `%%`; nothing inside string
    literals ('...'), quoted names ("...") or comments is a placeholder."""
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:  # '' inside a literal
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[i : end + 1].replace("%", "%%"))
            i = end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif ch == "?":
            out.append("%s")
            i += 1
        elif ch == "%":
            out.append("%%")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class Row(tuple[Any, ...]):
    """A row as sqlite3.Row gives it: by index, by column name, unpacked, or `dict(row)`."""

    _names: tuple[str, ...]
    _index: dict[str, int]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor: Any) -> Callable[[Sequence[Any]], Row]:
    names = tuple(d.name for d in cursor.description or ())
    index = {name: i for i, name in enumerate(names)}

    def make(values: Sequence[Any]) -> Row:
        row = Row(values)
        row._names, row._index = names, index
        return row

    return make


class PgCursor:
    """The part of sqlite3.Cursor the store uses."""

    row_factory: Any = None  # rows are always `Row`s; the store's sqlite3.Row is ignored

    def __init__(self, owner: PgConnection) -> None:
        self._owner = owner
        self._cur = owner.raw.cursor(row_factory=_row_factory)
        self.lastrowid: int | None = None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> PgCursor:
        self._owner.run(self._cur, sql, params)
        return self

    def executemany(self, sql: str, seq: Sequence[Sequence[Any]]) -> PgCursor:
        self._owner.run_many(self._cur, sql, seq)
        return self

    @property
    def rowcount(self) -> int:
        self._owner.sync()
        return int(self._cur.rowcount)

    @property
    def description(self) -> Any:
        self._owner.sync()
        return self._cur.description

    def fetchone(self) -> Row | None:
        return self._cur.fetchone() if self.description else None

    def fetchall(self) -> list[Row]:
        return list(self._cur.fetchall()) if self.description else []

    def __iter__(self) -> Iterator[Row]:
        return iter(self.fetchall())

    def close(self) -> None:
        self._cur.close()


class PgConnection:
    """A psycopg connection (autocommit) with the part of sqlite3.Connection the store uses."""

    def __init__(self, raw: Any, dialect: PostgreSQL) -> None:
        self.raw = raw
        self.dialect = dialect
        self._pipeline: Any = None

    @contextlib.contextmanager
    def pipeline(self) -> Iterator[None]:
        """Send the block's statements without waiting for each one's answer (psycopg's
        pipeline mode): one round trip for all of them, in order, instead of one each. Reading
        a result (`fetchone`, `rowcount`, ...) waits for everything sent so far; an error
        raises at that point or when the block ends."""
        if self._pipeline is not None:  # already inside one
            yield
            return
        with self.raw.pipeline() as pipe:
            self._pipeline = pipe
            try:
                yield
            finally:
                self._pipeline = None

    def sync(self) -> None:
        """Inside `pipeline()`: wait for the answers of every statement sent so far."""
        if self._pipeline is not None:
            self._pipeline.sync()

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return bool(self.raw.info.transaction_status != TransactionStatus.IDLE)

    def cursor(self) -> PgCursor:
        return PgCursor(self)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> PgCursor:
        return self.cursor().execute(sql, params)

    def executemany(self, sql: str, seq: Sequence[Sequence[Any]]) -> PgCursor:
        return self.cursor().executemany(sql, seq)

    def run(self, cur: Any, sql: str, params: Sequence[Any]) -> None:
        if not self.in_transaction and sql.lstrip()[:6].lower() in _WRITES:
            self._alone(lambda: cur.execute(translate(sql), params))
        elif params:
            cur.execute(translate(sql), params)
        else:
            cur.execute(sql)

    def run_many(self, cur: Any, sql: str, seq: Sequence[Sequence[Any]]) -> None:
        if not self.in_transaction:
            self._alone(lambda: cur.executemany(translate(sql), seq))
        else:
            cur.executemany(translate(sql), seq)

    def _alone(self, write: Callable[[], None]) -> None:
        """One write in a transaction of its own, under the write lock."""
        try:
            self.dialect.begin(self)
            write()
        except BaseException:
            if self.in_transaction:
                self.raw.execute("ROLLBACK")
            raise
        self.raw.execute("COMMIT")

    def commit(self) -> None:
        if self.in_transaction:
            self.raw.execute("COMMIT")

    def close(self) -> None:
        self.raw.close()


def _bool_as_int(conn: Any) -> None:
    """Python bools are stored as 0 and 1, as sqlite3 stores them (the columns are integers);
    numeric results (sum, avg) come back as int when whole, else float, as from SQLite."""
    from psycopg.adapt import Loader
    from psycopg.types.numeric import Int8Dumper

    class BoolAsInt(Int8Dumper):
        def dump(self, obj: Any) -> bytes:
            return b"1" if obj else b"0"

    class Number(Loader):
        def load(self, data: Any) -> Any:
            text = bytes(data).decode()
            if text.lstrip("-").isdigit():
                return int(text)
            return float(text)

    conn.adapters.register_dumper(bool, BoolAsInt)
    conn.adapters.register_loader("numeric", Number)


def connect(url: str) -> PgConnection:
    """Connect to the PostgreSQL database at `url` (its password from the URL, PGPASSWORD or
    ~/.pgpass, as libpq finds it). StoreError, without the password, when it cannot."""
    label = redact_url(url)
    try:
        import psycopg
    except ImportError:
        raise StoreError(
            f"{label}: PostgreSQL stores need psycopg", "pip install 'repcli[postgres]'"
        ) from None
    dialect = PostgreSQL(label)
    try:
        raw = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        host = _host(url)
        secret = urlsplit(url).password
        reason = _connect_reason(exc)
        if secret:
            reason = reason.replace(secret, "***")
        raise StoreError(
            f"{label}: cannot connect to PostgreSQL at {host}: {reason}",
            "check the host, port, database name and user in `store:`; the password comes "
            "from the URL, PGPASSWORD or ~/.pgpass",
        ) from None
    _bool_as_int(raw)
    return PgConnection(raw, dialect)


def _host(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host:
        for pair in parts.query.split("&"):
            if pair.startswith("host="):
                from urllib.parse import unquote

                host = unquote(pair[5:])
    port = parts.port
    return f"{host or 'localhost'}{f':{port}' if port else ''}"


def _connect_reason(exc: Exception) -> str:
    """libpq's reason on one line: `Connection refused (is the server running on that host
    and accepting TCP/IP connections?)` from its two-line, tab-indented message."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    first = lines[0].removeprefix("connection failed: ")
    if " failed: " in first:  # 'connection to server at "h", port 1 failed: <why>'
        first = first.rsplit(" failed: ", 1)[1]
    more = " ".join(lines[1:])
    return f"{first} ({more[0].lower()}{more[1:]})" if more else first

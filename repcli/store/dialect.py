"""What SQLite and PostgreSQL say differently, in one place: the store's SQL is plain and
shared; the few spots where the engines differ ask the store's `dialect` for their snippet.

`SQLite` is the store file (sqlite3, `?` placeholders); `PostgreSQL` runs the same statements
through `pg.PgConnection`, which translates the placeholders. Each method is one difference:
a JSON array as rows, a week bucket, string aggregation, the change sequence's renumbering,
the full-text index and search, case folding, the write lock, the schema version, and what an
error means.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from repcli.errors import StoreError

BUSY_TIMEOUT_MS = 5000

WRITE_LOCK = 0x7265_7063_6C69  # "repcli": the advisory lock PostgreSQL writers take
"""Every PostgreSQL writer holds this transaction-level advisory lock, so writers take turns
exactly as SQLite's single writer does."""


@dataclasses.dataclass(frozen=True, slots=True)
class Search:
    """The parts of a full-text search: `SELECT ... FROM {source} WHERE {where} AND (the
    filters) ORDER BY {order}, ...`, each part's parameters in that order."""

    source: str
    where: str
    where_params: list[Any]
    order: str
    order_params: list[Any]


class Dialect:
    """SQLite's spelling of each difference (the reference); `PostgreSQL` overrides them."""

    name = "sqlite"
    busy_timeout_ms = BUSY_TIMEOUT_MS
    row_errors: tuple[type[Exception], ...] = (
        sqlite3.IntegrityError, sqlite3.DataError, sqlite3.InterfaceError,
    )  # fmt: skip
    """What one row's values can make a write raise (besides ValueError and friends)."""
    errors: tuple[type[Exception], ...] = (sqlite3.Error,)

    # ------------------------------------------------------------ SQL snippets

    def json_items(self, expr: str, alias: str) -> str:
        """A FROM item: the elements of the JSON array text `expr` (NULL or '' for none) as
        rows of one column, `alias`.value."""
        return f"json_each(nullif({expr}, '')) {alias}"

    def week_bucket(self, column: str) -> str:
        """The week an ISO time falls in, as `2026-W47` (weeks start on Monday; days before a
        year's first Monday are its week 00)."""
        return f"strftime('%Y-W%W', {column})"

    def string_agg(self, expr: str) -> str:
        """`expr` of a group's rows joined by commas."""
        return f"group_concat({expr})"

    def fold(self, expr: str) -> str:
        """`expr` case-folded, Cyrillic included (SQLite's lower() folds ASCII only)."""
        return f"repcli_fold({expr})"

    def same(self, left: str, right: str) -> str:
        """`left` equals `right`, NULL equal to NULL."""
        return f"{left} IS {right}"

    def greatest(self, left: str, right: str) -> str:
        return f"MAX({left}, {right})"

    def least(self, left: str, right: str) -> str:
        """The smaller of two values; NULL if either is NULL."""
        return f"MIN({left}, {right})"

    def epoch_seconds(self, expr: str) -> str:
        """Whole seconds since 1970 of an ISO time (NULL for NULL)."""
        return f"unixepoch({expr})"

    def count_if(self, condition: str) -> str:
        """How many rows of the group meet `condition` (0 for none): SQLite sums the
        comparison's 0 or 1 (cheaper than a CASE per row)."""
        return f"coalesce(sum({condition}), 0)"

    def filter_only(self, expr: str) -> str:
        """`expr` for a WHERE clause that must not pick the index to search (SQLite's unary
        `+`; PostgreSQL's planner needs no such hint)."""
        return f"+{expr}"

    def renumber_changes(self, select: str) -> str:
        """Give the (kind, row_id) rows of `select` the next numbers of the change sequence
        (m006), replacing their old ones."""
        return f"INSERT OR REPLACE INTO changes (kind, row_id) {select}"

    # ------------------------------------------------------------ statements

    def insert_id(self, conn: Any, sql: str, params: Sequence[Any]) -> int:
        """Run an INSERT of one row into a table with an `id`; that row's id."""
        cur = conn.execute(sql, params)
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    def index_new_items(self, conn: Any, ids: Sequence[int]) -> None:
        """Add new items to the full-text index (edits are indexed by the schema itself)."""
        conn.execute(
            "INSERT INTO items_fts (rowid, title, text, pros, cons) SELECT id, title, "
            f"text, pros, cons FROM items WHERE id IN ({','.join('?' * len(ids))})",
            ids,
        )

    def pipeline(self, conn: Any) -> contextlib.AbstractContextManager[None]:
        """A block of statements whose results are not read until its end (or until one is
        read): PostgreSQL sends them in one round trip; SQLite, in process, runs them as they
        come."""
        return contextlib.nullcontext()

    def bulk_load(self, conn: Any) -> contextlib.AbstractContextManager[None]:
        """A block that fills empty tables (`store migrate`), inside the write transaction:
        what the schema derives per row may be put aside and made once at the end, when the
        block ends without an error. SQLite's copy indexes each page (`index_new_items`)."""
        return contextlib.nullcontext()

    def search(self, match: str) -> Search:
        """A full-text search for the words of `match`: every word, in any of its forms
        (analysis stems, prefix-matched)."""
        return Search(
            "items_fts JOIN items ON items.rowid = items_fts.rowid",
            "items_fts MATCH ?",
            [fts_query(match)],
            "items_fts.rank",
            [],
        )

    def begin(self, conn: Any) -> None:
        """Open a write transaction: one writer at a time, waiting up to the busy timeout."""
        conn.execute("BEGIN IMMEDIATE")

    def begin_read(self, conn: Any) -> None:
        """Open a read transaction: one snapshot for every statement until COMMIT."""
        conn.execute("BEGIN")

    def schema_version(self, conn: Any) -> int:
        """How many migrations the store has had (a newer repcli's store has more)."""
        return int(conn.execute("PRAGMA user_version").fetchone()[0])

    def set_schema_version(self, conn: Any, version: int) -> None:
        conn.execute(f"PRAGMA user_version = {int(version)}")

    def explain(self, where: Path | str, exc: BaseException) -> StoreError:
        """What an engine error means to the user, with what to do."""
        from repcli.store.base import explain

        assert isinstance(exc, sqlite3.Error)
        return explain(Path(where), exc)


class PostgreSQL(Dialect):
    name = "postgresql"

    def __init__(self, label: str) -> None:
        import psycopg

        self.label = label
        self.row_errors = (psycopg.IntegrityError, psycopg.DataError)
        self.errors = (psycopg.Error,)

    def json_items(self, expr: str, alias: str) -> str:
        return f"jsonb_array_elements_text(nullif({expr}, '')::jsonb) AS {alias}(value)"

    def week_bucket(self, column: str) -> str:
        # strftime's %W: (day of year - 1 + 7 - days since Monday) / 7, in UTC as SQLite reads
        # an ISO time with an offset.
        t = f"(({column})::timestamptz AT TIME ZONE 'UTC')"
        return (
            f"to_char({t}, 'YYYY') || '-W' || lpad(((extract(doy FROM {t})::int + 6 "
            f"- (extract(isodow FROM {t})::int - 1)) / 7)::text, 2, '0')"
        )

    def string_agg(self, expr: str) -> str:
        return f"string_agg(CAST({expr} AS TEXT), ',')"

    def fold(self, expr: str) -> str:
        # Text columns compare as "C" (pg_schema); lower() folds by the database's locale.
        return f'lower(({expr}) COLLATE "default")'

    def same(self, left: str, right: str) -> str:
        return f"{left} IS NOT DISTINCT FROM {right}"

    def greatest(self, left: str, right: str) -> str:
        return f"GREATEST({left}, {right})"

    def least(self, left: str, right: str) -> str:
        # SQLite's MIN(a, b) is NULL when either is; LEAST skips NULLs.
        return f"CASE WHEN ({left}) IS NULL OR ({right}) IS NULL THEN NULL ELSE LEAST({left}, {right}) END"

    def epoch_seconds(self, expr: str) -> str:
        return f"floor(extract(epoch FROM ({expr})::timestamptz))::bigint"

    def count_if(self, condition: str) -> str:
        # A comparison is a boolean here, and sum(boolean) does not exist.
        return f"coalesce(sum(CASE WHEN {condition} THEN 1 ELSE 0 END), 0)"

    def filter_only(self, expr: str) -> str:
        return expr

    def renumber_changes(self, select: str) -> str:
        return (
            f"INSERT INTO changes (kind, row_id) {select} ON CONFLICT (kind, row_id) "
            "DO UPDATE SET seq = nextval(pg_get_serial_sequence('changes', 'seq'))"
        )

    def insert_id(self, conn: Any, sql: str, params: Sequence[Any]) -> int:
        return int(conn.execute(sql + " RETURNING id", params).fetchone()[0])

    def index_new_items(self, conn: Any, ids: Sequence[int]) -> None:
        """Nothing to do: a trigger keeps `items.fts` (pg_schema) in step with the content."""

    def pipeline(self, conn: Any) -> contextlib.AbstractContextManager[None]:
        return conn.pipeline()  # type: ignore[no-any-return]

    @contextlib.contextmanager
    def bulk_load(self, conn: Any) -> Iterator[None]:
        """The row triggers (the full-text index, the change sequence) are disabled and the
        tables' secondary indexes dropped for the block, in its transaction (nobody else sees
        it); then the full-text index is filled in one statement, each index built once and the
        triggers enabled again. Where the user may not alter the tables (not their owner) or a
        reader holds them, the block runs with them as they are."""
        indexes = conn.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE n.nspname = current_schema() AND t.relkind = 'r' AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
            "ORDER BY 1"
        ).fetchall()
        tables = [
            str(row[0])
            for row in conn.execute(
                "SELECT DISTINCT c.relname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT g.tgisinternal "
                "AND n.nspname = current_schema() ORDER BY 1"
            ).fetchall()
        ]
        from psycopg import errors as pg

        conn.execute("SAVEPOINT bulk_load")
        try:
            for table in tables:
                conn.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
            for name, _ in indexes:
                conn.execute(f"DROP INDEX {name}")
        except (pg.InsufficientPrivilege, pg.LockNotAvailable):
            # Not the tables' owner, or a reader holds them: load through the triggers.
            conn.execute("ROLLBACK TO bulk_load")
            conn.execute("RELEASE bulk_load")
            yield
            return
        conn.execute("RELEASE bulk_load")
        yield
        conn.execute(
            "INSERT INTO items_fts (id, fts) "
            "SELECT id, repcli_fts(title, text, pros, cons) FROM items ORDER BY id"
        )
        for _, definition in indexes:
            conn.execute(definition)
        for table in tables:
            conn.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')

    def search(self, match: str) -> Search:
        words = match.replace('"', " ").lower().split()
        if not words:
            return Search("items", "1 = 0", [], "items.id", [])
        terms: list[str] = []
        params: list[Any] = []
        for word in words:
            prefixes = " | ".join(_tsquery_prefix(form) for form in word_forms(word))
            # The analysis stems, prefix-matched as SQLite's search does, or the word in any
            # form PostgreSQL's russian or english dictionaries know.
            terms.append(
                "(to_tsquery('simple', ?) || plainto_tsquery('russian', ?) "
                "|| plainto_tsquery('english', ?))"
            )
            params += [prefixes, word, word]
        query = " && ".join(terms)
        return Search(
            "items_fts JOIN items ON items.id = items_fts.id",
            f"items_fts.fts @@ ({query})",
            params,
            f"ts_rank(items_fts.fts, {query}) DESC",
            params,
        )

    def begin(self, conn: Any) -> None:
        # One round trip: statements without parameters may go together.
        conn.execute(
            f"BEGIN; SET LOCAL lock_timeout = '{int(self.busy_timeout_ms)}ms'; "
            f"SELECT pg_advisory_xact_lock({WRITE_LOCK})"
        )

    def begin_read(self, conn: Any) -> None:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")

    def schema_version(self, conn: Any) -> int:
        row = conn.execute("SELECT to_regclass('_migrations') IS NOT NULL").fetchone()
        if not row[0]:
            return 0
        return int(conn.execute("SELECT count(*) FROM _migrations").fetchone()[0])

    def set_schema_version(self, conn: Any, version: int) -> None:
        """The version is the number of rows in `_migrations`: nothing else to keep."""

    def explain(self, where: Path | str, exc: BaseException) -> StoreError:
        return explain_pg(self.label, exc)


def word_forms(word: str) -> list[str]:
    """The prefixes a search word matches: its stem ("стирка" -> стирк: стирки, стиркой), and,
    where Snowball writes ё as е or the stem is not a prefix (happy -> happi), the word's own
    start too."""
    from repcli.stems import stem

    root = stem(word)
    if root == word.replace("ё", "е")[: len(root)]:
        # Snowball writes ё as е; the index keeps what the customer typed: ask for both.
        return list(dict.fromkeys((word[: len(root)], root)))
    return list(dict.fromkeys((word, root)))  # English stems are not always prefixes


def fts_query(query: str) -> str:
    """An FTS5 query: each word quoted so user text never breaks FTS syntax; words are ANDed,
    and each matches its other word forms, prefix-matched."""
    terms = []
    for word in query.replace('"', " ").lower().split():
        terms.append("(" + " OR ".join(f'"{f}"*' for f in word_forms(word)) + ")")
    return " AND ".join(terms) or '""'


def _tsquery_prefix(form: str) -> str:
    """One form as a tsquery prefix term, quoted so no character of it is an operator."""
    return "'" + form.replace("\\", "\\\\").replace("'", "''") + "':*"


def redact_url(url: str) -> str:
    """A PostgreSQL URL fit to show: its password (in the user part or the query) as ***."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            netloc = userinfo.split(":", 1)[0] + ":***@" + host
    query = parts.query
    if "password" in query.lower():
        pairs = [
            (k, "***" if k.lower() == "password" else v)
            for k, v in parse_qsl(query, keep_blank_values=True)
        ]
        query = urlencode(pairs, safe="*/")
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def explain_pg(label: str, exc: BaseException) -> StoreError:
    """What a PostgreSQL error means, as `explain` says it for SQLite."""
    import psycopg
    from psycopg import errors as pg

    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, pg.LockNotAvailable | pg.QueryCanceled | pg.DeadlockDetected):
        return StoreError(
            f"{label}: the store is locked by another repcli run (waited {BUSY_TIMEOUT_MS} ms)",
            "wait for the other run to finish, or check for a stuck process",
        )
    if isinstance(exc, pg.InsufficientPrivilege | pg.ReadOnlySqlTransaction):
        return StoreError(
            f"{label}: cannot write the store ({text})",
            "grant the user rights on the database, or point `store:` at another one",
        )
    if isinstance(exc, pg.DiskFull | pg.OutOfMemory):
        return StoreError(f"{label}: the server is out of space ({text})")
    if isinstance(exc, psycopg.OperationalError):
        return StoreError(
            f"{label}: lost the connection to PostgreSQL ({text})",
            "check that the server is up and reachable, then run again",
        )
    return StoreError(f"{label}: store error: {text}")


def postgres_error(exc: BaseException) -> bool:
    """Whether `exc` is a PostgreSQL error (without importing psycopg when no store used it)."""
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.Error)


SQLITE = Dialect()
"""The store file's dialect (what `ItemFilter.where` speaks unless told otherwise)."""

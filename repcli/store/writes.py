"""Writes: upserting fetched items (with versions), runs, and each source's cursor."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from repcli import secrets
from repcli.clock import from_iso, to_iso
from repcli.idruns import IdRuns
from repcli.models import Item, Reject, Verdict
from repcli.store.base import StoreBase
from repcli.textcheck import escape_surrogates, unstorable

_ITEM_COLUMNS = (
    "source", "external_id", "platform", "kind", "url", "product_id", "product_name", "author",
    "rating", "title", "text", "pros", "cons", "created_at", "updated_at", "answer_text",
    "answered_at", "order_id", "lang", "raw",
)  # fmt: skip
_ANALYSIS_COLUMNS = (
    "content_hash", "sentiment", "sentiment_score", "negative", "reasons", "topics",
    "needs_reply", "due_at",
)  # fmt: skip
_CHUNK = 400  # stays under SQLite's host-parameter limit
# json.dumps builds a new encoder for every call with options: one of each, built once.
_json = json.JSONEncoder(ensure_ascii=False).encode
_raw_encode = json.JSONEncoder(ensure_ascii=False, default=str).encode


def _raw_json(raw: Any) -> str:
    """A payload as JSON text SQLite accepts: a lone surrogate is kept as its JSON escape."""
    text = _raw_encode(raw)
    try:  # UTF-8 refuses only surrogates, and is cheaper to ask than the pattern
        text.encode()
    except UnicodeEncodeError:
        return escape_surrogates(text)
    return text


def _iso(value: datetime | None) -> str | None:
    """`to_iso`, cheaper for what rows mostly hold (aware UTC times from year 1000 on)."""
    if value is not None and value.tzinfo is UTC and value.year >= 1000:
        return value.isoformat(timespec="microseconds")[:26] + "Z"
    return to_iso(value)


_JSON_LISTS: dict[tuple[str, ...], str] = {}
"""Reasons and topics as stored JSON, by value: the same few lists recur on most rows."""


def _json_list(values: tuple[str, ...]) -> str:
    if not values:
        return "[]"
    text = _JSON_LISTS.get(values)
    if text is None:
        if len(_JSON_LISTS) >= 4096:  # bounded: memory stays flat on any input
            _JSON_LISTS.clear()
        text = _JSON_LISTS[values] = _json(list(values))
    return text


_ROW_STORE_ERRORS: tuple[type[Exception], ...] = (
    ValueError, OverflowError, TypeError, sqlite3.IntegrityError, sqlite3.DataError,
    sqlite3.InterfaceError,
)  # fmt: skip
"""What one row's values can make a write raise (UnicodeEncodeError is a ValueError); not a
locked, full or corrupt store, which stops the run (sqlite3.OperationalError, DatabaseError)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Analysis:
    """What the pipeline computed for a new or changed item."""

    verdict: Verdict
    needs_reply: bool
    due_at: datetime | None


@dataclasses.dataclass(slots=True)
class UpsertResult:
    new_ids: IdRuns = dataclasses.field(default_factory=IdRuns)
    """The new items' ids, in the order given (consecutive within an insert)."""
    changed_ids: IdRuns = dataclasses.field(default_factory=IdRuns)
    unchanged: int = 0
    rejects: list[Reject] = dataclasses.field(default_factory=list)
    """Items that could not be stored (a value SQLite refuses, a deadline that overflows)."""


def _item_values(item: Item) -> list[Any]:
    return [
        item.source,
        item.external_id,
        item.platform,
        item.kind,
        item.url,
        item.product_id,
        item.product_name,
        item.author,
        item.rating,
        item.title,
        item.text,
        item.pros,
        item.cons,
        _iso(item.created_at),
        _iso(item.updated_at),
        item.answer_text,
        _iso(item.answered_at),
        item.order_id,
        item.lang,
        _raw_json(item.raw) if item.raw is not None else None,
    ]


def _analysis_values(content_hash: str, analysis: Analysis) -> list[Any]:
    verdict = analysis.verdict
    return [
        content_hash,
        verdict.sentiment,
        round(verdict.score, 4),
        int(verdict.negative),
        _json_list(tuple(verdict.reasons)),
        _json_list(tuple(verdict.topics)),
        int(analysis.needs_reply),
        _iso(analysis.due_at),
    ]


_INSERT_COLUMNS = (*_ITEM_COLUMNS, *_ANALYSIS_COLUMNS, "first_seen_at", "last_seen_at", "status")
_INSERT = (
    f"INSERT INTO items ({', '.join(_INSERT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_INSERT_COLUMNS))})"
)


def _insert_values(item: Item, digest: str, analysis: Analysis, seen: str | None) -> list[Any]:
    status = "answered" if item.answer_text else "new"
    return [*_item_values(item), *_analysis_values(digest, analysis), seen, seen, status]


def _reject(item: Item, reason: str) -> Reject:
    raw = item.raw if item.raw is not None else dataclasses.asdict(item)
    return Reject(item.kind, item.external_id, reason, raw)


def _chunks(seq: Sequence[Item], size: int = _CHUNK) -> Iterator[Sequence[Item]]:
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


class Writes(StoreBase):
    """Every method that changes data runs inside `transaction()`."""

    def upsert_items(
        self,
        items: Sequence[Item],
        analyse: Callable[[Item], Analysis],
        seen_at: datetime,
    ) -> UpsertResult:
        """Insert new items; version and re-analyse changed ones; touch the rest.

        Keyed by (source, external_id). A changed rating or text copies the old version to
        `item_versions` first, so nothing a customer once wrote is ever lost. Call inside
        `transaction()`.
        """
        result = UpsertResult()
        seen = to_iso(seen_at)
        by_key: dict[tuple[str, str], Item] = {}
        for item in items:  # the last copy of a duplicate within one batch wins
            by_key[(item.source, item.external_id)] = item
        unique: list[Item] = []
        for item in by_key.values():
            if problem := unstorable(item):
                result.rejects.append(_reject(item, f"{problem[0]}: {problem[1]}"))
            else:
                unique.append(item)
        for chunk in _chunks(unique):
            part = UpsertResult()
            try:
                with self._savepoint():
                    self._upsert_chunk(chunk, analyse, seen, part)
            except (*_ROW_STORE_ERRORS, *self.dialect.row_errors):
                # Some row is bad in a way the checks above did not foresee: again row by row,
                # each in its own savepoint, so the bad one costs only itself.
                part = UpsertResult()
                for item in chunk:
                    try:
                        with self._savepoint():
                            self._upsert_chunk([item], analyse, seen, part)
                    except (*_ROW_STORE_ERRORS, *self.dialect.row_errors) as exc:
                        part.rejects.append(_reject(item, f"{type(exc).__name__}: {exc}"))
            result.new_ids.extend(part.new_ids)
            result.changed_ids.extend(part.changed_ids)
            result.unchanged += part.unchanged
            result.rejects += part.rejects
        return result

    @contextlib.contextmanager
    def _savepoint(self) -> Iterator[None]:
        """Inside the open transaction: undo only this block's writes if it raises."""
        self.conn.execute("SAVEPOINT upsert")
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK TO upsert")
                self.conn.execute("RELEASE upsert")
            raise
        self.conn.execute("RELEASE upsert")

    def _upsert_chunk(
        self,
        chunk: Sequence[Item],
        analyse: Callable[[Item], Analysis],
        seen: str | None,
        result: UpsertResult,
    ) -> None:
        existing = self._existing(chunk)
        fresh: list[list[Any]] = []
        seen_again: list[int] = []
        # Sent together on PostgreSQL (one round trip, not one per statement), in this order:
        # versions, events and the change sequence number rows as they did one by one.
        with self.dialect.pipeline(self.conn):
            for item in chunk:
                digest = item.content_hash()
                old = existing.get((item.source, item.external_id))
                if old is None:
                    fresh.append(_insert_values(item, digest, analyse(item), seen))
                elif old["content_hash"] != digest:
                    self._update_changed(old, item, digest, analyse(item), seen)
                    result.changed_ids.append(old["id"])
                else:
                    if item.answer_text and not old["answer_text"]:
                        self._answer_appeared(old, item, seen)
                    else:
                        seen_again.append(old["id"])
                    result.unchanged += 1
            if seen_again:  # one statement for the chunk's unchanged items
                self.conn.execute(
                    "UPDATE items SET last_seen_at = ? "
                    f"WHERE id IN ({','.join('?' * len(seen_again))})",
                    [seen, *seen_again],
                )
            if fresh:  # one statement for the chunk's new items, then their ids in that order
                self.conn.executemany(_INSERT, fresh)
                ids = self._ids([(row[0], row[1]) for row in fresh])
                self.dialect.index_new_items(self.conn, ids)
                self.conn.execute(  # their numbers in the change sequence (exports.py)
                    self.dialect.renumber_changes(
                        "SELECT 'items', id FROM items "
                        f"WHERE id IN ({','.join('?' * len(ids))}) ORDER BY id"
                    ),
                    ids,
                )
                result.new_ids.extend(ids)

    def record_rejects(
        self, source: str, rejects: Sequence[Reject], seen_at: datetime, run_id: int | None
    ) -> None:
        """Keep rows that could not be stored aside, one row each per (source, kind, id or
        payload): first and last seen, how often, the last run that saw it. Call inside
        `transaction()`."""
        seen = to_iso(seen_at)
        for reject in rejects:
            raw = secrets.redact(_raw_json(reject.raw))
            key = (
                reject.external_id
                or "payload:" + hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()
            )
            self.conn.execute(
                "INSERT INTO rejects (source, kind, key, external_id, reason, raw, first_seen_at, "
                "last_seen_at, count, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?) "
                "ON CONFLICT(source, kind, key) DO UPDATE SET reason = excluded.reason, "
                "raw = excluded.raw, last_seen_at = excluded.last_seen_at, count = rejects.count + 1, "
                "run_id = excluded.run_id",
                (
                    source, reject.kind, escape_surrogates(key),
                    escape_surrogates(reject.external_id) if reject.external_id else None,
                    escape_surrogates(secrets.redact(reject.reason)), raw, seen, seen, run_id,
                ),
            )  # fmt: skip

    def _ids(self, keys: Sequence[tuple[str, str]]) -> list[int]:
        """Row ids of (source, external_id) keys, in the keys' order."""
        by_source: dict[str, list[str]] = {}
        for source, external_id in keys:
            by_source.setdefault(source, []).append(external_id)
        found: dict[tuple[str, str], int] = {}
        for source, ids in by_source.items():
            rows = self.conn.execute(
                f"SELECT id, external_id FROM items WHERE source = ? "
                f"AND external_id IN ({','.join('?' * len(ids))})",
                [source, *ids],
            )
            found.update(((source, external_id), row_id) for row_id, external_id in rows)
        return [found[key] for key in keys]

    def _existing(self, chunk: Sequence[Item]) -> dict[tuple[str, str], sqlite3.Row]:
        found: dict[tuple[str, str], sqlite3.Row] = {}
        by_source: dict[str, list[str]] = {}
        for item in chunk:
            by_source.setdefault(item.source, []).append(item.external_id)
        cur = self.conn.cursor()
        cur.row_factory = sqlite3.Row
        for source, ids in by_source.items():
            marks = ",".join("?" * len(ids))
            rows = cur.execute(
                "SELECT id, source, external_id, content_hash, negative, answer_text, status, "
                f"first_seen_at FROM items WHERE source = ? AND external_id IN ({marks})",
                [source, *ids],
            )
            for row in rows:
                found[(row["source"], row["external_id"])] = row
        return found

    def _update_changed(
        self,
        old: sqlite3.Row,
        item: Item,
        digest: str,
        analysis: Analysis,
        seen: str | None,
    ) -> None:
        self.conn.execute(
            "INSERT INTO item_versions (item_id, rating, title, text, pros, cons, content_hash, "
            "seen_from, replaced_at) SELECT id, rating, title, text, pros, cons, content_hash, "
            "COALESCE(updated_at, first_seen_at), ? FROM items WHERE id = ?",
            (seen, old["id"]),
        )
        columns = (*_ITEM_COLUMNS, *_ANALYSIS_COLUMNS, "last_seen_at")
        values = [*_item_values(item), *_analysis_values(digest, analysis), seen]
        # An edited copy without the seller's answer does not erase the answer we already saw.
        keep_if_missing = {"answer_text", "answered_at"}
        assignments = ", ".join(
            f"{c} = COALESCE(?, {c})" if c in keep_if_missing else f"{c} = ?" for c in columns
        )
        # An item that turns negative is news again: `check` shows it once more.
        extra = ""
        if analysis.verdict.negative and not old["negative"]:
            extra = ", reported_at = NULL"
        if item.answer_text and old["status"] in ("new", "open"):
            extra += ", status = 'answered'"
        self.conn.execute(
            f"UPDATE items SET {assignments}{extra} WHERE id = ?", [*values, old["id"]]
        )
        if item.answer_text and not old["answer_text"]:
            self._answer_seen(old, item, seen)

    def _answer_appeared(self, old: sqlite3.Row, item: Item, seen: str | None) -> None:
        """Unchanged, but answered on the platform since we last looked: it leaves the queue
        by itself."""
        status = "answered" if old["status"] in ("new", "open") else old["status"]
        self.conn.execute(
            "UPDATE items SET last_seen_at = ?, answer_text = ?, answered_at = ?, status = ? "
            "WHERE id = ?",
            (seen, item.answer_text, to_iso(item.answered_at), status, old["id"]),
        )
        self._answer_seen(old, item, seen)

    def _answer_seen(self, old: sqlite3.Row, item: Item, seen: str | None) -> None:
        self._settle_seen_answer(old["id"], item.answer_text, seen)
        self.conn.execute(
            "INSERT INTO events (item_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)",
            (
                old["id"],
                seen,
                item.source,
                "answer seen on the platform",
                (item.answer_text or "")[:200],
            ),
        )

    def _settle_seen_answer(self, item_id: int, answer_text: str | None, at: str | None) -> None:
        """The platform shows an answer to this item: a reply of ours left in `posting` or
        `unknown` got there (or someone answered by hand; either way, never send it again).
        Inside the fetch's transaction."""
        rows = self.conn.execute(
            "SELECT id, text FROM replies WHERE item_id = ? AND status IN ('posting', 'unknown')",
            (item_id,),
        ).fetchall()
        for reply_id, text in rows:
            same = " ".join((text or "").split()) == " ".join((answer_text or "").split())
            self.conn.execute(
                "UPDATE replies SET status = 'posted', posted_at = COALESCE(posted_at, ?), "
                "platform_error = NULL, updated_at = ? WHERE id = ?",
                (at, at, reply_id),
            )
            detail = f"reply {reply_id}: " + (
                "its text is on the platform" if same else "the platform shows another answer"
            )
            self.conn.execute(
                "INSERT INTO events (item_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)",
                (item_id, at, None, "reply settled by fetch", detail),
            )

    # ----------------------------------------------------------------- analysing again

    def stored_items(self, sources: Sequence[str]) -> Iterator[tuple[int, Item, tuple[Any, ...]]]:
        """(id, the item as analysed, its stored analysis values) of every item of these
        sources, for `reanalyse`; read in chunks, never all at once."""
        marks = ",".join("?" * len(sources))
        last = 0
        while True:
            rows = self.conn.execute(
                "SELECT id, source, platform, kind, external_id, created_at, rating, title, text, "
                f"pros, cons, answer_text, lang, {', '.join(_ANALYSIS_COLUMNS)} FROM items "
                f"WHERE source IN ({marks}) AND id > ? ORDER BY id LIMIT {_CHUNK}",
                [*sources, last],
            ).fetchall()
            if not rows:
                return
            for row in rows:
                created = from_iso(row[5])
                assert created is not None
                item = Item(
                    source=row[1], platform=row[2], kind=row[3], external_id=row[4],
                    created_at=created, rating=row[6], title=row[7], text=row[8] or "",
                    pros=row[9], cons=row[10], answer_text=row[11], lang=row[12],
                )  # fmt: skip
                yield row[0], item, tuple(row[13:])
            last = rows[-1][0]

    def save_analysis(self, item_id: int, old: tuple[Any, ...], analysis: Analysis) -> str:
        """Store an item's new analysis if it differs from `old` (its stored values): "same",
        "newly negative" (`check` shows it again), "no longer negative" or "changed"."""
        values = _analysis_values(old[_ANALYSIS_COLUMNS.index("content_hash")], analysis)
        if tuple(values) == old:
            return "same"
        was, now = bool(old[_ANALYSIS_COLUMNS.index("negative")]), analysis.verdict.negative
        outcome = "changed" if was == now else "newly negative" if now else "no longer negative"
        extra = ", reported_at = NULL" if outcome == "newly negative" else ""
        assignments = ", ".join(f"{c} = ?" for c in _ANALYSIS_COLUMNS)
        self.conn.execute(f"UPDATE items SET {assignments}{extra} WHERE id = ?", [*values, item_id])
        return outcome

    # ----------------------------------------------------------------- runs and cursors

    def start_run(self, group: str, command: str, source: str, when: datetime) -> int:
        with self.transaction():
            run_id = self.dialect.insert_id(
                self.conn,
                "INSERT INTO runs (run_group, command, source, started_at, status, fetched, new, "
                "changed) VALUES (?, ?, ?, ?, 'running', 0, 0, 0)",
                (group, command, source, to_iso(when)),
            )
            self.conn.execute(
                "INSERT INTO source_state (source, last_attempt_at, consecutive_failures) "
                "VALUES (?, ?, 0) ON CONFLICT(source) DO UPDATE SET last_attempt_at = ?",
                (source, to_iso(when), to_iso(when)),
            )
        return run_id

    def add_to_run(
        self, run_id: int, fetched: int, new: int, changed: int, rejected: int = 0
    ) -> None:
        self.conn.execute(
            "UPDATE runs SET fetched = fetched + ?, new = new + ?, changed = changed + ?, "
            "rejected = rejected + ? WHERE id = ?",
            (fetched, new, changed, rejected, run_id),
        )

    def save_cursor(self, source: str, cursor: dict[str, Any], when: datetime) -> None:
        self.conn.execute(
            "UPDATE source_state SET cursor = ?, updated_at = ? WHERE source = ?",
            (json.dumps(cursor, ensure_ascii=False), to_iso(when), source),
        )

    def finish_run(
        self, run_id: int, source: str, when: datetime, error: str | None, interrupted: bool = False
    ) -> None:
        """Close a run: ok, failed (counted against the source), or interrupted (not counted)."""
        status = "interrupted" if interrupted else "failed" if error else "ok"
        with self.transaction():
            self.conn.execute(
                "UPDATE runs SET finished_at = ?, status = ?, error = ? WHERE id = ?",
                (to_iso(when), status, error, run_id),
            )
            if interrupted:
                return
            if error:
                self.conn.execute(
                    "UPDATE source_state SET consecutive_failures = consecutive_failures + 1, "
                    "last_error = ? WHERE source = ?",
                    (error, source),
                )
            else:
                self.conn.execute(
                    "UPDATE source_state SET consecutive_failures = 0, last_error = NULL, "
                    "last_success_at = ? WHERE source = ?",
                    (to_iso(when), source),
                )

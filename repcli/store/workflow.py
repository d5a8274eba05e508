"""The response workflow's reads and writes: item status, assignees, notes, history, replies.

A reply moves draft -> approved -> posting -> posted, or -> failed (kept, with the platform's
error, ready to retry), or -> unknown (the request may have reached the platform but no answer
said what it did: a 5xx, a timeout, a dropped connection). `claim_for_posting` flips
approved/failed to posting in one statement, so two runs can never post the same reply. A reply
left in `posting` by a killed run, or in `unknown`, is never retried by itself, because the
platform may already show it: the next fetch that sees an answer settles it as posted, or a person
does (`repcli post ID --was-posted yes|no`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from repcli.clock import to_iso
from repcli.errors import NotFoundError, UsageError
from repcli.store.base import StoreBase
from repcli.store.rows import EventRow, ReplyListRow, ReplyRow

R = TypeVar("R")

REPLY_STATUSES = ("draft", "approved", "posting", "unknown", "posted", "failed")
UNSETTLED = ("posting", "unknown")
"""Replies that may or may not be on the platform: never sent again by themselves."""
OPEN_REPLY = ("draft", "approved", "failed")
"""Replies that may still change: at most one per item."""


class Workflow(StoreBase):
    def _dicts(self, shape: type[R], sql: str, params: Sequence[Any] = ()) -> list[R]:
        """Rows as dicts, of the shape (`rows.py`) that `sql` selects."""
        cur = self.conn.cursor()
        cur.row_factory = sqlite3.Row
        return cast("list[R]", [dict(row) for row in cur.execute(sql, params)])

    def _require_items(self, ids: Sequence[int]) -> None:
        marks = ",".join("?" * len(ids))
        found = {
            row[0] for row in self.conn.execute(f"SELECT id FROM items WHERE id IN ({marks})", ids)
        }
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFoundError(
                f"no item with ID {', '.join(map(str, missing))}",
                "IDs are in the first column of check, queue and list",
            )

    # ----------------------------------------------------------------- history

    def add_event(
        self, item_id: int, at: datetime, actor: str | None, action: str, detail: str | None = None
    ) -> None:
        self.conn.execute(
            "INSERT INTO events (item_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)",
            (item_id, to_iso(at), actor, action, detail),
        )

    def history(self, item_id: int) -> list[EventRow]:
        return self._dicts(
            EventRow,
            "SELECT at, actor, action, detail FROM events WHERE item_id = ? ORDER BY at, id",
            (item_id,),
        )

    # ----------------------------------------------------------------- status, assignee, notes

    def set_status(
        self, ids: Sequence[int], status: str, at: datetime, actor: str, note: str | None = None
    ) -> list[int]:
        """Set the status of items; returns the ids that changed. Call inside `transaction()`."""
        self._require_items(ids)
        changed = []
        for item_id in ids:
            cur = self.conn.execute(
                "UPDATE items SET status = ? WHERE id = ? AND status != ?",
                (status, item_id, status),
            )
            if cur.rowcount:
                changed.append(item_id)
                self.add_event(item_id, at, actor, f"status {status}", note)
            elif note:
                self.add_event(item_id, at, actor, "note", note)
        return changed

    def assign(self, ids: Sequence[int], assignee: str | None, at: datetime, actor: str) -> None:
        """Assign (or, with None, unassign) items; a new item becomes open. Inside a transaction."""
        self._require_items(ids)
        for item_id in ids:
            self.conn.execute(
                "UPDATE items SET assignee = ?, "
                "status = CASE status WHEN 'new' THEN 'open' ELSE status END WHERE id = ?",
                (assignee, item_id),
            )
            action = f"assigned to {assignee}" if assignee else "unassigned"
            self.add_event(item_id, at, actor, action)

    def add_note(self, item_id: int, text: str, at: datetime, actor: str) -> None:
        self._require_items([item_id])
        self.add_event(item_id, at, actor, "note", text)

    def open_item(self, item_id: int) -> None:
        """Work has started on a new item (a draft, a note): it becomes open."""
        self.conn.execute(
            "UPDATE items SET status = 'open' WHERE id = ? AND status = 'new'", (item_id,)
        )

    # ----------------------------------------------------------------- replies

    def reply(self, reply_id: int) -> ReplyRow:
        rows = self._dicts(ReplyRow, "SELECT * FROM replies WHERE id = ?", (reply_id,))
        if not rows:
            raise NotFoundError(f"no reply with ID {reply_id}", "see `repcli replies`")
        return rows[0]

    def open_reply(self, item_id: int) -> ReplyRow | None:
        """The item's reply still in the works (draft, approved or failed), if any."""
        rows = self._dicts(
            ReplyRow,
            "SELECT * FROM replies WHERE item_id = ? AND status IN ('draft','approved','failed') "
            "ORDER BY id DESC LIMIT 1",
            (item_id,),
        )
        return rows[0] if rows else None

    def posted_reply(self, item_id: int) -> ReplyRow | None:
        rows = self._dicts(
            ReplyRow,
            "SELECT * FROM replies WHERE item_id = ? AND status IN ('posting', 'unknown', 'posted') "
            "ORDER BY id DESC LIMIT 1",
            (item_id,),
        )
        return rows[0] if rows else None

    def list_replies(
        self, statuses: Sequence[str] = (), sources: Sequence[str] = (), limit: int = 0
    ) -> list[ReplyListRow]:
        clauses: list[str] = ["1 = 1"]
        params: list[Any] = []
        if statuses:
            clauses.append(f"r.status IN ({','.join('?' * len(statuses))})")
            params.extend(statuses)
        if sources:
            clauses.append(f"i.source IN ({','.join('?' * len(sources))})")
            params.extend(sources)
        sql = (
            "SELECT r.id, r.item_id, i.source, i.platform, i.rating, i.author, r.status, "
            "r.template, r.text, r.author AS drafted_by, r.created_at, r.approved_at, "
            "r.posted_at, r.attempts, r.platform_error "
            f"FROM replies r JOIN items i ON i.id = r.item_id WHERE {' AND '.join(clauses)} "
            "ORDER BY r.id DESC" + (f" LIMIT {int(limit)}" if limit else "")
        )
        return self._dicts(ReplyListRow, sql, params)

    def save_draft(
        self, item_id: int, text: str, template: str | None, at: datetime, actor: str
    ) -> int:
        """Create the item's draft, or replace the text of its open one. Inside a transaction."""
        self._require_items([item_id])
        if self.posted_reply(item_id):
            raise UsageError(
                f"item {item_id} already has a posted answer",
                "see `repcli show ID`; answer again on the platform itself if you must",
            )
        stamp = to_iso(at)
        current = self.open_reply(item_id)
        if current:
            self.conn.execute(
                "UPDATE replies SET text = ?, template = ?, author = ?, status = 'draft', "
                "approved_at = NULL, updated_at = ? WHERE id = ?",
                (text, template, actor, stamp, current["id"]),
            )
            reply_id = int(current["id"])
        else:
            reply_id = self.dialect.insert_id(
                self.conn,
                "INSERT INTO replies (item_id, text, author, status, created_at, updated_at, "
                "template) VALUES (?, ?, ?, 'draft', ?, ?, ?)",
                (item_id, text, actor, stamp, stamp, template),
            )
        self.open_item(item_id)
        self.add_event(
            item_id,
            at,
            actor,
            "reply drafted",
            f"reply {reply_id}" + (f" from template {template}" if template else ""),
        )
        return reply_id

    def approve_reply(self, reply_id: int, at: datetime, actor: str) -> None:
        reply = self.reply(reply_id)
        if reply["status"] not in ("draft", "failed"):
            raise UsageError(f"reply {reply_id} is {reply['status']}, not a draft")
        self.conn.execute(
            "UPDATE replies SET status = 'approved', approved_at = ?, updated_at = ? WHERE id = ?",
            (to_iso(at), to_iso(at), reply_id),
        )
        self.add_event(reply["item_id"], at, actor, "reply approved", f"reply {reply_id}")

    def claim_for_posting(self, reply_id: int, at: datetime) -> bool:
        """Flip an approved (or failed) reply to `posting`; False if someone else got it first.

        Runs in its own transaction and commits at once, before any request is sent."""
        with self.transaction():
            cur = self.conn.execute(
                "UPDATE replies SET status = 'posting', attempts = attempts + 1, updated_at = ? "
                "WHERE id = ? AND status IN ('approved', 'failed')",
                (to_iso(at), reply_id),
            )
        return cur.rowcount == 1

    def finish_posting(
        self,
        reply_id: int,
        at: datetime,
        actor: str,
        external_id: str | None = None,
        error: str | None = None,
    ) -> None:
        """Record what the platform said. A posted reply closes the item (status answered)."""
        reply = self.reply(reply_id)
        stamp = to_iso(at)
        with self.transaction():
            if error is None:
                self.conn.execute(
                    "UPDATE replies SET status = 'posted', posted_at = ?, external_id = ?, "
                    "platform_error = NULL, updated_at = ? WHERE id = ?",
                    (stamp, external_id, stamp, reply_id),
                )
                self.conn.execute(
                    "UPDATE items SET status = 'answered' WHERE id = ? AND status IN ('new','open')",
                    (reply["item_id"],),
                )
                self.add_event(reply["item_id"], at, actor, "reply posted", f"reply {reply_id}")
            else:
                self.conn.execute(
                    "UPDATE replies SET status = 'failed', platform_error = ?, updated_at = ? "
                    "WHERE id = ?",
                    (error, stamp, reply_id),
                )
                self.add_event(reply["item_id"], at, actor, "reply failed", error)

    def posting_unknown(self, reply_id: int, at: datetime, actor: str, message: str) -> None:
        """The request may have reached the platform, but nothing said what it did: the reply
        waits in `unknown` until a fetch sees the answer or a person settles it."""
        reply = self.reply(reply_id)
        stamp = to_iso(at)
        with self.transaction():
            self.conn.execute(
                "UPDATE replies SET status = 'unknown', platform_error = ?, updated_at = ? "
                "WHERE id = ?",
                (message, stamp, reply_id),
            )
            self.add_event(reply["item_id"], at, actor, "reply outcome unknown", message)

    def resolve_stuck_reply(self, reply_id: int, posted: bool, at: datetime, actor: str) -> None:
        """After a run died while posting, or an outcome was unknown: the user checked the
        platform and says what happened."""
        reply = self.reply(reply_id)
        if reply["status"] not in UNSETTLED:
            raise UsageError(
                f"reply {reply_id} is {reply['status']}, not waiting to be settled",
                "--was-posted is for replies in `posting` or `unknown` (`repcli replies`)",
            )
        if posted:
            self.finish_posting(reply_id, at, actor)
        else:
            self.finish_posting(reply_id, at, actor, error="not posted (checked by hand)")

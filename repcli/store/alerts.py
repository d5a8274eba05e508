"""The alert log: what was sent where, what failed and will be retried.

One row per (rule, key, destination): a second send of the same event to the same place is
impossible. A failed send keeps its row (status `failed`, `attempts`, `error`) and is retried by
later runs until `max_attempts`, then marked `given-up`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import cast

from repcli.clock import to_iso
from repcli.store.base import StoreBase
from repcli.store.rows import AlertRow, AlertStateRow


class Alerts(StoreBase):
    def alert_states(self, rule: str, destination: str) -> dict[str, AlertStateRow]:
        """key -> {status, attempts} of this rule's alerts to this destination."""
        cur = self.conn.cursor()
        cur.row_factory = sqlite3.Row
        rows = cur.execute(
            "SELECT key, status, attempts FROM alerts WHERE rule = ? AND destination = ?",
            (rule, destination),
        )
        return {row["key"]: cast(AlertStateRow, dict(row)) for row in rows}

    def record_alerts(
        self,
        rule: str,
        destination: str,
        events: Sequence[tuple[str, int | None, str]],
        when: datetime,
        error: str | None,
        max_attempts: int,
    ) -> None:
        """Record one send of `events` ((key, item id, payload) each): sent, or failed with
        `error` (given up after `max_attempts`). Inside a transaction."""
        stamp = to_iso(when)
        for key, item_id, payload in events:
            self.conn.execute(
                "INSERT INTO alerts (item_id, rule, destination, key, status, sent_at, error, "
                "attempts, payload) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?) "
                "ON CONFLICT (rule, key, destination) DO UPDATE SET "
                "status = excluded.status, sent_at = excluded.sent_at, error = excluded.error, "
                "attempts = alerts.attempts + 1, payload = excluded.payload",
                (item_id, rule, destination, key, "sent" if error is None else "failed",
                 stamp if error is None else None, error, payload),
            )  # fmt: skip
            if error is not None:
                self.conn.execute(
                    "UPDATE alerts SET status = 'given-up' WHERE rule = ? AND key = ? "
                    "AND destination = ? AND attempts >= ?",
                    (rule, key, destination, max_attempts),
                )

    def alert_log(self, limit: int = 0, statuses: Sequence[str] = ()) -> list[AlertRow]:
        clauses, params = ["1 = 1"], list(statuses)
        if statuses:
            clauses.append(f"status IN ({','.join('?' * len(statuses))})")
        cur = self.conn.cursor()
        cur.row_factory = sqlite3.Row
        sql = (
            "SELECT id, rule, key, item_id, destination, status, sent_at, attempts, error "
            f"FROM alerts WHERE {' AND '.join(clauses)} ORDER BY id DESC"
            + (f" LIMIT {int(limit)}" if limit else "")
        )
        return [cast(AlertRow, dict(row)) for row in cur.execute(sql, params)]

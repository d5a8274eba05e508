"""Append-only, named schema migrations. Never edit a released one: add a new one at the end.

Each applied migration is recorded in `_migrations`; `PRAGMA user_version` holds how many have
been applied, so a store written by a newer repcli (with more migrations) is recognised and
refused instead of being misread.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]


def m001_initial(db: sqlite_utils.Database) -> None:
    db.table("items").create(
        {
            "id": int,
            "source": str,
            "external_id": str,
            "platform": str,
            "kind": str,
            "url": str,
            "product_id": str,
            "product_name": str,
            "author": str,
            "rating": int,
            "title": str,
            "text": str,
            "pros": str,
            "cons": str,
            "created_at": str,
            "updated_at": str,
            "answer_text": str,
            "answered_at": str,
            "order_id": str,
            "lang": str,
            "raw": str,
            "first_seen_at": str,
            "last_seen_at": str,
            "content_hash": str,
            "sentiment": str,
            "sentiment_score": float,
            "negative": int,
            "reasons": str,
            "topics": str,
            "needs_reply": int,
            "status": str,
            "assignee": str,
            "due_at": str,
            "flagged_at": str,
            "reported_at": str,
        },
        pk="id",
        not_null={"source", "external_id", "kind", "created_at", "status"},
        defaults={"status": "new", "negative": 0, "needs_reply": 0},
    )
    db.table("items").create_index(["source", "external_id"], unique=True)
    db.table("items").create_index(["created_at"])
    db.table("items").create_index(["negative", "reported_at"])
    db.table("items").create_index(["needs_reply", "status", "due_at"])
    db.table("items").create_index(["product_id"])
    db.table("items").enable_fts(["title", "text", "pros", "cons"], create_triggers=True)

    db.table("item_versions").create(
        {
            "id": int,
            "item_id": int,
            "rating": int,
            "title": str,
            "text": str,
            "pros": str,
            "cons": str,
            "content_hash": str,
            "seen_from": str,
            "replaced_at": str,
        },
        pk="id",
        foreign_keys=[("item_id", "items", "id")],
        not_null={"item_id", "replaced_at"},
    )
    db.table("item_versions").create_index(["item_id"])

    db.table("replies").create(
        {
            "id": int,
            "item_id": int,
            "text": str,
            "author": str,
            "status": str,
            "created_at": str,
            "approved_at": str,
            "posted_at": str,
            "platform_error": str,
            "external_id": str,
        },
        pk="id",
        foreign_keys=[("item_id", "items", "id")],
        not_null={"item_id", "text", "status", "created_at"},
    )
    db.table("replies").create_index(["item_id"])

    db.table("runs").create(
        {
            "id": int,
            "run_group": str,
            "command": str,
            "source": str,
            "started_at": str,
            "finished_at": str,
            "status": str,
            "fetched": int,
            "new": int,
            "changed": int,
            "error": str,
        },
        pk="id",
        not_null={"source", "started_at", "status"},
    )
    db.table("runs").create_index(["source", "started_at"])

    db.table("source_state").create(
        {
            "source": str,
            "cursor": str,
            "etag": str,
            "updated_at": str,
            "last_success_at": str,
            "last_attempt_at": str,
            "consecutive_failures": int,
            "last_error": str,
        },
        pk="source",
        defaults={"consecutive_failures": 0},
    )

    db.table("alerts").create(
        {
            "id": int,
            "item_id": int,
            "rule": str,
            "destination": str,
            "sent_at": str,
            "status": str,
            "error": str,
        },
        pk="id",
        not_null={"rule", "destination", "status"},
    )
    db.table("alerts").create_index(["item_id", "rule", "destination"], unique=True)


def m002_workflow(db: sqlite_utils.Database) -> None:
    """The response workflow: item history, orders, and what alerts and replies need."""
    db.table("events").create(
        {
            "id": int,
            "item_id": int,
            "at": str,
            "actor": str,
            "action": str,
            "detail": str,
        },
        pk="id",
        foreign_keys=[("item_id", "items", "id")],
        not_null={"item_id", "at", "action"},
    )
    db.table("events").create_index(["item_id", "at"])

    db.table("orders").create(
        {
            "id": int,
            "order_id": str,
            "customer": str,
            "email": str,
            "phone": str,
            "product_id": str,
            "product_name": str,
            "ordered_at": str,
            "delivered_at": str,
            "platform": str,
            "imported_at": str,
            "raw": str,
        },
        pk="id",
        not_null={"order_id", "imported_at"},
    )
    db.table("orders").create_index(["order_id", "product_id"], unique=True)
    db.table("orders").create_index(["product_id", "ordered_at"])
    db.table("orders").create_index(["customer"])
    db.table("items").add_column("order_ref", int)
    db.table("items").add_column("verified_buyer", int)

    # Alerts are keyed by what they are about: an item id, or a signal's own key (a burst, a
    # spike, a topic cluster); one row per (rule, key, destination) makes a repeat impossible.
    db.table("alerts").add_column("key", str)
    db.table("alerts").add_column("attempts", int, not_null_default=0)
    db.table("alerts").add_column("payload", str)
    db.execute("UPDATE alerts SET key = CAST(item_id AS TEXT) WHERE key IS NULL")
    db.table("alerts").create_index(["rule", "key", "destination"], unique=True)

    db.table("replies").add_column("template", str)
    db.table("replies").add_column("updated_at", str)
    db.table("replies").add_column("attempts", int, not_null_default=0)


def m003_exports(db: sqlite_utils.Database) -> None:
    """Where each named export left off, for `export --since last-run`."""
    db.table("exports").create({"name": str, "last_at": str, "rows": int}, pk="name")
    db.table("item_versions").create_index(["replaced_at"])
    db.table("events").create_index(["at"])


def m004_fts_by_statement(db: sqlite_utils.Database) -> None:
    """New items are added to the full-text index by one statement per batch (`upsert_items`)
    instead of a trigger per row: a third of the insert time. Edits and deletes keep their
    triggers."""
    db.execute("DROP TRIGGER IF EXISTS items_ai")


def m005_rejects(db: sqlite_utils.Database) -> None:
    """Rows a source sent that could not become items, kept aside instead of failing the
    batch (one row per source, kind and external id, or payload hash when there is no id),
    and how many each run set aside."""
    db.table("rejects").create(
        {
            "id": int,
            "source": str,
            "kind": str,
            "key": str,
            "external_id": str,
            "reason": str,
            "raw": str,
            "first_seen_at": str,
            "last_seen_at": str,
            "count": int,
            "run_id": int,
        },
        pk="id",
        not_null={"source", "kind", "key", "reason", "first_seen_at", "last_seen_at"},
        defaults={"count": 1},
    )
    db.table("rejects").create_index(["source", "kind", "key"], unique=True)
    db.table("rejects").create_index(["run_id"])
    db.table("runs").add_column("rejected", int, not_null_default=0)


# What an export shows of an item (its csv/jsonl columns and what json adds); `last_seen_at`
# and `reported_at` change on every fetch and check, and are not a change.
_ITEM_EXPORTED = (
    "source", "platform", "kind", "external_id", "created_at", "updated_at", "rating",
    "sentiment", "sentiment_score", "negative", "reasons", "topics", "lang", "product_id",
    "product_name", "author", "order_id", "title", "text", "pros", "cons", "answer_text",
    "answered_at", "needs_reply", "status", "assignee", "due_at", "first_seen_at", "flagged_at",
    "url", "verified_buyer",
)  # fmt: skip
_REPLY_EXPORTED = (
    "item_id", "status", "template", "text", "author", "created_at", "updated_at",
    "approved_at", "posted_at", "attempts", "platform_error", "external_id",
)  # fmt: skip


def _stamp_on_update(table: str, kind: str, columns: tuple[str, ...]) -> str:
    differs = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
    return (
        f"CREATE TRIGGER changes_{kind}_au AFTER UPDATE OF {', '.join(columns)} ON {table} "
        f"WHEN {differs} BEGIN "
        f"INSERT OR REPLACE INTO changes (kind, row_id) VALUES ('{kind}', NEW.id); END"
    )


def m006_change_sequence(db: sqlite_utils.Database) -> None:
    """`export --since last-run` bookmarks a change sequence, not a time: `changes` holds each
    exported row's latest change, numbered in commit order (AUTOINCREMENT never reuses a number,
    and SQLite serializes writers), so a writer whose clock is behind the export's cannot land
    behind its bookmark. Triggers number inserts (`upsert_items` numbers new items itself), and
    updates only of columns an export shows (touching an item on a fetch is not a change). Existing rows are numbered in their old time
    order, and each time bookmark becomes the sequence of the last row at or before it.
    Bookmarks are per (name, what, filter)."""
    db.execute(
        "CREATE TABLE changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, "
        "row_id INTEGER NOT NULL)"
    )
    db.execute("CREATE UNIQUE INDEX changes_row ON changes (kind, row_id)")
    db.execute("CREATE INDEX changes_kind_seq ON changes (kind, seq)")
    # Old time order: an item changed when first seen, edited, or given history.
    db.execute(
        "CREATE TEMP TABLE _old_changes AS "
        "SELECT MAX(COALESCE(i.first_seen_at, ''), "
        "COALESCE((SELECT MAX(v.replaced_at) FROM item_versions v WHERE v.item_id = i.id), ''), "
        "COALESCE((SELECT MAX(e.at) FROM events e WHERE e.item_id = i.id), '')) AS t, "
        "'items' AS kind, i.id AS row_id FROM items i "
        "UNION ALL SELECT COALESCE(replaced_at, ''), 'versions', id FROM item_versions "
        "UNION ALL SELECT COALESCE(at, ''), 'events', id FROM events "
        "UNION ALL SELECT COALESCE(updated_at, created_at, ''), 'replies', id FROM replies"
    )
    db.execute(
        "INSERT INTO changes (kind, row_id) SELECT kind, row_id FROM _old_changes "
        "ORDER BY t, kind, row_id"
    )
    db.execute(
        "CREATE TABLE export_marks (name TEXT NOT NULL, what TEXT NOT NULL, "
        "filter TEXT NOT NULL DEFAULT '', last_seq INTEGER NOT NULL, rows INTEGER, "
        "updated_at TEXT, PRIMARY KEY (name, what, filter))"
    )
    # A bookmark named after a table was that table's; a named one may have served any.
    db.execute(
        "INSERT INTO export_marks (name, what, filter, last_seq, rows, updated_at) "
        "SELECT x.name, w.what, '', (SELECT COUNT(*) FROM _old_changes o WHERE o.t <= x.last_at), "
        "x.rows, x.last_at FROM exports x JOIN (SELECT 'items' AS what UNION ALL "
        "SELECT 'replies' UNION ALL SELECT 'versions' UNION ALL SELECT 'events') w "
        "ON x.name = w.what OR x.name NOT IN ('items', 'replies', 'versions', 'events')"
    )
    db.execute("DROP TABLE _old_changes")
    db.execute("DROP TABLE exports")
    # New items are numbered by `upsert_items`, one statement per batch: a trigger per row
    # doubled the insert time.
    for table, kind in (
        ("item_versions", "versions"),
        ("events", "events"),
        ("replies", "replies"),
    ):
        db.execute(
            f"CREATE TRIGGER changes_{kind}_ai AFTER INSERT ON {table} BEGIN "
            f"INSERT OR REPLACE INTO changes (kind, row_id) VALUES ('{kind}', NEW.id); END"
        )
    db.execute(_stamp_on_update("items", "items", _ITEM_EXPORTED))
    db.execute(_stamp_on_update("replies", "replies", _REPLY_EXPORTED))


def m007_fts_on_content_change(db: sqlite_utils.Database) -> None:
    """The full-text index is rewritten on an UPDATE only when title, text, pros or cons
    change (or the row's id): touching an item on a fetch, `mark_reported`, a status change or
    `reanalyze` rewrote its index entry too, 6x the cost of the UPDATE itself."""
    cols = ("title", "text", "pros", "cons")
    old = ", ".join(f'old."{c}"' for c in cols)
    new = ", ".join(f'new."{c}"' for c in cols)
    names = ", ".join(f'"{c}"' for c in cols)
    differs = " OR ".join(f'old."{c}" IS NOT new."{c}"' for c in ("rowid", *cols))
    db.execute("DROP TRIGGER IF EXISTS items_au")
    db.execute(
        f'CREATE TRIGGER "items_au" AFTER UPDATE OF id, {names} ON "items" WHEN {differs} '
        f'BEGIN INSERT INTO "items_fts" ("items_fts", rowid, {names}) '
        f"VALUES('delete', old.rowid, {old}); "
        f'INSERT INTO "items_fts" (rowid, {names}) VALUES (new.rowid, {new}); END'
    )


def m008_daily_indexes(db: sqlite_utils.Database) -> None:
    """Indexes that keep the daily `check` independent of the store's history: the queue is
    counted from a covering index of open items only, and the near-duplicate search reads one
    product's items around a time."""
    db.execute(
        "CREATE INDEX IF NOT EXISTS items_open_queue ON items "
        "(needs_reply, status, due_at, source, answer_text) WHERE answer_text IS NULL"
    )
    db.execute("CREATE INDEX IF NOT EXISTS items_product_created ON items (product_id, created_at)")


def m009_signal_indexes(db: sqlite_utils.Database) -> None:
    """Covering indexes for the signals of the daily `check` (signals.fresh): negatives per
    product or topic are counted by day from an index of negatives only, and one-star authors
    are looked for among the window's 1★ reviews, without reading the window's rows."""
    db.execute(
        "CREATE INDEX IF NOT EXISTS items_negative_window ON items "
        "(created_at, source, product_id, topics) WHERE negative <> 0"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS items_rating_authors ON items "
        "(rating, created_at, source, platform, author) WHERE author IS NOT NULL"
    )


def m010_report_indexes(db: sqlite_utils.Database) -> None:
    """Covering indexes for `report` (store/stats.py): its aggregates read index entries, not
    the items' rows with their texts: the period by time, per-product ratings (all-time
    forecast included), items that call for an answer, and answered rated items by answer
    time."""
    db.execute(
        "CREATE INDEX IF NOT EXISTS items_report_period ON items "
        "(created_at, source, kind, rating, negative, product_id, topics)"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS items_report_products ON items "
        "(product_id, source, created_at, rating, product_name) "
        "WHERE rating IS NOT NULL AND product_id IS NOT NULL"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS items_report_answers ON items "
        "(created_at, source, product_id, kind, status, answered_at, negative) "
        "WHERE negative = 1 OR kind = 'question'"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS items_report_answered ON items "
        "(answered_at, source, product_id, rating) "
        "WHERE answered_at IS NOT NULL AND rating IS NOT NULL"
    )


def m011_drop_unused_indexes(db: sqlite_utils.Database) -> None:
    """Indexes that no query's plan needs, each a cost on every insert (issue 23): the queue
    reads `items_open_queue` (m008), not `(needs_reply, status, due_at)`; `(product_id)` is a
    prefix of `items_product_created` and `(created_at)` of `items_report_period`, which serve
    the same searches (newest first by `created_at` with the id sorting only ties)."""
    for name in (
        "idx_items_needs_reply_status_due_at",
        "idx_items_product_id",
        "idx_items_created_at",
    ):
        db.execute(f"DROP INDEX IF EXISTS {name}")


MIGRATIONS: list[tuple[str, Migration]] = [
    ("m001_initial", m001_initial),
    ("m002_workflow", m002_workflow),
    ("m003_exports", m003_exports),
    ("m004_fts_by_statement", m004_fts_by_statement),
    ("m005_rejects", m005_rejects),
    ("m006_change_sequence", m006_change_sequence),
    ("m007_fts_on_content_change", m007_fts_on_content_change),
    ("m008_daily_indexes", m008_daily_indexes),
    ("m009_signal_indexes", m009_signal_indexes),
    ("m010_report_indexes", m010_report_indexes),
    ("m011_drop_unused_indexes", m011_drop_unused_indexes),
]

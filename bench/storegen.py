"""Generated stores for the scale benchmarks (check_growth.py, report_scale.py).

Items are written straight through SQLite into a store made by repcli's own migrations, with
the full-text index filled the way `upsert_items` fills it (a store whose index is empty is
"malformed" for SQLite at the first UPDATE of an indexed row). Reviews have realistic lengths
(textgen.py); every item has been seen by an earlier `check` (reported_at set), and
`open_share` of them still wait for an answer (some overdue).
"""

from __future__ import annotations

import json
import random
import sqlite3
import sys
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import textgen

from repcli.clock import to_iso
from repcli.store import open_store

TOPICS = ["delivery", "damaged", "quality", "size", "returns", "support", "price"]
PRODUCTS = 2000
_COLUMNS = (
    "source", "external_id", "platform", "kind", "product_id", "product_name", "author", "rating",
    "text", "created_at", "answered_at", "answer_text", "negative", "sentiment", "topics",
    "needs_reply", "status", "due_at", "first_seen_at", "last_seen_at", "reported_at", "lang",
    "content_hash",
)  # fmt: skip
_INSERT = f"INSERT INTO items ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"


def fill(
    path: Path,
    n: int,
    days: int,
    now: datetime,
    sources: int = 1,
    open_share: float = 0.15,
    seed: int = 0,
) -> None:
    """`n` items spread evenly over the `days` before `now`."""
    rng = random.Random(seed or n)
    with open_store(path) as store:
        conn = store.conn
        conn.execute("BEGIN")
        rows: list[tuple[object, ...]] = []
        for i in range(n):
            created = now - timedelta(seconds=rng.randrange(days * 86400))
            rating = textgen.rating(rng)
            negative = rating <= 2
            is_open = rng.random() < open_share
            answered = None if is_open else to_iso(created + timedelta(hours=rng.uniform(1, 48)))
            topics = json.dumps(rng.sample(TOPICS, 1) if negative else [])
            product = rng.randrange(PRODUCTS)
            stamp = to_iso(created)
            rows.append((
                f"s{i % sources}", f"h{i}", "wildberries", "review", f"p{product}",
                f"Товар {product}", f"Покупатель {rng.randrange(max(n // 3, 1))}", rating,
                textgen.review(rng, rating), stamp, answered, None if is_open else "Спасибо!",
                int(negative), "negative" if negative else "positive", topics,
                int(is_open or negative), "open" if is_open else "answered",
                to_iso(created + timedelta(hours=24)), stamp, stamp, stamp, "ru", f"{i:x}",
            ))  # fmt: skip
            if len(rows) == 50_000:
                conn.executemany(_INSERT, rows)
                rows = []
        if rows:
            conn.executemany(_INSERT, rows)
        conn.execute(
            "INSERT INTO items_fts (rowid, title, text, pros, cons) "
            "SELECT id, title, text, pros, cons FROM items"
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def check_integrity(path: Path) -> None:
    """SQLite's own check of the full-text index: raises if it does not match the table."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 0)")
    finally:
        conn.close()

"""A first check of a whole history (every negative new) reads only the negatives it shows,
counts the rest, and marks them all reported by one statement, not a list of every id."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from repcli.actions import check
from repcli.sources.registry import parse_config
from repcli.store import open_store

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
NEGATIVES = 5_000
LIMIT = 10


class _Counting:
    """A store that records how many rows each read returned, and how many ids
    `mark_reported` was given."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.reads: list[tuple[str, int]] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._store, name)
        if not callable(method):
            return method

        def counted(*args: Any, **kw: Any) -> Any:
            found = method(*args, **kw)
            if isinstance(found, list):
                self.reads.append((name, len(found)))
            if name == "mark_reported":
                self.reads.append(("mark_reported given", len(args[0])))
            return found

        return counted


def _config(tmp_path: Path) -> Any:
    data = tmp_path / "history.jsonl"
    start = NOW - timedelta(days=300)
    with data.open("w", encoding="utf-8") as out:
        for i in range(NEGATIVES):
            row = {"id": f"n{i}", "rating": 1, "author": f"a{i % 900}", "product": f"p{i % 50}",
                   "text": f"Terrible quality, broken after a day, awful {i}",
                   "date": (start + timedelta(minutes=50 * i)).isoformat()}  # fmt: skip
            out.write(json.dumps(row) + "\n")
        for i in range(300):
            row = {"id": f"r{i}", "rating": 1, "author": "y", "product": "q", "text": f"Awful, broken, a waste of money {i}",
                   "date": (start + timedelta(minutes=77 * i)).isoformat()}  # fmt: skip
            out.write(json.dumps(row) + "\n")
    rival = tmp_path / "rival.jsonl"
    with rival.open("w", encoding="utf-8") as out:
        for i in range(300):
            row = {"id": f"c{i}", "rating": 1, "author": "x", "product": "q", "text": f"Dreadful, cracked, rival's junk {i}",
                   "date": (start + timedelta(minutes=77 * i)).isoformat()}  # fmt: skip
            out.write(json.dumps(row) + "\n")
    columns = ("{external_id: id, rating: rating, text: text, author: author, "
               "product_id: product, created_at: date}")  # fmt: skip
    return parse_config(
        "sources:\n"
        f"  - {{name: export, type: file, path: '{tmp_path / 'history*.jsonl'}', format: jsonl, "
        f"columns: {columns}}}\n"
        f"  - {{name: rival, type: file, path: '{rival}', format: jsonl, competitor: true, "
        f"columns: {columns}}}\n"
    )


def _unreported(store: Any) -> int:
    (n,) = store.conn.execute(
        "SELECT count(*) FROM items WHERE negative = 1 AND reported_at IS NULL"
    ).fetchone()
    return int(n)


def test_first_check_reads_only_the_rows_it_shows(store_target: str | Path, tmp_path: Path) -> None:
    config = _config(tmp_path)
    with open_store(store_target) as store:
        counting = _Counting(store)
        options = check.CheckOptions(alerts=False, shown=LIMIT)
        delivered: list[int] = []
        result = check.run(
            config, counting, options, NOW,  # type: ignore[arg-type]
            deliver=lambda r: delivered.append(_unreported(store)),
        )  # fmt: skip
        assert result.summary["new_negative"] == NEGATIVES + 300
        assert result.matched == []
        assert len(result.negatives) == LIMIT
        # Newest first, as every negative would be listed.
        dates = [(r["created_at"], r["id"]) for r in result.negatives]
        assert dates == sorted(dates, reverse=True)
        assert all(r["source"] == "export" for r in result.negatives)
        largest = max(n for _, n in counting.reads)
        assert largest <= LIMIT, sorted(counting.reads, key=lambda r: -r[1])[:5]
        # Unreported while delivered; every one (the competitor's too) marked afterwards.
        assert delivered == [NEGATIVES + 600]
        assert _unreported(store) == 0
        again = check.run(config, store, options, NOW)
        assert again.summary["new_negative"] == 0 and again.negatives == []


def test_unlimited_check_lists_every_negative(store_target: str | Path, tmp_path: Path) -> None:
    config = _config(tmp_path)
    with open_store(store_target) as store:
        full = store.unreported_negatives
        result = check.run(config, store, check.CheckOptions(alerts=False), NOW)
        assert len(result.negatives) == result.summary["new_negative"] == NEGATIVES + 300
        assert full(["export"]) == [] and _unreported(store) == 0

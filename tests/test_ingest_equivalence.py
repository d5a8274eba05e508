"""Ingest stores exactly what it stored before it was made faster (issue 23).

A JSON Lines export is imported, then a changed copy of it (edited texts and ratings, answers
that appeared, new rows, a duplicate): every stored value, the
versions, the change sequence, events, rejects, run counts and full-text search results are
compared with a snapshot written by the code as of c03b107, before the speed-ups
(`REPCLI_UPDATE_SNAPSHOTS=1` writes it again; review the diff like code).
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

from tests.httpkit import run_sources

SNAPSHOT = Path(__file__).parent / "snapshots" / "ingest_reingest.json"
COLUMNS = (
    "{external_id: id, rating: stars, text: body, author: who.name, product_id: sku, "
    "created_at: date, answer_text: reply, answered_at: replied, title: title, lang: lang}"
)
ITEM_COLUMNS = (
    "id, source, external_id, platform, kind, url, product_id, product_name, author, rating, "
    "title, text, pros, cons, created_at, updated_at, answer_text, answered_at, order_id, lang, "
    "raw, first_seen_at, last_seen_at, content_hash, sentiment, sentiment_score, negative, "
    "reasons, topics, needs_reply, status, assignee, due_at, flagged_at, reported_at, "
    "order_ref, verified_buyer"
)
VERSION_COLUMNS = (
    "id, item_id, rating, title, text, pros, cons, content_hash, seen_from, replaced_at"
)
WORDS = (
    "сломалось через неделю", "отличное качество", "не рекомендую", "курьер опоздал",
    "Great value", "arrived broken", "розмір не підійшов", "чудова якість", "ужасно", "спасибо",
    "quiet and fast", "запах химии", "верните деньги", "all good",
)  # fmt: skip
DATES = (
    "2026-05-{d:02d}T10:{m:02d}:00Z", "2026-05-{d:02d}T10:{m:02d}:00.123456789Z",
    "2026-05-{d:02d}T13:{m:02d}:00+03:00", "2026-05-{d:02d}", " 2026-05-{d:02d}T10:{m:02d}:00z ",
    "{d:02d}.05.2026 10:{m:02d}", "2026-05-{d:02d} 10:{m:02d}:07.5", "{unix}",
)  # fmt: skip


def _record(rng: random.Random, i: int, edit: int = 0) -> dict[str, Any]:
    day, minute = 1 + i % 27, i % 60
    date = rng.choice(DATES).format(d=day, m=minute, unix=1778000000 + i * 3607)
    text = ". ".join(rng.choice(WORDS) for _ in range(1 + i % 5))
    record: dict[str, Any] = {
        "id": f"r{i}",
        "stars": rng.choice((1, 2, 3, 4, 5, "4", "5", 4.6, None, "")),
        "body": text + (" (edited)" if edit else ""),
        "who": {"name": rng.choice(("Анна", "Mark T.", None, "Олег  "))},
        "sku": rng.choice(("p1", "p2", "", None)),
        "date": int(date) if date.isdigit() else date,
        "title": rng.choice((None, "", "Итог", "=SUM(A1)x")),
        "lang": rng.choice((None, None, "ru")),
        "extra": rng.choice((None, {"photos": [1, 2]}, "x\u00a0y", 7, True)),
    }
    if i % 7 == 0:
        record["reply"] = "Спасибо за отзыв!"
        record["replied"] = f"2026-05-{day:02d}T18:00:00Z"
    return record


def _lines(second: bool) -> str:
    rng = random.Random(23)
    rows = []
    for i in range(90):
        record = _record(rng, i, edit=int(second and i % 5 == 0))
        if second and i % 11 == 3:
            record["reply"], record["replied"] = "Answered later", "2026-05-28T08:00:00Z"
        if second and i % 13 == 4:
            record["stars"] = 1
        rows.append(record)
    if second:
        rows += [_record(rng, i) for i in range(90, 120)]
        rows.append({**rows[10], "body": "the last copy of a duplicate wins"})
    out = []
    for n, record in enumerate(rows):  # some lines as a tool writes them, some escaped
        compact = (",", ":") if n % 4 else None
        out.append(json.dumps(record, ensure_ascii=n % 3 == 0, separators=compact))
    return "\n".join(out) + "\n"


def _dump(store: Any) -> dict[str, Any]:
    conn = store.conn

    def rows(sql: str, *params: Any) -> list[list[Any]]:
        return [list(r) for r in conn.execute(sql, params).fetchall()]

    searches = {
        word: rows(
            "SELECT rowid FROM items_fts WHERE items_fts MATCH ? ORDER BY rowid", f'"{word}"'
        )
        for word in ("сломалось", "качество", "edited", "duplicate", "Итог", "broken")
    }
    return {
        "items": rows(f"SELECT {ITEM_COLUMNS} FROM items ORDER BY id"),
        "item_versions": rows(f"SELECT {VERSION_COLUMNS} FROM item_versions ORDER BY id"),
        "changes": rows("SELECT kind, row_id FROM changes ORDER BY seq"),
        "events": rows("SELECT item_id, at, actor, action, detail FROM events ORDER BY id"),
        "rejects": rows("SELECT source, kind, key, external_id, reason, raw, count FROM rejects"),
        "runs": rows("SELECT source, fetched, new, changed, rejected, status FROM runs"),
        "fts": searches,
    }


def test_import_and_reimport_store_what_they_stored_before(tmp_path: Path) -> None:
    data = tmp_path / "export.jsonl"
    config = (
        f"store: {tmp_path / 'x.db'}\nsources:\n  - name: shop\n    type: file\n"
        f"    path: '{data}'\n    format: jsonl\n    columns: {COLUMNS}\n"
    )
    data.write_text(_lines(second=False), encoding="utf-8")
    report, store = run_sources(config, tmp_path / "x.db", "2026-05-20T09:00:00Z")
    assert not report.failed  # type: ignore[attr-defined]
    first = _dump(store)
    store.close()  # type: ignore[attr-defined]
    data.write_text(_lines(second=True), encoding="utf-8")
    report, store = run_sources(config, tmp_path / "x.db", "2026-05-29T09:00:00Z")
    assert not report.failed  # type: ignore[attr-defined]
    got = json.loads(json.dumps({"first": first, "second": _dump(store)}, ensure_ascii=False))
    store.close()  # type: ignore[attr-defined]
    assert len(got["second"]["item_versions"]) >= 18, "the second file edits items"
    if os.environ.get("REPCLI_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", "utf-8")
    want = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    for part in want["second"]:
        assert got["first"][part] == want["first"][part], part
        assert got["second"][part] == want["second"][part], part

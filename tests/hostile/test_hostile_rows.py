"""One bad row never costs the good ones; a corrupt store is a store error.

Real-format payloads on a real HTTP server on 127.0.0.1 (pytest-httpserver), as in
tests/test_wildberries.py and tests/test_ozon.py, with one hostile row among good ones: a lone
surrogate (valid JSON, refused by SQLite as text), a date no deadline can be added to, Ozon's
documented `"rating": 0`, a row without the fields an item needs.
"""

from __future__ import annotations

import copy
import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from repcli.store import ItemFilter
from tests.conftest import Cli
from tests.httpkit import fake_http, json_fixtures, run_sources

FIXTURES = Path(__file__).parent.parent / "fixtures"
wb_fixture = json_fixtures(FIXTURES / "wildberries")
ozon_fixture = json_fixtures(FIXTURES / "ozon")
WB_TOKEN = "wb-test-token-eyJhbGciOi.secret"
OZON_CLIENT_ID = "2739164"
OZON_API_KEY = "5f0c2e9a-ozon-test-key-7d41b8c3e6a2"
NOW = "2026-05-20T09:00:00Z"


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WB_TOKEN", WB_TOKEN)
    monkeypatch.setenv("OZON_CLIENT_ID", OZON_CLIENT_ID)
    monkeypatch.setenv("OZON_API_KEY", OZON_API_KEY)


# ----------------------------------------------------------------- Wildberries


def wb_config(httpserver: HTTPServer, tmp_path: Path) -> str:
    return (
        f"store: {tmp_path / 'x.db'}\n"
        "sources:\n"
        "  - name: wb\n"
        "    type: wildberries\n"
        "    token: ${WB_TOKEN}\n"
        f"    base_url: {httpserver.url_for('')}\n"
        "    page_size: 10\n"
        "    questions: false\n"
    )


def wb_feedbacks(bad: dict[str, Any]) -> list[dict[str, Any]]:
    """The three unanswered feedbacks of the fixture; the second one changed by `bad`."""
    rows = copy.deepcopy(wb_fixture("feedbacks_unanswered_page1.json")["data"]["feedbacks"][:3])
    rows[1].update(bad)
    return rows


def serve_wb(httpserver: HTTPServer, rows: list[dict[str, Any]]) -> None:
    """Unanswered feedbacks: `rows`; everything else empty. JSON escapes (ensure_ascii), so a
    lone surrogate travels as the valid JSON text `\\ud800`."""

    def handler(request: Request) -> Response:
        if request.headers.get("Authorization") != WB_TOKEN:
            return Response("{}", status=401, content_type="application/json")
        key = request.path.rsplit("/", 1)[-1]
        page = rows if request.args["isAnswered"] == "false" and request.args["skip"] == "0" else []
        body = {"data": {key: page}, "error": False, "errorText": "", "additionalErrors": None}
        return Response(json.dumps(body, ensure_ascii=True), content_type="application/json")

    httpserver.expect_request("/api/v1/feedbacks").respond_with_handler(handler)


def rejects_of(store: Any) -> list[dict[str, Any]]:
    cur = store.conn.execute("SELECT * FROM rejects ORDER BY id")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur]


def ids_of(store: Any) -> set[str]:
    return {i["external_id"] for i in store.list_items(ItemFilter())}


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"text": "Ткань \ud800 тонкая"}, "surrogate"),
        ({"createdDate": "9999-12-31T23:00:00Z", "productValuation": 1}, "9999"),
        ({"createdDate": None}, "createdDate"),
    ],
    ids=["lone-surrogate", "year-9999", "no-date"],
)
def test_a_bad_row_is_set_aside_and_the_good_ones_stored(
    httpserver: HTTPServer, tmp_path: Path, bad: dict[str, Any], reason: str
) -> None:
    rows = wb_feedbacks(bad)
    serve_wb(httpserver, rows)
    report, store = run_sources(
        wb_config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0]
    )
    assert not report.failed, report.results  # type: ignore[attr-defined]
    (result,) = report.results  # type: ignore[attr-defined]
    assert (result.fetched, result.new, result.rejected) == (3, 2, 1)
    assert ids_of(store) == {rows[0]["id"], rows[2]["id"]}
    (reject,) = rejects_of(store)
    assert (reject["source"], reject["external_id"], reject["kind"]) == (
        "wb",
        rows[1]["id"],
        "review",
    )
    assert reason in reject["reason"]
    assert reject["count"] == 1 and reject["first_seen_at"] == reject["last_seen_at"]
    assert json.loads(reject["raw"]) == rows[1]  # the payload as sent, surrogate escaped
    assert WB_TOKEN not in reject["raw"]
    assert store.cursor_for("wb")["feedbacks_since"] > 0  # type: ignore[attr-defined]

    # The next run sees the same bad row again: one reject, counted twice; nothing new.
    report, store = run_sources(
        wb_config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0]
    )
    (result,) = report.results  # type: ignore[attr-defined]
    assert (result.new, result.rejected) == (0, 1)
    (reject,) = rejects_of(store)
    assert reject["count"] == 2


def test_fetch_status_and_fail_on_rejects(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_wb(httpserver, wb_feedbacks({"text": "bad \udfff row"}))
    path = tmp_path / "repcli.yaml"
    path.write_text(wb_config(httpserver, tmp_path))
    cli = Cli(path)
    out = cli("fetch", "--format", "json")
    assert out.exit_code == 0, out.output
    assert "✓ wb: 3 fetched, 2 new, 1 rejected" in out.stderr
    (row,) = json.loads(out.stdout)["sources"]
    assert row["rejected"] == 1

    status = cli("status", "--format", "json")
    (row,) = json.loads(status.stdout)["sources"]
    assert (row["last_rejected"], row["rejects"]) == (1, 1)
    table = cli("status", "--format", "table")
    assert "1 rejected" in table.stdout

    out = cli("check", "--fail-on", "rejects", "--format", "json")
    assert out.exit_code == 10, out.output
    assert json.loads(out.stdout)["summary"]["rejected"] == 1
    assert "--fail-on matched: rejects" in out.stderr


def test_fail_on_rejects_does_not_match_a_clean_run(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_wb(httpserver, wb_feedbacks({}))
    path = tmp_path / "repcli.yaml"
    path.write_text(wb_config(httpserver, tmp_path))
    out = Cli(path)("check", "--fail-on", "rejects", "--format", "json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["summary"]["rejected"] == 0


# ----------------------------------------------------------------- Ozon


def ozon_config(httpserver: HTTPServer, tmp_path: Path) -> str:
    return (
        f"store: {tmp_path / 'x.db'}\n"
        "sources:\n"
        "  - name: oz\n"
        "    type: ozon\n"
        "    client_id: ${OZON_CLIENT_ID}\n"
        "    api_key: ${OZON_API_KEY}\n"
        f"    base_url: {httpserver.url_for('')}\n"
        "    page_size: 20\n"
    )


def serve_ozon(httpserver: HTTPServer, reviews: list[dict[str, Any]]) -> None:
    """One page of `reviews`, the fixture's last page of questions, no comments or answers."""
    questions = ozon_fixture("question_list_last.json")

    def handler(request: Request) -> Response:
        if request.headers.get("Api-Key") != OZON_API_KEY:
            return Response("{}", status=401, mimetype="application/json")
        data: dict[str, Any]
        if request.path == "/v2/review/list":
            data = {"reviews": reviews, "has_next": False, "last_id": ""}
        elif request.path == "/v1/question/list":
            data = {**questions, "has_next": False, "last_id": ""}
        elif request.path == "/v1/question/answer/list":
            data = {"answers": [], "last_id": ""}
        else:
            data = {"comments": [], "offset": 0}
        return Response(json.dumps(data, ensure_ascii=True), mimetype="application/json")

    for path in (
        "/v2/review/list",
        "/v1/review/comment/list",
        "/v1/question/list",
        "/v1/question/answer/list",
    ):
        httpserver.expect_request(path, method="POST").respond_with_handler(handler)


def ozon_reviews() -> list[dict[str, Any]]:
    return copy.deepcopy(ozon_fixture("review_list_page1.json")["reviews"])


@pytest.mark.parametrize("rating", [0, 7])
def test_ozon_rating_off_the_scale_is_stored_as_unknown(
    httpserver: HTTPServer,
    tmp_path: Path,
    rating: int,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    logger = logging.getLogger("repcli.sources.wire.parse")  # seen whether it propagates or not
    monkeypatch.setattr(logger, "handlers", [*logger.handlers, caplog.handler])
    reviews = ozon_reviews()
    reviews[0]["rating"] = rating  # the documentation's own example has "rating": 0
    serve_ozon(httpserver, reviews)
    report, store = run_sources(
        ozon_config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0]
    )
    assert not report.failed, report.results  # type: ignore[attr-defined]
    by_id = {i["external_id"]: i for i in store.list_items(ItemFilter())}  # type: ignore[attr-defined]
    assert {r["id"] for r in reviews} <= set(by_id)
    assert any(k.startswith("q:") for k in by_id)  # questions too
    assert by_id[reviews[0]["id"]]["rating"] is None
    assert rejects_of(store) == []
    assert f"{rating!r} is outside 1-5" in caplog.text


def test_ozon_review_without_a_date_is_rejected_alone(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    reviews = ozon_reviews()
    del reviews[1]["published_at"]
    reviews[2]["id"] = None  # no id at all: kept aside, keyed by its payload
    serve_ozon(httpserver, reviews)
    report, store = run_sources(
        ozon_config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0]
    )
    assert not report.failed, report.results  # type: ignore[attr-defined]
    (result,) = report.results  # type: ignore[attr-defined]
    assert result.rejected == 2
    ids = ids_of(store)
    assert reviews[0]["id"] in ids and reviews[1]["id"] not in ids
    assert any(k.startswith("q:") for k in ids)
    first, second = rejects_of(store)
    assert (first["external_id"], first["kind"]) == (reviews[1]["id"], "review")
    assert "published_at" in first["reason"]
    assert second["external_id"] is None and "without an id" in second["reason"]
    assert store.cursor_for("oz")["reviews_since"] == "2026-05-18T07:23:55.970000Z"  # type: ignore[attr-defined]


# ----------------------------------------------------------------- the store's own checks


def test_store_time_failures_are_isolated_per_row(tmp_path: Path) -> None:
    """Rows SQLite refuses, or whose deadline overflows, are returned as rejects; the rest land."""
    from datetime import UTC, datetime, timedelta

    from repcli.models import Item, Verdict
    from repcli.store import open_store
    from repcli.store.writes import Analysis

    def item(external_id: str, text: str, created: datetime) -> Item:
        return Item(source="s", platform="p", kind="review", external_id=external_id,
                    created_at=created, text=text)  # fmt: skip

    def analyse(it: Item) -> Analysis:
        due = it.created_at + timedelta(hours=24)
        return Analysis(Verdict("negative", -0.9, True), True, due)

    ok = datetime(2026, 5, 1, tzinfo=UTC)
    items = [
        item("a", "fine", ok),
        item("b", "bad \ud800", ok),
        item("c", "late", datetime(9999, 12, 31, 23, tzinfo=UTC)),
        item("d", "fine too", ok),
    ]
    store = open_store(tmp_path / "x.db")
    with store.transaction():
        result = store.upsert_items(items, analyse, ok)
    assert len(result.new_ids) == 2
    assert [(r.external_id, r.kind) for r in result.rejects] == [("b", "review"), ("c", "review")]
    assert "surrogate" in result.rejects[0].reason and "year" in result.rejects[1].reason
    assert {i["external_id"] for i in store.list_items(ItemFilter())} == {"a", "d"}


# ----------------------------------------------------------------- file source: all or nothing


def file_config(tmp_path: Path, name: str) -> Path:
    path = tmp_path / "repcli.yaml"
    path.write_text(
        f"store: {tmp_path / 'x.db'}\n"
        "sources:\n"
        "  - name: export\n"
        "    type: file\n"
        f"    path: {tmp_path / name}\n"
        "    columns: {text: text, created_at: date, rating: stars}\n"
    )
    return path


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"text": "bad \\ud800", "date": "2026-05-01", "stars": 2}', "surrogate"),
        ('{"text": "late", "date": "9999-12-31T23:00:00Z", "stars": 1}', "9999"),
    ],
    ids=["lone-surrogate", "year-9999"],
)
def test_a_file_with_a_bad_row_is_refused_whole(tmp_path: Path, line: str, problem: str) -> None:
    good = '{"text": "ok", "date": "2026-05-02", "stars": 5}'
    (tmp_path / "reviews.jsonl").write_text(f"{good}\n{line}\n{good.replace('ok', 'ok 2')}\n")
    cli = Cli(file_config(tmp_path, "reviews.jsonl"))
    out = cli("fetch")
    assert out.exit_code == 7, out.output  # BAD_INPUT: the file was refused, nothing stored
    assert "reviews.jsonl:2: column" in out.stderr and problem in out.stderr
    assert json.loads(cli("list", "--format", "json").stdout)["items"] == []
    assert cli("check", "--format", "json").exit_code == 7


def test_a_refused_file_beside_a_failed_api_source_is_exit_6(tmp_path: Path) -> None:
    """7 says "an input file was refused"; when another source also failed, 6 says more."""
    good = '{"text": "ok", "date": "2026-05-02", "stars": 5}'
    (tmp_path / "reviews.jsonl").write_text(f"{good}\n{{not json\n")
    path = file_config(tmp_path, "reviews.jsonl")
    with path.open("a") as f:  # an API source with nothing listening
        f.write("  - {name: wb, type: wildberries, token: t0ken, base_url: 'http://127.0.0.1:9'}\n")
    cli = Cli(path)
    out = cli("fetch")
    assert out.exit_code == 6, out.output
    assert "reviews.jsonl:2" in out.stderr


# ----------------------------------------------------------------- a corrupt store


def corrupt(path: Path) -> None:
    """Overwrite bytes in the second half of the file: data pages, not the header or schema
    (the store opens; a query hits the damage)."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = path.stat().st_size
    with path.open("r+b") as f:
        for page in range(size // 4096 // 2, size // 4096):
            f.seek(page * 4096 + 16)
            f.write(b"\xde\xad\xbe\xef" * 64)


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--no-alerts"],
        ["fetch"],
        ["queue"],
        ["list"],
        ["status"],
        ["export", "--format", "csv"],
        ["report"],
    ],
    ids=lambda a: a[0],
)
def test_a_corrupt_store_is_a_store_error(cli: Cli, tmp_path: Path, args: list[str]) -> None:
    assert cli("fetch").exit_code == 0
    db = next(tmp_path.glob("*.db"))
    corrupt(db)
    out = cli(*args)
    assert out.exit_code == 4, (out.exit_code, out.output)
    assert str(db) in out.stderr and "corrupt" in out.stderr
    assert ".recover" in out.stderr and "backup" in out.stderr
    assert "internal error" not in out.output

"""Wildberries connector against a real HTTP server on 127.0.0.1 serving real-format payloads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from repcli.sources.wire.parse import parse_time
from repcli.store import ItemFilter
from tests.httpkit import fake_http, json_fixtures, run_sources, source_config

FIXTURES = Path(__file__).parent / "fixtures" / "wildberries"
TOKEN = "wb-test-token-eyJhbGciOi.secret"
NOW = "2026-05-20T09:00:00Z"


fixture = json_fixtures(FIXTURES)


def config(httpserver: HTTPServer, tmp_path: Path, **extra: str) -> str:
    return source_config(
        tmp_path,
        "wb",
        "wildberries",
        "token: ${WB_TOKEN}",
        f"base_url: {httpserver.url_for('')}",
        "page_size: 3",
        **extra,
    )


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WB_TOKEN", TOKEN)


def empty(key: str) -> dict[str, Any]:
    return {
        "data": {"countUnanswered": 0, "countArchive": 0, key: []},
        "error": False,
        "errorText": "",
        "additionalErrors": None,
    }


PAGES = {
    ("feedbacks", "false", "0"): "feedbacks_unanswered_page1.json",
    ("feedbacks", "false", "3"): "feedbacks_unanswered_page2.json",
    ("feedbacks", "true", "0"): "feedbacks_answered.json",
    ("questions", "false", "0"): "questions_page1.json",
    ("questions", "true", "0"): "questions_answered.json",
}


def serve(httpserver: HTTPServer, pages: dict[tuple[str, str, str], str]) -> None:
    """Answer like Wildberries: by list, isAnswered and skip; 401 without the right token."""

    def handler(request: Request) -> Response:
        if request.headers.get("Authorization") != TOKEN:
            return Response(
                json.dumps(fixture("error_401.json")), status=401, content_type="application/json"
            )
        key = request.path.rsplit("/", 1)[-1]
        name = pages.get((key, request.args["isAnswered"], request.args["skip"]))
        body = fixture(name) if name else empty(key)
        return Response(json.dumps(body, ensure_ascii=False), content_type="application/json")

    httpserver.expect_request("/api/v1/feedbacks").respond_with_handler(handler)
    httpserver.expect_request("/api/v1/questions").respond_with_handler(handler)


def serve_first_run(httpserver: HTTPServer) -> None:
    serve(httpserver, PAGES)


def test_first_run_pages_answers_and_questions(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_first_run(httpserver)
    http, _ = fake_http()
    report, store = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert not report.failed, report.results  # type: ignore[attr-defined]
    log = [(req.path.rsplit("/", 1)[-1], dict(req.args)) for req, _ in httpserver.log]
    assert [(k, a["isAnswered"], a["skip"], a["take"]) for k, a in log] == [
        ("feedbacks", "false", "0", "3"),
        ("feedbacks", "false", "3", "3"),
        ("feedbacks", "true", "0", "3"),
        ("feedbacks", "true", "3", "3"),
        ("questions", "false", "0", "3"),
        ("questions", "false", "3", "3"),
        ("questions", "true", "0", "3"),
    ]
    assert all("dateFrom" in a for k, a in log if a["isAnswered"] == "true")
    assert all("dateFrom" not in a for k, a in log if a["isAnswered"] == "false")
    items = store.list_items(ItemFilter())  # type: ignore[attr-defined]
    expected = 3 + 2 + len(fixture("feedbacks_answered.json")["data"]["feedbacks"])
    questions = (
        fixture("questions_page1.json")["data"]["questions"]
        + fixture("questions_answered.json")["data"]["questions"]
    )
    assert len(items) == expected + len(questions)
    by_id = {i["external_id"]: i for i in items}
    first = by_id["Kp3vT8mQbN2xWc7YhR4d"]
    assert (first["rating"], first["product_id"], first["author"]) == (2, "245981736", "Екатерина")
    assert first["cons"] == "Маломерит на размер, катышки"
    assert first["created_at"] == "2026-05-14T06:41:27.000000Z"  # +03:00 folded to UTC
    assert first["negative"] and first["needs_reply"]
    nanos = by_id["Zr8NqE1fLk6VbT0sMa9P"]
    assert nanos["created_at"] == "2026-05-14T08:02:53.418592Z"
    answered = by_id["Hn4cW8pA2sYq6LrT0vKe"]
    assert answered["answer_text"].startswith("Ольга, спасибо") and answered["status"] == "answered"
    question = by_id["q:r4XnB7qLt2VmK9sPc1Zw"]
    assert question["kind"] == "question" and question["rating"] is None and question["needs_reply"]
    raw = store.conn.execute("SELECT group_concat(raw) FROM items").fetchone()[0]  # type: ignore[attr-defined]
    assert TOKEN not in raw


def test_incremental_run_reads_answered_since_cursor(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    serve_first_run(httpserver)
    http, _ = fake_http()
    run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    newest = max(
        int(parse_time(f["createdDate"]).timestamp())
        for f in fixture("feedbacks_unanswered_page1.json")["data"]["feedbacks"]
        + fixture("feedbacks_unanswered_page2.json")["data"]["feedbacks"]
        + fixture("feedbacks_answered.json")["data"]["feedbacks"]
    )
    httpserver.clear()
    serve(httpserver, {})
    http, _ = fake_http()  # one HTTP layer per run, as the pipeline has
    report, store = run_sources(
        config(httpserver, tmp_path, answered_lookback_days="2"), tmp_path / "x.db", NOW, http
    )
    assert not report.failed  # type: ignore[attr-defined]
    answered = [
        req.args
        for req, _ in httpserver.log
        if req.path.endswith("feedbacks") and req.args["isAnswered"] == "true"
    ]
    assert answered and int(answered[0]["dateFrom"]) == newest - 2 * 86400
    assert len(httpserver.log) == 4
    cursor = store.cursor_for("wb")  # type: ignore[attr-defined]
    assert cursor["feedbacks_since"] == newest


def test_rate_limit_then_success(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_ordered_request("/api/v1/feedbacks").respond_with_json(
        fixture("error_429.json"),
        status=429,
        headers={"X-Ratelimit-Retry": "3", "X-Ratelimit-Limit": "3"},
    )
    httpserver.expect_request("/api/v1/feedbacks").respond_with_json(
        fixture("feedbacks_empty.json")
    )
    httpserver.expect_request("/api/v1/questions").respond_with_json(
        fixture("questions_answered.json")
    )
    http, clock = fake_http()
    report, _ = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert not report.failed  # type: ignore[attr-defined]
    assert http.waits == [3.0] and 3.0 in clock.slept


def test_unauthorized_is_a_clear_error_without_the_token(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/api/v1/feedbacks").respond_with_json(
        fixture("error_401.json"), status=401
    )
    http, _ = fake_http()
    text = config(httpserver, tmp_path) + "  - name: demo\n    type: demo\n"
    report, store = run_sources(text, tmp_path / "x.db", NOW, http)
    (failed,) = report.failed  # type: ignore[attr-defined]
    assert failed.source == "wb"
    assert "HTTP 401" in failed.error and TOKEN not in failed.error
    assert fixture("error_401.json")["title"] in failed.error
    assert store.list_items(ItemFilter(sources=["demo"]))  # type: ignore[attr-defined]  # the other source still stored


def test_method_error_in_200_and_malformed_json(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/api/v1/feedbacks").respond_with_json(fixture("error_method.json"))
    http, _ = fake_http()
    report, _ = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert "Плохой формат dateFrom" in report.failed[0].error  # type: ignore[attr-defined]
    httpserver.clear()
    httpserver.expect_request("/api/v1/feedbacks").respond_with_data(
        '{"data": {"feedbacks": [', content_type="application/json"
    )
    http, _ = fake_http()
    report, _ = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert "not valid JSON" in report.failed[0].error  # type: ignore[attr-defined]


def test_5xx_gives_up_and_keeps_what_was_stored(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_ordered_request("/api/v1/feedbacks").respond_with_json(
        fixture("feedbacks_unanswered_page1.json")
    )
    httpserver.expect_request("/api/v1/feedbacks").respond_with_data("Bad gateway", status=502)
    http, _ = fake_http(max_attempts=3)
    report, store = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert "HTTP 502, still failing after 3 attempts" in report.failed[0].error  # type: ignore[attr-defined]
    assert len(store.list_items(ItemFilter())) == 3  # type: ignore[attr-defined]  # page 1 is kept
    assert store.cursor_for("wb") == {}  # type: ignore[attr-defined]  # the cursor did not move past what is missing


def test_sources_test_says_what_is_wrong(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import Cli

    serve(httpserver, PAGES)
    path = tmp_path / "repcli.yaml"
    path.write_text(config(httpserver, tmp_path))
    ok = Cli(path)("sources", "test")
    assert ok.exit_code == 0 and "✓ wb: ok: reachable, 3 items" in ok.stdout
    monkeypatch.setenv("WB_TOKEN", "wrong-token-value")
    bad = Cli(path)("sources", "test", "wb")
    assert bad.exit_code == 6
    assert "✗ wb:" in bad.stdout and "HTTP 401" in bad.stdout and "token" in bad.stdout
    assert "wrong-token-value" not in bad.stdout
    verbose = Cli(path)("-vv", "fetch", "--format", "json")
    assert "wrong-token-value" not in verbose.stderr + verbose.stdout
    assert "DEBUG repcli.http: GET" in verbose.stderr  # -vv shows requests (paths only)
    listed = Cli(path)("sources", "list", "--format", "json")
    assert "wrong-token-value" not in listed.stdout and '"token": "***"' in listed.stdout

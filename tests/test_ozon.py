"""Ozon connector against a real HTTP server on 127.0.0.1 serving real-format payloads.

Formats confirmed from the official Seller API reference (docs.ozon.ru/api/seller/, OpenAPI 2.1),
read as per-operation pages generated from Ozon's swagger: ReviewListV2 (`/v2/review/list`:
`filters.published_from`, `limit`, `last_id`, `sort_dir`; `has_next`, `last_id`, `sku` int64),
ReviewInfoV2, ReviewAPI_CommentList (`is_owner`, `parent_comment_id`, `offset`), Question_List
(`filter.date_from`, `has_next`), QuestionAnswer_List (`status_publication`), and the "Errors"
section (general limit 50 requests/s per Client ID; "You have reached request rate limit per
second"). Comment-list request fields (`review_id`, `limit` 20..100, `offset`, `sort_dir`) from
the SDK github.com/diPhantxm/ozon-api-client `ozon/reviews.go`. Ozon's customer help
(docs.ozon.com/global/en/promotion/feedback/customers-questions): other users answer questions
too, hence `seller_name`. The 429 `retry-after` header: seen in a public client's request log.
See tests/fixtures/README.md, section 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from repcli.store import ItemFilter
from tests.httpkit import fake_http, json_fixtures, run_sources, source_config

FIXTURES = Path(__file__).parent / "fixtures" / "ozon"
CLIENT_ID = "2739164"
API_KEY = "5f0c2e9a-ozon-test-key-7d41b8c3e6a2"
NOW = "2026-05-23T09:00:00Z"
KETTLE = "0196e5f2-0c44-7a91-8e3b-6f2d1a05c9e4"
CHARGER = "0196e4c7-81d0-7f35-b2e6-0a9d4c73f158"
HOODIE = "0196e4a1-3b7c-7d2e-9a41-5c08f2b6e731"
Q_KETTLE = "0196e4d9-b351-7a06-8f4e-27c0a9d16e83"
Q_CORD = "0196f1c4-2b8e-7d50-a6f3-0e95c7d4b1a2"


fixture = json_fixtures(FIXTURES)


def config(httpserver: HTTPServer, tmp_path: Path, **extra: str) -> str:
    return source_config(
        tmp_path,
        "oz",
        "ozon",
        "client_id: ${OZON_CLIENT_ID}",
        "api_key: ${OZON_API_KEY}",
        f"base_url: {httpserver.url_for('')}",
        "page_size: 20",
        **extra,
    )


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OZON_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("OZON_API_KEY", API_KEY)


FIRST_RUN = {
    ("/v2/review/list", ""): "review_list_page1.json",
    ("/v2/review/list", KETTLE): "review_list_page2.json",
    ("/v1/review/comment/list", KETTLE): "review_comment_list.json",
    ("/v2/review/info", HOODIE): "review_info.json",
    ("/v1/question/list", ""): "question_list_page1.json",
    ("/v1/question/list", Q_KETTLE): "question_list_last.json",
    ("/v1/question/answer/list", Q_KETTLE): "question_answer_list.json",
}
SECOND_RUN = {
    ("/v2/review/list", ""): "review_list_since.json",
    ("/v1/review/comment/list", CHARGER): "review_comment_list_charger.json",
    ("/v1/question/list", ""): "question_list_since.json",
    ("/v1/question/answer/list", Q_CORD): "question_answer_list_customer.json",
}
EMPTY = {
    "/v2/review/list": "review_list_empty.json",
    "/v1/question/list": "question_list_empty.json",
}


def _key(body: dict[str, Any]) -> str:
    """What selects a page: the cursor for lists, the review/question id for the rest."""
    for name in ("review_id", "question_id", "last_id"):
        if name in body:
            return str(body[name])
    return ""


def serve(httpserver: HTTPServer, pages: dict[tuple[str, str], str]) -> None:
    """Answer like Ozon: POST + JSON body, 401 without both headers, pages by cursor or id."""

    def handler(request: Request) -> Response:
        if (request.headers.get("Client-Id"), request.headers.get("Api-Key")) != (
            CLIENT_ID,
            API_KEY,
        ):
            return Response(json.dumps(fixture("error_401.json")), 401, mimetype="application/json")
        body = json.loads(request.data)
        name = pages.get((request.path, _key(body))) or EMPTY.get(request.path)
        data = fixture(name) if name else {"comments": [], "offset": 0}
        if request.path == "/v1/question/answer/list" and not name:
            data = {"answers": [], "last_id": ""}
        return Response(json.dumps(data, ensure_ascii=False), mimetype="application/json")

    for path in (
        "/v2/review/list",
        "/v2/review/info",
        "/v1/review/comment/list",
        "/v1/question/list",
        "/v1/question/answer/list",
    ):
        httpserver.expect_request(path, method="POST").respond_with_handler(handler)


def raw_of(store: Any, external_id: str) -> Any:
    row = store.conn.execute("SELECT raw FROM items WHERE external_id = ?", (external_id,))
    return json.loads(row.fetchone()[0])


def sent(httpserver: HTTPServer) -> list[tuple[str, dict[str, Any]]]:
    return [(req.path, json.loads(req.data)) for req, _ in httpserver.log]


def test_first_run_pages_comments_and_answers(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve(httpserver, FIRST_RUN)
    http, _ = fake_http()
    report, store = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert not report.failed, report.results  # type: ignore[attr-defined]
    log = sent(httpserver)
    assert [(path, _key(body)) for path, body in log] == [
        ("/v2/review/list", ""),
        ("/v1/review/comment/list", KETTLE),  # only the review with comments_amount > 0
        ("/v2/review/list", KETTLE),  # the cursor from page 1
        ("/v1/question/list", ""),
        ("/v1/question/answer/list", Q_KETTLE),  # only the question with answers_count > 0
        ("/v1/question/list", Q_KETTLE),
    ]
    for req, _ in httpserver.log:
        assert req.headers["Client-Id"] == CLIENT_ID and req.headers["Api-Key"] == API_KEY
        assert req.headers["Content-Type"] == "application/json"
    first = log[0][1]
    assert first == {
        "limit": 20,
        "sort_dir": "ASC",
        "filters": {
            "status": "ALL",
            "order_status": "ALL",
            "published_from": "2025-05-23T09:00:00Z",
        },
        "last_id": "",
    }  # a first run goes back full_backfill_days (365)
    assert log[1][1] == {"review_id": KETTLE, "limit": 100, "offset": 0, "sort_dir": "ASC"}
    assert log[3][1]["filter"] == {"status": "ALL", "date_from": "2025-05-23T09:00:00Z"}
    assert log[4][1] == {"question_id": Q_KETTLE, "sku": 1612045873, "last_id": ""}

    items = store.list_items(ItemFilter())  # type: ignore[attr-defined]
    assert len(items) == 5 + 4
    by_id = {i["external_id"]: i for i in items}
    charger = by_id[CHARGER]
    assert charger["product_id"] == "1498812305"  # "sku" came as a string
    assert charger["created_at"] == "2026-05-18T09:01:12.483127Z"
    assert charger["url"] == "https://www.ozon.ru/product/1498812305/"
    assert (charger["rating"], charger["author"]) == (1, None)
    assert charger["negative"] and charger["needs_reply"]
    kettle = by_id[KETTLE]
    assert kettle["answer_text"].startswith("Спасибо за отзыв! Крышка")  # the is_owner comment
    assert kettle["answered_at"] == "2026-05-18T13:10:42.336000Z"
    assert kettle["status"] == "answered"
    assert by_id["0196e8b0-5d19-7c62-a4f7-91e3b0d2c846"]["text"] == ""  # rating-only review
    assert raw_of(store, HOODIE) == fixture("review_list_page1.json")["reviews"][0]
    question = by_id[f"q:{Q_KETTLE}"]
    assert question["kind"] == "question" and question["author"] == "Олег"
    assert question["answer_text"].startswith("Да, чайник отключается")
    assert question["answered_at"] == "2026-05-18T09:02:26.517000Z"
    assert question["url"].startswith("https://www.ozon.ru/product/1612045873/questions/?qid=")
    open_question = by_id["q:0196e8f1-7a2d-7c39-b5e0-93d4f1a62c07"]
    assert (
        open_question["needs_reply"]
        and open_question["created_at"] == "2026-05-19T09:27:48.400000Z"
    )
    assert store.cursor_for("oz") == {  # type: ignore[attr-defined]
        "reviews_since": "2026-05-19T10:33:08.712500Z",
        "questions_since": "2026-05-19T09:27:48.400000Z",
    }
    raw = store.conn.execute("SELECT group_concat(raw) FROM items").fetchone()[0]  # type: ignore[attr-defined]
    assert API_KEY not in raw and CLIENT_ID not in raw


def test_incremental_run_reads_since_cursor_and_late_answers(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    serve(httpserver, FIRST_RUN)
    run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0])
    httpserver.clear()
    serve(httpserver, SECOND_RUN)
    text = config(httpserver, tmp_path, answered_lookback_days="2", seller_name="Домашний уют")
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    assert not report.failed, report.results  # type: ignore[attr-defined]
    log = sent(httpserver)
    assert [path for path, _ in log] == [
        "/v2/review/list",
        "/v1/review/comment/list",
        "/v1/question/list",
        "/v1/question/answer/list",
    ]
    # the cursor minus the lookback: 2026-05-19T10:33:08.7125Z - 2 days, whole seconds
    assert log[0][1]["filters"]["published_from"] == "2026-05-17T10:33:08Z"
    assert log[2][1]["filter"]["date_from"] == "2026-05-17T09:27:48Z"
    (result,) = report.results  # type: ignore[attr-defined]
    assert (result.fetched, result.new, result.changed) == (3, 2, 0)
    by_id = {i["external_id"]: i for i in store.list_items(ItemFilter())}  # type: ignore[attr-defined]
    charger = by_id[CHARGER]  # answered in the seller portal after the first run
    assert charger["answer_text"].startswith("Здравствуйте! Для ноутбука")
    assert (
        charger["status"] == "answered" and charger["answered_at"] == "2026-05-20T08:44:19.208000Z"
    )
    cord = by_id[f"q:{Q_CORD}"]  # answered only by another customer: still ours to answer
    assert cord["answer_text"] is None and cord["needs_reply"] and cord["status"] == "new"
    assert store.cursor_for("oz") == {  # type: ignore[attr-defined]
        "reviews_since": "2026-05-21T16:05:44.100000Z",
        "questions_since": "2026-05-21T12:40:03.770000Z",
    }


def test_full_backfill_reads_everything_and_media(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve(httpserver, FIRST_RUN)
    text = config(httpserver, tmp_path, questions="false", review_media="true")
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0], full=True)
    assert not report.failed, report.results  # type: ignore[attr-defined]
    log = sent(httpserver)
    assert "published_from" not in log[0][1]["filters"]
    assert not any(path.startswith("/v1/question") for path, _ in log)
    # media only where the list counts photos or videos (the hoodie and the charger)
    assert [body for path, body in log if path == "/v2/review/info"] == [
        {"review_id": HOODIE},
        {"review_id": CHARGER},
    ]
    assert len(raw_of(store, HOODIE)["photos"]) == 2  # raw is /v2/review/info's fuller object
    # the server has no info for the charger (it answers another id): the list object stays
    assert "photos" not in raw_of(store, CHARGER)


def test_rate_limit_429_code_8_then_success(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_ordered_request("/v2/review/list").respond_with_json(
        fixture("error_429.json"), status=429, headers={"retry-after": "2"}
    )
    httpserver.expect_request("/v2/review/list").respond_with_json(
        fixture("review_list_page2.json")
    )
    httpserver.expect_request("/v1/question/list").respond_with_json(
        fixture("question_list_empty.json")
    )
    http, clock = fake_http()
    report, store = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert not report.failed, report.results  # type: ignore[attr-defined]
    assert http.waits == [2.0] and 2.0 in clock.slept
    assert len(store.list_items(ItemFilter())) == 2  # type: ignore[attr-defined]


def test_unauthorized_names_ozon_message_not_keys(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/v2/review/list").respond_with_json(
        fixture("error_401.json"), status=401
    )
    text = config(httpserver, tmp_path) + "  - name: demo\n    type: demo\n"
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    (failed,) = report.failed  # type: ignore[attr-defined]
    assert failed.source == "oz"
    assert "HTTP 401: Client-Id and Api-Key headers are required (code 16)" in failed.error
    assert API_KEY not in failed.error and CLIENT_ID not in failed.error
    assert store.list_items(ItemFilter(sources=["demo"]))  # type: ignore[attr-defined]


def test_5xx_gives_up_and_keeps_what_was_stored(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_ordered_request("/v2/review/list").respond_with_json(
        fixture("review_list_page1.json")
    )
    httpserver.expect_request("/v1/review/comment/list").respond_with_json(
        fixture("review_comment_list.json")
    )
    httpserver.expect_request("/v2/review/list").respond_with_data("Bad gateway", status=502)
    http, _ = fake_http(max_attempts=3)
    report, store = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert "HTTP 502, still failing after 3 attempts" in report.failed[0].error  # type: ignore[attr-defined]
    assert len(store.list_items(ItemFilter())) == 3  # type: ignore[attr-defined]  # page 1 is kept
    assert store.cursor_for("oz") == {}  # type: ignore[attr-defined]  # the cursor did not move


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ('{"reviews": [', "application/json", "not valid JSON"),
        (
            "<html><body>Service temporarily unavailable</body></html>",
            "text/html",
            "not valid JSON",
        ),
        ('["not", "an", "object"]', "application/json", "expected a JSON object"),
        ('{"reviews": {"id": "x"}}', "application/json", "unexpected reviews list shape"),
        # A bad row (no date, no id, a rating off the scale) costs only itself:
        # tests/hostile/test_hostile_rows.py.
    ],
)
def test_malformed_answers_are_clear_source_errors(
    httpserver: HTTPServer, tmp_path: Path, body: str, content_type: str, expected: str
) -> None:
    httpserver.expect_request("/v2/review/list").respond_with_data(body, content_type=content_type)
    report, _ = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0])
    (failed,) = report.failed  # type: ignore[attr-defined]
    assert expected in failed.error
    assert "KeyError" not in failed.error and "TypeError" not in failed.error


def test_repeated_cursor_is_an_error_not_a_loop(httpserver: HTTPServer, tmp_path: Path) -> None:
    page = {**fixture("question_list_page1.json"), "last_id": Q_KETTLE}
    httpserver.expect_request("/v2/review/list").respond_with_json(
        fixture("review_list_empty.json")
    )
    httpserver.expect_request("/v1/question/list").respond_with_json(page)
    httpserver.expect_request("/v1/question/answer/list").respond_with_json(
        fixture("question_answer_list.json")
    )
    report, _ = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0])
    assert "sent the same cursor twice" in report.failed[0].error  # type: ignore[attr-defined]
    # reviews, questions page 1 and its answers, then page 1 again (its answers) and a stop
    assert len(httpserver.log) == 5


def test_sources_test_and_list_mask_credentials(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import Cli

    serve(httpserver, FIRST_RUN)
    path = tmp_path / "repcli.yaml"
    path.write_text(config(httpserver, tmp_path))
    ok = Cli(path)("sources", "test")
    assert ok.exit_code == 0 and "✓ oz: ok: reachable, 3 items" in ok.stdout
    listed = Cli(path)("sources", "list", "--format", "json")
    assert API_KEY not in listed.stdout and CLIENT_ID not in listed.stdout
    monkeypatch.setenv("OZON_API_KEY", "wrong-ozon-key-value")
    bad = Cli(path)("sources", "test", "oz")
    assert bad.exit_code == 6 and "✗ oz:" in bad.stdout and "HTTP 401" in bad.stdout
    assert "wrong-ozon-key-value" not in bad.stdout


def test_empty_credentials_are_a_config_error(httpserver: HTTPServer, tmp_path: Path) -> None:
    text = config(httpserver, tmp_path).replace("${OZON_API_KEY}", '""')
    report, _ = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    assert "api_key is empty" in report.failed[0].error  # type: ignore[attr-defined]
    assert not httpserver.log


def test_list_without_has_next_goes_on_until_an_empty_page(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    page = {k: v for k, v in fixture("question_list_page1.json").items() if k != "has_next"}
    # nothing more: Ozon leaves out the empty list and false
    pages = {"": page, Q_KETTLE: {"last_id": Q_KETTLE}}
    httpserver.expect_request("/v2/review/list").respond_with_json(
        fixture("review_list_empty.json")
    )
    httpserver.expect_request("/v1/question/answer/list").respond_with_json(
        fixture("question_answer_list.json")
    )
    httpserver.expect_request("/v1/question/list").respond_with_handler(
        lambda request: Response(
            json.dumps(pages[json.loads(request.data)["last_id"]]), mimetype="application/json"
        )
    )
    report, store = run_sources(
        config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0]
    )
    assert not report.failed, report.results  # type: ignore[attr-defined]
    bodies = [json.loads(r.data) for r, _ in httpserver.log if r.path == "/v1/question/list"]
    assert [b["last_id"] for b in bodies] == ["", Q_KETTLE]
    assert len(store.list_items(ItemFilter())) == 3  # type: ignore[attr-defined]

"""Yandex Market connector against a real HTTP server on 127.0.0.1 serving real-format payloads.

Formats confirmed from Yandex's official OpenAPI, github.com/yandex-market/yandex-market-partner-api
@ 1318e9b848591f069059eeebf777f1f5bb439743: openapi/paths/v2_businesses_businessId_goods-feedback.yaml
and ..._goods-feedback_comments.yaml (POST, 5 000/10 000 requests per hour, 420), components
GetGoodsFeedbackRequest (`dateTimeFrom`/`dateTimeTo` exclusive, 6 months at most),
GoodsFeedbackDTO, GoodsFeedbackDescriptionDTO, GoodsFeedbackStatisticsDTO,
GoodsFeedbackIdentifiersDTO, GoodsFeedbackCommentDTO (`parentId` only on replies to comments, no
date), GetGoodsFeedbackCommentsRequest, ApiErrorResponse/ApiErrorDTO, responses/420.yaml,
parameters/AliasedPageToken.yaml (`pageToken` with the `page_token` alias) and PageLimit50.yaml.
Docs yandex.ru/dev/market/partner-api/doc/{ru,en}/concepts/limits and .../error-codes: 420 Enhance
Your Calm, 4 parallel requests, the reset time in `X-RateLimit-Resource-Until` (an HTTP date, no
Retry-After). See tests/fixtures/README.md, section 3.
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

FIXTURES = Path(__file__).parent / "fixtures" / "yandex_market"
API_KEY = "ACMA:ym-test-key-Qm9vaz1wOTZ1N2s:4c1f0e7b"
BUSINESS = "4815162"
NOW = "2026-05-23T09:00:00Z"
FEEDBACK = f"/v2/businesses/{BUSINESS}/goods-feedback"
COMMENTS = f"{FEEDBACK}/comments"
TOKEN = "eyJvcCI6Imd0Iiwia2V5IjoiMTUzMjAyNTMzNDY4In0"
KETTLE = 153202533468
CHARGER = 153202498012


fixture = json_fixtures(FIXTURES)


def config(httpserver: HTTPServer, tmp_path: Path, **extra: str) -> str:
    return source_config(
        tmp_path,
        "ym",
        "yandex_market",
        f"business_id: {BUSINESS}",
        "api_key: ${YM_API_KEY}",
        f"base_url: {httpserver.url_for('')}",
        "page_size: 3",
        "full_backfill_days: 30",
        **extra,
    )


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YM_API_KEY", API_KEY)


FIRST_RUN = {
    (FEEDBACK, None): "goods_feedback_page1.json",
    (FEEDBACK, TOKEN): "goods_feedback_page2.json",
    (COMMENTS, KETTLE): "goods_feedback_comments.json",
}
SECOND_RUN = {
    (FEEDBACK, None): "goods_feedback_since.json",
    (COMMENTS, CHARGER): "goods_feedback_comments_charger.json",
}


def serve(httpserver: HTTPServer, pages: dict[tuple[str, Any], str]) -> None:
    """Answer like Yandex Market: 401 without the right Api-Key; reviews by page token,
    comments by feedbackId."""

    def handler(request: Request) -> Response:
        if request.headers.get("Api-Key") != API_KEY:
            return Response(json.dumps(fixture("error_401.json")), 401, mimetype="application/json")
        if request.path == COMMENTS:
            name = pages.get((COMMENTS, json.loads(request.data)["feedbackId"]))
            data = fixture(name) if name else {"status": "OK", "result": {"comments": []}}
        else:
            name = pages.get((FEEDBACK, request.args.get("page_token")))
            data = fixture(name or "goods_feedback_empty.json")
        return Response(json.dumps(data, ensure_ascii=False), mimetype="application/json")

    httpserver.expect_request(FEEDBACK, method="POST").respond_with_handler(handler)
    httpserver.expect_request(COMMENTS, method="POST").respond_with_handler(handler)


def sent(httpserver: HTTPServer) -> list[tuple[str, dict[str, str], dict[str, Any]]]:
    return [(req.path, dict(req.args), json.loads(req.data)) for req, _ in httpserver.log]


def test_first_run_pages_and_seller_comment(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve(httpserver, FIRST_RUN)
    http, _ = fake_http()
    report, store = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert not report.failed, report.results  # type: ignore[attr-defined]
    window = {"dateTimeFrom": "2026-04-23T09:00:00+00:00"}  # full_backfill_days: 30
    assert sent(httpserver) == [
        (FEEDBACK, {"limit": "3"}, window),
        (COMMENTS, {"limit": "50"}, {"feedbackId": KETTLE}),  # the only one with commentsCount > 0
        (FEEDBACK, {"limit": "3", "page_token": TOKEN}, window),  # same limit and filter
    ]
    for req, _ in httpserver.log:
        assert req.headers["Api-Key"] == API_KEY and "Authorization" not in req.headers
        assert req.headers["Content-Type"] == "application/json"
    items = store.list_items(ItemFilter())  # type: ignore[attr-defined]
    assert len(items) == 5
    by_id = {i["external_id"]: i for i in items}
    hood = by_id["153202417755"]
    assert (hood["product_id"], hood["order_id"], hood["rating"]) == (
        "HOOD-W-GRY-M",
        "51234567890",
        2,
    )
    assert hood["created_at"] == "2026-05-20T11:12:03.000000Z"  # +03:00 folded to UTC
    assert hood["pros"] == "Красивый цвет, капюшон держит форму"
    assert hood["cons"] == "Рукава длинные, ткань сильно электризуется"
    assert hood["text"].startswith("В целом носить можно")
    assert hood["author"] == "Марина К." and hood["url"] is None
    assert hood["negative"] and hood["needs_reply"]
    charger = by_id[str(CHARGER)]
    assert charger["order_id"] is None and charger["pros"] is None and charger["cons"] is None
    kettle = by_id[str(KETTLE)]  # rating only: no description, media or author
    assert (kettle["text"], kettle["pros"], kettle["author"], kettle["rating"]) == (
        "",
        None,
        None,
        5,
    )
    # the BUSINESS comment on the review itself, not the seller's reply inside a thread
    assert kettle["answer_text"] == "Спасибо за высокую оценку! Рады, что чайник понравился."
    assert kettle["answered_at"] is None and kettle["status"] == "answered"
    assert by_id["153202601937"]["cons"] is None  # disadvantages: ""
    row = store.conn.execute("SELECT raw FROM items WHERE external_id = ?", (str(KETTLE),))  # type: ignore[attr-defined]
    assert (
        json.loads(row.fetchone()[0])
        == fixture("goods_feedback_page1.json")["result"]["feedbacks"][2]
    )
    assert store.cursor_for("ym") == {"feedbacks_since": "2026-05-22T04:58:02.000000Z"}  # type: ignore[attr-defined]
    raw = store.conn.execute("SELECT group_concat(raw) FROM items").fetchone()[0]  # type: ignore[attr-defined]
    assert API_KEY not in raw


def test_incremental_run_reads_since_cursor_and_late_answers(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    serve(httpserver, FIRST_RUN)
    run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0])
    httpserver.clear()
    serve(httpserver, SECOND_RUN)
    text = config(httpserver, tmp_path, answered_lookback_days="3")
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    assert not report.failed, report.results  # type: ignore[attr-defined]
    assert sent(httpserver) == [
        # the cursor (2026-05-22T04:58:02Z) minus 3 days; dateTimeFrom is exclusive
        (FEEDBACK, {"limit": "3"}, {"dateTimeFrom": "2026-05-19T04:58:02+00:00"}),
        (COMMENTS, {"limit": "50"}, {"feedbackId": CHARGER}),
    ]
    (result,) = report.results  # type: ignore[attr-defined]
    assert (result.fetched, result.new) == (2, 1)
    by_id = {i["external_id"]: i for i in store.list_items(ItemFilter())}  # type: ignore[attr-defined]
    charger = by_id[str(CHARGER)]  # answered in the cabinet after the first run (in moderation)
    assert charger["answer_text"].startswith("Игорь, сожалеем!") and charger["status"] == "answered"
    new = by_id["153202790544"]
    assert (new["rating"], new["pros"], new["cons"]) == (4, "М'яке, тепле", None)
    assert store.cursor_for("ym") == {"feedbacks_since": "2026-05-22T18:14:38.000000Z"}  # type: ignore[attr-defined]


def test_full_backfill_walks_six_month_windows(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve(httpserver, {})
    text = config(httpserver, tmp_path).replace("full_backfill_days: 30", "full_backfill_days: 365")
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0], full=True)
    assert not report.failed, report.results  # type: ignore[attr-defined]
    assert [body for _, _, body in sent(httpserver)] == [
        {"dateTimeFrom": "2025-05-23T09:00:00+00:00", "dateTimeTo": "2025-11-19T09:00:00+00:00"},
        # both bounds are exclusive: each window starts a second before the last one ended
        {"dateTimeFrom": "2025-11-19T08:59:59+00:00", "dateTimeTo": "2026-05-18T08:59:59+00:00"},
        {"dateTimeFrom": "2026-05-18T08:59:58+00:00"},  # up to now
    ]
    assert store.cursor_for("ym") == {}  # type: ignore[attr-defined]  # nothing seen, nothing moved


def test_rate_limit_420_then_success(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_ordered_request(FEEDBACK).respond_with_json(
        fixture("error_420.json"),
        status=420,
        headers={
            "X-RateLimit-Resource-Until": "Sat, 23 May 2026 09:00:05 GMT",
            "Date": "Sat, 23 May 2026 09:00:00 GMT",
        },
    )
    httpserver.expect_ordered_request(FEEDBACK).respond_with_data(
        "<html>420 Enhance Your Calm</html>", status=420, content_type="text/html"
    )
    httpserver.expect_request(FEEDBACK).respond_with_json(fixture("goods_feedback_page2.json"))
    http, clock = fake_http()
    report, store = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert not report.failed, report.results  # type: ignore[attr-defined]
    assert len(httpserver.log) == 3
    # The first 420 says when the limit resets (X-RateLimit-Resource-Until, 5 s after its Date):
    # that wait is honoured; the second says nothing, so the layer backs off (2 s + jitter < 1 s).
    assert len(http.waits) == 2 and http.waits[0] == 5.0 and 2.0 <= http.waits[1] < 3.0
    assert all(wait in clock.slept for wait in http.waits)
    assert len(store.list_items(ItemFilter())) == 2  # type: ignore[attr-defined]


def test_unauthorized_names_yandex_message_not_key(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve(httpserver, FIRST_RUN)
    text = config(httpserver, tmp_path) + "  - name: demo\n    type: demo\n"
    text = text.replace("${YM_API_KEY}", "ACMA:wrong-ym-key-value")
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    (failed,) = report.failed  # type: ignore[attr-defined]
    assert failed.source == "ym"
    assert "HTTP 401: UNAUTHORIZED: Api-Key token is invalid" in failed.error
    assert "wrong-ym-key-value" not in failed.error
    assert store.list_items(ItemFilter(sources=["demo"]))  # type: ignore[attr-defined]


def test_5xx_gives_up_and_keeps_what_was_stored(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_ordered_request(FEEDBACK).respond_with_json(
        fixture("goods_feedback_page1.json")
    )
    httpserver.expect_request(COMMENTS).respond_with_json(fixture("goods_feedback_comments.json"))
    httpserver.expect_request(FEEDBACK).respond_with_data("Service Unavailable", status=503)
    http, _ = fake_http(max_attempts=3)
    report, store = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert "HTTP 503, still failing after 3 attempts" in report.failed[0].error  # type: ignore[attr-defined]
    assert len(store.list_items(ItemFilter())) == 3  # type: ignore[attr-defined]  # page 1 is kept
    assert store.cursor_for("ym") == {}  # type: ignore[attr-defined]  # the cursor did not move


@pytest.mark.parametrize(
    ("status", "body", "content_type", "expected"),
    [
        (200, '{"status": "OK", "result": {"feedbacks": [', "application/json", "not valid JSON"),
        (200, "<html><body>Маркет</body></html>", "text/html", "not valid JSON"),
        (
            200,
            '{"status": "ERROR", "errors": [{"code": "BAD_REQUEST", "message": "Wrong period"}]}',
            "application/json",
            "Yandex Market: BAD_REQUEST: Wrong period",
        ),
        (200, '{"status": "OK"}', "application/json", "the response has no result"),
        (
            200,
            '{"status": "OK", "result": {"feedbacks": {"feedbackId": 1}}}',
            "application/json",
            "unexpected feedbacks list shape",
        ),
        # A review without a date or an id is a reject (issue 16): test_genuine_responses.py
        (
            400,
            '{"status": "ERROR", "errors": [{"code": "BAD_REQUEST", "message": "limit: must be less than or equal to 50"}]}',
            "application/json",
            "HTTP 400: BAD_REQUEST: limit: must be less than or equal to 50",
        ),
        (404, "<html>Not Found</html>", "text/html", "HTTP 404: <html>Not Found</html>"),
    ],
)
def test_malformed_and_error_answers_are_clear(
    httpserver: HTTPServer, tmp_path: Path, status: int, body: str, content_type: str, expected: str
) -> None:
    httpserver.expect_request(FEEDBACK).respond_with_data(
        body, status=status, content_type=content_type
    )
    report, _ = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0])
    (failed,) = report.failed  # type: ignore[attr-defined]
    assert expected in failed.error
    assert "KeyError" not in failed.error and "TypeError" not in failed.error


def test_repeated_page_token_is_an_error_not_a_loop(httpserver: HTTPServer, tmp_path: Path) -> None:
    page = fixture("goods_feedback_page1.json")
    httpserver.expect_request(FEEDBACK).respond_with_json(page)
    httpserver.expect_request(COMMENTS).respond_with_json(fixture("goods_feedback_comments.json"))
    report, _ = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0])
    assert "sent the same cursor twice" in report.failed[0].error  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("business_id: shop-1", "business_id must be a number"),
        ("page_size: 51", "page_size must be 1-50"),
    ],
)
def test_bad_settings_fail_before_any_request(
    httpserver: HTTPServer, tmp_path: Path, setting: str, expected: str
) -> None:
    key = setting.partition(":")[0]
    lines = [
        ln
        for ln in config(httpserver, tmp_path).splitlines()
        if not ln.strip().startswith(f"{key}:")
    ]
    text = "\n".join([*lines, f"    {setting}"]) + "\n"
    report, _ = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    assert expected in report.failed[0].error  # type: ignore[attr-defined]
    assert not httpserver.log


def test_sources_list_masks_the_key(httpserver: HTTPServer, tmp_path: Path) -> None:
    from tests.conftest import Cli

    serve(httpserver, FIRST_RUN)
    path = tmp_path / "repcli.yaml"
    path.write_text(config(httpserver, tmp_path))
    ok = Cli(path)("sources", "test", "ym")
    assert ok.exit_code == 0 and "✓ ym: ok: reachable, 3 items" in ok.stdout
    listed = Cli(path)("sources", "list", "--format", "json")
    assert API_KEY not in listed.stdout and BUSINESS in listed.stdout

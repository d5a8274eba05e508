"""Trustpilot connector against a real HTTP server on 127.0.0.1 serving real-format payloads.

Formats confirmed from Trustpilot's developer documentation: developers.trustpilot.com/
business-units-api (reviews of a business unit: `page` from 1 with "if the page number requested
is higher than the available number of pages an empty array will be returned", `perPage` 1-100,
default 20, `orderBy` createdat.asc|createdat.desc|stars.asc|stars.desc, `stars`, `language`),
/business-units-api-overview (GET /v1/business-units/find?name=<domain> with the key in the
`apikey` header), /rate-limiting (stay under 833 calls per 5 minutes and 10 000 an hour),
/get-started/common-error-messages (401/403/404/500 meanings) and the FAQ ("Invalid API key" when
the key is missing from the header). The official Node client github.com/trustpilot/node-trustpilot
(src/request-helper.ts: the key goes in the `apikey` header) and the review schema of
github.com/dbt-labs/tap-trustpilot (tap_trustpilot/schemas/reviews.json: id, consumer{id,
displayName, displayLocation, numberOfReviews}, businessUnit{id, identifyingName, displayName},
stars, title, text, language, createdAt, updatedAt, companyReply{text, createdAt}, isVerified,
numberOfLikes, status, reportData, complianceLabels, countsTowardsTrustScore; streams.py: `reviews`
list paged by page/perPage). The public page's __NEXT_DATA__ (props.pageProps.reviews with id,
rating, title, text, consumer.displayName/countryCode, dates.publishedDate/experiencedDate,
reply.message/publishedDate, labels.verification.isVerified, language; pageProps.filters.
pagination.currentPage/totalPages) as public parsers of trustpilot.com/review/<domain> read it.
Unconfirmed: the error body (we serve `{"message": "Invalid API key"}`; the connector also reads
an API gateway's `fault.faultstring`), the `rel` names in `links`, companyReply.updatedAt, the
page's `sort=recency` and `languages=all` parameters and `dates.updatedDate`/`reply.updatedDate`.
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

FIXTURES = Path(__file__).parent / "fixtures" / "trustpilot"
API_KEY = "tp-test-key-Gx8QmR2vL0aZ"
UNIT = "5f2a8c1e9b0d4a0001c3e7f2"
REVIEWS = f"/v1/business-units/{UNIT}/reviews"
FIND = "/v1/business-units/find"
WEB = "/review/cozyhome.example"
NOW = "2026-05-21T09:00:00Z"
LATER = "2026-05-24T09:00:00Z"


fixture = json_fixtures(FIXTURES)


def page(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def config(httpserver: HTTPServer, tmp_path: Path, api: bool = True, **extra: str) -> str:
    keys = ["api_key: ${TRUSTPILOT_API_KEY}", "page_size: 3"] if api else []
    extra.setdefault("business_unit_id" if api else "domain", UNIT if api else "cozyhome.example")
    return source_config(
        tmp_path,
        "tp",
        "trustpilot",
        f"base_url: {httpserver.url_for('')}",
        f"web_base_url: {httpserver.url_for('')}",
        *keys,
        **extra,
    )


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTPILOT_API_KEY", API_KEY)


def serve_api(httpserver: HTTPServer, pages: dict[str, str]) -> None:
    """Answer like the Business Units API: 401 without the key; reviews by page number, an
    empty list past the end."""

    def handler(request: Request) -> Response:
        if request.headers.get("apikey") != API_KEY:
            return Response(json.dumps(fixture("error_401.json")), status=401)
        if request.path == FIND:
            return Response(json.dumps(fixture("business_unit_find.json")))
        name = pages.get(request.args["page"], "reviews_past_end.json")
        return Response(
            json.dumps(fixture(name), ensure_ascii=False), content_type="application/json"
        )

    httpserver.expect_request(REVIEWS).respond_with_handler(handler)
    httpserver.expect_request(FIND).respond_with_handler(handler)


API_PAGES = {"1": "reviews_page1.json", "2": "reviews_page2.json"}


def items_of(store: Any) -> dict[str, dict[str, Any]]:
    return {i["external_id"]: i for i in store.list_items(ItemFilter())}


def test_api_pages_until_the_empty_list(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_api(httpserver, API_PAGES)
    http, _ = fake_http()
    report, store = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert not report.failed, report.results  # type: ignore[attr-defined]
    log = [req for req, _ in httpserver.log]
    assert [r.args["page"] for r in log] == ["1", "2", "3"]  # page 3 is past the end: []
    for r in log:
        assert r.path == REVIEWS and r.headers["apikey"] == API_KEY and "apikey" not in r.args
        assert (r.args["perPage"], r.args["orderBy"]) == ("3", "createdat.desc")
    items = items_of(store)
    assert len(items) == 6
    refund = items["6a4f1c2e8b3d7e0019a1b2c3"]
    assert (refund["rating"], refund["author"], refund["lang"]) == (1, "Олена Коваль", "uk")
    assert refund["title"] == "Досі чекаю на повернення коштів" and refund["needs_reply"]
    assert refund["url"] == "https://www.trustpilot.com/reviews/6a4f1c2e8b3d7e0019a1b2c3"
    assert refund["created_at"] == "2026-05-20T17:05:44.000000Z"
    delivery = items["6a4db7a19c0e2f001a7c8d90"]
    assert delivery["status"] == "answered" and delivery["answer_text"].startswith("Дмитрий")
    assert delivery["answered_at"] == "2026-05-19T14:02:11.000000Z"
    assert items["6a3f9e8d7c6b5a0012e4d3c2"]["title"] is None  # "" title
    raw = store.conn.execute("SELECT group_concat(raw) FROM items").fetchone()[0]  # type: ignore[attr-defined]
    assert API_KEY not in raw and '"companyReply"' in raw
    assert store.cursor_for("tp") == {"since": "2026-05-20T17:05:44.000000Z"}  # type: ignore[attr-defined]


def test_api_second_run_stops_at_the_lookback(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_api(httpserver, API_PAGES)
    http, _ = fake_http()
    run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    httpserver.clear()
    serve_api(httpserver, {"1": "reviews_since.json"})
    http, _ = fake_http()
    report, store = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", LATER, http)
    assert not report.failed  # type: ignore[attr-defined]
    assert [r.args["page"] for r, _ in httpserver.log] == ["1"]  # page 1 reaches 7 days back
    (result,) = report.results  # type: ignore[attr-defined]
    assert (result.fetched, result.new) == (2, 1)  # the 05-10 review is past the lookback
    items = items_of(store)
    assert items["6a5b0e4f3d2c1b0017a9f8e7"]["needs_reply"]
    answered = items["6a4f1c2e8b3d7e0019a1b2c3"]
    assert answered["status"] == "answered" and answered["answer_text"].startswith("Олено")
    assert store.cursor_for("tp") == {"since": "2026-05-23T11:00:10.000000Z"}  # type: ignore[attr-defined]


def test_api_domain_is_resolved_once(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_api(httpserver, API_PAGES)
    text = config(httpserver, tmp_path, business_unit_id="''", domain="https://CozyHome.example/")
    http, _ = fake_http()
    report, store = run_sources(text, tmp_path / "x.db", NOW, http)
    assert not report.failed  # type: ignore[attr-defined]
    find = httpserver.log[0][0]
    assert find.path == FIND and find.args["name"] == "cozyhome.example"
    assert find.headers["apikey"] == API_KEY
    cursor = store.cursor_for("tp")  # type: ignore[attr-defined]
    assert cursor["business_unit"] == {"domain": "cozyhome.example", "id": UNIT}
    httpserver.clear()
    serve_api(httpserver, {})
    http, _ = fake_http()
    run_sources(text, tmp_path / "x.db", LATER, http)
    assert [r.path for r, _ in httpserver.log] == [REVIEWS]


def test_rate_limit_then_success(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_ordered_request(REVIEWS).respond_with_data(
        "Too Many Requests", status=429, headers={"Retry-After": "12"}
    )
    httpserver.expect_request(REVIEWS).respond_with_json(fixture("reviews_past_end.json"))
    http, clock = fake_http()
    report, _ = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert not report.failed  # type: ignore[attr-defined]
    assert http.waits == [12.0] and 12.0 in clock.slept


def test_bad_key_is_a_clear_error_and_others_go_on(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_api(httpserver, API_PAGES)
    monkeypatch.setenv("TRUSTPILOT_API_KEY", "tp-wrong-key-value")
    http, _ = fake_http()
    text = config(httpserver, tmp_path) + "  - name: demo\n    type: demo\n"
    report, store = run_sources(text, tmp_path / "x.db", NOW, http)
    (failed,) = report.failed  # type: ignore[attr-defined]
    assert failed.source == "tp" and "HTTP 401: Invalid API key" in failed.error
    assert "tp-wrong-key-value" not in failed.error
    assert store.list_items(ItemFilter(sources=["demo"]))  # type: ignore[attr-defined]


def test_5xx_gives_up_and_keeps_what_was_stored(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_ordered_request(REVIEWS).respond_with_json(fixture("reviews_page1.json"))
    httpserver.expect_request(REVIEWS).respond_with_data("upstream error", status=500)
    http, _ = fake_http(max_attempts=3)
    report, store = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert "HTTP 500, still failing after 3 attempts" in report.failed[0].error  # type: ignore[attr-defined]
    assert len(store.list_items(ItemFilter())) == 3  # type: ignore[attr-defined]
    assert store.cursor_for("tp") == {}  # type: ignore[attr-defined]


def failure(httpserver: HTTPServer, tmp_path: Path, path: str, respond: Any, **kw: Any) -> str:
    httpserver.clear()
    respond(httpserver.expect_request(path))
    http, _ = fake_http()
    report, _ = run_sources(config(httpserver, tmp_path, **kw), tmp_path / "x.db", NOW, http)
    return str(report.failed[0].error)  # type: ignore[attr-defined]


def test_malformed_api_answers(httpserver: HTTPServer, tmp_path: Path) -> None:
    assert "not valid JSON" in failure(
        httpserver, tmp_path, REVIEWS, lambda r: r.respond_with_data('{"reviews": [')
    )
    assert "without a reviews list" in failure(
        httpserver, tmp_path, REVIEWS, lambda r: r.respond_with_json({"links": []})
    )
    # A broken review is a reject, not a failure (issue 16): tests/test_genuine_responses.py


def test_settings_say_what_is_missing(httpserver: HTTPServer, tmp_path: Path) -> None:
    http, _ = fake_http()
    text = config(httpserver, tmp_path, business_unit_id="''")
    report, _ = run_sources(text, tmp_path / "x.db", NOW, http)
    assert "set business_unit_id or domain" in report.failed[0].error  # type: ignore[attr-defined]
    text = config(httpserver, tmp_path, api=False, domain="''", business_unit_id=UNIT)
    report, _ = run_sources(text, tmp_path / "x.db", NOW, http)
    assert "read by domain" in report.failed[0].error  # type: ignore[attr-defined]


# ---------------------------------------------------------------------- the public page


def serve_web(httpserver: HTTPServer, pages: dict[str, str]) -> None:
    def handler(request: Request) -> Response:
        name = pages.get(request.args.get("page", "1"))
        if name is None:
            return Response("Not found", status=404)
        return Response(page(name), content_type="text/html; charset=utf-8")

    httpserver.expect_request(WEB).respond_with_handler(handler)


def test_public_page_without_a_key(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_web(httpserver, {"1": "web_page1.html", "2": "web_page2.html"})
    http, _ = fake_http()
    text = config(httpserver, tmp_path, api=False)
    report, store = run_sources(text, tmp_path / "x.db", NOW, http)
    assert not report.failed, report.results  # type: ignore[attr-defined]
    log = [req for req, _ in httpserver.log]
    assert [dict(r.args) for r in log] == [
        {"page": str(n), "sort": "recency", "languages": "all"} for n in (1, 2)
    ]  # totalPages is 2: no third request
    assert all("apikey" not in r.headers for r in log)
    items = items_of(store)
    assert len(items) == 5  # the same review ids as the API's
    delivery = items["6a4db7a19c0e2f001a7c8d90"]
    assert (delivery["rating"], delivery["author"]) == (2, "Дмитрий")
    assert (
        delivery["answer_text"].startswith("Дмитрий, извините") and delivery["status"] == "answered"
    )
    lamp = items["6a46a0d1b2c3e40011f5a6b7"]
    assert lamp["updated_at"] == "2026-05-15T13:02:00.000000Z"
    assert items["6a4f1c2e8b3d7e0019a1b2c3"]["negative"]
    assert store.cursor_for("tp") == {"since": "2026-05-20T17:05:44.000000Z"}  # type: ignore[attr-defined]


def test_public_page_that_changed_shape_says_so(httpserver: HTTPServer, tmp_path: Path) -> None:
    def web(name: str) -> str:
        return failure(
            httpserver,
            tmp_path,
            WEB,
            lambda r: r.respond_with_data(page(name), content_type="text/html"),
            api=False,
        )

    assert "no props.pageProps.reviews list (the site changed)" in web("web_changed.html")
    assert "no __NEXT_DATA__" in web("web_no_data.html") and "api_key" in web("web_no_data.html")
    error = failure(
        httpserver,
        tmp_path,
        WEB,
        lambda r: r.respond_with_data(
            '<script id="__NEXT_DATA__" type="application/json">{"props": </script>'
        ),
        api=False,
    )
    assert "is not JSON" in error
    error = failure(
        httpserver, tmp_path, WEB, lambda r: r.respond_with_data("gone", status=404), api=False
    )
    assert "HTTP 404 for the public page of cozyhome.example" in error

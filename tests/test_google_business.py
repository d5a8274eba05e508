"""Google Business Profile connector against a real HTTP server on 127.0.0.1.

Formats confirmed from (fixtures written by hand, contents invented):
- developers.google.com/my-business/reference/rest/v4/accounts.locations.reviews (Review:
  name, reviewId, reviewer{profilePhotoUrl, displayName, isAnonymous}, starRating
  STAR_RATING_UNSPECIFIED|ONE..FIVE, comment, createTime, updateTime (RFC 3339, Z-normalised,
  0/3/6/9 fraction digits), reviewReply{comment (max 4096 bytes), updateTime},
  reviewMediaItems) and .../accounts.locations.reviews/list (GET /v4/{parent}/reviews,
  pageSize max 50, pageToken, orderBy default "updateTime desc"; ListReviewsResponse reviews,
  averageRating, totalReviewCount, nextPageToken "not present" on the last page; scope
  business.manage), .../accounts.locations.reviews/updateReply (PUT .../reviews/*/reply with a
  ReviewReply body, returns the ReviewReply); developers.google.com/my-business/content/review-data;
- Business Information API v1 accounts.locations.list (GET /v1/{parent=accounts/*}/locations,
  readMask required, pageSize max 100, `locations[].name` = "locations/{id}", title,
  nextPageToken, totalSize);
- Google's OAuth 2.0 refresh flow (developers.google.com/identity/protocols/oauth2/web-server,
  "Refreshing an access token": POST https://oauth2.googleapis.com/token with client_id,
  client_secret, refresh_token, grant_type=refresh_token -> access_token, expires_in, scope,
  token_type; invalid_grant "Token has been expired or revoked.");
- the google.rpc error envelope {"error": {code, message, status, details[ErrorInfo]}}
  (cloud.google.com/apis/design/errors): UNAUTHENTICATED, PERMISSION_DENIED,
  RESOURCE_EXHAUSTED with reason RATE_LIMIT_EXCEEDED, INVALID_ARGUMENT.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from repcli.clock import from_iso
from repcli.errors import ReplyRejected
from repcli.sources.base import PostedReply, ReplyTarget
from repcli.store import ItemFilter
from tests.httpkit import (
    bearer_pages,
    fake_http,
    json_fixtures,
    post_reply,
    run_sources,
    source_config,
)
from tests.httpkit import json_response as reply

FIXTURES = Path(__file__).parent / "fixtures" / "google_business"
ACCOUNT = "1098765432101234567"
KYIV = f"accounts/{ACCOUNT}/locations/4471280093516624100"
LVIV = f"accounts/{ACCOUNT}/locations/4471280093516624200"
SECRET = "GOCSPX-loopbackClientSecret42"
REFRESH = "1//0gLoopbackRefreshTokenValueForTests-x9"
ACCESS = "ya29.a0AcM612xTestAccessTokenForLoopbackOnly0042"
PAGE2 = "ABHRLXUbkpTyv0HcV-8bqUGpJm2M4OQy3tmgSo0rZ0ZtQw"
NOW = "2026-11-23T09:00:00Z"

fixture = json_fixtures(FIXTURES)


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GBP_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("GBP_REFRESH_TOKEN", REFRESH)


def config(httpserver: HTTPServer, tmp_path: Path, **extra: str) -> str:
    return source_config(
        tmp_path,
        "gbp",
        "google_business",
        f"account_id: '{ACCOUNT}'",
        "client_id: 381920475561-loopback.apps.googleusercontent.com",
        "client_secret: ${GBP_CLIENT_SECRET}",
        "refresh_token: ${GBP_REFRESH_TOKEN}",
        f"base_url: {httpserver.url_for('')}",
        f"info_base_url: {httpserver.url_for('/info')}",
        f"token_url: {httpserver.url_for('/token')}",
        "page_size: 2",
        **extra,
    )


def serve_token(httpserver: HTTPServer) -> None:
    def handler(request: Request) -> Response:
        if request.form.get("refresh_token") != REFRESH:
            return reply(fixture("token_invalid_grant.json"), 400)
        return reply(fixture("token_ok.json"))

    httpserver.expect_request("/token", method="POST").respond_with_handler(handler)


def serve(httpserver: HTTPServer, answers: dict[tuple[str, str | None], str]) -> None:
    serve_token(httpserver)
    handler = bearer_pages(
        ACCESS, lambda: reply(fixture("error_401.json"), 401), answers, "pageToken", fixture
    )
    for path, _ in answers:
        httpserver.expect_request(path, method="GET").respond_with_handler(handler)


FIRST = {
    (f"/info/v1/accounts/{ACCOUNT}/locations", None): "locations.json",
    (f"/v4/{KYIV}/reviews", None): "reviews_kyiv_page1.json",
    (f"/v4/{KYIV}/reviews", PAGE2): "reviews_kyiv_page2.json",
    (f"/v4/{LVIV}/reviews", None): "reviews_lviv.json",
}


def test_first_run_lists_locations_and_reads_every_review(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    serve(httpserver, FIRST)
    report, store = run_sources(
        config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0]
    )
    assert not report.failed, report.results  # type: ignore[attr-defined]
    token, *calls = [request for request, _ in httpserver.log]
    assert token.path == "/token" and dict(token.form) == {
        "client_id": "381920475561-loopback.apps.googleusercontent.com",
        "client_secret": SECRET,
        "refresh_token": REFRESH,
        "grant_type": "refresh_token",
    }
    assert [(r.path, r.args.get("pageToken")) for r in calls] == list(FIRST)  # one token
    assert calls[0].args["readMask"] == "name,title"
    assert all(r.args["pageSize"] == "2" for r in calls[1:])
    by_id = {i["external_id"]: i for i in store.list_items(ItemFilter())}  # type: ignore[attr-defined]
    assert len(by_id) == 5 and {i["kind"] for i in by_id.values()} == {"review"}
    oksana = by_id["AbFvOqnXq3Lm0Vn8Rk2TzYw5PcJd"]
    assert oksana["rating"] == 2 and oksana["author"] == "Oksana Hrytsenko"
    assert oksana["product_id"] == KYIV and oksana["product_name"].endswith("Хрещатик 22")
    assert oksana["created_at"] == "2026-11-22T16:05:41.287000Z" and oksana["updated_at"] is None
    assert oksana["negative"] and oksana["answer_text"] is None
    dmytro = by_id["AbFvOqkT7wQe2Rn4Ls9XuMi1HbGa"]
    assert (
        dmytro["rating"] == 5 and dmytro["answer_text"] == "Thank you, Dmytro! See you again soon."
    )
    assert dmytro["answered_at"] == "2026-11-21T08:14:55.101930Z"
    assert dmytro["updated_at"] == "2026-11-21T08:14:55.101930Z"
    anonymous = by_id["AbFvOqm2PzXc8Vb1Nq7YtRe4WsKl"]
    assert anonymous["author"] is None and anonymous["text"] == "" and anonymous["rating"] == 4
    assert by_id["AbFvOqj9UvBn3Mx6Kd0QwSe8TfYh"]["rating"] is None  # STAR_RATING_UNSPECIFIED
    assert by_id["AbFvOqh5RcVx1Zn7Lp3KuWe9MbQo"]["product_id"] == LVIV
    cursor = store.cursor_for("gbp")  # type: ignore[attr-defined]
    assert cursor == {
        KYIV: from_iso("2026-11-22T16:05:41.287Z").timestamp(),  # type: ignore[union-attr]
        LVIV: from_iso("2026-11-20T13:02:17.5Z").timestamp(),  # type: ignore[union-attr]
    }
    raw = store.conn.execute("SELECT group_concat(raw) FROM items").fetchone()[0]  # type: ignore[attr-defined]
    assert ACCESS not in raw and REFRESH not in raw and '"reviewer"' in raw


def test_second_run_stops_at_the_cursor_and_reads_the_reply(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    serve(httpserver, FIRST)
    run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0])
    httpserver.clear()
    serve(httpserver, {(f"/v4/{KYIV}/reviews", None): "reviews_kyiv_since.json"})
    text = config(httpserver, tmp_path, location_ids="['4471280093516624100']", lookback_days="1")
    report, store = run_sources(text, tmp_path / "x.db", "2026-11-23T10:00:00Z", fake_http()[0])
    assert not report.failed, report.results  # type: ignore[attr-defined]
    # no location listing (ids given); the page reached back past the cursor: token not followed
    assert [r.path for r, _ in httpserver.log] == ["/token", f"/v4/{KYIV}/reviews"]
    (result,) = report.results  # type: ignore[attr-defined]
    assert result.new == 1
    items = store.list_items(ItemFilter(sources=["gbp"]))  # type: ignore[attr-defined]
    by_id = {i["external_id"]: i for i in items}
    assert by_id["AbFvOqnXq3Lm0Vn8Rk2TzYw5PcJd"]["answer_text"].startswith("Оксано, перепрошуємо")
    assert by_id["AbFvOqp4LcNe7Tx2Vb5ZsQm8RkWd"]["rating"] == 3
    cursor = store.cursor_for("gbp")  # type: ignore[attr-defined]
    assert cursor[KYIV] == from_iso("2026-11-23T08:30:10Z").timestamp()  # type: ignore[union-attr]
    assert LVIV in cursor  # kept from the first run


def test_429_resource_exhausted_is_retried(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_token(httpserver)
    path = f"/v4/{KYIV}/reviews"
    answers = iter([reply(fixture("error_429.json"), 429), reply(fixture("reviews_lviv.json"))])
    httpserver.expect_request(path).respond_with_handler(lambda request: next(answers))
    http, clock = fake_http()
    text = config(httpserver, tmp_path, location_ids="['4471280093516624100']")
    report, store = run_sources(text, tmp_path / "x.db", NOW, http)
    assert not report.failed, report.results  # type: ignore[attr-defined]
    (wait,) = http.waits
    assert 1.0 <= wait <= 2.0 and wait in clock.slept
    assert len(store.list_items(ItemFilter())) == 1  # type: ignore[attr-defined]


def test_refused_refresh_token_says_so_without_secrets(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve(httpserver, FIRST)
    monkeypatch.setenv("GBP_REFRESH_TOKEN", "1//0gRevokedRefreshToken-000")
    text = config(httpserver, tmp_path) + "  - name: demo\n    type: demo\n"
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    (failed,) = report.failed  # type: ignore[attr-defined]
    assert failed.source == "gbp"
    assert "refresh token was refused (HTTP 400: invalid_grant: Token has been expired" in (
        failed.error
    )
    assert "1//0gRevokedRefreshToken-000" not in failed.error and SECRET not in failed.error
    assert [r.path for r, _ in httpserver.log] == ["/token"]
    assert store.list_items(ItemFilter(sources=["demo"]))  # type: ignore[attr-defined]


def test_401_gets_one_fresh_token_then_googles_words(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    serve_token(httpserver)
    httpserver.expect_request(f"/v4/{KYIV}/reviews").respond_with_response(
        reply(fixture("error_401.json"), 401)
    )
    text = config(httpserver, tmp_path, location_ids="['4471280093516624100']")
    report, _ = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    error = report.failed[0].error  # type: ignore[attr-defined]
    assert "HTTP 401: UNAUTHENTICATED: Request had invalid authentication credentials" in error
    assert [r.path for r, _ in httpserver.log] == ["/token", f"/v4/{KYIV}/reviews"] * 2
    assert ACCESS not in error


def test_permission_denied_and_malformed_answers(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_token(httpserver)
    httpserver.expect_request(f"/info/v1/accounts/{ACCOUNT}/locations").respond_with_response(
        reply(fixture("error_403.json"), 403)
    )
    report, _ = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0])
    assert "HTTP 403: PERMISSION_DENIED: The caller does not have permission" in (
        report.failed[0].error  # type: ignore[attr-defined]
    )
    httpserver.clear()
    serve_token(httpserver)
    httpserver.expect_request(f"/v4/{KYIV}/reviews").respond_with_data(
        '{"reviews": {"a": 1}}', content_type="application/json"
    )
    text = config(httpserver, tmp_path, location_ids="['4471280093516624100']")
    report, _ = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    assert "`reviews` is not a list" in report.failed[0].error  # type: ignore[attr-defined]


def test_a_bad_review_is_set_aside(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_token(httpserver)
    page = fixture("reviews_lviv.json")
    page["reviews"].append({"reviewId": "AbBroken", "starRating": "SIX", "createTime": "x"})
    httpserver.expect_request(f"/v4/{LVIV}/reviews").respond_with_json(page)
    text = config(httpserver, tmp_path, location_ids="['4471280093516624200']")
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    assert not report.failed and report.results[0].rejected == 1  # type: ignore[attr-defined]
    assert len(store.list_items(ItemFilter())) == 1  # type: ignore[attr-defined]


# ----------------------------------------------------------------- answers


def post(httpserver: HTTPServer, target: ReplyTarget, text: str) -> PostedReply:
    return post_reply(config(httpserver, Path("/tmp")), NOW, target, text)


REVIEW = "AbFvOqh5RcVx1Zn7Lp3KuWe9MbQo"


def test_answer_is_a_put_of_the_reviews_reply(httpserver: HTTPServer) -> None:
    serve_token(httpserver)
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        return reply(fixture("reply_ok.json"))

    httpserver.expect_request(
        f"/v4/{LVIV}/reviews/{REVIEW}/reply", method="PUT"
    ).respond_with_handler(handler)
    raw = fixture("reviews_lviv.json")["reviews"][0]
    text = "Юрію, вибачте за очікування! Ми додали ще одну касу для самовивозу."
    post(httpserver, ReplyTarget(REVIEW, "review", product_id=LVIV, raw=raw), text)
    # without the raw payload, the location (product_id) names the review
    post(httpserver, ReplyTarget(REVIEW, "review", product_id=LVIV), text)
    assert len(seen) == 2
    for request in seen:
        assert json.loads(request.data) == {"comment": text}
        assert request.headers["Authorization"] == f"Bearer {ACCESS}"
        assert request.headers["Content-Type"].startswith("application/json")


def test_answer_refused_is_a_rejection_with_googles_words(httpserver: HTTPServer) -> None:
    serve_token(httpserver)
    httpserver.expect_request(f"/v4/{LVIV}/reviews/{REVIEW}/reply").respond_with_response(
        reply(fixture("error_400_reply.json"), 400)
    )
    with pytest.raises(ReplyRejected) as info:
        post(httpserver, ReplyTarget(REVIEW, "review", product_id=LVIV), "x" * 5000)
    assert "INVALID_ARGUMENT: Request contains an invalid argument." in info.value.message
    assert len(httpserver.log) == 2  # the token, then one PUT

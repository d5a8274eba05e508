"""Facebook Page connector against a real HTTP server on 127.0.0.1 serving Graph API payloads.

Formats confirmed from (fixtures written by hand, contents invented):
- Graph API reference, developers.facebook.com/docs/graph-api/reference/page/feed (the Page's
  posts and posts by others on it; Post fields id, message, created_time, updated_time "the
  time of the last comment", permalink_url, from{id,name}) and .../reference/object/comments
  (`filter=stream` returns every comment with its `parent`, `order=chronological`,
  `summary=true` -> `summary{order, total_count, can_comment}`; Comment fields id, message,
  created_time, from, parent, attachment, permalink_url, comment_count; creating:
  POST /{object-id}/comments with `message` -> `{"id": ...}`);
- .../docs/graph-api/results (cursor paging: `paging{cursors{before, after}, next}`, "next is
  not included on the last page"), .../docs/graph-api/guides/error-handling (the error
  envelope message/type/code/error_subcode/error_user_title/error_user_msg/fbtrace_id,
  190 with subcode 463 = expired token; 4, 17, 32, 613 = throttling; 200-299 = permissions),
  .../docs/graph-api/overview/rate-limiting (X-App-Usage, X-Page-Usage and
  X-Business-Use-Case-Usage with estimated_time_to_regain_access in minutes, code 80001);
- facebook/facebook-python-business-sdk (facebook_business/api.py, exceptions.py): the same
  error fields read from the body (`api_error_code`, `api_error_subcode`, `api_error_message`).
Graph times are `2026-11-20T10:15:30+0000` (an offset without a colon).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from repcli.errors import ReplyRejected
from repcli.http import OutcomeUnknown
from repcli.sources.base import PostedReply, ReplyTarget
from repcli.store import ItemFilter
from tests.httpkit import (
    FakeClock,
    bearer_pages,
    fake_http,
    json_fixtures,
    post_reply,
    run_sources,
    source_config,
)
from tests.httpkit import json_response as reply

FIXTURES = Path(__file__).parent / "fixtures" / "facebook"
TOKEN = "EAAGm0PX4ZCpsBAKx7Qw2Lr9TzVb1NmHc3Jd8Fp"
PAGE = "104857600123456"
LAUNCH = f"{PAGE}_882233445566778"
HOLIDAY = f"{PAGE}_882233445500001"
VISITOR = f"{PAGE}_990011223344556"
NOW = "2026-11-23T09:00:00Z"
AFTER_FEED = "QVFIUnJ1WkRPc1pMVGxjZAWtPaG9LdEJtWjQ0NG9rMnN2cUw1T3l3"
AFTER_COMMENTS = "WTI5dGJXVnVkRjlqZAFhKemIzSTZANVFV5TURNd05EQTFNRFl3TnpBNU9Ub3hOell6TmpVMU9EQXcZD"
BUC = "x-business-use-case-usage"

fixture = json_fixtures(FIXTURES)


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FB_PAGE_TOKEN", TOKEN)


def config(httpserver: HTTPServer, tmp_path: Path, **extra: str) -> str:
    return source_config(
        tmp_path,
        "fb",
        "facebook",
        f"page_id: '{PAGE}'",
        "access_token: ${FB_PAGE_TOKEN}",
        f"base_url: {httpserver.url_for('')}",
        "page_size: 2",
        **extra,
    )


FIRST = {
    (f"/v25.0/{PAGE}/feed", None): "feed_page1.json",
    (f"/v25.0/{PAGE}/feed", AFTER_FEED): "feed_page2.json",
    (f"/v25.0/{LAUNCH}/comments", None): "comments_launch_page1.json",
    (f"/v25.0/{LAUNCH}/comments", AFTER_COMMENTS): "comments_launch_page2.json",
    (f"/v25.0/{VISITOR}/comments", None): "comments_visitor.json",
}


def serve(httpserver: HTTPServer, answers: dict[tuple[str, str | None], Any]) -> None:
    """Answer like the Graph API: by path and `after`; error 190 without the right token."""
    handler = bearer_pages(
        TOKEN, lambda: reply(fixture("error_190_expired.json"), 400), answers, "after", fixture
    )
    httpserver.expect_request(re.compile("/v25.0/.*")).respond_with_handler(handler)


def test_first_run_reads_the_feed_comments_and_the_pages_answers(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    serve(httpserver, FIRST)
    report, store = run_sources(
        config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0]
    )
    assert not report.failed, report.results  # type: ignore[attr-defined]
    asked = [(r.path, r.args.get("after")) for r, _ in httpserver.log]
    assert asked == list(FIRST)  # the holiday post has no comments: not asked
    feed, comments = httpserver.log[0][0], httpserver.log[2][0]
    assert feed.args["limit"] == "2" and "summary(true)" in feed.args["fields"]
    assert comments.args["filter"] == "stream" and comments.args["order"] == "chronological"
    assert all(TOKEN not in r.full_path for r, _ in httpserver.log)  # never in a URL
    by_id = {i["external_id"]: i for i in store.list_items(ItemFilter())}  # type: ignore[attr-defined]
    assert set(by_id) == {
        "882233445566778_1520304050607081",  # answered by the Page in its thread
        "882233445566778_1520304050607120",  # a reply by another customer
        "882233445566778_1520304050607155",  # only a photo
        VISITOR,  # the visitor's post, answered by the Page's top-level comment
    }
    olena = by_id["882233445566778_1520304050607081"]
    assert olena["answer_text"].startswith("Олено, перепрошуємо!")
    assert olena["answered_at"] == "2026-11-20T13:30:00.000000Z"
    assert olena["created_at"] == "2026-11-20T12:01:09.000000Z"
    assert olena["author"] == "Олена Шевчук" and olena["product_id"] == LAUNCH
    assert olena["product_name"].startswith("Нова колекція термочашок")
    assert olena["url"].endswith("?comment_id=1520304050607081")
    photo = by_id["882233445566778_1520304050607155"]
    assert photo["text"] == "[photo]" and photo["answer_text"] is None
    visitor = by_id[VISITOR]
    assert visitor["text"].startswith("Замовила чашку") and visitor["author"] == "Ірина Коваль"
    assert visitor["answer_text"].startswith("Ірино, вибачте")
    assert store.cursor_for("fb") == {  # type: ignore[attr-defined]
        "posts": {
            LAUNCH: "2026-11-22T18:02:11+0000|5",
            HOLIDAY: "2026-11-18T08:00:00+0000|0",
            VISITOR: "2026-11-18T09:12:44+0000|1",
        }
    }
    raw = store.conn.execute("SELECT group_concat(raw) FROM items").fetchone()[0]  # type: ignore[attr-defined]
    assert TOKEN not in raw and '"attachment"' in raw


def test_second_run_rereads_only_the_post_that_changed(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    serve(httpserver, FIRST)
    run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0])
    httpserver.clear()
    serve(
        httpserver,
        {
            (f"/v25.0/{PAGE}/feed", None): "feed_since.json",
            (f"/v25.0/{LAUNCH}/comments", None): "comments_launch_since.json",
        },
    )
    text = config(httpserver, tmp_path).replace("page_size: 2", "page_size: 10")
    report, store = run_sources(text, tmp_path / "x.db", "2026-11-23T10:00:00Z", fake_http()[0])
    assert not report.failed, report.results  # type: ignore[attr-defined]
    assert [r.path for r, _ in httpserver.log] == [
        f"/v25.0/{PAGE}/feed",
        f"/v25.0/{LAUNCH}/comments",
    ]
    (result,) = report.results  # type: ignore[attr-defined]
    assert result.new == 1
    by_id = {i["external_id"]: i for i in store.list_items(ItemFilter())}  # type: ignore[attr-defined]
    assert by_id["882233445566778_1520304050607188"]["author"] == "Taras Melnyk"
    assert by_id["882233445566778_1520304050607155"]["answer_text"].startswith("Maria, sorry")
    assert store.cursor_for("fb")["posts"][LAUNCH] == "2026-11-23T07:30:00+0000|7"  # type: ignore[attr-defined]


def test_throttling_code_waits_as_long_as_meta_says(httpserver: HTTPServer, tmp_path: Path) -> None:
    usage = {PAGE: [{"type": "pages", "call_count": 100, "total_cputime": 12, "total_time": 15,
                     "estimated_time_to_regain_access": 1}]}  # fmt: skip
    httpserver.expect_ordered_request(f"/v25.0/{PAGE}/feed").respond_with_response(
        reply(fixture("error_32_page_limit.json"), 400, {BUC: json.dumps(usage)})
    )
    httpserver.expect_ordered_request(f"/v25.0/{PAGE}/feed").respond_with_response(
        reply(fixture("error_4_app_limit.json"), 403)
    )
    httpserver.expect_ordered_request(f"/v25.0/{PAGE}/feed").respond_with_json(
        {"data": [], "paging": {}}
    )
    http, _ = fake_http()
    report, _ = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert not report.failed, report.results  # type: ignore[attr-defined]
    first, second = http.waits
    assert first == 60.0  # estimated_time_to_regain_access: 1 minute
    assert 2.0 <= second <= 3.0  # no time named: exponential backoff (second attempt)
    assert len(httpserver.log) == 3


def test_throttled_for_longer_than_a_run_waits_stops_that_source(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    usage = {PAGE: [{"type": "pages", "call_count": 104, "total_cputime": 30, "total_time": 41,
                     "estimated_time_to_regain_access": 19}]}  # fmt: skip
    httpserver.expect_request(f"/v25.0/{PAGE}/feed").respond_with_response(
        reply(fixture("error_32_page_limit.json"), 400, {BUC: json.dumps(usage)})
    )
    text = config(httpserver, tmp_path) + "  - name: demo\n    type: demo\n"
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    (failed,) = report.failed  # type: ignore[attr-defined]
    assert failed.source == "fb" and "1140 s; try later" in failed.error
    assert len(httpserver.log) == 1
    assert store.list_items(ItemFilter(sources=["demo"]))  # type: ignore[attr-defined]


def test_high_usage_headers_pause_before_the_next_call(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    feed = fixture("feed_page1.json")
    feed["data"] = feed["data"][1:]  # the holiday post only: no comments to read
    httpserver.expect_ordered_request(f"/v25.0/{PAGE}/feed").respond_with_response(
        reply(feed, headers={"X-App-Usage": '{"call_count":97,"total_cputime":20,"total_time":31}'})
    )
    httpserver.expect_ordered_request(f"/v25.0/{PAGE}/feed").respond_with_json({"data": []})
    http, clock = fake_http(FakeClock())
    report, _ = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert not report.failed, report.results  # type: ignore[attr-defined]
    assert http.waits == [] and any(s >= 59.0 for s in clock.slept)


def test_expired_token_is_metas_words_and_hint_without_the_token(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve(httpserver, FIRST)
    monkeypatch.setenv("FB_PAGE_TOKEN", "EAAGexpired-token-value-000")
    text = config(httpserver, tmp_path) + "  - name: demo\n    type: demo\n"
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    (failed,) = report.failed  # type: ignore[attr-defined]
    assert "Facebook: HTTP 400: Error validating access token: Session has expired" in failed.error
    assert "(code 190, subcode 463, fbtrace_id AbCdEf1GhIj2KlMnOp3QrSt)" in failed.error
    assert "EAAGexpired-token-value-000" not in failed.error
    assert len(httpserver.log) == 1  # not retried
    assert store.list_items(ItemFilter(sources=["demo"]))  # type: ignore[attr-defined]


def test_app_secret_adds_the_proof(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request(f"/v25.0/{PAGE}/feed").respond_with_json({"data": []})
    text = config(httpserver, tmp_path, app_secret="'0c9a1b2c3d4e5f60718293a4b5c6d7e8'")
    report, _ = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    assert not report.failed  # type: ignore[attr-defined]
    proof = hmac.new(b"0c9a1b2c3d4e5f60718293a4b5c6d7e8", TOKEN.encode(), hashlib.sha256)
    assert httpserver.log[0][0].args["appsecret_proof"] == proof.hexdigest()


def test_5xx_gives_up_after_the_retry_budget(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request(f"/v25.0/{PAGE}/feed").respond_with_data("oops", status=500)
    http, _ = fake_http(max_attempts=3)
    report, store = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert "HTTP 500, still failing after 3 attempts" in report.failed[0].error  # type: ignore[attr-defined]
    assert len(httpserver.log) == 3 and store.cursor_for("fb") == {}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<html><body>Facebook</body></html>", "not valid JSON"),
        ('{"data": {"id": "1"}}', "`data` is not a list"),
        ("[1, 2]", "not a JSON object"),
    ],
)
def test_malformed_answers_are_our_own_errors(
    httpserver: HTTPServer, tmp_path: Path, body: str, expected: str
) -> None:
    httpserver.expect_request(f"/v25.0/{PAGE}/feed").respond_with_data(
        body, content_type="application/json"
    )
    report, _ = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0])
    assert expected in report.failed[0].error  # type: ignore[attr-defined]


def test_a_bad_comment_is_set_aside_and_the_rest_stored(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    answers: dict[tuple[str, str | None], Any] = dict(FIRST)
    broken = fixture("comments_visitor.json")
    broken["data"] = [
        {"id": "990011223344556_1", "message": "no date", "from": {"id": "77"}},
        {"id": "990011223344556_2", "message": "Дякую!", "created_time": "2026-11-18T10:00:00+0000",
         "from": {"id": "78", "name": "Ira"}},
    ]  # fmt: skip
    answers[(f"/v25.0/{VISITOR}/comments", None)] = broken
    serve(httpserver, answers)
    report, store = run_sources(
        config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0]
    )
    assert not report.failed  # type: ignore[attr-defined]
    assert report.results[0].rejected == 1  # type: ignore[attr-defined]
    ids = {i["external_id"] for i in store.list_items(ItemFilter())}  # type: ignore[attr-defined]
    assert "990011223344556_2" in ids and "990011223344556_1" not in ids


# ----------------------------------------------------------------- answers


def post(httpserver: HTTPServer, target: ReplyTarget, text: str) -> PostedReply:
    config_yaml = (
        f"sources:\n  - name: fb\n    type: facebook\n    page_id: '{PAGE}'\n"
        f"    access_token: ${{FB_PAGE_TOKEN}}\n    base_url: {httpserver.url_for('')}\n"
    )
    return post_reply(config_yaml, NOW, target, text)


COMMENT = "882233445566778_1520304050607081"


def test_answer_is_a_page_comment_on_the_comment(httpserver: HTTPServer) -> None:
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        return reply(fixture("reply_ok.json"))

    httpserver.expect_request(f"/v25.0/{COMMENT}/comments", method="POST").respond_with_handler(
        handler
    )
    answer = post(httpserver, ReplyTarget(COMMENT, "comment"), "Олено, кришку вже відправили!")
    assert answer.external_id == "882233445566778_1520304050607201"
    (request,) = seen
    assert dict(request.form) == {"message": "Олено, кришку вже відправили!"}
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in request.full_path


def test_answer_refused_is_a_rejection_with_metas_words(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request(f"/v25.0/{COMMENT}/comments").respond_with_response(
        reply(fixture("error_32_page_limit.json"), 400)
    )
    httpserver.expect_ordered_request(f"/v25.0/{COMMENT}/comments").respond_with_response(
        reply(fixture("error_200_permission.json"), 403)
    )
    with pytest.raises(ReplyRejected) as info:
        post(httpserver, ReplyTarget(COMMENT, "comment"), "Дякуємо!")
    assert "Permissions error: The comment you are replying to was deleted" in info.value.message
    assert "code 200" in info.value.message
    assert len(httpserver.log) == 2  # the throttled attempt was not acted on: sent again


def test_answer_with_a_5xx_is_never_sent_twice(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"/v25.0/{COMMENT}/comments").respond_with_data("", status=502)
    with pytest.raises(OutcomeUnknown):
        post(httpserver, ReplyTarget(COMMENT, "comment"), "Дякуємо!")
    assert len(httpserver.log) == 1

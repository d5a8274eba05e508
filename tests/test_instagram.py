"""Instagram connector against a real HTTP server on 127.0.0.1 serving Graph API payloads.

Formats confirmed from (fixtures written by hand, contents invented):
- Instagram Platform reference, developers.facebook.com/docs/instagram-platform/
  instagram-graph-api/reference: ig-user/media (GET /{ig-user-id}/media, newest first),
  IG Media fields (id, caption, media_type IMAGE|VIDEO|CAROUSEL_ALBUM, media_product_type
  FEED|REELS|STORY, permalink, timestamp, username, comments_count), ig-media/comments (GET:
  top-level comments, cursor paging), IG Comment fields (id, text, timestamp, username, from{id,
  username} and parent_id since the Oct 20 2021 change, like_count, hidden, replies),
  ig-comment/replies (GET; POST ?message= -> {"id"}; "You can only reply to top-level comments;
  replies to a reply will be added to the top-level comment"; hidden comments cannot be
  answered), and the comment-moderation guide (example `"timestamp": "2017-08-31T18:10:30+0000"`;
  hosts graph.facebook.com with Facebook Login, graph.instagram.com with Instagram Login);
- Graph API error handling and rate limiting pages as for tests/test_facebook.py (code 80002:
  "There have been too many calls to this Instagram account", X-Business-Use-Case-Usage with
  type "instagram").
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

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

FIXTURES = Path(__file__).parent / "fixtures" / "instagram"
TOKEN = "EAAIgTestInstagramPageToken7Yh2Lq"
USER = "17841405822304914"
REEL = "17990011223344551"
HOLIDAY = "17990011223344552"
NOW = "2026-11-23T09:00:00Z"
AFTER_MEDIA = "QVFIUm9KRE5mX2pNcjRiUGZAqeTFJc3V3TEZAPb0dxUlI1ZAnl3"
AFTER_COMMENTS = "QVFIUnBNZAHQ2Y0VqSHVBS2l4S0F0OUJ6ZA3QzMg"
SALE = "18040011122233303"

fixture = json_fixtures(FIXTURES)


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IG_TOKEN", TOKEN)


def config(httpserver: HTTPServer, tmp_path: Path, **extra: str) -> str:
    return source_config(
        tmp_path,
        "ig",
        "instagram",
        f"ig_user_id: '{USER}'",
        "access_token: ${IG_TOKEN}",
        f"base_url: {httpserver.url_for('')}",
        "page_size: 2",
        **extra,
    )


FIRST = {
    (f"/v25.0/{USER}/media", None): "media_page1.json",
    (f"/v25.0/{USER}/media", AFTER_MEDIA): "media_page2.json",
    (f"/v25.0/{REEL}/comments", None): "comments_reel_page1.json",
    (f"/v25.0/{REEL}/comments", AFTER_COMMENTS): "comments_reel_page2.json",
    (f"/v25.0/{SALE}/replies", None): "replies_sale.json",
}


def serve(httpserver: HTTPServer, answers: dict[tuple[str, str | None], str]) -> None:
    handler = bearer_pages(
        TOKEN, lambda: reply(fixture("error_190_invalid.json"), 400), answers, "after", fixture
    )
    httpserver.expect_request(re.compile("/v25.0/.*")).respond_with_handler(handler)


def test_first_run_reads_media_threads_and_the_accounts_answers(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    serve(httpserver, FIRST)
    report, store = run_sources(
        config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0]
    )
    assert not report.failed, report.results  # type: ignore[attr-defined]
    assert [(r.path, r.args.get("after")) for r, _ in httpserver.log] == list(FIRST)
    media, comments = httpserver.log[0][0], httpserver.log[2][0]
    assert "comments_count" in media.args["fields"] and media.args["limit"] == "2"
    assert "replies{" in comments.args["fields"] and "parent_id" in comments.args["fields"]
    assert all(TOKEN not in r.full_path for r, _ in httpserver.log)
    by_id = {i["external_id"]: i for i in store.list_items(ItemFilter())}  # type: ignore[attr-defined]
    assert set(by_id) == {
        "18040011122233301",
        "18040011122233311",
        "18040011122233302",
        SALE,
        "18040011122233321",
    }  # the account's own replies are answers, not items
    olena = by_id["18040011122233301"]
    assert olena["author"] == "olena_sh" and olena["product_id"] == REEL
    assert olena["product_name"].startswith("Термочашка 500 мл")
    assert olena["url"] == "https://www.instagram.com/reel/C9xYtQ2Ncup/"
    assert olena["answer_text"].startswith("@olena_sh @taras.m вибачте!")
    assert olena["answered_at"] == "2026-11-21T20:05:00.000000Z"
    assert by_id["18040011122233311"]["answer_text"] == olena["answer_text"]  # same thread
    assert by_id["18040011122233302"]["answer_text"] is None
    assert by_id[SALE]["answer_text"].startswith("Розпродаж з 27 листопада")  # via /replies
    assert by_id["18040011122233321"]["author"] == "ira.koval"
    assert store.cursor_for("ig") == {"media": {REEL: 7, HOLIDAY: 0}}  # type: ignore[attr-defined]
    raw = store.conn.execute("SELECT group_concat(raw) FROM items").fetchone()[0]  # type: ignore[attr-defined]
    assert TOKEN not in raw and '"replies"' not in raw


def test_second_run_rereads_only_media_with_new_comments(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    serve(httpserver, FIRST)
    run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0])
    httpserver.clear()
    serve(
        httpserver,
        {
            (f"/v25.0/{USER}/media", None): "media_since.json",
            (f"/v25.0/{REEL}/comments", None): "comments_reel_since.json",
        },
    )
    report, store = run_sources(
        config(httpserver, tmp_path), tmp_path / "x.db", "2026-11-23T10:00:00Z", fake_http()[0]
    )
    assert not report.failed, report.results  # type: ignore[attr-defined]
    assert [r.path for r, _ in httpserver.log] == [
        f"/v25.0/{USER}/media",
        f"/v25.0/{REEL}/comments",
    ]
    (result,) = report.results  # type: ignore[attr-defined]
    assert result.new == 1
    by_id = {i["external_id"]: i for i in store.list_items(ItemFilter())}  # type: ignore[attr-defined]
    assert by_id["18040011122233304"]["author"] == "kasia.w"
    assert by_id["18040011122233302"]["answer_text"].startswith("@maria.lopez так")
    assert store.cursor_for("ig")["media"][REEL] == 9  # type: ignore[attr-defined]


def test_instagram_throttling_waits_as_told(httpserver: HTTPServer, tmp_path: Path) -> None:
    usage = {USER: [{"type": "instagram", "call_count": 100, "total_cputime": 9, "total_time": 14,
                     "estimated_time_to_regain_access": 2}]}  # fmt: skip
    answers = iter(
        [
            reply(
                fixture("error_80002.json"), 403, {"X-Business-Use-Case-Usage": json.dumps(usage)}
            ),
            reply({"data": []}),
        ]
    )
    httpserver.expect_request(f"/v25.0/{USER}/media").respond_with_handler(lambda r: next(answers))
    http, clock = fake_http()
    report, _ = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert not report.failed, report.results  # type: ignore[attr-defined]
    assert http.waits == [120.0] and 120.0 in clock.slept


def test_bad_token_is_metas_words_and_other_sources_run(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve(httpserver, FIRST)
    monkeypatch.setenv("IG_TOKEN", "EAAIgWrongToken000")
    text = config(httpserver, tmp_path) + "  - name: demo\n    type: demo\n"
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    (failed,) = report.failed  # type: ignore[attr-defined]
    assert "Instagram: HTTP 400: Invalid OAuth access token - Cannot parse access token" in (
        failed.error
    )
    assert "code 190" in failed.error and "EAAIgWrongToken000" not in failed.error
    assert store.list_items(ItemFilter(sources=["demo"]))  # type: ignore[attr-defined]


def test_malformed_and_5xx(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request(f"/v25.0/{USER}/media").respond_with_data(
        '{"data": "nope"}', content_type="application/json"
    )
    report, _ = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0])
    assert "`data` is not a list" in report.failed[0].error  # type: ignore[attr-defined]
    httpserver.clear()
    httpserver.expect_request(f"/v25.0/{USER}/media").respond_with_data("", status=503)
    http, _ = fake_http(max_attempts=3)
    report, _ = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert "HTTP 503, still failing after 3 attempts" in report.failed[0].error  # type: ignore[attr-defined]


# ----------------------------------------------------------------- answers


def post(httpserver: HTTPServer, target: ReplyTarget, text: str) -> PostedReply:
    return post_reply(config(httpserver, Path("/tmp")), NOW, target, text)


def test_answer_is_a_reply_to_the_top_level_comment(httpserver: HTTPServer) -> None:
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        return reply(fixture("reply_ok.json"))

    httpserver.expect_request(
        re.compile(r"/v25.0/\d+/replies"), method="POST"
    ).respond_with_handler(handler)
    top = post(httpserver, ReplyTarget("18040011122233302", "comment"), "Так, є 350 мл!")
    assert top.external_id == "18040011122233399"
    # a reply in a thread: answered on its top-level comment (Instagram allows no deeper)
    raw = {"id": "18040011122233311", "parent_id": "18040011122233301"}
    post(
        httpserver, ReplyTarget("18040011122233311", "comment", raw=raw), "Тарасе, пишіть у Direct"
    )
    assert [r.path for r in seen] == [
        "/v25.0/18040011122233302/replies",
        "/v25.0/18040011122233301/replies",
    ]
    assert dict(seen[0].form) == {"message": "Так, є 350 мл!"}
    assert seen[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert all(TOKEN not in r.full_path for r in seen)


def test_answer_refused_is_a_rejection(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"/v25.0/{SALE}/replies").respond_with_response(
        reply(fixture("error_100_reply.json"), 400)
    )
    with pytest.raises(ReplyRejected) as info:
        post(httpserver, ReplyTarget(SALE, "comment"), "Дякуємо!")
    assert "(#100) Invalid parameter (code 100" in info.value.message
    assert len(httpserver.log) == 1

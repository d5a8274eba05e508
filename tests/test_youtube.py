"""YouTube connector against a real HTTP server on 127.0.0.1 serving real-format payloads.

Formats confirmed from (fixtures written by hand, contents invented):
- the CommentThreads: list reference, developers.google.com/youtube/v3/docs/commentThreads/list
  (GET /youtube/v3/commentThreads; filters allThreadsRelatedToChannelId / channelId / id /
  videoId, exactly one; maxResults 1-100, default 20; order time|relevance; pageToken;
  textFormat html|plainText; quota: 1 unit, the current page adds 2 per part);
- Google's discovery document as rendered by googleapis/google-api-python-client,
  docs/dyn/youtube_v3.commentThreads.html (commentThreadListResponse: kind, etag,
  nextPageToken, pageInfo{totalResults, resultsPerPage}, items; commentThread: id,
  snippet{channelId, videoId, topLevelComment, canReply, totalReplyCount, isPublic},
  replies{comments} "a limited number of replies"; comment snippet: authorDisplayName,
  authorChannelId{value}, textDisplay ("plain text or HTML"), textOriginal ("only guaranteed if
  the viewer is the comment's author"), parentId (replies only), likeCount, publishedAt,
  updatedAt, viewerRating, canRate, moderationStatus);
- the error envelope {"error": {"code", "message", "errors": [{"message", "domain", "reason"}]}}
  with the quotaExceeded body (domain youtube.quota, an <a> tag in the message) as quoted on a
  public Q&A page (codewithsundeep.com/discussion/solution/66673884) and in public client tests;
  commentsDisabled (domain youtube.commentThread, location videoId) and videoNotFound from the
  method's error table; the newer invalid-key shape (reason badRequest, status
  INVALID_ARGUMENT, details[ErrorInfo reason API_KEY_INVALID]) from public client tests;
  rateLimitExceeded (domain usageLimits, 403) from Google's global error reasons.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from repcli.sources.wire.parse import parse_time
from repcli.store import ItemFilter
from tests.httpkit import fake_http, json_fixtures, run_sources, source_config
from tests.httpkit import json_response as reply

FIXTURES = Path(__file__).parent / "fixtures" / "youtube"
API_KEY = "AIzaSyD-test-key-4f9Qx2Lm8Tn1Vb7Rc3Wz"
CHANNEL = "UCm3Kp8QvLr2Xw9Yb4Tz1nAa"
PATH = "/youtube/v3/commentThreads"
NOW = "2026-05-20T09:00:00Z"
TOKEN1 = "QURTSl9pMnZQc3RrRzhaWGJ0TmRYbFZ3Qm1LcTRnPT0"
TOKEN2 = "QURTSl9pMmNkRWtDcDdaVXhTT3d1VGJyMU5YeGJBPT0"


fixture = json_fixtures(FIXTURES)


def config(httpserver: HTTPServer, tmp_path: Path, **extra: str) -> str:
    channel = [] if "video_ids" in extra else [f"channel_id: {CHANNEL}"]
    return source_config(
        tmp_path,
        "yt",
        "youtube",
        "api_key: ${YOUTUBE_API_KEY}",
        f"base_url: {httpserver.url_for('')}",
        "page_size: 3",
        *channel,
        **extra,
    )


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YOUTUBE_API_KEY", API_KEY)


PAGES = {
    None: "comment_threads_page1.json",
    TOKEN1: "comment_threads_page2.json",
    TOKEN2: "comment_threads_page3.json",
}


def serve(httpserver: HTTPServer, pages: dict[str | None, str]) -> None:
    """Answer like YouTube: by pageToken; 400 API_KEY_INVALID without the right key."""

    def handler(request: Request) -> Response:
        if request.args.get("key") != API_KEY:
            return reply(fixture("error_key_invalid.json"), 400)
        return reply(fixture(pages[request.args.get("pageToken")]))

    httpserver.expect_request(PATH).respond_with_handler(handler)


def ts(value: str) -> float:
    return parse_time(value).timestamp()


def test_first_run_follows_the_token_past_a_short_page(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    serve(httpserver, PAGES)
    http, _ = fake_http()
    report, store = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert not report.failed, report.results  # type: ignore[attr-defined]
    args = [dict(req.args) for req, _ in httpserver.log]
    assert [a.get("pageToken") for a in args] == [None, TOKEN1, TOKEN2]  # page 2 held 2 of 3
    assert all(
        a
        | {
            "part": "snippet,replies",
            "allThreadsRelatedToChannelId": CHANNEL,
            "maxResults": "3",
            "order": "time",
            "textFormat": "plainText",
            "key": API_KEY,
        }
        == a
        for a in args
    )
    items = store.list_items(ItemFilter())  # type: ignore[attr-defined]
    by_id = {i["external_id"]: i for i in items}
    assert set(by_id) == {
        "UgxR4tP8mWq2LzN6vKc4AaABAg",  # with the channel's answer
        "UgxR4tP8mWq2LzN6vKc4AaABAg.AKx7mQ2pV9nAKx9bT4sLw1",  # another viewer's reply
        "UgzF7bN2cQx9TmK1pRs4AaABAg",
        "UgyD3kL9pVw5XnB8qTe4AaABAg",
        "UgwP6sH1fRz8VcM3nLd4AaABAg",
        "UgzW2qN5tXk7LmR9pBv4AaABAg.AKw3eR8tY1uAKw3eR8tY1u",  # reply to the channel's own post
        "UgxY8rT3mNq6KwL1pVz4AaABAg",
    }
    assert all(i["kind"] == "comment" and i["rating"] is None for i in items)
    answered = by_id["UgxR4tP8mWq2LzN6vKc4AaABAg"]
    assert answered["answer_text"].startswith("Олено, вибачте")
    assert answered["answered_at"] == "2026-05-19T16:58:02.000000Z"
    assert answered["status"] == "answered" and not answered["needs_reply"]
    assert answered["author"] == "@olena.kyiv" and answered["product_id"] == "Xq3vR8kLp2M"
    assert answered["url"] == (
        "https://www.youtube.com/watch?v=Xq3vR8kLp2M&lc=UgxR4tP8mWq2LzN6vKc4AaABAg"
    )
    viewer = by_id["UgxR4tP8mWq2LzN6vKc4AaABAg.AKx7mQ2pV9nAKx9bT4sLw1"]
    assert viewer["author"] == "@ivan_petrenko" and viewer["answer_text"] is None
    edited = by_id["UgzF7bN2cQx9TmK1pRs4AaABAg"]
    assert edited["updated_at"] == "2026-05-18T20:31:55.000000Z"
    assert edited["negative"] and edited["needs_reply"]
    assert by_id["UgyD3kL9pVw5XnB8qTe4AaABAg"]["text"].startswith("Great quality")  # textDisplay
    assert by_id["UgyD3kL9pVw5XnB8qTe4AaABAg"]["updated_at"] is None
    cursor = store.cursor_for("yt")  # type: ignore[attr-defined]
    assert cursor == {f"channel:{CHANNEL}": ts("2026-05-19T15:12:47Z")}
    raw = store.conn.execute("SELECT group_concat(raw) FROM items").fetchone()[0]  # type: ignore[attr-defined]
    assert API_KEY not in raw and '"replies"' in raw  # the thread object itself


def test_incremental_run_stops_at_the_cursor(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve(httpserver, PAGES)
    run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0])
    httpserver.clear()
    httpserver.expect_request(PATH).respond_with_json(fixture("comment_threads_since.json"))
    report, store = run_sources(
        config(httpserver, tmp_path, lookback_days="1"), tmp_path / "x.db", NOW, fake_http()[0]
    )
    assert not report.failed  # type: ignore[attr-defined]
    # The page reached a thread older than the cursor minus a day: its token is not followed.
    assert len(httpserver.log) == 1 and "pageToken" not in httpserver.log[0][0].args
    (result,) = report.results  # type: ignore[attr-defined]
    assert result.new == 1
    new = store.list_items(ItemFilter(limit=1))[0]  # type: ignore[attr-defined]
    assert new["external_id"] == "UgyN5wK2rTp8LmQ3xVb4AaABAg" and new["negative"]
    cursor = store.cursor_for("yt")  # type: ignore[attr-defined]
    assert cursor == {f"channel:{CHANNEL}": ts("2026-05-20T07:41:09Z")}


def test_quota_exceeded_stops_without_retrying(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_ordered_request(PATH).respond_with_json(fixture("comment_threads_page1.json"))
    httpserver.expect_ordered_request(PATH).respond_with_json(
        fixture("error_quota_exceeded.json"), status=403
    )
    http, _ = fake_http()
    text = config(httpserver, tmp_path) + "  - name: demo\n    type: demo\n"
    report, store = run_sources(text, tmp_path / "x.db", NOW, http)
    (failed,) = report.failed  # type: ignore[attr-defined]
    assert failed.source == "yt"
    assert "quota" in failed.error and "midnight Pacific" in failed.error
    assert API_KEY not in failed.error and "key=" not in failed.error and "?" not in failed.error
    assert len(httpserver.log) == 2 and http.waits == []  # not retried
    assert len(store.list_items(ItemFilter(sources=["yt"]))) == 4  # type: ignore[attr-defined]
    assert store.cursor_for("yt") == {}  # type: ignore[attr-defined]
    assert store.list_items(ItemFilter(sources=["demo"]))  # type: ignore[attr-defined]


def test_comments_disabled_skips_that_video(
    httpserver: HTTPServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def handler(request: Request) -> Response:
        if request.args["videoId"] == "NoComments1":
            return reply(fixture("error_comments_disabled.json"), 403)
        return reply(fixture("comment_threads_video.json"))

    httpserver.expect_request(PATH).respond_with_handler(handler)
    caplog.set_level(logging.WARNING, logger="repcli.sources.youtube")
    report, store = run_sources(
        config(httpserver, tmp_path, video_ids="[NoComments1, b7TnW4sYc0E]"),
        tmp_path / "x.db",
        NOW,
        fake_http()[0],
    )
    assert not report.failed, report.results  # type: ignore[attr-defined]
    assert [r.args["videoId"] for r, _ in httpserver.log] == ["NoComments1", "b7TnW4sYc0E"]
    assert all("allThreadsRelatedToChannelId" not in r.args for r, _ in httpserver.log)
    assert "video:NoComments1 has comments disabled; skipped" in caplog.text
    items = store.list_items(ItemFilter())  # type: ignore[attr-defined]
    assert {i["product_id"] for i in items} == {"b7TnW4sYc0E"} and len(items) == 2
    assert store.cursor_for("yt") == {"video:b7TnW4sYc0E": ts("2026-05-18T09:15:00Z")}  # type: ignore[attr-defined]


def test_invalid_key_says_what_to_do_without_the_key(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import Cli

    serve(httpserver, PAGES)
    path = tmp_path / "repcli.yaml"
    path.write_text(config(httpserver, tmp_path))
    ok = Cli(path)("sources", "test")
    assert ok.exit_code == 0 and "✓ yt: ok: reachable, 4 items" in ok.stdout
    monkeypatch.setenv("YOUTUBE_API_KEY", "AIzaSyWrong-key-value-000")
    bad = Cli(path)("sources", "test", "yt")
    assert bad.exit_code == 6
    assert "API key was refused (API key not valid. Please pass a valid API key.)" in bad.stdout
    assert "YouTube Data API v3" in bad.stdout  # the hint
    assert "AIzaSyWrong-key-value-000" not in bad.stdout and "key=" not in bad.stdout


def test_legacy_key_invalid_reason_and_other_errors(httpserver: HTTPServer, tmp_path: Path) -> None:
    legacy = {
        "error": {
            "code": 400,
            "message": "Bad Request",
            "errors": [{"message": "Bad Request", "domain": "usageLimits", "reason": "keyInvalid"}],
        }
    }
    httpserver.expect_ordered_request(PATH).respond_with_json(legacy, status=400)
    report, _ = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0])
    assert "API key was refused (Bad Request)" in report.failed[0].error  # type: ignore[attr-defined]
    httpserver.clear()
    httpserver.expect_request(PATH).respond_with_json(
        fixture("error_video_not_found.json"), status=404
    )
    report, _ = run_sources(
        config(httpserver, tmp_path, video_ids="[Gone0000001]"),
        tmp_path / "x.db",
        NOW,
        fake_http()[0],
    )
    error = report.failed[0].error  # type: ignore[attr-defined]
    assert (
        "HTTP 404: videoNotFound: The video identified by the videoId parameter could not be found."
        in error
    )
    assert "<code>" not in error and API_KEY not in error


def test_rate_limit_403_then_success(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_ordered_request(PATH).respond_with_json(
        fixture("error_rate_limit.json"), status=403
    )
    httpserver.expect_ordered_request(PATH).respond_with_json(fixture("comment_threads_page3.json"))
    http, clock = fake_http()
    report, store = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert not report.failed  # type: ignore[attr-defined]
    (wait,) = http.waits  # backoff with jitter: 1-2 s on the first retry
    assert 1.0 <= wait <= 2.0 and wait in clock.slept
    assert len(store.list_items(ItemFilter())) == 1  # type: ignore[attr-defined]


def test_5xx_gives_up_after_the_retry_budget(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request(PATH).respond_with_data("Service Unavailable", status=503)
    http, _ = fake_http(max_attempts=3)
    report, store = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert "HTTP 503, still failing after 3 attempts" in report.failed[0].error  # type: ignore[attr-defined]
    assert len(httpserver.log) == 3 and len(http.waits) == 2
    assert store.cursor_for("yt") == {}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<html><body>Sign in to continue</body></html>", "not valid JSON"),
        ('{"items": [', "not valid JSON"),
        (
            '{"kind": "youtube#commentThreadListResponse", "items": {}}',
            "unexpected commentThreads shape",
        ),
    ],
)
def test_malformed_answers_are_our_own_errors(
    httpserver: HTTPServer, tmp_path: Path, body: str, expected: str
) -> None:
    httpserver.expect_request(PATH).respond_with_data(body, content_type="application/json")
    report, _ = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0])
    assert expected in report.failed[0].error  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            '{"items": [{"id": "Ugx1", "snippet": {"topLevelComment": {"id": "Ugx1", '
            '"snippet": {"textOriginal": "hi", "publishedAt": ""}}}}]}',
            "publishedAt: expected a time",
        ),
        ('{"items": [{"snippet": {"topLevelComment": {"snippet": {}}}}]}', "without the expected"),
        ('{"items": [{"snippet": ["not", "an", "object"]}]}', "thread of an unexpected shape"),
        ('{"items": [{"snippet": {}, "replies": {"comments": "x"}}]}', "thread of an unexpected"),
    ],
)
def test_a_malformed_thread_is_set_aside_alone(
    httpserver: HTTPServer, tmp_path: Path, body: str, expected: str
) -> None:
    """One thread that cannot be read is a reject (issue 16), not a failed source."""
    httpserver.expect_request(PATH).respond_with_data(body, content_type="application/json")
    report, store = run_sources(
        config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0]
    )
    assert not report.failed, report.results  # type: ignore[attr-defined]
    assert report.results[0].rejected == 1  # type: ignore[attr-defined]
    (reason,) = store.conn.execute("SELECT reason FROM rejects").fetchone()  # type: ignore[attr-defined]
    assert expected in reason


def test_keyword_filter_and_settings_checks(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve(httpserver, {None: "comment_threads_page3.json"})
    report, store = run_sources(
        config(httpserver, tmp_path, exclude="[запаковане]"), tmp_path / "x.db", NOW, fake_http()[0]
    )
    assert not report.failed and not store.list_items(ItemFilter())  # type: ignore[attr-defined]
    text = config(httpserver, tmp_path, video_ids="[]").replace(f"    channel_id: {CHANNEL}\n", "")
    report, _ = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    assert "nothing to read" in report.failed[0].error  # type: ignore[attr-defined]


_KEYS = [
    "id",
    "snippet",
    "topLevelComment",
    "replies",
    "comments",
    "videoId",
    "textOriginal",
    "textDisplay",
    "publishedAt",
    "updatedAt",
    "authorChannelId",
    "value",
    "authorDisplayName",
]
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from(["2026-05-19T15:12:47Z", CHANNEL, "", "99999999999999999999"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=5)
    ),
    max_leaves=20,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_JSON)
def test_any_thread_parses_or_raises_our_error(row: Any) -> None:
    from repcli.errors import RepcliError
    from repcli.sources.base import FetchContext
    from repcli.sources.registry import parse_config
    from repcli.sources.youtube import YouTubeSource

    config = parse_config(
        f"sources:\n  - name: yt\n    type: youtube\n    api_key: k-123456\n    channel_id: {CHANNEL}\n"
    )
    source = YouTubeSource(config.sources[0], FetchContext(parse_time(NOW)))
    try:
        items, _ = source._thread(row)
    except RepcliError:
        return
    assert all(item.kind == "comment" and item.external_id for item in items)

"""Reddit connector against a real HTTP server on 127.0.0.1 serving real-format payloads.

Formats confirmed from (fixtures written by hand, contents invented):
- reddit's own source, GitHub reddit-archive/reddit @ 753b17407e9a9dca09558526805922de24133d53
  (2017, the last public version): r2/r2/lib/jsontemplates.py (Listing: after, before,
  children, modhash; ThingTemplate: id, name, created, created_utc as floats;
  CommentJsonTemplate: body, body_html, link_id, parent_id, subreddit, score, replies "";
  author "[deleted]" for deleted accounts; `edited` false or a float timestamp),
  r2/r2/lib/validator/validator.py (VLimit: default 25, max 100; parameters read from the form
  body or the query), r2/r2/controllers/front.py (GET_search: q, sort, t, restrict_sr, type;
  without type=link the first page mixes in t5 subreddits), r2/r2/controllers/oauth2.py
  (POST /api/v1/access_token, HTTP Basic client id/secret, grant_type=client_credentials;
  answer access_token, token_type, expires_in, scope; some errors as `{"error": ...}`),
  r2/r2/controllers/reddit_base.py (X-Ratelimit-Used/-Remaining/-Reset; 429 with Retry-After),
  r2/r2/templates/apihelp.html (after/before/limit/count paging; raw_json=1 stops the
  &amp;/&lt;/&gt; escaping);
- fields added since 2017 (`dist`, `permalink` and `link_title` on comments, `geo_filter`,
  `author_fullname`, floats as strings in the rate-limit headers) and the error bodies
  `{"message": "Too Many Requests", "error": 429}` / `{"reason": "private", "message":
  "Forbidden", "error": 403}` from public client tests and issues (find_string).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from repcli.store import ItemFilter
from tests.httpkit import fake_http, json_fixtures, run_sources

FIXTURES = Path(__file__).parent / "fixtures" / "reddit"
CLIENT_ID = "Xk2pQ9vLm4Tn7wRb3Zc8Yq"
SECRET = "s3cr3t-Hq7Vn2Lp9Xw4Kt1Bz6Mc0Rd"
UA = "linux:ua.cozyhome.monitor:1.4 (by /u/CozyHome_Official)"
QUERY = '"Cozy Home" OR "Затишний дім"'
NOW = "2026-05-20T09:00:00Z"
RATE = {"X-Ratelimit-Used": "3", "X-Ratelimit-Remaining": "597.0", "X-Ratelimit-Reset": "412"}


fixture = json_fixtures(FIXTURES)


TOKEN = fixture("access_token.json")["access_token"]


def config(httpserver: HTTPServer, tmp_path: Path, oauth: bool = True, **extra: str) -> str:
    settings = {
        "base_url": httpserver.url_for(""),
        "subreddits": "[kyiv]",
        "query": f"'{QUERY}'",
        "user_agent": f'"{UA}"',
        "username": "CozyHome_Official",
        "page_size": "3",
    }
    if oauth:
        settings |= {"client_id": CLIENT_ID, "client_secret": "${REDDIT_CLIENT_SECRET}"}
    settings |= extra
    lines = [f"store: {tmp_path / 'x.db'}", "sources:", "  - name: rd", "    type: reddit"]
    lines += [f"    {k}: {v}" for k, v in settings.items() if v is not None]
    return "\n".join(lines) + "\n"


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", SECRET)


def reply(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(body, ensure_ascii=False)
    return Response(text, status, headers=headers, content_type="application/json; charset=UTF-8")


BASIC = "Basic " + base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()


def token_handler(request: Request) -> Response:
    if request.headers.get("Authorization") != BASIC:
        return reply(fixture("error_401.json"), 401, {"WWW-Authenticate": 'Basic realm="reddit"'})
    assert request.form["grant_type"] == "client_credentials"  # in the form body, as OAuth2 says
    assert request.content_type == "application/x-www-form-urlencoded"
    assert request.headers["User-Agent"] == UA
    return reply(fixture("access_token.json"))


def listing_handler(pages: dict[str | None, str]) -> Any:
    def handler(request: Request) -> Response:
        if request.headers.get("Authorization") != f"bearer {TOKEN}":
            return reply(fixture("error_401.json"), 401)
        assert request.headers["User-Agent"] == UA
        return reply(fixture(pages[request.args.get("after")]), headers=RATE)

    return handler


def serve_oauth(httpserver: HTTPServer, comments: dict[str | None, str], search: str) -> None:
    httpserver.expect_request("/api/v1/access_token", method="POST").respond_with_handler(
        token_handler
    )
    httpserver.expect_request("/r/kyiv/comments").respond_with_handler(listing_handler(comments))
    httpserver.expect_request("/r/kyiv/search").respond_with_handler(
        listing_handler({None: search})
    )


FIRST = {None: "comments_page1.json", "t1_mz7zz1c": "comments_page2.json"}


def test_oauth_first_run_pages_filters_and_answers(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_oauth(httpserver, FIRST, "search_page1.json")
    http, _ = fake_http()
    report, store = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert not report.failed, report.results  # type: ignore[attr-defined]
    log = [(req.method, req.path, dict(req.args)) for req, _ in httpserver.log]
    assert log == [
        ("POST", "/api/v1/access_token", {}),
        ("GET", "/r/kyiv/comments", {"limit": "3", "raw_json": "1"}),
        (
            "GET",
            "/r/kyiv/comments",
            {"limit": "3", "raw_json": "1", "after": "t1_mz7zz1c", "count": "3"},
        ),
        (
            "GET",
            "/r/kyiv/search",
            {
                "q": QUERY,
                "restrict_sr": "1",
                "sort": "new",
                "type": "link",
                "limit": "3",
                "raw_json": "1",
            },
        ),
    ]
    items = store.list_items(ItemFilter())  # type: ignore[attr-defined]
    by_id = {i["external_id"]: i for i in items}
    # The brand's own reply, an off-topic comment and a removed one are not items.
    assert set(by_id) == {"t1_mz81fkd", "t1_mz7x0rb", "t3_1kr2m7d", "t3_1kq9abc"}
    assert all(i["kind"] == "comment" and i["rating"] is None for i in items)
    deleted = by_id["t1_mz81fkd"]
    assert deleted["author"] is None and deleted["negative"] and deleted["needs_reply"]
    assert deleted["created_at"] == "2026-05-19T16:58:02.000000Z"
    edited = by_id["t1_mz7x0rb"]
    assert edited["updated_at"] == "2026-05-19T11:41:52.000000Z"  # `edited` 1779190912.0
    assert edited["answer_text"].startswith("Дякуємо, що написали!")
    assert edited["answered_at"] == "2026-05-19T17:20:33.000000Z"
    assert edited["status"] == "answered" and edited["product_name"] == "r/kyiv"
    assert edited["url"] == (
        "https://www.reddit.com/r/kyiv/comments/1kq9abc/cozy_home_vidkryly_shourum_na_podoli/mz7x0rb/"
    )
    post = by_id["t3_1kr2m7d"]
    assert post["title"].startswith("Cozy Home: повернення") and post["text"].startswith("Купила")
    assert by_id["t3_1kq9abc"]["text"] == "" and by_id["t3_1kq9abc"]["updated_at"] is None
    assert store.cursor_for("rd") == {  # type: ignore[attr-defined]
        "r/kyiv/comments": 1779211233.0,
        "r/kyiv/search": 1779203567.0,
    }
    raw = store.conn.execute("SELECT group_concat(raw) FROM items").fetchone()[0]  # type: ignore[attr-defined]
    assert TOKEN not in raw and SECRET not in raw


def test_incremental_run_reads_only_what_is_new(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_oauth(httpserver, FIRST, "search_page1.json")
    run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0])
    httpserver.clear()
    serve_oauth(httpserver, {None: "comments_since.json"}, "listing_empty.json")
    report, store = run_sources(
        config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0]
    )
    assert not report.failed  # type: ignore[attr-defined]
    # `after` is set on that page, but it reached the cursor: no second page.
    assert [r.path for r, _ in httpserver.log] == [
        "/api/v1/access_token",
        "/r/kyiv/comments",
        "/r/kyiv/search",
    ]
    (result,) = report.results  # type: ignore[attr-defined]
    assert (result.fetched, result.new) == (1, 1)
    assert store.list_items(ItemFilter(limit=1))[0]["external_id"] == "t1_mza0b3x"  # type: ignore[attr-defined]
    assert store.cursor_for("rd") == {  # type: ignore[attr-defined]
        "r/kyiv/comments": 1779262869.0,
        "r/kyiv/search": 1779203567.0,
    }


def test_public_search_then_429_and_a_200_that_says_429(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_ordered_request("/search.json").respond_with_json(
        fixture("error_429.json"), status=429, headers={"Retry-After": "7", **RATE}
    )
    httpserver.expect_ordered_request("/search.json").respond_with_json(fixture("error_429.json"))
    httpserver.expect_ordered_request("/search.json").respond_with_json(
        fixture("search_page1.json")
    )
    http, clock = fake_http()
    text = config(httpserver, tmp_path, oauth=False, subreddits=None, user_agent=None)
    report, store = run_sources(text, tmp_path / "x.db", NOW, http)
    assert not report.failed, report.results  # type: ignore[attr-defined]
    assert http.waits[0] == 7.0 and 7.0 in clock.slept and len(http.waits) == 2
    requests = [req for req, _ in httpserver.log]
    assert all(r.path == "/search.json" for r in requests)
    assert dict(requests[-1].args) == {
        "q": QUERY,
        "sort": "new",
        "type": "link",
        "limit": "3",
        "raw_json": "1",
    }
    assert "Authorization" not in requests[-1].headers
    assert requests[-1].headers["User-Agent"].startswith("python:repcli:")
    assert len(store.list_items(ItemFilter())) == 2  # type: ignore[attr-defined]


def sequence(*responses: Response) -> Any:
    """A handler answering with each response in turn, then the last one again."""
    queue = list(responses)

    def handler(request: Request) -> Response:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler


def test_spent_budget_pauses_until_the_reset(httpserver: HTTPServer, tmp_path: Path) -> None:
    spent = {"X-Ratelimit-Used": "600", "X-Ratelimit-Remaining": "0.0", "X-Ratelimit-Reset": "42"}
    httpserver.expect_request("/api/v1/access_token").respond_with_handler(token_handler)
    httpserver.expect_request("/r/kyiv/comments").respond_with_handler(
        sequence(
            reply(fixture("comments_page1.json"), headers=spent),
            reply(fixture("comments_page2.json"), headers=RATE),
        )
    )
    httpserver.expect_request("/r/kyiv/search").respond_with_json(fixture("listing_empty.json"))
    http, clock = fake_http()
    report, _ = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert not report.failed, report.results  # type: ignore[attr-defined]
    assert clock.slept == [42.0] and http.waits == []


@pytest.mark.parametrize("reset", ["86400", "inf", "1e400"])
def test_a_budget_reset_too_far_away_ends_the_source_instead_of_sleeping(
    httpserver: HTTPServer, tmp_path: Path, reset: str
) -> None:
    spent = {"X-Ratelimit-Used": "600", "X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": reset}
    httpserver.expect_request("/api/v1/access_token").respond_with_handler(token_handler)
    httpserver.expect_request("/r/kyiv/comments").respond_with_response(
        reply(fixture("comments_page1.json"), headers=spent)
    )
    httpserver.expect_request("/r/kyiv/search").respond_with_json(fixture("listing_empty.json"))
    http, clock = fake_http()
    report, _ = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    (failed,) = report.failed  # type: ignore[attr-defined]
    assert "rate limited for" in failed.error and "try later" in failed.error
    assert clock.slept == []


def test_expired_token_is_renewed_once(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/api/v1/access_token").respond_with_handler(token_handler)
    httpserver.expect_request("/r/kyiv/comments").respond_with_handler(
        sequence(reply(fixture("error_401.json"), 401), reply(fixture("comments_page2.json")))
    )
    httpserver.expect_request("/r/kyiv/search").respond_with_json(fixture("listing_empty.json"))
    report, _ = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0])
    assert not report.failed, report.results  # type: ignore[attr-defined]
    paths = [r.path for r, _ in httpserver.log]
    assert paths == [
        "/api/v1/access_token",
        "/r/kyiv/comments",
        "/api/v1/access_token",
        "/r/kyiv/comments",
        "/r/kyiv/search",
    ]


def test_refused_credentials_fail_alone_without_the_secret(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpserver.expect_request("/api/v1/access_token").respond_with_handler(token_handler)
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", "wrong-secret-value-123")
    text = config(httpserver, tmp_path) + "  - name: demo\n    type: demo\n"
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    (failed,) = report.failed  # type: ignore[attr-defined]
    assert failed.source == "rd"
    assert "OAuth token request was refused (HTTP 401: Unauthorized)" in failed.error
    assert "wrong-secret-value-123" not in failed.error
    assert store.list_items(ItemFilter(sources=["demo"]))  # type: ignore[attr-defined]


def test_token_error_in_a_200_is_refused(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/api/v1/access_token").respond_with_json(
        {"error": "unsupported_grant_type"}
    )
    report, _ = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0])
    assert "(HTTP 200: unsupported_grant_type)" in report.failed[0].error  # type: ignore[attr-defined]


def test_private_subreddit_and_blocked_requests(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/r/kyiv/comments.json").respond_with_json(
        fixture("error_403_private.json"), status=403
    )
    text = config(httpserver, tmp_path, oauth=False)
    report, _ = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    assert "Reddit: HTTP 403: Forbidden: private" in report.failed[0].error  # type: ignore[attr-defined]
    httpserver.clear()
    httpserver.expect_request("/r/kyiv/comments.json").respond_with_data(
        "<!doctype html><html><body>You've been blocked by network security.</body></html>",
        status=403,
        content_type="text/html",
    )
    report, _ = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    assert "Reddit: HTTP 403: the request was blocked" in report.failed[0].error  # type: ignore[attr-defined]


def test_5xx_gives_up_after_the_retry_budget(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/r/kyiv/comments.json").respond_with_data("Bad Gateway", status=502)
    http, _ = fake_http(max_attempts=3)
    report, store = run_sources(
        config(httpserver, tmp_path, oauth=False), tmp_path / "x.db", NOW, http
    )
    assert "HTTP 502, still failing after 3 attempts" in report.failed[0].error  # type: ignore[attr-defined]
    assert len(httpserver.log) == 3 and store.cursor_for("rd") == {}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"kind": "Listing", "data": {"children": [', "not valid JSON"),
        ("<html><body>reddit is down</body></html>", "not valid JSON"),
        ('[{"kind": "Listing", "data": {}}]', "without a listing"),
        ('{"kind": "Listing", "data": {"children": {"t1": 1}}}', "unexpected listing shape"),
        # A comment without a date or data is a reject (issue 16): test_genuine_responses.py
    ],
)
def test_malformed_answers_are_our_own_errors(
    httpserver: HTTPServer, tmp_path: Path, body: str, expected: str
) -> None:
    httpserver.expect_request("/r/kyiv/comments.json").respond_with_data(
        body, content_type="application/json"
    )
    report, _ = run_sources(
        config(httpserver, tmp_path, oauth=False), tmp_path / "x.db", NOW, fake_http()[0]
    )
    assert expected in report.failed[0].error  # type: ignore[attr-defined]


def test_settings_are_checked(httpserver: HTTPServer, tmp_path: Path) -> None:
    cases = {
        "nothing to read": config(httpserver, tmp_path, subreddits="[]", query=None),
        "is not a subreddit name": config(httpserver, tmp_path, subreddits="[r/kyiv]"),
        "needs both client_id and client_secret": config(
            httpserver, tmp_path, oauth=False, client_id=CLIENT_ID
        ),
    }
    for expected, text in cases.items():
        report, _ = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
        assert expected in report.failed[0].error, expected  # type: ignore[attr-defined]
    assert not httpserver.log


def test_query_terms() -> None:
    from repcli.sources.reddit import query_terms

    assert query_terms(QUERY) == ("Cozy Home", "Затишний дім")
    assert query_terms("cozyhome | (уютный дом)") == ("cozyhome", "уютный дом")


_KEYS = [
    "kind",
    "data",
    "id",
    "name",
    "body",
    "selftext",
    "title",
    "author",
    "created_utc",
    "edited",
    "permalink",
    "subreddit",
    "parent_id",
]
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from(
        ["t1", "t3", "t5", "[deleted]", "/r/kyiv/comments/x/y/z/", 1779211233.0, 1e300]
    ),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=6)
    ),
    max_leaves=20,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_JSON)
def test_any_child_parses_or_raises_our_error(child: Any) -> None:
    from repcli.clock import from_iso
    from repcli.errors import RepcliError
    from repcli.sources.base import FetchContext
    from repcli.sources.reddit import RedditSource, _Stream
    from repcli.sources.registry import parse_config

    config = parse_config("sources:\n  - name: rd\n    type: reddit\n    query: Cozy Home\n")
    now = from_iso(NOW)
    assert now is not None
    source = RedditSource(config.sources[0], FetchContext(now))
    stream = _Stream("r/kyiv/comments", "/r/kyiv/comments", {}, comments=True)
    try:
        item = source._item(child, stream)
    except RepcliError:
        return
    if item is not None:
        assert item.external_id and isinstance(source._wanted(item, stream), bool)

"""Servers that never stop paging, repeat themselves, or link off-site: every paginating
connector stops with a SourceError naming the source and the page, after a bounded number of
requests, and keeps what came before."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from repcli.store import ItemFilter
from tests.httpkit import fake_http, run_sources

FIXTURES = Path(__file__).parent.parent / "fixtures"
BREAKER = 40
"""After this many requests to the paged list the server answers 404, so that a connector
without a guard ends (failing the test) instead of hanging it."""


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


Mutate = Callable[[dict[str, Any], int], None]


@dataclasses.dataclass
class Case:
    id: str
    now: str
    env: dict[str, str]
    settings: list[str]
    main: str
    body: str
    mutate: Mutate | None = None
    """Make the n-th answer point at a fresh cursor (so only the ids tell it repeats)."""
    others: dict[str, str] = dataclasses.field(default_factory=dict)
    stores: bool = True
    """The fixture page holds items the connector keeps (reddit's and telegram's are filtered
    out here: not the query's mentions, comments on posts the bot never saw)."""

    def config(self, server: HTTPServer, tmp_path: Path, *extra: str) -> str:
        lines = [f"store: {tmp_path / 'x.db'}", "sources:", f"  - name: {self.id}"]
        settings = [s.replace("{url}", server.url_for("")) for s in self.settings]
        lines += [f"    {s}" for s in [*settings, *extra]]
        return "\n".join(lines) + "\n"


def _set(path: tuple[str, ...], prefix: str = "tok") -> Mutate:
    def mutate(body: dict[str, Any], n: int) -> None:
        target = body
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = f"{prefix}{n}"

    return mutate


def _ebay(body: dict[str, Any], n: int) -> None:
    body["pagination"]["total"] = 10**6


TG = "7012345678:AAEtestTokenValue_x9Yk2LmQpR7sTuVwXyZ0ab"
YM_FEEDBACK = "/v2/businesses/4815162/goods-feedback"
CASES = [
    Case(
        "wildberries",
        "2026-05-20T09:00:00Z",
        {"WB_TOKEN": "wb-token"},
        [
            "type: wildberries",
            "token: ${WB_TOKEN}",
            "base_url: {url}",
            "page_size: 3",
            "questions: false",
        ],
        "/api/v1/feedbacks",
        "wildberries/feedbacks_unanswered_page1.json",
    ),
    Case(
        "ozon",
        "2026-05-23T09:00:00Z",
        {"OZON_CLIENT_ID": "2739164", "OZON_API_KEY": "ozon-key"},
        [
            "type: ozon",
            "client_id: ${OZON_CLIENT_ID}",
            "api_key: ${OZON_API_KEY}",
            "base_url: {url}",
            "page_size: 20",
            "questions: false",
        ],
        "/v2/review/list",
        "ozon/review_list_page1.json",
        _set(("last_id",)),
        {"/v1/review/comment/list": "ozon/review_comment_list.json"},
    ),
    Case(
        "yandex_market",
        "2026-05-23T09:00:00Z",
        {"YM_API_KEY": "ym-key"},
        [
            "type: yandex_market",
            "business_id: 4815162",
            "api_key: ${YM_API_KEY}",
            "base_url: {url}",
            "page_size: 3",
            "full_backfill_days: 30",
        ],
        YM_FEEDBACK,
        "yandex_market/goods_feedback_page1.json",
        _set(("result", "paging", "nextPageToken")),
        {f"{YM_FEEDBACK}/comments": "yandex_market/goods_feedback_comments.json"},
    ),
    Case(
        "youtube",
        "2026-05-20T09:00:00Z",
        {"YOUTUBE_API_KEY": "yt-key"},
        [
            "type: youtube",
            "api_key: ${YOUTUBE_API_KEY}",
            "base_url: {url}",
            "page_size: 3",
            "channel_id: UCm3Kp8QvLr2Xw9Yb4Tz1nAa",
        ],
        "/youtube/v3/commentThreads",
        "youtube/comment_threads_page1.json",
        _set(("nextPageToken",)),
    ),
    Case(
        "reddit",
        "2026-05-20T09:00:00Z",
        {"REDDIT_CLIENT_SECRET": "rd-secret"},
        [
            "type: reddit",
            "base_url: {url}",
            "subreddits: [kyiv]",
            "query: 'Уютный дом'",
            'user_agent: "linux:test:1.0 (by /u/x)"',
            "username: CozyHome_Official",
            "page_size: 3",
            "client_id: Xk2pQ9vLm4Tn7wRb3Zc8Yq",
            "client_secret: ${REDDIT_CLIENT_SECRET}",
        ],
        "/r/kyiv/comments",
        "reddit/comments_page1.json",
        _set(("data", "after"), "t1_"),
        {
            "/api/v1/access_token": "reddit/access_token.json",
            "/r/kyiv/search": "reddit/listing_empty.json",
        },
        stores=False,
    ),
    Case(
        "trustpilot",
        "2026-05-21T09:00:00Z",
        {"TRUSTPILOT_API_KEY": "tp-key"},
        [
            "type: trustpilot",
            "base_url: {url}",
            "web_base_url: {url}",
            "api_key: ${TRUSTPILOT_API_KEY}",
            "page_size: 3",
            "business_unit_id: 5f2a8c1e9b0d4a0001c3e7f2",
        ],
        "/v1/business-units/5f2a8c1e9b0d4a0001c3e7f2/reviews",
        "trustpilot/reviews_page1.json",
    ),
    Case(
        "ebay",
        "2026-06-10T09:00:00Z",
        {"EBAY_ACCESS_TOKEN": "ebay-token"},
        [
            "type: ebay",
            "user_id: cozyhome_store",
            "access_token: ${EBAY_ACCESS_TOKEN}",
            "base_url: {url}",
            "page_size: 25",
        ],
        "/commerce/feedback/v1/feedback",
        "ebay/feedback_page1.json",
        _ebay,
    ),
    Case(
        "telegram",
        "2026-05-20T09:00:00Z",
        {"TG_BOT_TOKEN": TG},
        [
            "type: telegram",
            "bot_token: ${TG_BOT_TOKEN}",
            "chat_id: -1001987654321",
            "staff_user_ids: [5123000111]",
            "base_url: {url}",
            "page_size: 3",
        ],
        f"/bot{TG}/getUpdates",
        "telegram/updates_page1.json",
        stores=False,
    ),
    Case(
        "vk",
        "2026-05-20T09:00:00Z",
        {"VK_TOKEN": "vk1.a.token"},
        [
            "type: vk",
            "group_id: 187654321",
            "access_token: ${VK_TOKEN}",
            "base_url: {url}method",
            "posts_depth: 1",
            "page_size: 3",
            "mentions: [Уютный дом]",
        ],
        "/method/newsfeed.search",
        "vk/newsfeed_search_page1.json",
        _set(("response", "next_from")),
        {
            "/method/wall.get": "vk/wall_get.json",
            "/method/wall.getComments": "vk/comments_post_117.json",
        },
    ),
]


def serve(server: HTTPServer, case: Case, mutate: Mutate | None = None) -> list[str]:
    """Answer the paged list with the same page every time (through `mutate`); returns the
    log of paged-list requests."""
    calls: list[str] = []

    def main(request: Request) -> Response:
        calls.append(request.full_path)
        if len(calls) > BREAKER:
            return Response("{}", status=404, content_type="application/json")
        body = load(case.body)
        if mutate is not None:
            mutate(body, len(calls))
        return Response(json.dumps(body, ensure_ascii=False), content_type="application/json")

    server.expect_request(case.main).respond_with_handler(main)
    for path, name in case.others.items():
        server.expect_request(path).respond_with_json(load(name))
    return calls


def run(server: HTTPServer, tmp_path: Path, case: Case, *extra: str) -> tuple[Any, Any]:
    http, _ = fake_http()
    return run_sources(case.config(server, tmp_path, *extra), tmp_path / "x.db", case.now, http)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Callable[[Case], None]:
    def setenv(case: Case) -> None:
        for key, value in case.env.items():
            monkeypatch.setenv(key, value)

    return setenv


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_same_page_again_stops(
    httpserver: HTTPServer, tmp_path: Path, case: Case, env: Callable[[Case], None]
) -> None:
    """The same items on every page, under a fresh cursor each time where the platform has
    one: paging stops after the second page, and the first page's items are stored."""
    env(case)
    calls = serve(httpserver, case, case.mutate)
    report, store = run(httpserver, tmp_path, case)
    [result] = report.results  # type: ignore[attr-defined]
    assert result.error is not None and len(calls) <= 3, (len(calls), result.error)
    assert result.error.startswith(f"{case.id}: ")
    assert "stopped after 2 pages; stored what came before" in result.error
    assert "already read" in result.error or "same cursor" in result.error
    assert bool(store.list_items(ItemFilter())) == case.stores  # type: ignore[attr-defined]


def test_max_pages_caps_a_list_of_always_new_items(
    httpserver: HTTPServer, tmp_path: Path, env: Callable[[Case], None]
) -> None:
    """Fresh ids on every page, forever: `max_pages` ends it, with the pages read stored."""
    case = CASES[0]
    env(case)

    def fresh(body: dict[str, Any], n: int) -> None:
        for row in body["data"]["feedbacks"]:
            row["id"] = f"{row['id']}-{n}"

    calls = serve(httpserver, case, fresh)
    report, store = run(httpserver, tmp_path, case, "max_pages: 5")
    [result] = report.results  # type: ignore[attr-defined]
    assert len(calls) == 5
    assert result.error == (
        "wildberries: feedbacks (isAnswered=false): max_pages (5) reached and the platform has "
        "more; stopped after 5 pages; stored what came before"
    )
    assert len(store.list_items(ItemFilter())) == 15  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- html

SHOP = """
    item: article.review
    author: .author
    text: .body
    id: {attr: data-id}
    next: a.next
"""


def html_page(ids: range, next_href: str | None) -> str:
    rows = "".join(
        f'<article class="review" data-id="r{i}"><b class="author">A{i}</b>'
        f'<p class="body">Review {i}: the kettle leaks.</p></article>'
        for i in ids
    )
    link = f'<a class="next" href="{next_href}">next</a>' if next_href else ""
    return f"<html><body>{rows}{link}</body></html>"


def html_config(server: HTTPServer, tmp_path: Path, *extra: str) -> str:
    lines = [f"store: {tmp_path / 'x.db'}", "sources:", "  - name: shop", "    type: html"]
    lines += [f"    urls: [{server.url_for('/reviews')}]", *SHOP.strip("\n").splitlines()]
    lines += [f"    {line}" for line in extra]
    return "\n".join(lines) + "\n"


def run_html(server: HTTPServer, tmp_path: Path, *extra: str) -> tuple[Any, Any]:
    text = html_config(server, tmp_path, *extra)
    return run_sources(text, tmp_path / "x.db", "2026-05-20T09:00:00Z", fake_http()[0])


@pytest.fixture
def other_server() -> Any:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def test_html_next_link_to_another_port_is_not_followed(
    httpserver: HTTPServer, tmp_path: Path, other_server: HTTPServer
) -> None:
    internal = other_server.url_for("/internal/admin")
    other_server.expect_request("/internal/admin").respond_with_data(
        html_page(range(100, 103), None), content_type="text/html"
    )
    httpserver.expect_request("/reviews").respond_with_data(
        html_page(range(3), internal), content_type="text/html"
    )
    report, store = run_html(httpserver, tmp_path)
    [result] = report.results  # type: ignore[attr-defined]
    assert not other_server.log
    assert result.error is not None
    assert f"the next-page link '{internal}' leaves the site; not followed" in result.error
    ids = {i["external_id"] for i in store.list_items(ItemFilter())}  # type: ignore[attr-defined]
    assert ids == {"r0", "r1", "r2"}


def test_html_allow_hosts_lets_a_listed_host_page(
    httpserver: HTTPServer, tmp_path: Path, other_server: HTTPServer
) -> None:
    other_server.expect_request("/page2").respond_with_data(
        html_page(range(3, 5), None), content_type="text/html"
    )
    httpserver.expect_request("/reviews").respond_with_data(
        html_page(range(3), other_server.url_for("/page2")), content_type="text/html"
    )
    report, store = run_html(
        httpserver, tmp_path, f"allow_hosts: ['127.0.0.1:{other_server.port}']"
    )
    assert not report.failed, report.results  # type: ignore[attr-defined]
    assert len(store.list_items(ItemFilter())) == 5  # type: ignore[attr-defined]


def test_html_pages_linking_in_a_circle_are_an_error(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    """page 1 -> 2 -> 1: the repeated link is named, both pages are stored."""
    httpserver.expect_request("/reviews").respond_with_data(
        html_page(range(3), "/p2"), content_type="text/html"
    )
    httpserver.expect_request("/p2").respond_with_data(
        html_page(range(3, 6), "/reviews"), content_type="text/html"
    )
    report, store = run_html(httpserver, tmp_path, "max_pages: 50")
    [result] = report.results  # type: ignore[attr-defined]
    assert len(httpserver.log) == 2
    assert result.error is not None and "the platform sent the same cursor twice" in result.error
    assert "stopped after 2 pages" in result.error
    assert len(store.list_items(ItemFilter())) == 6  # type: ignore[attr-defined]


def test_html_a_huge_page_is_cut_at_the_item_cap(
    httpserver: HTTPServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    httpserver.expect_request("/reviews").respond_with_data(
        html_page(range(1500), None), content_type="text/html"
    )
    report, store = run_html(httpserver, tmp_path)
    assert not report.failed, report.results  # type: ignore[attr-defined]
    assert len(store.list_items(ItemFilter())) == 1000  # type: ignore[attr-defined]
    assert "more than 1000 items on one page; kept the first 1000" in caplog.text

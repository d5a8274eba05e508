"""CSS-selector HTML connector against a real HTTP server on 127.0.0.1 serving pages we wrote.

There is no platform format here: the pages imitate a shop's review listing (articles with
author, <time datetime>, a data-score on a 10-point scale, a shop reply, `rel="next"` paging by
relative links) and a review widget (star glyphs, a percent-width bar, "14.05.2026 18:05").
Confirmed from: the CSS Selectors Level 4 grammar as soupsieve implements it
(facelessuser.github.io/soupsieve: `select`/`select_one`, `SelectorSyntaxError`); WHATWG HTML
(`<time datetime>`, `<a rel=next href>` resolved against the document URL, RFC 3986 5.2);
RFC 9110 13.1.2 / 15.4.5 (If-None-Match, 304 Not Modified).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from repcli.clock import from_iso
from repcli.errors import RepcliError
from repcli.sources.html import HtmlSettings, PageReader, Selector
from repcli.store import ItemFilter
from tests.httpkit import fake_http, run_sources

FIXTURES = Path(__file__).parent / "fixtures" / "html"
NOW = "2026-05-20T09:00:00Z"
LISTING = "/shop/reviews"
SHOP = """
    item: article.review
    author: .review__author
    rating: {css: .stars, attr: data-score}
    rating_scale: 10
    date: .review__date
    title: .review__title
    text: .review__body
    id: {attr: data-review-id}
    answer: .reply__text
    answer_date: .reply__date
    product: h1.shop-title
    next: a.pager__next
"""


def page(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def config(
    httpserver: HTTPServer,
    tmp_path: Path,
    body: str = SHOP,
    path: str = LISTING,
    name: str = "shop",
) -> str:
    return (
        f"store: {tmp_path / 'x.db'}\nsources:\n  - name: {name}\n    type: html\n"
        f"    urls: [{httpserver.url_for(path)}]\n" + body.strip("\n") + "\n"
    )


def serve_listing(httpserver: HTTPServer, pages: dict[str, str], etag: str | None = None) -> None:
    def handler(request: Request) -> Response:
        number = request.args.get("page", "1")
        if number == "1" and etag and request.headers.get("If-None-Match") == etag:
            return Response(status=304)
        name = pages.get(number)
        if name is None:
            return Response("Not Found", status=404)
        headers = {"ETag": etag} if etag and number == "1" else {}
        return Response(page(name), content_type="text/html; charset=utf-8", headers=headers)

    httpserver.expect_request(LISTING).respond_with_handler(handler)


PAGES = {"1": "shop_page1.html", "2": "shop_page2.html", "3": "shop_page3.html"}


def by_id(store: Any) -> dict[str, dict[str, Any]]:
    return {i["external_id"]: i for i in store.list_items(ItemFilter())}


def test_pages_followed_and_fields_read(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_listing(httpserver, PAGES)
    report, store = run_sources(
        config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0]
    )
    assert not report.failed, report.results  # type: ignore[attr-defined]
    assert [req.query_string.decode() for req, _ in httpserver.log] == ["", "page=2", "page=3"]
    items = by_id(store)
    assert len(items) == 7
    assert {i: items[i]["rating"] for i in items} == {
        "rv-9106": 1, "rv-9105": 5, "rv-9104": 3, "rv-9103": 4, "rv-9102": 2,
        "rv-9101": 5, "rv-9100": 2,
    }  # fmt: skip
    sveta = items["rv-9106"]
    assert (sveta["author"], sveta["title"]) == ("Светлана", "Полинял после стирки")
    assert (
        sveta["text"]
        == "После первой стирки при 30° полотенца полиняли.\nИнструкцию соблюдала.\nОчень обидно."
    )
    assert sveta["created_at"] == "2026-05-18T09:30:00.000000Z"  # <time datetime>, +03:00
    assert sveta["answer_text"].startswith("Светлана, добрый день!")
    assert sveta["answered_at"] == "2026-05-19T00:00:00.000000Z"
    assert sveta["product_name"] == "Домашний текстиль — отзывы покупателей"
    assert sveta["url"] == httpserver.url_for(LISTING)
    assert (
        items["rv-9104"]["text"]
        == "Soft, but the fitted sheet is a bit short for a 25 cm mattress."
    )
    assert items["rv-9105"]["title"] is None and items["rv-9105"]["kind"] == "review"
    assert items["rv-9100"]["url"] == httpserver.url_for(LISTING) + "?page=3"
    assert "evil.example" not in str(items)  # the script inside a review is not text
    assert store.cursor_for("shop")["pages"][httpserver.url_for(LISTING)]["recent"] == [  # type: ignore[attr-defined]
        "rv-9106", "rv-9105", "rv-9104", "rv-9103", "rv-9102", "rv-9101", "rv-9100",
    ]  # fmt: skip


def test_incremental_stops_at_a_page_seen_before(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_listing(httpserver, PAGES)
    run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0])
    httpserver.clear()
    serve_listing(httpserver, {**PAGES, "1": "shop_page1_new.html"})
    report, store = run_sources(
        config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0]
    )
    (result,) = report.results  # type: ignore[attr-defined]
    assert (result.fetched, result.new) == (3, 1)
    assert len(httpserver.log) == 1  # page 1 holds reviews seen before: no need for page 2
    assert by_id(store)["rv-9107"]["negative"]
    report, _ = run_sources(
        config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0], full=True
    )
    assert report.results[0].fetched == 7 and len(httpserver.log) == 4  # type: ignore[attr-defined]


def test_first_page_304_means_nothing_new(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_listing(httpserver, PAGES, etag='W/"listing-7"')
    run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0])
    report, _ = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0])
    assert report.results[0].fetched == 0 and not report.failed  # type: ignore[attr-defined]
    last = httpserver.log[-1][0]
    assert last.headers["If-None-Match"] == 'W/"listing-7"' and len(httpserver.log) == 4


def test_max_pages_and_a_next_link_to_itself(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_listing(httpserver, PAGES)
    report, _ = run_sources(
        config(httpserver, tmp_path, SHOP + "    max_pages: 2\n"),
        tmp_path / "x.db",
        NOW,
        fake_http()[0],
    )
    assert report.results[0].fetched == 6 and len(httpserver.log) == 2  # type: ignore[attr-defined]
    httpserver.clear()
    serve_listing(httpserver, PAGES)
    looping = SHOP.replace("next: a.pager__next", "next: {css: 'nav.pager span', attr: data-none}")
    report, _ = run_sources(
        config(httpserver, tmp_path, looping), tmp_path / "y.db", NOW, fake_http()[0]
    )
    assert len(httpserver.log) == 1 and not report.failed  # type: ignore[attr-defined]


WIDGET = """
    item: li.fb
    author: .fb-name
    rating: .fb-stars
    date: .fb-when
    text: .fb-text
"""


def test_widget_star_glyphs_percent_bars_and_content_ids(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/widget").respond_with_data(
        page("widget.html"), content_type="text/html"
    )
    bars = WIDGET.replace(
        "rating: .fb-stars", "rating: {css: .fb-bar, attr: style}\n    rating_scale: 100"
    )
    text = (
        config(httpserver, tmp_path, WIDGET, "/widget", "stars")
        + config(
            httpserver,
            tmp_path,
            bars + "    date_format: '%d.%m.%Y %H:%M'\n    platform: rozetka\n",
            "/widget",
            "bars",
        ).split("sources:\n", 1)[1]
    )
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    assert not report.failed, report.failed  # type: ignore[attr-defined]
    rows = store.list_items(ItemFilter())  # type: ignore[attr-defined]
    stars = {r["author"]: r for r in rows if r["source"] == "stars"}
    bar = {r["author"]: r for r in rows if r["source"] == "bars"}
    assert {a: r["rating"] for a, r in stars.items()} == {"Наталія": 2, "Tom": 5, "Гость": None}
    assert {a: r["rating"] for a, r in bar.items()} == {"Наталія": 2, "Tom": 5, "Гость": None}
    assert stars["Наталія"]["created_at"] == "2026-05-14T18:05:00.000000Z"
    assert bar["Tom"]["platform"] == "rozetka" and stars["Tom"]["platform"] == "web"
    assert all(r["external_id"].startswith("h:") for r in rows)
    again, _ = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    assert sum(r.new for r in again.results) == 0  # type: ignore[attr-defined]  # hash ids are stable


def test_configuration_and_page_errors_are_clear(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_listing(httpserver, PAGES)
    httpserver.expect_request("/widget").respond_with_data(
        page("widget.html"), content_type="text/html"
    )
    cases = {
        "wrong": (SHOP.replace("article.review", "div.review-card"), LISTING),
        "badcss": (SHOP.replace("author: .review__author", "author: 'span[[x'"), LISTING),
        "badrating": (WIDGET.replace("rating: .fb-stars", "rating: .fb-text"), "/widget"),
        "baddate": (WIDGET + "    date_format: '%Y-%m-%d'\n", "/widget"),
    }
    text = f"store: {tmp_path / 'x.db'}\nsources:\n"
    for name, (body, path) in cases.items():
        text += config(httpserver, tmp_path, body, path, name).split("sources:\n", 1)[1]
    text += "  - name: demo\n    type: demo\n"
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    errors = {r.source: r.error for r in report.failed}  # type: ignore[attr-defined]
    assert set(errors) == set(cases)
    assert "item selector 'div.review-card' matched nothing" in errors["wrong"]
    assert "author: 'span[[x' is not a CSS selector" in errors["badcss"]
    assert "/widget: review 1: rating: \"Кур'єр приїхав" in errors["badrating"]
    assert "holds no rating" in errors["badrating"]
    assert (
        "review 1: date: '14.05.2026 18:05' does not match date_format '%Y-%m-%d'"
        in errors["baddate"]
    )
    assert store.list_items(ItemFilter(sources=["demo"]))  # type: ignore[attr-defined]


def test_rate_limit_then_success_and_5xx_budget(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_ordered_request("/widget").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "2"}
    )
    httpserver.expect_ordered_request("/widget").respond_with_data(
        page("widget.html"), content_type="text/html"
    )
    http, clock = fake_http()
    report, _ = run_sources(
        config(httpserver, tmp_path, WIDGET, "/widget"), tmp_path / "x.db", NOW, http
    )
    assert not report.failed and http.waits == [2.0] and 2.0 in clock.slept  # type: ignore[attr-defined]
    httpserver.clear()
    httpserver.expect_request("/widget").respond_with_data("Bad Gateway", status=502)
    http, _ = fake_http(max_attempts=3)
    report, _ = run_sources(
        config(httpserver, tmp_path, WIDGET, "/widget"), tmp_path / "x.db", NOW, http
    )
    assert "HTTP 502, still failing after 3 attempts" in report.failed[0].error  # type: ignore[attr-defined]


def test_hostile_html_invalid_utf8_scripts_and_junk(httpserver: HTTPServer, tmp_path: Path) -> None:
    body = (
        b"<html><head><meta charset='utf-8'></head><body><ul>"
        b"<li class=fb><b class=fb-name>\xff\xfeMallory</b><span class=fb-when>2026-05-15</span>"
        b"<div class=fb-stars>\xe2\x98\x85</div><div class=fb-text>Hi<script>steal()</script>"
        b"<style>.x{}</style><template>tpl</template><iframe src=//evil></iframe> there"
        b"<img src=x onerror=alert(1)></div></li>"
        b"<li class=fb><b class=fb-name></b><div class=fb-text>unclosed <b>tags <i>here</ul>"
    )
    httpserver.expect_request("/widget").respond_with_data(body, content_type="text/html")
    report, store = run_sources(
        config(httpserver, tmp_path, WIDGET, "/widget"), tmp_path / "x.db", NOW, fake_http()[0]
    )
    assert not report.failed, report.failed  # type: ignore[attr-defined]
    rows = store.list_items(ItemFilter())  # type: ignore[attr-defined]
    first = next(r for r in rows if r["author"] and "Mallory" in r["author"])
    assert first["author"] == "\ufffd\ufffdMallory" and first["text"] == "Hi there"
    assert first["rating"] == 1
    second = next(r for r in rows if r is not first and r["text"].startswith("unclosed"))
    assert second["author"] is None and second["created_at"] == "2026-05-20T09:00:00.000000Z"


def test_sources_test_reads_one_page(httpserver: HTTPServer, tmp_path: Path) -> None:
    from tests.conftest import Cli

    serve_listing(httpserver, PAGES)
    path = tmp_path / "repcli.yaml"
    path.write_text(config(httpserver, tmp_path))
    out = Cli(path)("sources", "test")
    assert out.exit_code == 0 and "✓ shop: ok: reachable, 3 items on the first page" in out.stdout
    assert len(httpserver.log) == 1


# --------------------------------------------------------------------------- properties
def sane(items: list[Any]) -> None:
    """What a parser returns is always storable: ids, aware times, ratings 1-5 or none."""
    for item in items:
        assert item.external_id and isinstance(item.text, str)
        assert item.created_at.tzinfo is not None
        assert item.rating is None or 1 <= item.rating <= 5
        json.dumps(item.raw, default=str)


WHEN = from_iso(NOW)


def reader(**overrides: Any) -> PageReader:
    assert WHEN is not None
    base: dict[str, Any] = {
        "urls": ("https://x.example/r",), "item": "li, article", "author": ".a",
        "rating": Selector(css=".r", attr="data-r"), "date": "time", "text": ".t",
        "title": "h3", "id": Selector(attr="id"), "next": "a[rel=next]",
        "answer": ".reply", "answer_date": ".reply time", "allow_empty": True,
    }  # fmt: skip
    return PageReader(HtmlSettings(**{**base, **overrides}), "s", WHEN)


_TAGS = st.sampled_from(["li", "article", "time", "h3", "a", "div", "script", "b", "p", "br"])
_ATTRS = st.sampled_from(['class="a"', 'class="r" data-r="7"', 'class="r" data-r="x%"', 'class="t"',
                          'datetime="2026-13-45"', 'rel="next" href="javascript:1"', 'id="r1"',
                          'class="reply"', 'data-r="1/0"', 'href="//[bad"', ""])  # fmt: skip
_HTML = st.recursive(
    st.text(max_size=20),
    lambda inner: st.builds(
        lambda tag, attrs, kids: f"<{tag} {attrs}>{''.join(kids)}</{tag}>",
        _TAGS, _ATTRS, st.lists(inner, max_size=3),
    ),
    max_leaves=20,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(_HTML, st.booleans())
def test_page_reader_raises_only_our_errors(markup: str, first: bool) -> None:
    with contextlib.suppress(RepcliError):
        sane(
            reader().read(markup, "https://x.example/r?page=1", "https://x.example/r", first).items
        )


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=200))
@example(css="@media", markup="")  # soupsieve raises NotImplementedError on at-rules
def test_any_selector_or_page_raises_only_our_errors(css: str, markup: str) -> None:
    with contextlib.suppress(RepcliError):
        page = reader(item=css or "x", rating=css, date_format=css or None).read(
            markup, "https://x.example/r", "https://x.example/r", True
        )
        sane(page.items)

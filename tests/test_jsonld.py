"""JSON-LD / microdata connector against a real HTTP server on 127.0.0.1 serving pages we wrote.

Formats confirmed from: schema.org/Review and schema.org/Rating (`reviewBody`, `reviewRating`,
`ratingValue` "Number or Text", `bestRating`/`worstRating`, "use '.' rather than ','"); Google
Search Central, "Review snippet (Review, AggregateRating) structured data"
(developers.google.com/search/docs/appearance/structured-data/review-snippet: reviews nested in
a Product/Organization/LocalBusiness via `review`, "If bestRating is omitted, 5 is assumed",
"If worstRating is omitted, 1 is assumed", `ratingValue` may be "60%" or "6 / 10", author a
Person or Organization, `datePublished` ISO 8601); the Yoast schema "Review" piece
(developer.yoast.com/features/schema/pieces/review: `@graph` nodes whose `author` is a
reference by `@id`); the WHATWG HTML Living Standard, 5 Microdata
(html.spec.whatwg.org/multipage/microdata.html: `itemscope`/`itemprop`, values from `content`,
`href`/`src`, `<time datetime>`, `<data value>`); RFC 9110 13.1.2 / 15.4.5 (If-None-Match, 304).
Unconfirmed: shops' replies have no schema.org home; we read a `comment` on the Review whose
author is an Organization (CreativeWork.comment), which some sites emit.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from repcli.clock import from_iso
from repcli.errors import RepcliError
from repcli.sources.jsonld import parse_page
from repcli.store import ItemFilter
from tests.httpkit import fake_http, run_sources

FIXTURES = Path(__file__).parent / "fixtures" / "jsonld"
NOW = "2026-05-20T09:00:00Z"
PRODUCT = "/p/kt-1700"
SHOP = "/reviews"


def page(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def config(httpserver: HTTPServer, tmp_path: Path, *paths: str, extra: str = "") -> str:
    urls = "".join(f"      - {httpserver.url_for(p)}\n" for p in paths)
    return (
        f"store: {tmp_path / 'x.db'}\nsources:\n  - name: pages\n    type: jsonld\n"
        f"    urls:\n{urls}{extra}"
    )


def serve_html(httpserver: HTTPServer, path: str, name: str, etag: str | None = None) -> None:
    """Answer like a web server: the page with an ETag, 304 when If-None-Match matches."""

    def handler(request: Request) -> Response:
        if etag and request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        headers = {"ETag": etag} if etag else {}
        return Response(page(name), content_type="text/html; charset=utf-8", headers=headers)

    httpserver.expect_request(path).respond_with_handler(handler)


def items_by_author(store: Any) -> dict[str, dict[str, Any]]:
    return {i["author"]: i for i in store.list_items(ItemFilter())}


def test_graph_lists_nested_reviews_and_replies(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_html(httpserver, PRODUCT, "product_graph.html")
    serve_html(httpserver, SHOP, "shop_reviews.html")
    http, _ = fake_http()
    report, store = run_sources(
        config(httpserver, tmp_path, PRODUCT, SHOP), tmp_path / "x.db", NOW, http
    )
    assert not report.failed, report.results  # type: ignore[attr-defined]
    (first, second) = [req for req, _ in httpserver.log]
    assert (first.path, second.path) == (PRODUCT, SHOP)
    assert first.headers["Accept"].startswith("text/html")
    assert first.headers["User-Agent"].startswith("repcli/")
    assert "If-None-Match" not in first.headers
    items = items_by_author(store)
    assert len(items) == 3 + 4
    marina = items["Марина К."]  # author is a reference by @id to a Person node
    assert marina["external_id"] == "https://shop.example/#/schema/Review/r-1042"
    assert (marina["rating"], marina["title"]) == (1, "Течёт через неделю")
    assert (marina["product_id"], marina["product_name"]) == (
        "KT-1700-WHT",
        "Чайник электрический KT-1700, 1.7 л",
    )
    assert marina["created_at"] == "2026-05-14T00:00:00.000000Z"
    assert marina["platform"] == "web" and marina["negative"]
    olek = items["Олександр"]
    assert olek["rating"] == 4  # 7 of 1..10
    assert olek["text"] == 'Кипить швидко, але кришка "гуляє".\nЗа ці гроші нормально.'
    assert olek["created_at"] == "2026-05-16T15:20:00.000000Z"
    guest = items["Guest"]  # a top-level list; `description` instead of reviewBody; no rating
    assert guest["rating"] is None and guest["text"].startswith("Works fine")
    assert guest["product_id"] == "KT-1700-WHT"  # itemReviewed by @id
    assert guest["external_id"].startswith("h:")
    iryna = items["Ірина"]  # nested under a LocalBusiness with a reply from the shop
    assert iryna["rating"] == 2 and iryna["product_name"] == "Затишна кухня"
    assert iryna["answer_text"].startswith("Ірино, перепрошуємо")
    assert iryna["answered_at"] == "2026-05-12T12:02:00.000000Z"
    assert iryna["status"] == "answered" and not iryna["needs_reply"]
    assert items["Dmitry"]["rating"] is None
    anna = items["Anna"]  # a UserReview, author a one-element list, 0..100 scale
    assert (anna["rating"], anna["pros"]) == (5, "Fast pickup\nFriendly staff")
    assert anna["text"] == "Friendly staff & fast pickup."
    assert items["Петро"]["rating"] is None  # 12 of 5 makes no sense: kept without a rating
    raw = json.loads(
        store.conn.execute("SELECT raw FROM items WHERE author = 'Ірина'").fetchone()[0]
    )  # type: ignore[attr-defined]
    assert raw["comment"]["@type"] == "Comment"


def test_ids_are_stable_across_runs(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_html(httpserver, SHOP, "shop_reviews.html")
    run_sources(config(httpserver, tmp_path, SHOP), tmp_path / "x.db", NOW, fake_http()[0])
    report, store = run_sources(
        config(httpserver, tmp_path, SHOP), tmp_path / "x.db", NOW, fake_http()[0]
    )
    (result,) = report.results  # type: ignore[attr-defined]
    assert (result.fetched, result.new, result.changed) == (4, 0, 0)
    assert len(store.list_items(ItemFilter())) == 4  # type: ignore[attr-defined]


def test_incremental_sends_etag_304_then_only_new(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_html(httpserver, PRODUCT, "product_graph.html", etag='"v1"')
    text = config(httpserver, tmp_path, PRODUCT)
    run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    (result,) = report.results  # type: ignore[attr-defined]
    assert result.fetched == 0 and not result.error
    assert httpserver.log[-1][0].headers["If-None-Match"] == '"v1"'
    assert httpserver.log[-1][1].status_code == 304
    assert store.cursor_for("pages")["pages"][httpserver.url_for(PRODUCT)] == {"etag": '"v1"'}  # type: ignore[attr-defined]

    httpserver.clear()
    serve_html(httpserver, PRODUCT, "product_graph_updated.html", etag='"v2"')
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    (result,) = report.results  # type: ignore[attr-defined]
    assert (result.new, result.changed) == (1, 0)
    rows = {i["external_id"]: i for i in store.list_items(ItemFilter())}  # type: ignore[attr-defined]
    assert rows["https://shop.example/#/schema/Review/r-1051"]["rating"] == 5  # "4,5" of 5

    report, _ = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0], full=True)
    assert "If-None-Match" not in httpserver.log[-1][0].headers  # --full ignores validators
    assert report.results[0].fetched == 4  # type: ignore[attr-defined]


def test_microdata_when_there_is_no_json_ld(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_html(httpserver, "/backpack", "microdata.html")
    report, store = run_sources(
        config(httpserver, tmp_path, "/backpack", extra="    platform: shopify\n"),
        tmp_path / "x.db",
        NOW,
        fake_http()[0],
    )
    assert not report.failed  # type: ignore[attr-defined]
    items = items_by_author(store)
    bob = items["Bob R."]
    assert (bob["rating"], bob["title"], bob["product_id"]) == (
        1,
        "Strap tore on day two",
        "TB-28-GRN",
    )
    assert bob["text"] == "The left strap tore at the seam after two days."  # script dropped
    assert bob["created_at"] == "2026-05-10T00:00:00.000000Z" and bob["platform"] == "shopify"
    oksana = items["Оксана"]
    assert oksana["rating"] == 5 and oksana["text"] == 'Зручний, влазить ноутбук 15".'
    assert oksana["product_name"] == "Trail backpack 28L"


def test_broken_pages_fail_clearly_others_still_stored(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    serve_html(httpserver, "/broken", "broken.html")
    serve_html(httpserver, "/shell", "no_markup.html")
    serve_html(httpserver, SHOP, "shop_reviews.html")
    httpserver.expect_request("/gone").respond_with_data("Not Found", status=404)
    text = config(httpserver, tmp_path, "/broken", "/shell", "/gone", SHOP)
    text += "  - name: demo\n    type: demo\n"
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    (failed,) = report.failed  # type: ignore[attr-defined]
    assert failed.source == "pages"
    assert "/broken: JSON-LD block 1 is not valid JSON" in failed.error
    assert "/shell: no schema.org JSON-LD or microdata" in failed.error
    assert "/gone: HTTP 404: Not Found" in failed.error  # the page, not only the host
    assert len(store.list_items(ItemFilter(sources=["pages"]))) == 4  # type: ignore[attr-defined]
    assert store.list_items(ItemFilter(sources=["demo"]))  # type: ignore[attr-defined]
    # The good page's validators are kept; the failed pages will be read again next time.
    assert set(store.cursor_for("pages")["pages"]) == {httpserver.url_for(SHOP)}  # type: ignore[attr-defined]


def test_rate_limit_then_success(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_ordered_request(SHOP).respond_with_data(
        "Too Many Requests", status=429, headers={"Retry-After": "4"}
    )
    httpserver.expect_ordered_request(SHOP).respond_with_data(
        page("shop_reviews.html"), content_type="text/html"
    )
    http, clock = fake_http()
    report, store = run_sources(config(httpserver, tmp_path, SHOP), tmp_path / "x.db", NOW, http)
    assert not report.failed  # type: ignore[attr-defined]
    assert http.waits == [4.0] and 4.0 in clock.slept
    assert len(store.list_items(ItemFilter())) == 4  # type: ignore[attr-defined]


def test_5xx_gives_up_after_the_retry_budget(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request(SHOP).respond_with_data("Service Unavailable", status=503)
    http, _ = fake_http(max_attempts=3)
    report, store = run_sources(config(httpserver, tmp_path, SHOP), tmp_path / "x.db", NOW, http)
    assert "/reviews: HTTP 503, still failing after 3 attempts" in report.failed[0].error  # type: ignore[attr-defined]
    assert len(httpserver.log) == 3
    assert store.cursor_for("pages") == {"pages": {}}  # type: ignore[attr-defined]


def test_hostile_page_invalid_utf8_and_script_injection(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    review = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": "Lamp",
        "review": {
            "@type": "Review",
            "author": {"@type": "Person", "name": "<img src=x onerror=alert(1)>Eve"},
            "datePublished": "not a date",
            "reviewBody": "Bad lamp <script>alert('x')</script>\u2028broke",
            "reviewRating": {"ratingValue": "five", "bestRating": "5"},
        },
    }
    body = (
        b"<html><head><script type=application/ld+json>"
        + json.dumps(review).replace("</", "<\\/").encode()
        + b"</script></head><body>\xff\xfe broken \xc3 bytes</body></html>"
    )
    httpserver.expect_request("/lamp").respond_with_data(body, content_type="text/html")
    report, store = run_sources(
        config(httpserver, tmp_path, "/lamp"), tmp_path / "x.db", NOW, fake_http()[0]
    )
    assert not report.failed  # type: ignore[attr-defined]
    (item,) = store.list_items(ItemFilter())  # type: ignore[attr-defined]
    assert item["author"] == "Eve" and "alert" not in item["text"]
    assert item["rating"] is None
    assert item["created_at"] == "2026-05-20T09:00:00.000000Z"  # undated: first seen


def test_sources_test_reports_count(httpserver: HTTPServer, tmp_path: Path) -> None:
    from tests.conftest import Cli

    serve_html(httpserver, SHOP, "shop_reviews.html")
    path = tmp_path / "repcli.yaml"
    path.write_text(config(httpserver, tmp_path, SHOP))
    out = Cli(path)("sources", "test")
    assert out.exit_code == 0 and "✓ pages: ok: reachable, 4 reviews" in out.stdout


# --------------------------------------------------------------------------- properties
def sane(items: list[Any]) -> None:
    """What a parser returns is always storable: ids, aware times, ratings 1-5 or none."""
    for item in items:
        assert item.external_id and isinstance(item.text, str)
        assert item.created_at.tzinfo is not None
        assert item.rating is None or 1 <= item.rating <= 5
        json.dumps(item.raw, default=str)


WHEN = from_iso(NOW)
_KEYS = st.sampled_from(
    ["@type", "@id", "@graph", "@value", "review", "reviews", "author", "name", "reviewBody",
     "description", "reviewRating", "ratingValue", "bestRating", "worstRating", "datePublished",
     "itemReviewed", "comment", "text", "sku", "positiveNotes", "itemListElement", "url"]
)  # fmt: skip
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30),
    st.sampled_from(["Review", "Product", "Organization", "Person", "Comment", "5", "4,5",
                     "60%", "6 / 10", "2026-05-14", "1e308", "-1", "_:b0", "#r1"]),
)  # fmt: skip
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=6),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_JSON)
def test_json_ld_parser_raises_only_our_errors(data: Any) -> None:
    markup = f"<script type='application/ld+json'>{json.dumps(data)}</script>"
    assert WHEN is not None
    with contextlib.suppress(RepcliError):
        sane(parse_page(markup, "https://shop.example/p", "s", "web", WHEN))


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=400),
    st.sampled_from(
        [
            "",
            "<script type=application/ld+json>",
            "<div itemscope itemtype=https://schema.org/Review>",
        ]
    ),
)
def test_any_page_raises_only_our_errors(text: str, prefix: str) -> None:
    assert WHEN is not None
    with contextlib.suppress(RepcliError):
        sane(parse_page(prefix + text, "https://shop.example/p", "s", "web", WHEN))


@pytest.mark.parametrize("depth", [500, 5000])
def test_absurd_nesting_is_refused_not_a_crash(depth: int) -> None:
    assert WHEN is not None
    markup = "<script type=application/ld+json>" + "[" * depth + "]" * depth + "</script>"
    with contextlib.suppress(RepcliError):
        assert parse_page(markup, "https://x.example/", "s", "web", WHEN) == []

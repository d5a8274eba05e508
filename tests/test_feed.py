"""RSS/Atom connector against a real HTTP server on 127.0.0.1 serving feeds we wrote.

Formats confirmed from: the RSS 2.0 specification (RSS Advisory Board, rssboard.org/rss-specification,
and its Best Practices Profile rssboard.org/rss-profile: `<item>` with `title`, `link`,
`description` (entity-encoded or CDATA HTML), `author` as "email (Name)", `guid` with
`isPermaLink` default true, `pubDate` in RFC 822 with 2- or 4-digit years; `dc:creator` and
`content:encoded` from the Dublin Core and RSS 1.0 content modules); RFC 4287, The Atom
Syndication Format (`atom:entry` with `id`, `updated` (required), `published`, `author/name`
inherited from the feed, `content`/`summary` of type text/html/xhtml, `link rel="alternate"`
default, RFC 3339 dates; W3C feed validator docs validator.w3.org/feed/docs/atom.html);
defusedxml's README (`forbid_dtd`, `DTDForbidden`, `EntitiesForbidden`); RFC 9110 13.1.2,
13.1.3 and 15.4.5 (If-None-Match, If-Modified-Since, 304 Not Modified).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from repcli.clock import from_iso
from repcli.errors import RepcliError
from repcli.sources.feed import parse_feed
from repcli.store import ItemFilter
from tests.httpkit import fake_http, run_sources

FIXTURES = Path(__file__).parent / "fixtures" / "feed"
NOW = "2026-05-20T09:00:00Z"
LAST_MODIFIED = "Tue, 19 May 2026 18:10:00 GMT"


def feed(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def source(httpserver: HTTPServer, name: str, *paths: str, extra: str = "") -> str:
    urls = ", ".join(httpserver.url_for(p) for p in paths)
    return f"  - name: {name}\n    type: feed\n    urls: [{urls}]\n{extra}"


def config(tmp_path: Path, *sources: str) -> str:
    return f"store: {tmp_path / 'x.db'}\nsources:\n" + "".join(sources)


# One word: the keyword stemmer keeps "текстиль" whole, so that phrase misses "текстиле".
MENTIONS = "    include: [Домашний]\n"


def serve_feed(
    httpserver: HTTPServer,
    path: str,
    name: str,
    etag: str | None = None,
    ctype: str = "application/rss+xml",
) -> None:
    """A feed server with validators: 304 when If-None-Match or If-Modified-Since matches."""

    def handler(request: Request) -> Response:
        if etag and request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        if not etag and request.headers.get("If-Modified-Since") == LAST_MODIFIED:
            return Response(status=304)
        headers = {"ETag": etag} if etag else {"Last-Modified": LAST_MODIFIED}
        return Response(feed(name), content_type=ctype, headers=headers)

    httpserver.expect_request(path).respond_with_handler(handler)


def test_rss_and_atom_entries_become_comments(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_feed(httpserver, "/rss/mentions", "mentions.rss", etag='"m1"')
    serve_feed(httpserver, "/comments.atom", "comments.atom", ctype="application/atom+xml")
    text = config(
        tmp_path,
        source(httpserver, "mentions", "/rss/mentions", extra=MENTIONS),
        source(httpserver, "blog", "/comments.atom"),
    )
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    assert not report.failed, report.failed  # type: ignore[attr-defined]
    accept = httpserver.log[0][0].headers["Accept"]
    assert "application/rss+xml" in accept and "application/atom+xml" in accept
    rows = {i["external_id"]: i for i in store.list_items(ItemFilter())}  # type: ignore[attr-defined]
    assert len(rows) == 2 + 2  # the pram sale does not mention the brand: filtered out
    olga = rows["forum.example-post-902211"]
    assert (olga["kind"], olga["rating"], olga["author"]) == ("comment", None, "olga_m")
    assert (
        olga["text"]
        == "Брала в Домашнем текстиле — полинял после первой стирки, фото выше.\nБольше не закажу."
    )
    assert olga["url"] == "https://forum.example/t/48213#p902211"
    assert olga["created_at"] == "2026-05-19T17:55:12.000000Z" and olga["platform"] == "feed"
    assert olga["negative"] and olga["needs_reply"]
    anna = rows["https://forum.example/t/48190#p902105"]  # content:encoded wins; script dropped
    assert anna["author"] == "Анна" and anna["title"] == "Домашний текстиль & доставка"
    assert anna["text"] == "Доставили за два дня, всё целое.\nСпасибо «Домашнему текстилю»!"
    assert anna["created_at"] == "2026-05-18T09:14:00.000000Z"
    maks = rows["tag:blog.example,2026:comment-5521"]
    assert maks["url"] == httpserver.url_for("/2026/05/pledy/") + "#comment-5521"
    assert maks["created_at"] == "2026-05-18T07:00:00.000000Z"
    assert maks["updated_at"] == "2026-05-19T14:02:00.000000Z"
    assert maks["text"].endswith("Upd: магазин замінив, дякую.")
    guest = rows["tag:blog.example,2026:comment-5519"]
    assert guest["author"] == "Блог Затишок"  # inherited from the feed (RFC 4287 4.2.1)
    assert guest["title"] == "Коментар від Guest"
    assert guest["text"] == "Which one is the warmest?\nNeed it for a cold flat."
    assert guest["created_at"] == "2026-05-17T08:45:00.000000Z"  # no published: updated


def test_conditional_get_304_then_only_new(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_feed(httpserver, "/rss/mentions", "mentions.rss", etag='"m1"')
    serve_feed(httpserver, "/comments.atom", "comments.atom")
    text = config(
        tmp_path,
        source(httpserver, "mentions", "/rss/mentions", extra=MENTIONS),
        source(httpserver, "blog", "/comments.atom"),
    )
    run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    assert [r.fetched for r in report.results] == [0, 0]  # type: ignore[attr-defined]
    second = {req.path: req.headers for req, _ in httpserver.log[2:]}
    assert second["/rss/mentions"]["If-None-Match"] == '"m1"'
    assert second["/comments.atom"]["If-Modified-Since"] == LAST_MODIFIED
    assert all(resp.status_code == 304 for _, resp in httpserver.log[2:])
    assert store.cursor_for("blog") == {  # type: ignore[attr-defined]
        "feeds": {httpserver.url_for("/comments.atom"): {"last_modified": LAST_MODIFIED}}
    }

    httpserver.clear()
    serve_feed(httpserver, "/rss/mentions", "mentions_updated.rss", etag='"m2"')
    serve_feed(httpserver, "/comments.atom", "comments.atom")
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    mentions = next(r for r in report.results if r.source == "mentions")  # type: ignore[attr-defined]
    assert (mentions.new, mentions.changed) == (1, 0)
    assert store.cursor_for("mentions")["feeds"][httpserver.url_for("/rss/mentions")] == {
        "etag": '"m2"'
    }  # type: ignore[attr-defined]
    report, _ = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0], full=True)
    assert "If-None-Match" not in httpserver.log[-1][0].headers


def test_hostile_xml_is_refused_and_others_go_on(httpserver: HTTPServer, tmp_path: Path) -> None:
    for path, name in (("/bomb", "billion_laughs.xml"), ("/xxe", "external_entity.xml"),
                       ("/page", "not_a_feed.html"), ("/bad", "invalid_utf8.rss")):  # fmt: skip
        httpserver.expect_request(path).respond_with_data(
            feed(name), content_type="application/xml"
        )
    httpserver.expect_request("/truncated").respond_with_data(feed("mentions.rss")[:700])
    httpserver.expect_request("/empty").respond_with_data(b"")
    text = config(
        tmp_path,
        source(httpserver, "hostile", "/bomb", "/xxe", "/page", "/truncated", "/empty", "/bad"),
        "  - name: demo\n    type: demo\n",
    )
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    (failed,) = report.failed  # type: ignore[attr-defined]
    error = failed.error
    assert "/bomb: refused: the feed declares a DTD" in error
    assert "/xxe: refused: the feed declares a DTD" in error
    assert "/page: not an RSS or Atom feed (the document is <html>)" in error
    assert "/truncated: not well-formed XML" in error
    assert "/empty: the feed is empty" in error
    assert "lollol" not in error and "root:" not in error
    # Invalid UTF-8 is read with replacement characters; an odd pubDate dates it when first seen.
    (bad,) = store.list_items(ItemFilter(sources=["hostile"]))  # type: ignore[attr-defined]
    assert bad["title"] == "Caf\ufffd \ufffd\ufffd review" and bad["external_id"] == "bad-bytes-1"
    assert bad["created_at"] == "2026-05-20T09:00:00.000000Z"
    assert store.list_items(ItemFilter(sources=["demo"]))  # type: ignore[attr-defined]


def test_rate_limit_then_success_and_5xx_budget(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_ordered_request("/f").respond_with_data(
        "", status=429, headers={"Retry-After": "9"}
    )
    httpserver.expect_ordered_request("/f").respond_with_data(feed("comments.atom"))
    http, clock = fake_http()
    report, _ = run_sources(
        config(tmp_path, source(httpserver, "blog", "/f")), tmp_path / "x.db", NOW, http
    )
    assert not report.failed and report.results[0].fetched == 2  # type: ignore[attr-defined]
    assert http.waits == [9.0] and 9.0 in clock.slept
    httpserver.clear()
    httpserver.expect_request("/f").respond_with_data("down", status=500)
    http, _ = fake_http(max_attempts=3)
    report, _ = run_sources(
        config(tmp_path, source(httpserver, "blog", "/f")), tmp_path / "x.db", NOW, http
    )
    assert "HTTP 500, still failing after 3 attempts" in report.failed[0].error  # type: ignore[attr-defined]


def test_encodings_declared_in_the_document(httpserver: HTTPServer, tmp_path: Path) -> None:
    body = (
        '<?xml version="1.0" encoding="windows-1251"?>\n<rss version="2.0"><channel><title>t</title>'
        "<item><guid>cp-1</guid><title>Отзыв</title><description>Всё плохо</description>"
        "<pubDate>Wed, 20 May 2026 08:00:00 +0300</pubDate></item></channel></rss>"
    ).encode("cp1251")
    httpserver.expect_request("/cp").respond_with_data(
        body, content_type="text/xml; charset=ISO-8859-1"
    )
    report, store = run_sources(
        config(tmp_path, source(httpserver, "cp", "/cp")), tmp_path / "x.db", NOW, fake_http()[0]
    )
    assert not report.failed  # type: ignore[attr-defined]
    (item,) = store.list_items(ItemFilter())  # type: ignore[attr-defined]
    assert (item["title"], item["text"]) == ("Отзыв", "Всё плохо")


# --------------------------------------------------------------------------- properties
def sane(items: list[Any]) -> None:
    """What a parser returns is always storable: ids, aware times, ratings 1-5 or none."""
    for item in items:
        assert item.external_id and isinstance(item.text, str)
        assert item.created_at.tzinfo is not None
        assert item.rating is None or 1 <= item.rating <= 5
        json.dumps(item.raw, default=str)


WHEN = from_iso(NOW)
_TAG = st.sampled_from(["rss", "channel", "item", "title", "link", "guid", "description", "pubDate",
                        "author", "feed", "entry", "id", "updated", "published", "content", "summary",
                        "name", "dc:creator", "content:encoded", "rdf:RDF"])  # fmt: skip
_ATTR = st.sampled_from(["", ' isPermaLink="false"', ' type="xhtml"', ' type="html"', ' rel="alternate" href="/x"',
                         ' xmlns="http://www.w3.org/2005/Atom"', ' xmlns:dc="http://purl.org/dc/elements/1.1/"',
                         ' xmlns:content="http://purl.org/rss/1.0/modules/content/"', ' src="x"',
                         ' xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'])  # fmt: skip
_TEXT = st.one_of(
    st.text(alphabet=st.characters(blacklist_characters="<&", blacklist_categories=["Cs"]), max_size=20),
    st.sampled_from(["&lt;p&gt;hi&lt;/p&gt;", "Mon, 99 Foo 2026 25:61:00 +9999", "2026-05-14T10:00:00Z",
                     "9999-12-31T23:59:59-05:00", "&amp;", "<![CDATA[<script>x</script>]]>"]),
)  # fmt: skip
_XML = st.recursive(
    _TEXT,
    lambda inner: st.builds(
        lambda t, a, kids: f"<{t}{a}>{''.join(kids)}</{t}>",
        _TAG,
        _ATTR,
        st.lists(inner, max_size=3),
    ),
    max_leaves=25,
)


def _parse(data: bytes) -> Any:
    assert WHEN is not None
    return parse_feed(data, "https://x.example/feed", "s", "feed", "comment", WHEN)


@settings(max_examples=300, deadline=None)
@given(_XML)
def test_feed_parser_raises_only_our_errors_on_feed_like_xml(xml: str) -> None:
    with contextlib.suppress(RepcliError):
        sane(_parse(xml.encode()))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_feed_parser_raises_only_our_errors_on_any_bytes(data: bytes) -> None:
    with contextlib.suppress(RepcliError):
        sane(_parse(data))

"""Connectors keep every customer's words, and one bad row costs only itself (issues 16, 22).

Each connector gets, from a real HTTP server on 127.0.0.1 (pytest-httpserver), a page in its
platform's documented format (the hand-written fixtures of tests/fixtures/<platform>/, see each
connector's test module for the sources) with one row broken the way real payloads break (a
date that is empty or no date, a missing id): the good rows are stored, the broken one is
reported as 1 rejected and kept in the `rejects` table, and the source does not fail.
Then what genuine responses carry: a VK comment that is only a photo, YouTube's `textDisplay`
HTML, an Ozon seller answer with an unreadable date, and the one whitespace rule (parse.text).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from repcli.sources.wire import parse
from repcli.store import ItemFilter
from tests import test_app_store as app_store
from tests import test_ebay as ebay
from tests import test_google_play as google_play
from tests import test_reddit as reddit
from tests import test_trustpilot as trustpilot
from tests import test_vk as vk
from tests import test_yandex_market as yandex
from tests import test_youtube as youtube
from tests.httpkit import fake_http, run_sources

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EBAY_ACCESS_TOKEN", ebay.TOKEN)
    monkeypatch.setenv("TRUSTPILOT_API_KEY", trustpilot.API_KEY)
    monkeypatch.setenv("YM_API_KEY", yandex.API_KEY)
    monkeypatch.setenv("YOUTUBE_API_KEY", youtube.API_KEY)
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", reddit.SECRET)
    monkeypatch.setenv("VK_TOKEN", vk.TOKEN)


def _json(body: Any) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), content_type="application/json")


def once(httpserver: HTTPServer, path: str | re.Pattern[str], first: Any, then: Any) -> None:
    """`first` for the first request to `path`, `then` for every later one."""
    asked: list[int] = []

    def handler(request: Request) -> Response:
        asked.append(1)
        body = first if len(asked) == 1 else then
        if isinstance(body, str):
            return Response(body, content_type="application/json; charset=utf-8")
        return _json(body)

    httpserver.expect_request(path).respond_with_handler(handler)


@dataclass
class Case:
    """A page with one broken row: how to serve it, the config, the good ids, the reason."""

    serve: Callable[[HTTPServer], tuple[set[str], str]]
    """Serves the page; returns the external ids that must be stored and the one refused."""
    config: Callable[[HTTPServer, Path], str]
    reason: str
    now: str


def _ebay(httpserver: HTTPServer) -> tuple[set[str], str]:
    body = ebay.fixture("feedback_since.json")
    body.pop("pagination", None)
    entries = body["feedbackEntries"]
    entries[1]["feedbackEnteredDate"] = ""
    once(httpserver, ebay.PATH, body, {"feedbackEntries": []})
    good = {e["feedbackId"] for i, e in enumerate(entries) if i != 1}
    return good, entries[1]["feedbackId"]


def _trustpilot(httpserver: HTTPServer) -> tuple[set[str], str]:
    body = trustpilot.fixture("reviews_page1.json")
    rows = body["reviews"]
    rows[1]["createdAt"] = None
    once(httpserver, trustpilot.REVIEWS, body, {"reviews": [], "links": []})
    return {r["id"] for i, r in enumerate(rows) if i != 1}, rows[1]["id"]


def _yandex(httpserver: HTTPServer) -> tuple[set[str], str]:
    body = yandex.fixture("goods_feedback_page1.json")
    rows = body["result"]["feedbacks"]
    for row in rows:
        row["statistics"]["commentsCount"] = 0  # no comments call
    rows[1]["createdAt"] = ""
    body["result"]["paging"] = {}
    empty = {"status": "OK", "result": {"feedbacks": [], "paging": {}}}
    once(httpserver, f"/v2/businesses/{yandex.BUSINESS}/goods-feedback", body, empty)
    return {str(r["feedbackId"]) for i, r in enumerate(rows) if i != 1}, str(rows[1]["feedbackId"])


def _youtube(httpserver: HTTPServer) -> tuple[set[str], str]:
    body = youtube.fixture("comment_threads_page3.json")
    body.pop("nextPageToken", None)
    threads = body["items"]
    threads[0]["snippet"]["topLevelComment"]["snippet"]["publishedAt"] = ""
    once(httpserver, youtube.PATH, body, {"items": []})
    return {t["id"] for t in threads[1:]}, threads[0]["id"]


def _reddit(httpserver: HTTPServer) -> tuple[set[str], str]:
    body = reddit.fixture("comments_page1.json")
    body["data"]["after"] = None
    children = body["data"]["children"]
    children[2]["data"]["created_utc"] = "yesterday"
    empty = {"kind": "Listing", "data": {"after": None, "children": []}}
    once(httpserver, "/r/kyiv/comments.json", body, empty)
    once(httpserver, "/r/kyiv/new.json", empty, empty)
    return set(), ""


def _google_play(httpserver: HTTPServer) -> tuple[set[str], str]:
    def row(review_id: Any, seconds: int, text: str) -> list[Any]:
        author = ["Ірина К.", [None, 2, None, [None, None, "https://play-lh.example/a.png"]]]
        return [review_id, author, 2, None, text, [seconds, 0], 0, None, None, None, None]

    rows = [
        row("gp:AOqpTOGood1", 1779200000, "Додаток вилітає при оплаті"),
        row(None, 1779200100, "без id"),
        row("gp:AOqpTOGood2", 1779200200, "Не приходять сповіщення"),
    ]
    payload = json.dumps([rows, None], ensure_ascii=False)
    envelopes = [["wrb.fr", "oCPfdb", payload, None, None, None, "generic"], ["di", 42]]
    envelopes.append(["af.httprm", 41, "-1234567890", 7])
    body = ")]}'\n\n" + json.dumps(envelopes, ensure_ascii=False)
    once(httpserver, google_play.BATCH, body, body)
    return {"gp:AOqpTOGood1", "gp:AOqpTOGood2"}, ""


def _app_store(httpserver: HTTPServer) -> tuple[set[str], str]:
    feed = app_store.fixture("rss_us_page2.json")
    entries = feed["feed"]["entry"]
    good = {e["id"]["label"] for e in entries[1:] if "im:rating" in e}
    broken = next(e for e in entries if "im:rating" in e)
    good.discard(broken["id"]["label"])
    broken.pop("id")
    once(httpserver, app_store.RSS, feed, app_store.fixture("rss_empty.json"))
    return good, ""


def _vk(httpserver: HTTPServer) -> tuple[set[str], str]:
    fake = vk.FakeVk()
    comments = fake.comments[120]["response"]["items"]
    olga = next(c for c in comments if c["id"] == 121)
    olga["date"] = "вчера"
    fake.serve(httpserver)
    return {"120_123", "120_126", "88_90", "117_130"}, "120_121"


CASES = {
    "ebay": Case(_ebay, ebay.config, "feedbackEnteredDate", ebay.NOW),
    "trustpilot": Case(_trustpilot, trustpilot.config, "createdAt", trustpilot.NOW),
    "yandex_market": Case(_yandex, yandex.config, "createdAt", yandex.NOW),
    "youtube": Case(_youtube, youtube.config, "publishedAt", youtube.NOW),
    "reddit": Case(
        _reddit,
        lambda s, p: reddit.config(s, p, oauth=False, query=None),  # type: ignore[arg-type]
        "created_utc",
        reddit.NOW,
    ),
    "google_play": Case(_google_play, google_play.config, "without an id", google_play.NOW),
    "app_store": Case(_app_store, app_store.config, "without an id", app_store.NOW),
    "vk": Case(_vk, vk.config, "date", vk.NOW),
}


@pytest.mark.parametrize("platform", list(CASES))
def test_one_bad_row_costs_only_itself(
    httpserver: HTTPServer, tmp_path: Path, platform: str
) -> None:
    case = CASES[platform]
    good, bad = case.serve(httpserver)
    report, store = run_sources(
        case.config(httpserver, tmp_path), tmp_path / "x.db", case.now, fake_http()[0]
    )
    assert not report.failed, report.results  # type: ignore[attr-defined]
    (result,) = report.results  # type: ignore[attr-defined]
    assert result.rejected == 1
    stored = {i["external_id"] for i in store.list_items(ItemFilter())}  # type: ignore[attr-defined]
    assert good <= stored
    if bad:
        assert bad not in stored
    rows = store.conn.execute("SELECT external_id, reason, raw FROM rejects").fetchall()  # type: ignore[attr-defined]
    ((external_id, reason, raw),) = rows
    assert case.reason in reason
    assert json.loads(raw)  # the row as the platform sent it
    if bad:
        assert external_id == bad
    if platform == "reddit":  # [0] is the brand's own answer, [1] deleted: neither is an item
        assert "t1_mz7zz1c" not in stored


# ----------------------------------------------------------------------------- VK


def test_vk_attachment_only_comments_are_kept_and_want_a_reply(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    fake = vk.FakeVk()
    comments = fake.comments[120]["response"]["items"]
    photo = next(c for c in comments if c["id"] == 122)
    photo["attachments"].append(
        {"type": "sticker", "sticker": {"sticker_id": 163, "product_id": 4,
         "images": [{"url": "https://vk.com/sticker/1-163-128", "width": 128, "height": 128}]}}
    )  # fmt: skip
    fake.serve(httpserver)
    report, store = run_sources(
        vk.config(httpserver, tmp_path), tmp_path / "x.db", vk.NOW, fake_http()[0]
    )
    assert not report.failed, report.results  # type: ignore[attr-defined]
    item = {i["external_id"]: i for i in store.list_items(ItemFilter())}["120_122"]  # type: ignore[attr-defined]
    assert item["text"] == "[photo] [sticker]"
    assert item["needs_reply"] and item["due_at"] and item["status"] == "new"
    raw = json.loads(vk.raw_of(store, "120_122"))
    urls = json.dumps(raw["attachments"])
    assert "comment-photo-s.jpg" in urls and "sticker/1-163-128" in urls


# ------------------------------------------------------------------------- YouTube


def test_youtube_html_text_display_is_stored_as_text(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    body = youtube.fixture("comment_threads_page1.json")
    body.pop("nextPageToken", None)
    first, second = body["items"][0], body["items"][1]
    one = first["snippet"]["topLevelComment"]["snippet"]
    one["textOriginal"] = ""
    one["textDisplay"] = (
        "Плед &quot;Облако&quot; порвался через неделю<br>"
        '<a href="https://www.youtube.com/watch?v=b7TnW4sYc0E&amp;t=42">0:42</a> &amp; всё'
    )
    two = second["snippet"]["topLevelComment"]["snippet"]
    two["textOriginal"] = ""
    two["textDisplay"] = '<a href="about:invalid#zCSafez"></a>'
    once(httpserver, youtube.PATH, body, {"items": []})
    report, store = run_sources(
        youtube.config(httpserver, tmp_path), tmp_path / "x.db", youtube.NOW, fake_http()[0]
    )
    assert not report.failed, report.results  # type: ignore[attr-defined]
    items = {i["external_id"]: i for i in store.list_items(ItemFilter())}  # type: ignore[attr-defined]
    assert items[first["id"]]["text"] == 'Плед "Облако" порвался через неделю\n0:42 & всё'
    assert items[second["id"]]["text"] == ""  # a removed link: no markup stored


# --------------------------------------------------------------------------- Ozon


def test_ozon_answer_with_a_bad_date_does_not_fail_the_source(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests import test_ozon as ozon

    for name, value in (("OZON_CLIENT_ID", ozon.CLIENT_ID), ("OZON_API_KEY", ozon.API_KEY)):
        monkeypatch.setenv(name, value)
    original = ozon.fixture

    def broken_dates(name: str) -> Any:
        body = original(name)
        for row in body.get("comments", []):
            row["published_at"] = "9999-12-31T23:00:00Z"  # after 2200: no real date
        for row in body.get("answers", []):
            row["published_at"] = "not a date"
        return body

    monkeypatch.setattr(ozon, "fixture", broken_dates)
    ozon.serve(httpserver, ozon.FIRST_RUN)
    report, store = run_sources(
        ozon.config(httpserver, tmp_path), tmp_path / "x.db", ozon.NOW, fake_http()[0]
    )
    assert not report.failed, report.results  # type: ignore[attr-defined]
    answered = [i for i in store.list_items(ItemFilter()) if i["answer_text"]]  # type: ignore[attr-defined]
    assert answered and all(i["answered_at"] is None for i in answered)
    assert {i["kind"] for i in answered} == {"review", "question"}


# ------------------------------------------------------------------ one text rule


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("  Плед  порвался \r\nпосле стирки\r\n\r\n  Верните деньги  \n", "Плед  порвался \nпосле стирки\n\n  Верните деньги"),
        ("a\rb", "a\nb"),
        (" \r\n\t ", None),
        ("", None),
        (None, None),
        (42, "42"),
    ],
)  # fmt: skip
def test_one_whitespace_rule(sent: Any, stored: str | None) -> None:
    assert parse.text(sent) == stored


def test_html_fields_and_prose() -> None:
    assert parse.html_text("<p>Не  працює</p><p>Зовсім&nbsp;!</p>") == "Не працює\nЗовсім !"
    assert parse.prose("Двойной  пробел остаётся") == "Двойной  пробел остаётся"
    assert parse.prose("Good &amp; <b>cheap</b>") == "Good & cheap"
    assert parse.prose("1 < 2 and 3 > 2") == "1 < 2 and 3 > 2"
    assert parse.attachments_only("[photo] [video]\n[doc]")
    assert not parse.attachments_only("[photo] сломан")
    assert not parse.attachments_only("")


def test_jsonld_review_text_keeps_its_spacing() -> None:
    """JSON-LD `reviewBody` is plain text unless it has markup: the same rule as every API."""
    from repcli.sources.jsonld import _prose

    assert _prose("Пришёл  битым.\r\nВерните деньги ") == "Пришёл  битым.\nВерните деньги"
    assert _prose({"@value": "<p>Good&nbsp;and   cheap</p>"}) == "Good and cheap"
    assert _prose(None) is None

"""VK connector against a real HTTP server on 127.0.0.1 serving real-format payloads.

Formats confirmed from (fixtures in tests/fixtures/vk/ are written by hand, contents invented):
- VK's official JSON schema, GitHub VKCOM/vk-api-schema @ 0efe478fc1011bc167fd389dd1dc36efc883de02
  (API 5.199): wall/methods.json (wall.get, wall.getComments: `count` <= 100, `sort` asc/desc,
  `preview_length` default 90, `thread_items_count` 0-10, `comment_id`; access_token_type
  user+service, no community tokens; wall.createComment), wall/responses.json
  (`wall_getComments_extended_response`: count, current_level_count, items, profiles, groups),
  wall/objects.json (`wall_wall_comment`: id, from_id, date, text, parents_stack,
  reply_to_comment, reply_to_user, thread, deleted, attachments; `wall_wallpost_full`:
  is_pinned, comments), comment/objects.json (`comment_thread`), base/objects.json
  (`base_comments_info`, `base_error`), errors.json (codes 5, 6, 9, 15, 18, 27, 28, 29, 30, 100,
  203, 212), newsfeed/methods.json + responses.json (newsfeed.search: count <= 200, start_time,
  start_from/next_from, user and service tokens). Note: the 5.199 schema lost wall.get's
  `owner_id` (present in the 5.131 commit 748a5e3 and in the docs); we send owner_id.
- dev.vk.com/ru/api/api-requests: GET or POST /method/<name>, `v=5.199`, `access_token`.
- Error bodies (`error_code`, `error_msg`, `request_params` as key/value pairs) and the messages of
  errors 5/6/27 as seen in public client tests and issues (olnazx/node-vkapi#3 for error 6).
- `count` (all comments, replies included) vs `current_level_count` (this level only): a public
  script's captured response (3 top-level comments + 1 reply -> count 4, current_level_count 3).
- 3 requests/s per user token: VK docs quoted in olnazx/node-vkapi#8 and #21 (20/s for community
  tokens, which these methods do not accept).
"""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from repcli.clock import to_iso
from repcli.sources.wire.parse import parse_time
from repcli.store import ItemFilter
from tests.httpkit import fake_http, json_fixtures, run_sources

FIXTURES = Path(__file__).parent / "fixtures" / "vk"
TOKEN = "vk1.a.Zq8TestUserToken-4Rk9pLm2xWc7YhN3bVe6"
NOW = "2026-05-20T09:00:00Z"
GROUP = 231456789


fixture = json_fixtures(FIXTURES)


def config(httpserver: HTTPServer, tmp_path: Path, **extra: str) -> str:
    settings = {
        "group_id": str(GROUP),
        "access_token": "${VK_TOKEN}",
        "base_url": httpserver.url_for("/method"),
        "posts_depth": "4",
        "page_size": "3",
        **extra,
    }
    lines = [f"store: {tmp_path / 'x.db'}", "sources:", "  - name: vk", "    type: vk"]
    lines += [f"    {k}: {v}" for k, v in settings.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VK_TOKEN", TOKEN)


class FakeVk:
    """Answers like api.vk.com: by method, offset/count slices, errors inside HTTP 200."""

    def __init__(self) -> None:
        self.wall = fixture("wall_get.json")
        self.comments = {
            88: fixture("comments_post_88.json"),
            120: fixture("comments_post_120.json"),
            117: fixture("comments_post_117.json"),
        }
        self.threads = {130: fixture("comments_thread_130.json")}
        self.search = [fixture("newsfeed_search_page1.json"), fixture("newsfeed_search_page2.json")]
        self.queued: dict[str, list[Any]] = {}
        """method -> bodies to answer first (errors), in order."""

    def serve(self, httpserver: HTTPServer) -> None:
        for method in ("wall.get", "wall.getComments", "newsfeed.search"):
            httpserver.expect_request(f"/method/{method}").respond_with_handler(self.handler)

    def handler(self, request: Request) -> Response:
        method = request.path.rsplit("/", 1)[-1]
        args = request.values  # VK takes GET or POST: repcli POSTs a form
        if args.get("access_token") != TOKEN:
            return _json(fixture("error_5.json"))
        assert args["v"] == "5.199"
        if self.queued.get(method):
            return _json(self.queued[method].pop(0))
        if method == "newsfeed.search":
            return _json(self.search[1 if "start_from" in args else 0])
        if method == "wall.get":
            assert args["owner_id"] == f"-{GROUP}"
            body = self.wall
        elif "comment_id" in args:
            body = self.threads[int(args["comment_id"])]
        else:
            assert args["owner_id"] == f"-{GROUP}"
            body = self.comments[int(args["post_id"])]
        body = copy.deepcopy(body)
        start, count = int(args.get("offset", 0)), int(args.get("count", 100))
        body["response"]["items"] = body["response"]["items"][start : start + count]
        return _json(body)


def _json(body: Any) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), content_type="application/json")


def calls(httpserver: HTTPServer) -> list[tuple[str, dict[str, str]]]:
    return [(req.path.rsplit("/", 1)[-1], dict(req.values)) for req, _ in httpserver.log]


def brief(log: list[tuple[str, dict[str, str]]]) -> list[tuple[str, ...]]:
    """(method, post or thread, offset, count) of each request."""
    out = []
    for method, a in log:
        where = a.get("comment_id", a.get("post_id", ""))
        out.append((method, where, a.get("offset", ""), a.get("count", "")))
    return out


def by_id(store: Any) -> dict[str, dict[str, Any]]:
    return {i["external_id"]: i for i in store.list_items(ItemFilter())}


def raw_of(store: Any, external_id: str) -> str:
    sql = "SELECT raw FROM items WHERE external_id = ?"
    return str(store.conn.execute(sql, (external_id,)).fetchone()[0])


def test_first_run_walks_posts_comments_threads_and_answers(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    FakeVk().serve(httpserver)
    http, _ = fake_http()
    report, store = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert not report.failed, report.results  # type: ignore[attr-defined]
    log = calls(httpserver)
    assert brief(log) == [
        ("wall.get", "", "0", "3"),
        ("wall.get", "", "3", "1"),  # posts_depth 4: the pinned post counts
        ("wall.getComments", "88", "0", "3"),  # the old pinned post is still watched
        ("wall.getComments", "120", "0", "3"),
        ("wall.getComments", "120", "3", "3"),  # current_level_count 4: no third page
        # post 118 has no comments: never asked
        ("wall.getComments", "117", "0", "3"),
        ("wall.getComments", "130", "0", "3"),  # thread.count 11 > 10 replies returned
        ("wall.getComments", "130", "3", "3"),
        ("wall.getComments", "130", "6", "3"),
        ("wall.getComments", "130", "9", "3"),
    ]
    first = log[3][1]
    assert first["access_token"] == TOKEN and first["v"] == "5.199"
    for request, _ in httpserver.log:  # a form POST: the token is in no URL, no server log
        assert request.method == "POST" and TOKEN not in request.full_path
    assert (first["owner_id"], first["sort"], first["extended"]) == (f"-{GROUP}", "asc", "1")
    assert (first["thread_items_count"], first["need_likes"], first["preview_length"]) == (
        "10",
        "1",
        "0",
    )
    assert "thread_items_count" not in log[6][1]

    items = by_id(store)
    assert len(items) == 1 + 5 + 11
    assert not {"120_125", "120_128", "117_141", "88_91"} & set(items)
    # A photo without a word (issue 22): stored with a marker, its URL in raw, wants a reply.
    photo = items["120_122"]
    assert (photo["text"], photo["needs_reply"], photo["status"]) == ("[photo]", True, "new")
    assert "https://sun9-77.userapi.com/impg/comment-photo-s.jpg" in raw_of(store, "120_122")
    olga = items["120_121"]
    assert (olga["kind"], olga["rating"], olga["author"]) == ("comment", None, "Ольга Смирнова")
    assert olga["url"] == f"https://vk.com/wall-{GROUP}_120?reply=121"
    assert olga["answer_text"].startswith("Ольга, здравствуйте! Напишите")  # mention unwrapped
    assert olga["answered_at"] == to_iso(parse_time(1779120000))
    assert olga["status"] == "answered" and not olga["needs_reply"]
    assert olga["product_id"] == "120"
    assert olga["product_name"].startswith("Плед флисовый 150×200 «Облако» снова в наличии!")
    assert olga["product_name"].endswith("…") and "[club" not in olga["product_name"]
    raw = json.loads(raw_of(store, "120_121"))
    assert raw["id"] == 121 and raw["thread"]["count"] == 2 and "items" not in raw["thread"]
    irina = items["120_127"]
    assert irina["text"] == "Ольга, у меня то же самое, третью неделю жду"
    assert irina["url"] == f"https://vk.com/wall-{GROUP}_120?reply=127&thread=121"
    assert irina["answer_text"] is None
    assert items["120_126"]["author"] == "Пледы оптом | Новосибирск"  # another community
    assert items["120_123"]["answer_text"].startswith("Денис, простите")
    anna = items["117_130"]
    assert anna["answer_text"].startswith("Анна, здравствуйте! 200×220 будет в июне")
    assert anna["product_name"] is None  # a post without text
    assert items["88_90"]["product_name"] == "Доставка и оплата: как заказать пледы «Уютного дома»"
    assert items["88_90"]["answer_text"].startswith("Олена, так, доставляємо")
    assert store.cursor_for("vk") == {  # type: ignore[attr-defined]
        "posts": {"88": 2, "120": 7, "118": 0, "117": 12},
        "mentions": {},
    }
    everything = store.conn.execute("SELECT group_concat(raw) FROM items").fetchone()[0]  # type: ignore[attr-defined]
    assert TOKEN not in everything


def test_incremental_run_reads_only_posts_with_new_comments(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    vk = FakeVk()
    vk.serve(httpserver)
    run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0])
    httpserver.clear_log()
    vk.wall["response"]["items"][3]["comments"]["count"] = 13
    new = {
        **vk.comments[117]["response"]["items"][0],
        "id": 142,
        "from_id": 856789012,
        "date": 1779253200,
        "text": "Плед линяет после первой стирки, верните деньги",
        "thread": {"count": 0, "items": [], "can_post": True, "show_reply_button": True},
    }
    vk.comments[117]["response"]["items"].append(new)
    vk.comments[117]["response"]["count"] = 13
    vk.comments[117]["response"]["current_level_count"] = 2
    report, store = run_sources(
        config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0]
    )
    assert not report.failed  # type: ignore[attr-defined]
    asked = {where for method, where, *_ in brief(calls(httpserver)) if method != "wall.get"}
    assert asked == {"117", "130"}  # posts 88 and 120 did not change
    (result,) = report.results  # type: ignore[attr-defined]
    assert (result.new, result.changed) == (1, 0)
    item = by_id(store)["117_142"]
    assert item["author"] == "Денис Кравцов" and item["negative"] and item["needs_reply"]
    assert store.cursor_for("vk")["posts"]["117"] == 13  # type: ignore[attr-defined]


def test_full_rereads_every_post(httpserver: HTTPServer, tmp_path: Path) -> None:
    FakeVk().serve(httpserver)
    run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0])
    httpserver.clear_log()
    report, _ = run_sources(
        config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0], full=True
    )
    assert not report.failed  # type: ignore[attr-defined]
    asked = {where for method, where, *_ in brief(calls(httpserver)) if method != "wall.get"}
    assert asked == {"88", "120", "117", "130"}
    assert report.results[0].new == 0  # type: ignore[attr-defined]


def test_old_posts_end_the_walk(httpserver: HTTPServer, tmp_path: Path) -> None:
    FakeVk().serve(httpserver)
    text = config(httpserver, tmp_path, posts_depth="10", full_backfill_days="30")
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    assert not report.failed  # type: ignore[attr-defined]
    # post 110 (7 weeks old) stops the walk; the pinned post 88 is older but pinned
    assert set(store.cursor_for("vk")["posts"]) == {"88", "120", "118", "117"}  # type: ignore[attr-defined]


def test_too_many_requests_in_a_200_is_retried_after_a_second(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    vk = FakeVk()
    vk.queued["wall.get"] = [fixture("error_6.json")]
    vk.serve(httpserver)
    http, clock = fake_http()
    text = config(httpserver, tmp_path, posts_depth="1")
    report, store = run_sources(text, tmp_path / "x.db", NOW, http)
    assert not report.failed  # type: ignore[attr-defined]
    assert http.waits == [1.0] and 1.0 in clock.slept
    assert [m for m, *_ in brief(calls(httpserver))] == ["wall.get", "wall.get", "wall.getComments"]
    assert set(by_id(store)) == {"88_90"}


def test_auth_failure_is_a_clear_error_and_other_sources_still_run(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    FakeVk().serve(httpserver)
    monkeypatch.setenv("VK_TOKEN", "vk1.a.Revoked-Token-000111222")
    text = config(httpserver, tmp_path) + "  - name: demo\n    type: demo\n"
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    (failed,) = report.failed  # type: ignore[attr-defined]
    assert failed.source == "vk"
    assert (
        failed.error == "VK wall.get: error 5: User authorization failed: invalid access_token (4)."
    )
    assert len(httpserver.log) == 1  # an auth error is not retried
    assert store.list_items(ItemFilter(sources=["demo"]))  # type: ignore[attr-defined]


def test_sources_test_names_the_permissions(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import Cli

    vk = FakeVk()
    vk.serve(httpserver)
    path = tmp_path / "repcli.yaml"
    path.write_text(config(httpserver, tmp_path))
    ok = Cli(path)("sources", "test")
    assert ok.exit_code == 0 and "ok: reachable, the community wall has 57 posts" in ok.stdout
    vk.queued["wall.get"] = [fixture("error_15.json")]
    denied = Cli(path)("sources", "test")
    assert denied.exit_code == 6 and "error 15: Access denied" in denied.stdout
    assert "member or admin" in denied.stdout
    monkeypatch.setenv("VK_TOKEN", "vk1.a.Wrong-Token-Value-123")
    bad = Cli(path)("-vv", "sources", "test")
    assert bad.exit_code == 6 and "error 5" in bad.stdout and "offline" in bad.stdout
    assert "Wrong-Token-Value" not in bad.stdout + bad.stderr


def test_keyword_filter_keeps_matching_comments(httpserver: HTTPServer, tmp_path: Path) -> None:
    FakeVk().serve(httpserver)
    text = config(httpserver, tmp_path, include="[заказ, доставка]", exclude="[трек]")
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    assert not report.failed  # type: ignore[attr-defined]
    items = by_id(store)
    # "Чи є доставка" (any form of доставка) stays; "Заказала ... трек" is excluded
    assert set(items) == {"88_90"}
    assert items["88_90"]["answer_text"] is not None


def test_mentions_search_pages_and_resumes(httpserver: HTTPServer, tmp_path: Path) -> None:
    FakeVk().serve(httpserver)
    text = config(httpserver, tmp_path, posts_depth="1", mentions="[Уютный дом]")
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    assert not report.failed  # type: ignore[attr-defined]
    searches = [a for m, a in calls(httpserver) if m == "newsfeed.search"]
    assert [(a["q"], a["count"], a["extended"]) for a in searches] == [
        ("Уютный дом", "200", "1")
    ] * 2
    assert int(searches[0]["start_time"]) == 1779267600 - 365 * 86400
    assert "start_from" not in searches[0] and searches[1]["start_from"] == "3/-187654321_4410"
    items = by_id(store)
    mentions = {k: v for k, v in items.items() if k.startswith("mention:")}
    assert set(mentions) == {  # our own post is not a mention
        "mention:300222333_2207",
        "mention:-187654321_4410",
        "mention:302555666_815",
    }
    assert mentions["mention:300222333_2207"]["author"] == "Марина Руденко"
    assert mentions["mention:300222333_2207"]["negative"]
    assert mentions["mention:-187654321_4410"]["url"] == "https://vk.com/wall-187654321_4410"
    assert mentions["mention:302555666_815"]["text"] == (
        "Спасибо Уютному дому за быструю доставку, пледы супер!"
    )
    assert store.cursor_for("vk")["mentions"] == {"Уютный дом": 1779246000}  # type: ignore[attr-defined]
    httpserver.clear_log()
    run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    again = [a for m, a in calls(httpserver) if m == "newsfeed.search"]
    assert int(again[0]["start_time"]) == 1779246001


def test_mentions_skipped_with_a_community_token(
    httpserver: HTTPServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ours = logging.getLogger("repcli")  # a CLI test may have left its own handler there
    monkeypatch.setattr(ours, "handlers", [])
    monkeypatch.setattr(ours, "propagate", True)
    vk = FakeVk()
    vk.queued["newsfeed.search"] = [fixture("error_27.json")]
    vk.serve(httpserver)
    text = config(httpserver, tmp_path, posts_depth="1", mentions="[Уютный дом, плед Облако]")
    # The repcli logger's own level too: a CLI run earlier in the session may have set it.
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="repcli"):
        report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    assert not report.failed  # type: ignore[attr-defined]
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("repcli"))
    assert "mentions search skipped: VK allows newsfeed.search only with a user token" in logged
    assert [m for m, *_ in brief(calls(httpserver))].count("newsfeed.search") == 1
    assert set(by_id(store)) == {"88_90"}  # the comments are still there
    assert "/method/wall.get" in logged and TOKEN not in logged  # requests logged by path only


def test_5xx_gives_up_and_malformed_answers_fail_clearly(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/method/wall.get").respond_with_data("Bad gateway", status=502)
    http, _ = fake_http(max_attempts=3)
    report, store = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert "HTTP 502, still failing after 3 attempts" in report.failed[0].error  # type: ignore[attr-defined]
    assert store.cursor_for("vk") == {}  # type: ignore[attr-defined]
    for body, words in (
        ('{"response": {"count": 57, "items": [', "not valid JSON"),
        ('{"response": {"count": 1, "items": "post"}}', "`items` is str, not a list"),
        ('{"response": [1, 2]}', "without a `response` object"),
        ('{"response": {"count": 1, "items": [{"id": 5, "date": null}]}}', "post date"),
    ):
        httpserver.clear()
        httpserver.expect_request("/method/wall.get").respond_with_data(
            body, content_type="application/json"
        )
        report, _ = run_sources(
            config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0]
        )
        assert words in report.failed[0].error, body  # type: ignore[attr-defined]
        assert TOKEN not in report.failed[0].error  # type: ignore[attr-defined]


_SCALAR = st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=12)
_COMMENT = st.fixed_dictionaries(
    {},
    optional={
        "id": _SCALAR,
        "from_id": st.sampled_from([-GROUP, 512345678]) | _SCALAR,
        "date": st.integers(0, 2**32) | _SCALAR,
        "text": st.text(max_size=40) | _SCALAR,
        "deleted": st.booleans(),
        "parents_stack": st.lists(st.integers(0, 200), max_size=2) | _SCALAR,
        "reply_to_comment": st.integers(0, 200) | _SCALAR,
        "thread": st.fixed_dictionaries({}, optional={"count": _SCALAR, "items": _SCALAR})
        | _SCALAR,
    },
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_COMMENT, max_size=6), st.dictionaries(st.sampled_from("pg"), _SCALAR))
def test_comment_parser_raises_only_our_errors(
    comments: list[dict[str, Any]], response: dict[str, Any]
) -> None:
    from repcli.errors import SourceError
    from repcli.sources.vk import _items, _names

    source = _source()
    try:
        names = _names({"profiles": response.get("p"), "groups": comments})
        names.update(_names({"profiles": comments, "groups": response.get("g")}))
        source._items(120, None, _items({"items": comments}, "wall.getComments"), names)
    except SourceError:
        pass


def _source() -> Any:
    from repcli.clock import from_iso
    from repcli.sources.base import FetchContext
    from repcli.sources.registry import parse_config
    from repcli.sources.vk import VkSource

    text = (
        f"sources:\n  - name: vk\n    type: vk\n    group_id: {GROUP}\n    access_token: x-token\n"
    )
    when = from_iso(NOW)
    assert when is not None
    return VkSource(parse_config(text).sources[0], FetchContext(when))

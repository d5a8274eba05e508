"""Telegram connector against a real HTTP server on 127.0.0.1 serving real-format payloads.

Formats confirmed from (fixtures in tests/fixtures/telegram/ are written by hand, contents invented):
- The Bot API reference as scraped into GitHub PaulSonOfLars/telegram-bot-api-spec @
  160fd99507e1c7c77e92dc90f5993d724735b51c (api.json, Bot API 10.1): getUpdates (offset, limit
  1-100, timeout, allowed_updates; "an update is considered confirmed as soon as getUpdates is
  called with an offset higher than its update_id"), Update (update_id, message, edited_message),
  Message (message_id, message_thread_id, from, sender_chat, chat, date, edit_date,
  forward_origin, is_automatic_forward, reply_to_message without nested replies, text, caption,
  author_signature, sticker, photo, video, video_note, voice, document, media_group_id, and
  animation: "for backward compatibility, when this field is set, the document field will also
  be set"), PhotoSize, Video, VideoNote, Voice, Animation, Document, User, Chat, MessageOriginChannel, ResponseParameters
  (retry_after), getMe (can_read_all_group_messages), getChatMember, sendMessage +
  ReplyParameters.
- The Bot API server's source, GitHub tdlib/telegram-bot-api @
  01a3679c0bbf9bbba03d1d3e20f621fa4becddcc: telegram-bot-api/Client.cpp JsonMessage::store
  (field order and presence: legacy forward_from_chat/forward_from_message_id/forward_date are
  still sent next to forward_origin; message_thread_id for comment threads; reply_to_message only
  for same-chat replies), Query.cpp set_retry_after_error (429 body "Too Many Requests: retry
  after N" + parameters.retry_after) and HttpConnection.cpp (the same value in a `Retry-After`
  header), the 409 texts "Conflict: can't use getUpdates method while webhook is active; use
  deleteWebhook to delete the webhook first" and "Conflict: terminated by other getUpdates
  request; make sure that only one bot instance is running".
- Error envelope {"ok": false, "error_code", "description", "parameters"} and the 401
  "Unauthorized" / 404 "Not Found" bodies as seen in public client tests.
"""

from __future__ import annotations

import json
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

FIXTURES = Path(__file__).parent / "fixtures" / "telegram"
TOKEN = "7012345678:AAEtestTokenValue_x9Yk2LmQpR7sTuVwXyZ0ab"
NOW = "2026-05-20T09:00:00Z"
GROUP = -1001555666777
CHANNEL = -1001987654321
FIRST_RUN = {
    None: "updates_page1.json",
    500103: "updates_page2.json",
    500106: "updates_page3.json",
}


fixture = json_fixtures(FIXTURES)


def key(message_id: int) -> str:
    return f"{GROUP}:{message_id}"


def config(httpserver: HTTPServer, tmp_path: Path, **extra: str) -> str:
    settings = {
        "bot_token": "${TG_BOT_TOKEN}",
        "chat_id": str(GROUP),
        "staff_user_ids": "[5123000111]",
        "base_url": httpserver.url_for(""),
        "page_size": "3",
        **extra,
    }
    lines = [f"store: {tmp_path / 'x.db'}", "sources:", "  - name: tg", "    type: telegram"]
    lines += [f"    {k}: {v}" for k, v in settings.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TG_BOT_TOKEN", TOKEN)


class FakeBotApi:
    """Answers like api.telegram.org: the token in the path, getUpdates pages by offset."""

    def __init__(self, pages: dict[int | None, str]) -> None:
        self.pages = pages
        self.queued: list[tuple[int, Any, dict[str, str]]] = []
        """(status, body, headers) to answer first, in order."""
        self.refuse: dict[str, tuple[int, Any]] = {}
        """method -> (status, body) to answer every time."""
        self.member = "administrator"
        self.bodies: list[dict[str, Any]] = []

    def serve(self, httpserver: HTTPServer) -> None:
        httpserver.expect_request("").respond_with_handler(self.handler)

    def handler(self, request: Request) -> Response:
        prefix, _, method = request.path.rpartition("/")
        if prefix != f"/bot{TOKEN}":
            return _json(fixture("error_404.json"), 404)
        body = request.get_json()
        self.bodies.append({"method": method, **body})
        if method in self.refuse:
            return _json(self.refuse[method][1], self.refuse[method][0])
        if self.queued:
            status, answer, headers = self.queued.pop(0)
            return _json(answer, status, headers)
        if method == "getMe":
            return _json(fixture("get_me.json"))
        if method == "getChatMember":
            member = {"status": self.member, "user": {"id": 7012345678, "is_bot": True}}
            return _json({"ok": True, "result": member})
        assert body["timeout"] == 0 and body["allowed_updates"] == ["message", "edited_message"]
        name = self.pages.get(body.get("offset"), "updates_empty.json")
        return _json(fixture(name))


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    return Response(text, status=status, headers=headers, content_type="application/json")


def by_id(store: Any) -> dict[str, dict[str, Any]]:
    return {i["external_id"]: i for i in store.list_items(ItemFilter())}


def raw_of(store: Any, item_id: int) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(store.item_raw(item_id))
    return raw


def first_run(httpserver: HTTPServer, tmp_path: Path, **extra: str) -> tuple[Any, Any, FakeBotApi]:
    api = FakeBotApi(FIRST_RUN)
    api.serve(httpserver)
    http, _ = fake_http()
    report, store = run_sources(config(httpserver, tmp_path, **extra), tmp_path / "x.db", NOW, http)
    return report, store, api


def test_first_run_pages_forwards_comments_answers_and_edits(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    report, store, api = first_run(httpserver, tmp_path)
    assert not report.failed, report.results
    assert [(b["method"], b.get("offset"), b["limit"]) for b in api.bodies] == [
        ("getUpdates", None, 3),
        ("getUpdates", 500103, 3),
        ("getUpdates", 500106, 3),
        ("getUpdates", 500109, 3),  # a full page: ask once more, and get nothing
    ]
    items = by_id(store)
    # not items: the forwarded post, the shop's answers, another chat's message
    assert set(items) == {key(1202), key(1203), key(1205), key(1206)}
    sticker = items[key(1203)]  # a sticker alone: its marker, and a reply is asked for
    assert (sticker["text"], sticker["needs_reply"]) == ("[sticker]", True)
    olga = items[key(1202)]
    assert (olga["kind"], olga["rating"], olga["author"]) == ("comment", None, "Ольга К.")
    assert olga["text"].endswith("Написала в личку, жду.")  # the edit, same external id
    assert olga["updated_at"] == to_iso(parse_time(1779127200))
    assert olga["created_at"] == to_iso(parse_time(1779112800))
    assert olga["answer_text"].startswith("Ольга, здравствуйте!")  # the channel answered
    assert olga["answered_at"] == to_iso(parse_time(1779120000))
    assert olga["status"] == "answered" and not olga["needs_reply"]
    assert olga["url"] == "https://t.me/uyutny_dom_shop/311?comment=1202"
    assert (olga["product_id"], olga["product_name"]) == (
        "311",
        "Плед флисовый «Облако» снова в наличии!",  # the post's caption, first line
    )
    (old,) = store.versions(olga["id"])  # type: ignore[attr-defined]
    assert old["text"] == "Заказала плед две недели назад, трек не обновляется. Где мой заказ?"
    taras = items[key(1205)]
    assert taras["author"] == "Тарас Мельник" and taras["answer_text"] is None
    dmytro = items[key(1206)]  # a reply to a comment: still a comment on post 311
    assert dmytro["product_id"] == "311" and dmytro["answer_text"].startswith("Dmytro, sorry")
    cursor = store.cursor_for("tg")  # type: ignore[attr-defined]
    assert (cursor["offset"], cursor["channel_id"]) == (500109, CHANNEL)
    assert cursor["posts"] == {
        "1201": {
            "text": "Плед флисовый «Облако» снова в наличии!",
            "post": 311,
            "channel": "uyutny_dom_shop",
        }
    }
    assert set(cursor["answers"]) == {key(1202), key(1206)}
    raw = store.conn.execute("SELECT group_concat(raw) FROM items").fetchone()[0]  # type: ignore[attr-defined]
    assert TOKEN not in raw + json.dumps(cursor)


def test_second_run_resumes_at_the_offset_and_answers_earlier_comments(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    first_run(httpserver, tmp_path)
    httpserver.clear()
    api = FakeBotApi({500109: "updates_second_run.json"})
    api.serve(httpserver)
    report, store = run_sources(
        config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0]
    )
    assert not report.failed  # type: ignore[attr-defined]
    assert [b.get("offset") for b in api.bodies] == [500109, 500112]
    (result,) = report.results  # type: ignore[attr-defined]
    assert (result.new, result.changed) == (1, 1)
    items = by_id(store)
    taras = items[key(1205)]  # answered by an anonymous admin, rebuilt from the reply's copy
    assert taras["answer_text"].startswith("Тарасе, доставка до Львова")
    assert taras["status"] == "answered" and taras["product_id"] == "311"
    olga = items[key(1202)]  # edited again: the answer from the first run stays
    assert olga["text"] == "Заказ пришёл, всё в порядке, спасибо за помощь!"
    assert olga["answer_text"].startswith("Ольга, здравствуйте!")
    assert len(store.versions(olga["id"])) == 2  # type: ignore[attr-defined]
    sveta = items[key(1211)]
    assert sveta["negative"] and sveta["needs_reply"] and sveta["author"] == "Светлана"
    assert store.cursor_for("tg")["offset"] == 500112  # type: ignore[attr-defined]


def test_attachments_without_caption_are_comments_with_markers(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    pages = {None: "updates_attachments1.json", 500207: "updates_attachments2.json"}
    FakeBotApi(pages).serve(httpserver)
    text = config(httpserver, tmp_path, page_size="7")
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    assert not report.failed, report.results  # type: ignore[attr-defined]
    items = by_id(store)
    assert {k: i["text"] for k, i in items.items()} == {
        key(1301): "[photo]",
        key(1302): "[audio]",  # a voice message
        key(1303): "[video]",  # a GIF: Telegram sends it as animation and as document
        key(1304): "[doc]",
        key(1305): "[photo]",  # an album: its second photo, on page 2, is no comment of its own
        key(1307): "Плед пришёл с затяжками, вот видео и фото",  # the caption of message 2
        key(1310): "[video]",  # a round video message
        key(1311): "А вот так он выглядит в гостиной 😍",
    }
    asks = {k for k, i in items.items() if i["needs_reply"]}  # attachments alone ask for a reply
    assert asks == {key(1301), key(1302), key(1303), key(1304), key(1305), key(1310)}
    photo = raw_of(store, items[key(1301)]["id"])["photo"]
    assert photo[-1]["file_id"] == "AgACAgIAAxkBAAIF1301-x"  # the file ids stay in raw
    assert raw_of(store, items[key(1302)]["id"])["voice"]["file_id"] == "AwACAgIAAxkBAAIF1302Voice"
    album = raw_of(store, items[key(1307)]["id"])
    assert [m["message_id"] for m in album["album"]] == [1308]
    assert album["video"]["file_id"] and album["album"][0]["photo"][0]["file_id"]
    petro = items[key(1305)]  # the shop answered the album's second photo: the album's answer
    assert petro["answer_text"].startswith("Петро, дякуємо за фото!")
    assert petro["status"] == "answered"
    assert store.versions(petro["id"]) == []  # type: ignore[attr-defined]
    cursor = store.cursor_for("tg")  # type: ignore[attr-defined]
    assert cursor["albums"]["13975553123456789"] == [key(1305), "[photo]"]


def test_rate_limit_waits_what_telegram_asks(httpserver: HTTPServer, tmp_path: Path) -> None:
    api = FakeBotApi({None: "updates_page1.json"})
    api.queued = [(429, fixture("error_429.json"), {"Retry-After": "7"})]
    api.serve(httpserver)
    http, clock = fake_http()
    report, store = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert not report.failed  # type: ignore[attr-defined]
    assert http.waits == [7.0] and 7.0 in clock.slept
    assert fixture("error_429.json")["parameters"]["retry_after"] == 7
    assert set(by_id(store)) == {key(1202), key(1203)}


@pytest.mark.parametrize(
    ("methods", "status", "name", "words", "hint"),
    [
        (
            ["getUpdates"],
            409,
            "error_409_webhook.json",
            "HTTP 409: Conflict: can't use getUpdates",
            "deleteWebhook",
        ),
        (
            ["getUpdates"],
            409,
            "error_409_other_poller.json",
            "terminated by other getUpdates",
            "a bot of its own",
        ),
        (
            ["getUpdates", "getMe", "getChatMember"],
            401,
            "error_401.json",
            "HTTP 401: Unauthorized",
            "@BotFather",
        ),
    ],
)
def test_refusals_are_clear_and_never_show_the_token(
    httpserver: HTTPServer,
    tmp_path: Path,
    methods: list[str],
    status: int,
    name: str,
    words: str,
    hint: str,
) -> None:
    from tests.conftest import Cli

    api = FakeBotApi(FIRST_RUN)
    api.refuse = dict.fromkeys(methods, (status, fixture(name)))
    api.serve(httpserver)
    text = config(httpserver, tmp_path) + "  - name: demo\n    type: demo\n"
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    (failed,) = report.failed  # type: ignore[attr-defined]
    assert failed.source == "tg" and words in failed.error and TOKEN not in failed.error
    assert len(api.bodies) == 1  # refusals are not retried
    assert store.list_items(ItemFilter(sources=["demo"]))  # type: ignore[attr-defined]
    path = tmp_path / "repcli.yaml"
    path.write_text(text)
    shown = Cli(path)("-vv", "sources", "test", "tg")
    assert shown.exit_code == 6 and words in shown.stdout and hint in shown.stdout
    assert TOKEN not in shown.stdout + shown.stderr
    assert "POST" in shown.stderr and "/bot***/getMe" in shown.stderr  # logged, token masked


def test_a_malformed_token_gets_telegrams_404(httpserver: HTTPServer, tmp_path: Path) -> None:
    FakeBotApi(FIRST_RUN).serve(httpserver)
    other = "7012345678:AAEanotherTokenValue_0000000000000"
    text = config(httpserver, tmp_path, bot_token=other)
    report, _ = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    assert "Telegram getUpdates: HTTP 404: Not Found" in report.failed[0].error  # type: ignore[attr-defined]
    assert other not in report.failed[0].error  # type: ignore[attr-defined]
    report, _ = run_sources(
        config(httpserver, tmp_path, bot_token="not-a-token-at-all"), tmp_path / "x.db", NOW
    )
    assert "bot_token does not look like a bot token" in report.failed[0].error  # type: ignore[attr-defined]


def test_sources_test_checks_the_bot_can_see_comments(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    from tests.conftest import Cli

    api = FakeBotApi(FIRST_RUN)
    api.serve(httpserver)
    path = tmp_path / "repcli.yaml"
    path.write_text(config(httpserver, tmp_path))
    ok = Cli(path)("sources", "test")
    assert ok.exit_code == 0
    assert "ok: @uyutny_dom_reviews_bot reachable, administrator of the discussion" in ok.stdout
    api.member = "member"
    weak = Cli(path)("sources", "test")
    assert weak.exit_code == 0 and "privacy mode on" in weak.stdout
    assert [b.get("offset") for b in api.bodies if b["method"] == "getUpdates"] == [None, None]
    assert api.bodies[1] == {"method": "getChatMember", "chat_id": GROUP, "user_id": 7012345678}


def test_keyword_filter_keeps_matching_comments(httpserver: HTTPServer, tmp_path: Path) -> None:
    report, store, _ = first_run(httpserver, tmp_path, include="[заказ]", exclude="[Львов]")
    assert not report.failed
    assert set(by_id(store)) == {key(1202)}  # "заказ" in any form; Taras and Dmytro left out


def test_failure_mid_run_keeps_what_is_stored_and_its_offset(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    api = FakeBotApi(FIRST_RUN)
    api.serve(httpserver)
    pages = iter([None])

    def handler(request: Request) -> Response:
        if request.get_json().get("offset") == next(pages, "gone"):
            return api.handler(request)
        return Response("Bad gateway", status=502)

    httpserver.clear()
    httpserver.expect_request("").respond_with_handler(handler)
    http, _ = fake_http(max_attempts=3)
    report, store = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert "HTTP 502, still failing after 3 attempts" in report.failed[0].error  # type: ignore[attr-defined]
    assert set(by_id(store)) == {key(1202), key(1203)}  # page 1 is kept...
    cursor = store.cursor_for("tg")  # type: ignore[attr-defined]
    assert cursor["offset"] == 500103 and "1201" in cursor["posts"]  # ...with what it covers


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('{"ok": true, "result": [', "not valid JSON"),
        ('{"ok": true, "result": {"update_id": 1}}', "getUpdates answered dict"),
        ('{"ok": true, "result": [{"update_id": "500100"}]}', "update_id: expected a number"),
        ("<html>502 Bad Gateway</html>", "not valid JSON"),
    ],
)
def test_malformed_answers_fail_clearly(
    httpserver: HTTPServer, tmp_path: Path, body: str, words: str
) -> None:
    httpserver.expect_request("").respond_with_data(body, content_type="application/json")
    report, _ = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0])
    assert words in report.failed[0].error  # type: ignore[attr-defined]
    assert TOKEN not in report.failed[0].error  # type: ignore[attr-defined]


_SCALAR = st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=12)
_CHAT = st.fixed_dictionaries({}, optional={"id": st.just(GROUP) | _SCALAR, "username": _SCALAR})
_MESSAGE = st.fixed_dictionaries(
    {},
    optional={
        "message_id": st.integers(1, 3000) | _SCALAR,
        "chat": _CHAT | _SCALAR,
        "date": st.integers(0, 2**32) | _SCALAR,
        "edit_date": st.integers(0, 2**32) | _SCALAR,
        "text": st.text(max_size=30) | _SCALAR,
        "from": st.fixed_dictionaries({}, optional={"id": _SCALAR, "first_name": _SCALAR}),
        "sender_chat": _CHAT | _SCALAR,
        "message_thread_id": st.just(1201) | _SCALAR,
        "media_group_id": st.just("13975553123456789") | _SCALAR,
        "photo": st.just([{"file_id": "AgAC-x"}]) | _SCALAR,
        "is_automatic_forward": st.booleans(),
        "forward_origin": st.fixed_dictionaries(
            {}, optional={"message_id": _SCALAR, "chat": _CHAT}
        ),
    },
)
_UPDATE = st.fixed_dictionaries(
    {"update_id": st.integers(1, 10**9) | _SCALAR},
    optional={
        "message": _MESSAGE.flatmap(
            lambda m: st.fixed_dictionaries(
                {}, optional={"reply_to_message": _MESSAGE | _SCALAR}
            ).map(lambda extra: {**m, **extra})
        ),
        "edited_message": _MESSAGE | _SCALAR,
    },
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_UPDATE, max_size=6))
def test_update_reader_raises_only_our_errors(updates: list[dict[str, Any]]) -> None:
    from repcli.clock import from_iso
    from repcli.errors import SourceError
    from repcli.sources.base import FetchContext
    from repcli.sources.registry import parse_config
    from repcli.sources.telegram import TelegramSource, _State

    text = f"sources:\n  - name: tg\n    type: telegram\n    bot_token: '{TOKEN}'\n    chat_id: {GROUP}\n"
    when = from_iso(NOW)
    assert when is not None
    source = TelegramSource(parse_config(text).sources[0], FetchContext(when))
    state = _State(posts={"1201": {"text": "post", "post": 311, "channel": "shop"}})
    try:
        source._read(updates, state)
        state.dump()
    except SourceError:
        pass

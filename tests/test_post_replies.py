"""Each connector's `post_reply` against a loopback server speaking the platform's answer API.

Sources of the formats: Ozon Seller API reference (docs.ozon.ru/api/seller: ReviewAPI
CommentCreate `{review_id, text, mark_review_as_processed}` -> `{comment_id}`;
QuestionAnswer_Create `{question_id, sku (int64), text 2-3000}` -> `{answer_id}`; errors
`{code, message, details}`). Yandex Market Partner API (yandex.ru/dev/market/partner-api:
updateGoodsFeedbackComment, POST /v2/businesses/{businessId}/goods-feedback/comments/update
`{feedbackId, comment: {text}}` -> `{status: OK, result: {id, text, status, author}}`; errors
`{status: ERROR, errors: [{code, message}]}`).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from repcli.clock import from_iso
from repcli.errors import ReplyRejected, SourceError
from repcli.http import OutcomeUnknown
from repcli.sources.base import FetchContext, PostedReply, ReplyTarget
from repcli.sources.registry import parse_config, source_class
from tests.httpkit import fake_http, json_fixtures

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "s3cr3t-token-for-posting-tests"


def post(config_yaml: str, target: ReplyTarget, text: str) -> PostedReply:
    """Run one source's post_reply on the real HTTP layer (with a fake clock)."""
    config = parse_config(config_yaml)
    src = config.sources[0]
    http, _ = fake_http()
    now = from_iso("2026-11-23T09:00:00Z")
    assert now is not None

    async def run() -> PostedReply:
        ctx = FetchContext(now, http)
        try:
            reply: PostedReply = await source_class(src.type)(src, ctx).post_reply(target, text)
            return reply
        finally:
            await ctx.aclose()

    return asyncio.run(run())


def respond(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status, content_type="application/json")


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET", SECRET)


# ----------------------------------------------------------------- Ozon

OZON = json_fixtures(FIXTURES / "ozon")


def ozon_config(httpserver: HTTPServer) -> str:
    return (
        "sources:\n  - name: oz\n    type: ozon\n    client_id: '2739164'\n"
        f"    api_key: ${{SECRET}}\n    base_url: {httpserver.url_for('')}\n"
    )


def test_ozon_review_comment(httpserver: HTTPServer) -> None:
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        return respond({"comment_id": "0197a3c1-5e2f-7b80-9d14-c3a86e0f2b57"})

    httpserver.expect_request("/v1/review/comment/create", method="POST").respond_with_handler(
        handler
    )
    target = ReplyTarget(external_id="0196e5f2-0c44-7a91-8e3b-6f2d1a05c9e4", kind="review")
    reply = post(ozon_config(httpserver), target, "Спасибо, разберёмся!")
    assert reply.external_id == "0197a3c1-5e2f-7b80-9d14-c3a86e0f2b57"
    (request,) = seen
    assert request.headers["Client-Id"] == "2739164" and request.headers["Api-Key"] == SECRET
    assert request.get_json() == {
        "review_id": "0196e5f2-0c44-7a91-8e3b-6f2d1a05c9e4",
        "text": "Спасибо, разберёмся!",
        "mark_review_as_processed": True,
    }


def test_ozon_question_answer_uses_the_sku(httpserver: HTTPServer) -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: Request) -> Response:
        seen.append(request.get_json())
        return respond({"answer_id": "0197a3c1-aaaa-7b80-9d14-c3a86e0f2b57"})

    httpserver.expect_request("/v1/question/answer/create").respond_with_handler(handler)
    question = OZON("question_list_page1.json")["questions"][0]
    target = ReplyTarget(external_id=f"q:{question['id']}", kind="question", raw=question)
    post(ozon_config(httpserver), target, "Да, подходит.")
    assert seen == [
        {"question_id": question["id"], "sku": question["sku"], "text": "Да, подходит."}
    ]
    assert isinstance(seen[0]["sku"], int)


def test_ozon_refusal_is_a_rejection_with_ozons_words(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/review/comment/create").respond_with_json(
        {"code": 3, "message": "text length must be between 2 and 3000", "details": []}, status=400
    )
    with pytest.raises(ReplyRejected) as info:
        post(ozon_config(httpserver), ReplyTarget("r1", "review"), "!")
    assert "HTTP 400" in info.value.message
    assert "between 2 and 3000 (code 3)" in info.value.message
    assert SECRET not in str(info.value)


def test_ozon_server_errors_after_sending_are_not_repeated(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/review/comment/create").respond_with_json(
        {"code": 13, "message": "internal error", "details": []}, status=500
    )
    with pytest.raises(SourceError) as info:
        post(ozon_config(httpserver), ReplyTarget("r1", "review"), "Спасибо!")
    assert not isinstance(info.value, ReplyRejected)
    assert isinstance(info.value, OutcomeUnknown)  # the answer may be public already
    assert len(httpserver.log) == 1  # so it is never sent twice


# ----------------------------------------------------------------- Yandex Market

YM = json_fixtures(FIXTURES / "yandex_market")


def ym_config(httpserver: HTTPServer) -> str:
    return (
        "sources:\n  - name: ym\n    type: yandex_market\n    business_id: 21604887\n"
        f"    api_key: ${{SECRET}}\n    base_url: {httpserver.url_for('')}\n"
    )


def test_yandex_market_comment(httpserver: HTTPServer) -> None:
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        return respond(YM("goods_feedback_comment_update.json"))

    httpserver.expect_request(
        "/v2/businesses/21604887/goods-feedback/comments/update", method="POST"
    ).respond_with_handler(handler)
    reply = post(ym_config(httpserver), ReplyTarget("153202417755", "review"), "Марина, спасибо!")
    assert reply.external_id == "88121003477"
    (request,) = seen
    assert request.headers["Api-Key"] == SECRET
    assert request.get_json() == {
        "feedbackId": 153202417755,
        "comment": {"text": "Марина, спасибо!"},
    }


def test_yandex_market_refusal(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        "/v2/businesses/21604887/goods-feedback/comments/update"
    ).respond_with_json(
        {"status": "ERROR", "errors": [{"code": "BAD_REQUEST", "message": "Feedback not found"}]},
        status=400,
    )
    with pytest.raises(ReplyRejected) as info:
        post(ym_config(httpserver), ReplyTarget("1", "review"), "Спасибо!")
    assert "BAD_REQUEST: Feedback not found" in info.value.message


# ----------------------------------------------------------------- VK
# wall.createComment (dev.vk.com/method/wall.createComment): owner_id (-group), post_id,
# from_group, reply_to_comment, message; `{"response": {"comment_id", "parents_stack"}}`;
# errors inside HTTP 200 as `{"error": {error_code, error_msg, request_params}}`.


def vk_config(httpserver: HTTPServer) -> str:
    return (
        "sources:\n  - name: vk\n    type: vk\n    group_id: 231456789\n"
        f"    access_token: ${{SECRET}}\n    base_url: {httpserver.url_for('/method')}\n"
    )


def test_vk_answer_is_a_community_reply_sent_as_a_form(httpserver: HTTPServer) -> None:
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        return respond({"response": {"comment_id": 141, "parents_stack": [130]}})

    httpserver.expect_request("/method/wall.createComment", method="POST").respond_with_handler(
        handler
    )
    reply = post(vk_config(httpserver), ReplyTarget("117_130", "comment"), "Олег, напишите нам")
    assert reply.external_id == "117_141"
    (request,) = seen
    assert dict(request.form) == {
        "owner_id": "-231456789",
        "post_id": "117",
        "from_group": "231456789",
        "reply_to_comment": "130",
        "message": "Олег, напишите нам",
        "access_token": SECRET,
        "v": "5.199",
    }
    assert SECRET not in request.full_path  # the token never travels in a URL


def test_vk_errors_inside_200_are_rejections_or_retries(httpserver: HTTPServer) -> None:
    answers = iter(
        [
            json_fixtures(FIXTURES / "vk")("error_6.json"),
            {"error": {"error_code": 213, "error_msg": "Access denied: no access to comments"}},
        ]
    )
    httpserver.expect_request("/method/wall.createComment").respond_with_handler(
        lambda request: respond(next(answers))
    )
    with pytest.raises(ReplyRejected) as info:
        post(vk_config(httpserver), ReplyTarget("117_130", "comment"), "Спасибо!")
    assert "error 213: Access denied: no access to comments" in info.value.message
    assert len(httpserver.log) == 2  # error 6 (too many requests) was retried first


def test_vk_mentions_cannot_be_answered_here() -> None:
    config = "sources:\n  - name: vk\n    type: vk\n    group_id: 1\n    access_token: t\n"
    with pytest.raises(ReplyRejected) as info:
        post(config, ReplyTarget("mention:-5_17", "comment"), "Спасибо!")
    assert "is a mention" in info.value.message


# ----------------------------------------------------------------- Telegram
# Bot API sendMessage (core.telegram.org/bots/api#sendmessage): chat_id, text,
# reply_parameters {message_id, allow_sending_without_reply}; `{"ok": true, "result": Message}`;
# refusals `{"ok": false, "error_code": 400, "description": "Bad Request: ..."}`.

TG_TOKEN = "7012345678:AAEpostingTestToken_x9Yk2LmQpR7sTuVwXyZ0"


def tg_config(httpserver: HTTPServer) -> str:
    return (
        f"sources:\n  - name: tg\n    type: telegram\n    bot_token: '{TG_TOKEN}'\n"
        f"    chat_id: -1002233445566\n    base_url: {httpserver.url_for('')}\n"
    )


def test_telegram_answer_replies_to_the_comment(httpserver: HTTPServer) -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: Request) -> Response:
        seen.append(request.get_json())
        message = {
            "message_id": 912,
            "date": 1795424400,
            "chat": {"id": -1002233445566, "type": "supergroup", "title": "Уютный дом — чат"},
            "from": {"id": 7012345678, "is_bot": True, "first_name": "repcli"},
            "text": "Анна, напишите нам",
        }
        return respond({"ok": True, "result": message})

    httpserver.expect_request(f"/bot{TG_TOKEN}/sendMessage", method="POST").respond_with_handler(
        handler
    )
    target = ReplyTarget("-1002233445566:907", "comment")
    reply = post(tg_config(httpserver), target, "Анна, напишите нам")
    assert reply.external_id == "-1002233445566:912"
    assert seen == [
        {
            "chat_id": -1002233445566,
            "text": "Анна, напишите нам",
            "reply_parameters": {"message_id": 907, "allow_sending_without_reply": False},
        }
    ]


def test_telegram_refusal_names_telegrams_words_not_the_token(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"/bot{TG_TOKEN}/sendMessage").respond_with_json(
        {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: message to be replied not found",
        },
        status=400,
    )
    with pytest.raises(ReplyRejected) as info:
        post(tg_config(httpserver), ReplyTarget("-1002233445566:907", "comment"), "Спасибо!")
    assert "message to be replied not found" in info.value.message
    assert TG_TOKEN not in str(info.value) and "AAEposting" not in str(info.value)

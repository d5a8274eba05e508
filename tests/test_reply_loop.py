"""The whole answering loop against platforms' answer APIs served on 127.0.0.1.

fetch -> flagged -> queued with a deadline -> drafted from a template with the customer's name
-> approved -> posted (the request checked against the platform's documented format) -> the next
fetch sees the answer -> the item leaves the queue. A refusal (4xx) keeps the draft with the
platform's words. Wire formats: Wildberries feedbacks API (openapi.wb.ru, feedbacks-questions):
POST /api/v1/feedbacks/answer {"id", "text"} -> 204, text 2-5000 characters.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import Cli
from tests.httpkit import json_fixtures

WB = json_fixtures(Path(__file__).parent / "fixtures" / "wildberries")
TOKEN = "wb-loop-token-0123456789abcdef"
NOW = "2026-05-20T09:00:00Z"


class FakeWildberries:
    """Feedbacks that gain an answer when one is posted, as the seller API shows them."""

    def __init__(self) -> None:
        self.feedbacks: list[dict[str, Any]] = copy.deepcopy(
            WB("feedbacks_unanswered_page1.json")["data"]["feedbacks"]
        )
        self.posted: list[tuple[str, dict[str, str], Any]] = []

    def _json(self, body: Any, status: int = 200) -> Response:
        return Response(
            json.dumps(body, ensure_ascii=False), status, content_type="application/json"
        )

    def list(self, request: Request) -> Response:
        if request.headers.get("Authorization") != TOKEN:
            return self._json(WB("error_401.json"), 401)
        key = request.path.rsplit("/", 1)[-1]
        answered = request.args["isAnswered"] == "true"
        rows = (
            [f for f in self.feedbacks if bool(f["answer"]) == answered]
            if key == "feedbacks"
            else []
        )
        rows = rows if request.args["skip"] == "0" else []
        data = {"countUnanswered": 0, "countArchive": 0, key: rows}
        return self._json({"data": data, "error": False, "errorText": "", "additionalErrors": None})

    def answer(self, request: Request) -> Response:
        self.posted.append((request.method, dict(request.headers), request.get_json(silent=True)))
        if request.headers.get("Authorization") != TOKEN:
            return self._json(WB("error_401.json"), 401)
        if request.content_type != "application/json":
            return self._json(WB("error_400_answer.json"), 400)
        body = request.get_json()
        if not 2 <= len(body.get("text", "")) <= 5000:
            error = {**WB("error_400_answer.json"), "detail": "text: длина от 2 до 5000 символов"}
            return self._json(error, 400)
        for feedback in self.feedbacks:
            if feedback["id"] == body["id"]:
                feedback["answer"] = {"text": body["text"], "state": "wbRu", "editable": True}
        return Response(status=204)

    def serve(self, httpserver: HTTPServer) -> None:
        for path in ("/api/v1/feedbacks", "/api/v1/questions"):
            httpserver.expect_request(path, method="GET").respond_with_handler(self.list)
        httpserver.expect_request("/api/v1/feedbacks/answer", method="POST").respond_with_handler(
            self.answer
        )


@pytest.fixture
def wb(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Cli, FakeWildberries]:
    monkeypatch.setenv("WB_TOKEN", TOKEN)
    monkeypatch.setenv("REPCLI_NOW", NOW)
    monkeypatch.setenv("REPCLI_USER", "anna")
    platform = FakeWildberries()
    platform.serve(httpserver)
    config = tmp_path / "repcli.yaml"
    config.write_text(
        f"store: {tmp_path / 'loop.db'}\nshop: Nordwind\n"
        "sources:\n  - name: wb\n    type: wildberries\n    token: ${WB_TOKEN}\n"
        f"    base_url: {httpserver.url_for('')}\n    questions: false\n    sla_hours: 24\n",
        encoding="utf-8",
    )
    return Cli(config), platform


def _jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_wildberries_answer_loop(wb: tuple[Cli, FakeWildberries]) -> None:
    cli, platform = wb
    checked = json.loads(cli("check", "--format", "json").stdout)
    flagged = {r["external_id"]: r for r in checked["new_negative"]}
    target = flagged["Kp3vT8mQbN2xWc7YhR4d"]  # 2★, "после первой стирки пошли катышки"
    queue = _jsonl(cli("queue", "--format", "jsonl").stdout)
    assert target["id"] in [r["id"] for r in queue]
    assert target["due_at"] == "2026-05-15T06:41:27.000000Z"  # created + 24 h, in UTC

    # The platform refuses a one-letter answer: the draft stays, with WB's own words, exit 6.
    refused = cli("reply", str(target["id"]), "--text", "!", "--approve", "--post")
    assert refused.exit_code == 6
    assert "HTTP 400" in refused.stderr and "от 2 до 5000" in refused.stderr
    failed = _jsonl(cli("replies", "--status", "failed", "--format", "jsonl").stdout)
    assert [(r["item_id"], r["text"]) for r in failed] == [(target["id"], "!")]

    # A template draft with the customer's name goes out as WB documents it.
    drafted = cli("reply", str(target["id"]), "--template", "ru-negative")
    assert "Здравствуйте, Екатерина!" in drafted.stdout
    posted = cli("reply", str(target["id"]), "--approve", "--post")
    assert posted.exit_code == 0, posted.output
    method, headers, body = platform.posted[-1]
    assert method == "POST"
    assert headers["Authorization"] == TOKEN
    assert headers["Content-Type"] == "application/json"
    assert body["id"] == "Kp3vT8mQbN2xWc7YhR4d"
    assert body["text"].startswith("Здравствуйте, Екатерина! Спасибо за честный отзыв")
    assert set(body) == {"id", "text"}

    # Posted: out of the queue at once; the next fetch sees the answer on the platform.
    assert target["id"] not in [r["id"] for r in _jsonl(cli("queue", "--format", "jsonl").stdout)]
    assert cli("fetch", "-q").exit_code == 0
    shown = json.loads(cli("show", str(target["id"]), "--format", "json").stdout)
    assert shown["item"]["answer_text"] == body["text"]
    assert shown["item"]["status"] == "answered"
    actions = [e["action"] for e in shown["item"]["history"]]
    assert actions[-2:] == ["reply posted", "answer seen on the platform"]
    assert "reply failed" in actions
    # Posting again is impossible, and the token never showed.
    assert cli("post", "--retry-failed").exit_code == 0
    assert len([p for p in platform.posted if p[2] and p[2]["text"] != "!"]) == 1
    for result in (refused, drafted, posted):
        assert TOKEN not in result.output


def test_posting_without_the_token_is_a_config_error_and_sends_nothing(
    wb: tuple[Cli, FakeWildberries], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drafting needs no token; posting does: exit 3 naming the variable, the reply stays
    approved (never claimed), nothing reaches the platform."""
    cli, platform = wb
    checked = json.loads(cli("check", "--format", "json").stdout)
    item_id = checked["new_negative"][0]["id"]
    monkeypatch.delenv("WB_TOKEN")
    assert cli("reply", str(item_id), "--text", "Спасибо, разберёмся.", "--approve").exit_code == 0
    posted = cli("post")
    assert posted.exit_code == 3, posted.output
    assert "WB_TOKEN" in posted.stderr
    assert platform.posted == []
    (reply,) = _jsonl(cli("replies", "--format", "jsonl").stdout)
    assert reply["status"] == "approved"

"""A public answer is sent once, whatever the platform does after the request arrived.

A Wildberries answer API on 127.0.0.1 that takes the answer and then fails (502, or drops the
connection), as a proxy in front of a busy platform does: repcli must send exactly one POST, keep
the reply in `unknown`, never resend it by itself (`post`, `post --retry-failed`), and settle it
when the next fetch shows the answer, or when a person says what they saw (`--was-posted`).
Wire format: Wildberries feedbacks API (openapi.wb.ru): POST /api/v1/feedbacks/answer
{"id", "text"} -> 204.
"""

from __future__ import annotations

import copy
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import Cli
from tests.httpkit import json_fixtures

WB = json_fixtures(Path(__file__).parent.parent / "fixtures" / "wildberries")
TOKEN = "wb-hostile-post-token-0123456789"
NOW = "2026-05-20T09:00:00Z"
TARGET = "Kp3vT8mQbN2xWc7YhR4d"


class ActsThenFails:
    """Stores the answer, then answers 502 (or drops the connection) instead of 204."""

    def __init__(self, failure: str) -> None:
        self.failure = failure
        self.feedbacks: list[dict[str, Any]] = copy.deepcopy(
            WB("feedbacks_unanswered_page1.json")["data"]["feedbacks"]
        )
        self.posts: list[dict[str, Any]] = []
        self.acts = True

    def list(self, request: Request) -> Response:
        key = request.path.rsplit("/", 1)[-1]
        answered = request.args["isAnswered"] == "true"
        rows = [f for f in self.feedbacks if bool(f["answer"]) == answered]
        rows = rows if key == "feedbacks" and request.args["skip"] == "0" else []
        data = {"countUnanswered": 0, "countArchive": 0, key: rows}
        body = {"data": data, "error": False, "errorText": "", "additionalErrors": None}
        return Response(json.dumps(body, ensure_ascii=False), content_type="application/json")

    def answer(self, request: Request) -> Response:
        body = request.get_json()
        self.posts.append(body)
        if self.acts:
            for feedback in self.feedbacks:
                if feedback["id"] == body["id"]:
                    feedback["answer"] = {"text": body["text"], "state": "wbRu", "editable": True}
        if self.failure == "502":
            return Response("<html><body>502 Bad Gateway</body></html>", 502)
        # Drop the connection after the request arrived: no status line at all.
        sock = request.environ.get("werkzeug.socket")
        assert isinstance(sock, socket.socket)
        sock.shutdown(socket.SHUT_RDWR)
        sock.close()
        return Response(status=204)

    def serve(self, httpserver: HTTPServer) -> None:
        for path in ("/api/v1/feedbacks", "/api/v1/questions"):
            httpserver.expect_request(path, method="GET").respond_with_handler(self.list)
        httpserver.expect_request("/api/v1/feedbacks/answer", method="POST").respond_with_handler(
            self.answer
        )


def _setup(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str
) -> tuple[Cli, ActsThenFails, int]:
    monkeypatch.setenv("WB_TOKEN", TOKEN)
    monkeypatch.setenv("REPCLI_NOW", NOW)
    monkeypatch.setenv("REPCLI_USER", "anna")
    platform = ActsThenFails(failure)
    platform.serve(httpserver)
    config = tmp_path / "repcli.yaml"
    config.write_text(
        f"store: {tmp_path / 'post.db'}\nshop: Nordwind\n"
        "sources:\n  - name: wb\n    type: wildberries\n    token: ${WB_TOKEN}\n"
        f"    base_url: {httpserver.url_for('')}\n    questions: false\n",
        encoding="utf-8",
    )
    cli = Cli(config)
    checked = json.loads(cli("check", "--format", "json").stdout)
    item_id = next(r["id"] for r in checked["new_negative"] if r["external_id"] == TARGET)
    return cli, platform, item_id


def _reply(cli: Cli, item_id: int) -> dict[str, Any]:
    rows = json.loads(cli("replies", "--format", "json").stdout)["replies"]
    return next(r for r in rows if r["item_id"] == item_id)


@pytest.mark.parametrize("failure", ["502", "dropped"])
def test_an_answer_whose_outcome_is_unknown_is_sent_once(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    cli, platform, item_id = _setup(httpserver, tmp_path, monkeypatch, failure)
    text = "Екатерина, спасибо за отзыв! Заменим товар, напишите нам в чат."
    result = cli("reply", str(item_id), "--text", text, "--approve", "--post")
    assert result.exit_code == 6, result.output
    assert len(platform.posts) == 1
    assert "unknown" in result.stderr and "--was-posted" in result.stderr
    assert TOKEN not in result.output
    reply = _reply(cli, item_id)
    assert reply["status"] == "unknown"

    # Nothing sends it again by itself: not the cron `post`, not `--retry-failed`.
    assert cli("post").exit_code == 0
    assert cli("post", "--retry-failed").exit_code == 0
    again = cli("post", str(reply["id"]))
    assert again.exit_code == 1 and "--was-posted" in again.stderr
    # Nor can a second draft go out beside it.
    assert cli("reply", str(item_id), "--text", "ещё раз").exit_code != 0
    assert len(platform.posts) == 1

    # The next fetch sees the answer on the platform: the reply is settled as posted.
    assert cli("fetch", "-q").exit_code == 0
    settled = _reply(cli, item_id)
    assert settled["status"] == "posted"
    shown = json.loads(cli("show", str(item_id), "--format", "json").stdout)
    assert shown["item"]["status"] == "answered"
    details = {e["action"]: e["detail"] for e in shown["item"]["history"]}
    assert "its text is on the platform" in details["reply settled by fetch"]
    assert len(platform.posts) == 1


def test_a_person_settles_an_unknown_reply_and_only_then_it_is_retried(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli, platform, item_id = _setup(httpserver, tmp_path, monkeypatch, "502")
    platform.acts = False  # the 502 was true: nothing reached the feedback
    assert (
        cli(
            "reply", str(item_id), "--text", "Спасибо, разберёмся.", "--approve", "--post"
        ).exit_code
        == 6
    )
    reply = _reply(cli, item_id)
    assert reply["status"] == "unknown"
    assert cli("fetch", "-q").exit_code == 0
    assert _reply(cli, item_id)["status"] == "unknown"  # no answer seen: nothing to settle

    settled = cli("post", str(reply["id"]), "--was-posted", "no")
    assert settled.exit_code == 0, settled.output
    assert _reply(cli, item_id)["status"] == "failed"
    platform.acts = True  # this time it takes the answer, and the 502 lies
    assert cli("post", "--retry-failed").exit_code == 6
    assert len(platform.posts) == 2
    assert _reply(cli, item_id)["status"] == "unknown"
    assert cli("fetch", "-q").exit_code == 0
    assert _reply(cli, item_id)["status"] == "posted"
    # A settled reply cannot be settled again.
    assert cli("post", str(reply["id"]), "--was-posted", "yes").exit_code == 2
    assert len(platform.posts) == 2

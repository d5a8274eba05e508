"""`repcli.actions.post` called as a script would (no CLI), against a Wildberries answer API on
127.0.0.1 that takes one answer, refuses one (400) and answers one with a 502 after taking it.

Wire format: Wildberries feedbacks API (openapi.wb.ru, feedbacks-questions): GET
/api/v1/feedbacks; POST /api/v1/feedbacks/answer {"id", "text"} -> 204.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from repcli.actions import fetch, post, reply
from repcli.config.model import Config
from repcli.errors import ExitCode, UsageError
from repcli.sources.registry import load_config
from repcli.store import ItemFilter, Store, open_store
from tests.conftest import Cli
from tests.httpkit import json_fixtures

WB = json_fixtures(Path(__file__).parent / "fixtures" / "wildberries")
TOKEN = "wb-action-post-token-0123456789"
NOW = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)
TAKES, REFUSES, UNSURE = "Kp3vT8mQbN2xWc7YhR4d", "Zr8NqE1fLk6VbT0sMa9P", "bW5tGy2HcJ7uDq4XoE1n"


class Platform:
    """Feedbacks, and an answer endpoint whose reply to each feedback id is set by the test."""

    def __init__(self) -> None:
        self.feedbacks: list[dict[str, Any]] = copy.deepcopy(
            WB("feedbacks_unanswered_page1.json")["data"]["feedbacks"]
        )
        self.status = {TAKES: 204, REFUSES: 400, UNSURE: 502}
        self.posts: list[str] = []

    def list(self, request: Request) -> Response:
        key = request.path.rsplit("/", 1)[-1]
        answered = request.args["isAnswered"] == "true"
        rows = [f for f in self.feedbacks if bool(f["answer"]) == answered]
        rows = rows if key == "feedbacks" and request.args["skip"] == "0" else []
        data = {"countUnanswered": 0, "countArchive": 0, key: rows}
        body = {"data": data, "error": False, "errorText": "", "additionalErrors": None}
        return Response(json.dumps(body, ensure_ascii=False), content_type="application/json")

    def answer(self, request: Request) -> Response:
        assert request.headers.get("Authorization") == TOKEN
        body = request.get_json()
        self.posts.append(body["id"])
        status = self.status[body["id"]]
        if status == 400:
            error = {**WB("error_400_answer.json"), "detail": "text: длина от 2 до 5000 символов"}
            return Response(json.dumps(error, ensure_ascii=False), 400, mimetype="application/json")
        return Response(status=status)

    def serve(self, httpserver: HTTPServer) -> None:
        for path in ("/api/v1/feedbacks", "/api/v1/questions"):
            httpserver.expect_request(path, method="GET").respond_with_handler(self.list)
        httpserver.expect_request("/api/v1/feedbacks/answer", method="POST").respond_with_handler(
            self.answer
        )


Shop = tuple[Config, Store, Platform, dict[str, int]]


@pytest.fixture
def shop(httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Shop]:
    """The three feedbacks fetched, each with a drafted reply (reply ids by feedback id): the one
    the platform takes and the one it refuses approved, the third a draft."""
    monkeypatch.setenv("WB_TOKEN", TOKEN)
    platform = Platform()
    platform.serve(httpserver)
    path = tmp_path / "repcli.yaml"
    path.write_text(
        f"store: {tmp_path / 'post.db'}\nshop: Nordwind\n"
        "sources:\n  - name: wb\n    type: wildberries\n    token: ${WB_TOKEN}\n"
        f"    base_url: {httpserver.url_for('')}\n    questions: false\n",
        encoding="utf-8",
    )
    config = load_config(path)
    store = open_store(config.store)
    assert fetch.run(config, store, NOW).failure_code is None
    replies = {}
    for item in store.list_items(ItemFilter()):
        options = reply.ReplyOptions(
            text=f"Спасибо за отзыв, {item['external_id']}.",
            approve=item["external_id"] != UNSURE,
        )
        drafted = reply.run(config, store, item["id"], options, NOW, "anna")
        assert drafted.reply is not None
        replies[item["external_id"]] = drafted.reply["id"]
    assert sorted(replies) == sorted((TAKES, REFUSES, UNSURE))
    yield config, store, platform, replies
    store.close()


def _status(store: Store, reply_id: int) -> str:
    return str(store.reply(reply_id)["status"])


def _order(replies: dict[str, int], *external_ids: str) -> list[int]:
    """The reply ids of these feedbacks, oldest reply first."""
    return sorted(replies[e] for e in external_ids)


def test_post_sends_the_approved_replies_oldest_first_and_says_what_each_did(
    shop: Shop,
) -> None:
    config, store, platform, replies = shop
    approved = _order(replies, TAKES, REFUSES)

    dry = post.run(config, store, post.PostOptions(dry_run=True), NOW, "anna")
    assert dry.reply_ids == approved
    assert [(o.reply_id, o.result) for o in dry.outcomes] == [(r, "would-post") for r in approved]
    assert platform.posts == [] and dry.exit_code is ExitCode.OK
    assert {_status(store, r) for r in approved} == {"approved"}

    sent = post.run(config, store, post.PostOptions(), NOW, "anna")
    assert sent.reply_ids == approved  # the draft is not among them
    results = {o.reply_id: o.result for o in sent.outcomes}
    assert results == {replies[TAKES]: "posted", replies[REFUSES]: "failed"}
    refused = next(o for o in sent.outcomes if o.result == "failed")
    assert "длина от 2 до 5000" in refused.message
    assert sorted(platform.posts) == sorted((TAKES, REFUSES))
    assert sent.exit_code is ExitCode.SOURCES_FAILED
    assert _status(store, replies[TAKES]) == "posted"
    assert _status(store, replies[REFUSES]) == "failed"

    # The third, approved now, goes out alone; its outcome is unknown (a 502 after sending).
    reply.run(config, store, store.reply(replies[UNSURE])["item_id"],
              reply.ReplyOptions(approve=True), NOW, "anna")  # fmt: skip
    unsure = post.run(config, store, post.PostOptions(), NOW, "anna")
    assert unsure.reply_ids == [replies[UNSURE]]
    assert [o.result for o in unsure.outcomes] == ["unknown"]
    assert unsure.exit_code is ExitCode.SOURCES_FAILED

    nothing = post.run(config, store, post.PostOptions(), NOW, "anna")
    assert nothing.reply_ids == [] and nothing.outcomes == []
    assert nothing.exit_code is ExitCode.OK

    # --retry-failed: the refused one again (the platform takes it now), never the unknown one.
    platform.status[REFUSES] = 204
    retried = post.run(config, store, post.PostOptions(retry_failed=True), NOW, "anna")
    assert retried.reply_ids == [replies[REFUSES]]
    assert [o.result for o in retried.outcomes] == ["posted"]
    assert retried.exit_code is ExitCode.OK
    assert platform.posts.count(REFUSES) == 2 and platform.posts.count(UNSURE) == 1


def test_one_reply_asked_for_and_skipped_is_an_error(shop: Shop) -> None:
    config, store, platform, replies = shop
    post.run(config, store, post.PostOptions(reply_ids=(replies[TAKES],)), NOW, "anna")
    assert platform.posts == [TAKES]

    again = post.run(config, store, post.PostOptions(reply_ids=(replies[TAKES],)), NOW, "anna")
    assert [(o.result, o.message) for o in again.outcomes] == [("skipped", "already posted")]
    assert again.exit_code is ExitCode.ERROR
    draft = post.run(config, store, post.PostOptions(reply_ids=(replies[UNSURE],)), NOW, "anna")
    assert [o.result for o in draft.outcomes] == ["skipped"]
    assert "not approved yet" in draft.outcomes[0].message
    assert draft.exit_code is ExitCode.ERROR
    both = (replies[TAKES], replies[UNSURE])
    two = post.run(config, store, post.PostOptions(reply_ids=both), NOW, "anna")
    assert [o.result for o in two.outcomes] == ["skipped", "skipped"]
    assert two.exit_code is ExitCode.OK  # cron's list: a skipped one is not a failure
    assert platform.posts == [TAKES]


class Told(post.PostSteps):
    def __init__(self) -> None:
        self.settled_: list[tuple[int, bool]] = []

    def settled(self, reply_id: int, posted: bool) -> None:
        self.settled_.append((reply_id, posted))


def test_was_posted_settles_what_a_person_saw_and_sends_nothing(shop: Shop) -> None:
    config, store, platform, replies = shop
    item_id = store.reply(replies[UNSURE])["item_id"]
    reply.run(config, store, item_id, reply.ReplyOptions(approve=True, post=True), NOW, "anna")
    assert _status(store, replies[UNSURE]) == "unknown"
    assert platform.posts == [UNSURE]

    told = Told()
    options = post.PostOptions(reply_ids=(replies[UNSURE],), was_posted="no")
    result = post.run(config, store, options, NOW, "anna", steps=told)
    assert result.settled == told.settled_ == [(replies[UNSURE], False)]
    assert result.outcomes == [] and result.exit_code is ExitCode.OK
    assert _status(store, replies[UNSURE]) == "failed"

    # A reply that is not waiting to be settled stops the run; the ones before it are told.
    reply.run(config, store, item_id, reply.ReplyOptions(approve=True, post=True), NOW, "anna")
    told = Told()
    options = post.PostOptions(reply_ids=(replies[UNSURE], replies[TAKES]), was_posted="yes")
    with pytest.raises(UsageError, match="not waiting to be settled"):
        post.run(config, store, options, NOW, "anna", steps=told)
    assert told.settled_ == [(replies[UNSURE], True)]
    assert _status(store, replies[UNSURE]) == "posted"
    assert platform.posts == [UNSURE, UNSURE]


@pytest.mark.parametrize(
    ("reply_ids", "was_posted"), [((1,), "maybe"), ((1,), "YES"), ((), "yes"), ((), "no")]
)
def test_settling_options_are_checked_when_made(
    reply_ids: tuple[int, ...], was_posted: str
) -> None:
    with pytest.raises(UsageError, match="--was-posted yes` \\(or no\\)"):
        post.PostOptions(reply_ids=reply_ids, was_posted=was_posted)


@pytest.mark.parametrize(
    "args", [("post", "--was-posted", "maybe", "1"), ("post", "--was-posted", "yes")]
)
def test_a_bad_option_leaves_no_store_behind(tmp_path: Path, args: tuple[str, ...]) -> None:
    config = tmp_path / "repcli.yaml"
    config.write_text(
        "store: team.db\nsources:\n  - {name: wb-demo, type: demo, dataset: wildberries}\n",
        encoding="utf-8",
    )
    result = Cli(config)(*args)
    assert result.exit_code == 2, result.output
    assert result.stderr == "error: use `repcli post REPLY_ID --was-posted yes` (or no)\n"
    assert not (tmp_path / "team.db").exists()

"""A queue answered in minutes: `repcli draft` drafts the queue, `--approve` keeps what a person
read, auto-approval only for narrow praise rules, platform limits before approval (issue 18)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli

from repcli.workflow import limits


def _rows(result: Any) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


@pytest.fixture
def fetched(cli: Cli) -> Cli:
    assert cli("fetch").exit_code == 0
    return cli


def test_draft_drafts_the_filtered_queue_and_approve_keeps_only_what_was_read(
    fetched: Cli,
) -> None:
    cli = fetched
    queue = _rows(cli("queue", "--format", "jsonl", "-n", "0"))
    uk = [q for q in queue if q["lang"] == "uk"]
    first = _rows(cli("draft", "--lang", "uk", "--format", "jsonl"))
    assert sorted(d["item_id"] for d in first) == sorted(q["id"] for q in uk)
    assert all(d["fresh"] and d["status"] == "draft" and d["problems"] == [] for d in first)
    assert all(d["text"].startswith("Вітаємо") for d in first)
    # Fresh drafts are never approved in the run that made them: nobody has read them yet.
    same_run = _rows(cli("draft", "--lang", "en", "--approve", "--format", "jsonl"))
    assert same_run and {d["status"] for d in same_run} == {"draft"}
    # The second run shows the same drafts (not redrafted) and approves the kept ones.
    skip = next(d["item_id"] for d in first if d["kind"] != "question")
    second = cli("draft", "--lang", "uk", "--approve", "--skip", str(skip), "--format", "jsonl")
    rows = _rows(second)
    assert [d["reply_id"] for d in rows] == [d["reply_id"] for d in first]
    assert not any(d["fresh"] for d in rows)
    status = {d["item_id"]: d["status"] for d in rows}
    assert status[skip] == "draft"
    for d in rows:
        if d["kind"] == "question":  # a template greeting is not an answer
            assert status[d["item_id"]] == "draft"
            assert f"#{d['item_id']} not approved: a question's draft" in second.stderr
        elif d["item_id"] != skip:
            assert status[d["item_id"]] == "approved"
    dry = cli("post", "--dry-run")
    assert dry.exit_code == 0
    assert dry.stderr.count("would post") == sum(s == "approved" for s in status.values())


def test_draft_never_overwrites_an_edited_draft(fetched: Cli) -> None:
    cli = fetched
    item = _rows(cli("queue", "--format", "jsonl", "-n", "1"))[0]
    cli("reply", str(item["id"]), "--text", "Свой ответ.")
    rows = _rows(cli("draft", "--format", "jsonl"))
    mine = next(d for d in rows if d["item_id"] == item["id"])
    assert mine["text"] == "Свой ответ." and not mine["fresh"] and mine["template"] is None


def test_draft_filters_by_rating_topic_kind_and_source(fetched: Cli) -> None:
    cli = fetched
    rows = _rows(cli("draft", "--rating", "1", "--topic", "damaged", "--format", "jsonl"))
    assert rows and all(d["rating"] == 1 for d in rows)
    questions = _rows(cli("draft", "--kind", "question", "-s", "ozon-demo", "--format", "jsonl"))
    assert questions and {(d["kind"], d["source"]) for d in questions} == {
        ("question", "ozon-demo")
    }


def test_the_review_screen_shows_item_beside_draft(fetched: Cli) -> None:
    result = fetched("draft", "--lang", "uk", "--format", "table", env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "Вітаємо!" in result.stdout and "(uk-" in result.stdout
    assert "draft(s)" in result.stderr and "--approve" in result.stderr


def test_auto_approval_is_off_by_default_and_narrow_when_on(fetched: Cli) -> None:
    cli = fetched
    rows = _rows(cli("draft", "--unanswered", "--rating", "5", "--format", "jsonl"))
    assert rows and not any(d["status"] == "approved" for d in rows)
    assert cli.config is not None
    text = cli.config.read_text(encoding="utf-8")
    cli.config.write_text(
        text + "\nworkflow:\n  auto_approve:\n    - ratings: [5]\n      langs: [en]\n",
        encoding="utf-8",
    )
    rows = _rows(cli("draft", "--unanswered", "--rating", "4,5", "--format", "jsonl"))
    # Drafts made earlier are not fresh: a rule approves only what it drafts itself.
    assert not any(d["auto"] for d in rows)
    # A fresh store: the rule acts on the drafts it makes.
    other = Path(str(cli.config).replace("config.yaml", "other.yaml"))
    other.write_text(
        text.replace("store: repcli-demo.db", "store: other.db")
        + "\nworkflow:\n  auto_approve:\n    - ratings: [5]\n      langs: [en]\n",
        encoding="utf-8",
    )
    fresh = Cli(other)
    assert fresh("fetch").exit_code == 0
    rows = _rows(fresh("draft", "--unanswered", "--format", "jsonl"))
    auto = [d for d in rows if d["auto"]]
    assert auto and all(d["rating"] == 5 and d["lang"] == "en" for d in auto)
    assert all(d["status"] == "approved" for d in auto)
    assert not any(d["auto"] for d in rows if d["kind"] != "review" or d["rating"] != 5)


def test_auto_approval_refuses_complaint_ratings(fetched: Cli) -> None:
    cli = fetched
    assert cli.config is not None
    cli.config.write_text(
        cli.config.read_text(encoding="utf-8")
        + "\nworkflow:\n  auto_approve:\n    - ratings: [1, 5]\n",
        encoding="utf-8",
    )
    result = cli("draft")
    assert result.exit_code == 3
    assert "only 4 and 5 can be approved without a person" in result.stderr


def test_replies_shows_every_state_at_a_glance(fetched: Cli) -> None:
    cli = fetched
    item = _rows(cli("queue", "--format", "jsonl", "-n", "1"))[0]
    cli("reply", str(item["id"]))
    result = cli("replies", "--format", "table")
    assert result.exit_code == 0
    assert "1 draft · 0 approved · 0 posting · 0 unknown · 0 posted · 0 failed" in result.stderr


# ----------------------------------------------------------------- platform limits


def test_limits_before_approval(fetched: Cli) -> None:
    cli = fetched
    items = _rows(cli("list", "--format", "jsonl", "-n", "0"))
    play = next(i for i in items if i["platform"] == "google_play")
    cli("reply", str(play["id"]), "--text", "Спасибо! " * 50)
    refused = cli("reply", str(play["id"]), "--approve")
    assert refused.exit_code == 2
    assert "cannot be approved" in refused.stderr and "at most 350" in refused.stderr
    ym = next(i for i in items if i["platform"] == "yandex_market")
    cli("reply", str(ym["id"]), "--text", "Позвоните нам: +7 999 123-45-67 или shop.example.ru")
    refused = cli("reply", str(ym["id"]), "--approve")
    assert refused.exit_code == 2
    assert "phone number" in refused.stderr and "link" in refused.stderr
    queue = _rows(cli("draft", "--format", "jsonl", "-n", "0"))
    blocked = [d for d in queue if d["problems"]]
    again = _rows(cli("draft", "--approve", "--format", "jsonl", "-n", "0"))
    assert all(
        d["status"] == "draft" for d in again if d["item_id"] in {b["item_id"] for b in blocked}
    )


@pytest.mark.parametrize(
    ("platform", "kind", "text", "problem"),
    [
        ("google_play", "review", "x" * 351, "at most 350"),
        ("google_play", "review", "x" * 350, None),
        ("wildberries", "review", "x" * 5001, "at most 5000"),
        ("ozon", "question", "x" * 3001, "at most 3000"),
        ("ozon", "review", "x" * 3001, None),
        ("yandex_market", "review", "see https://shop.example/x", "link"),
        ("yandex_market", "review", "call 8 (999) 123-45-67", "phone number"),
        ("yandex_market", "review", "order 48602291-0011, 150×200 cm", None),
        ("yandex_market", "review", "mail me: a.b@shop.example", "e-mail"),
        ("ebay", "review", "call +44 20 7946 0958", "phone number"),
        ("vk", "comment", "https://vk.com/shop " * 10, None),
    ],
)
def test_platform_rules(platform: str, kind: str, text: str, problem: str | None) -> None:
    found = limits.problems(platform, kind, text)
    if problem is None:
        assert found == []
    else:
        assert any(problem in f for f in found), found

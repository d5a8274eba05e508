"""The response workflow on the demo: statuses, assignees, notes, history, drafts, templates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repcli.analysis.names import first_name
from repcli.errors import ConfigError
from repcli.sources.registry import parse_config
from repcli.workflow import templates as tpl
from tests.conftest import Cli


def _rows(result) -> list[dict]:  # type: ignore[no-untyped-def]
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


@pytest.fixture
def checked(cli: Cli) -> Cli:
    assert cli("check", "-q", "--format", "json").exit_code == 0
    return cli


def test_mark_assign_note_and_history(checked: Cli) -> None:
    cli = checked
    queue = _rows(cli("queue", "--format", "jsonl", "--limit", "0"))
    first, second = queue[0]["id"], queue[1]["id"]
    env = {"REPCLI_USER": "anna"}
    result = cli("assign", "oleg", str(first), str(second), env=env)
    assert result.exit_code == 0, result.output
    mine = _rows(cli("queue", "--assignee", "oleg", "--format", "jsonl"))
    assert [r["id"] for r in mine] == [first, second]
    assert {r["status"] for r in mine} == {"open"}
    assert _rows(cli("queue", "--mine", "--format", "jsonl", env={"REPCLI_USER": "oleg"})) == mine

    assert cli("note", str(first), "called the customer", env=env).exit_code == 0
    result = cli("mark", "resolved", str(first), "--note", "refund sent", env=env)
    assert result.exit_code == 0
    assert "1 item(s) now resolved" in result.stderr
    after = [r["id"] for r in _rows(cli("queue", "--format", "jsonl", "--limit", "0"))]
    assert first not in after and second in after
    assert len(after) == len(queue) - 1

    shown = json.loads(cli("show", str(first), "--format", "json").stdout)
    actions = [(e["actor"], e["action"], e["detail"]) for e in shown["item"]["history"]]
    assert actions == [
        ("anna", "assigned to oleg", None),
        ("anna", "note", "called the customer"),
        ("anna", "status resolved", "refund sent"),
    ]
    table = cli("show", str(first), "--format", "table").stdout
    assert "History:" in table and "refund sent" in table and "oleg" in table


def test_mark_unknown_id_is_not_found(checked: Cli) -> None:
    result = checked("mark", "ignored", "99999")
    assert result.exit_code == 5
    assert "no item with ID 99999" in result.stderr


def test_reply_drafts_from_the_best_template_and_approves(checked: Cli) -> None:
    cli = checked
    items = _rows(cli("list", "--negative", "--format", "jsonl", "--limit", "0"))
    damaged = next(
        r for r in items if "damaged" in r["topics"] and r["lang"] == "ru" and r["author"]
    )
    result = cli("reply", str(damaged["id"]), env={"REPCLI_USER": "anna"})
    assert result.exit_code == 0, result.output
    name = first_name(damaged["author"])
    assert f"Здравствуйте, {name}!" in result.stdout
    assert "фото повреждения" in result.stdout
    assert "template ru-damaged" in result.stderr
    # A second `reply` shows the same draft instead of drafting another.
    again = cli("reply", str(damaged["id"]))
    assert "reply 1 · draft" in again.stdout
    approved = cli("reply", str(damaged["id"]), "--approve")
    assert "approved" in approved.stdout
    replies = _rows(cli("replies", "--format", "jsonl"))
    assert [(r["id"], r["status"], r["template"]) for r in replies] == [
        (1, "approved", "ru-damaged")
    ]
    # Editing the text sends it back to draft: an approval covers the text it saw.
    cli("reply", str(damaged["id"]), "--text", "Свой ответ.")
    assert _rows(cli("replies", "--format", "jsonl"))[0]["status"] == "draft"


def test_reply_preview_saves_nothing_and_dry_run_checks(checked: Cli) -> None:
    cli = checked
    item = _rows(cli("queue", "--format", "jsonl", "-n", "1"))[0]
    preview = cli("reply", str(item["id"]), "--preview")
    assert preview.exit_code == 0 and preview.stdout.strip()
    assert _rows(cli("replies", "--format", "jsonl")) == []
    cli("reply", str(item["id"]), "--approve")
    dry = cli("reply", str(item["id"]), "--post", "--dry-run")
    assert dry.exit_code == 0
    assert f"would post reply 1 (#{item['id']}, {item['source']})" in dry.stderr
    assert _rows(cli("replies", "--format", "jsonl"))[0]["status"] == "approved"


def test_post_with_nothing_approved(checked: Cli) -> None:
    result = checked("post")
    assert result.exit_code == 0
    assert "nothing to post" in result.stderr


def test_templates_listing_and_fit(checked: Cli) -> None:
    listing = _rows(checked("templates", "--format", "jsonl"))
    names = [r["name"] for r in listing]
    assert {"ru-negative", "uk-negative", "en-negative", "ru-extortion"} <= set(names)


# ----------------------------------------------------------------- templates, unit


def test_render_optional_parts_and_spacing() -> None:
    text = "Здравствуйте[[, {customer}]]! Заказ[[ {order}]] в пути.\n\n{signature}"
    full = tpl.render(text, {"customer": "Анна", "order": "42", "signature": "Магазин"})
    assert full == "Здравствуйте, Анна! Заказ 42 в пути.\n\nМагазин"
    bare = tpl.render(text, {"customer": "", "order": "", "signature": "Магазин"})
    assert bare == "Здравствуйте! Заказ в пути.\n\nМагазин"


@pytest.mark.parametrize(
    ("author", "expected"),
    [
        ("Анна К.", "Анна"),
        ("Покупатель", ""),
        ("john_doe77", ""),
        (None, ""),
        ("Олег Захаров", "Олег"),
    ],
)
def test_first_name(author: str | None, expected: str) -> None:
    assert first_name(author) == expected


def test_most_specific_template_wins_and_user_first(tmp_path: Path) -> None:
    user = tmp_path / "t.yaml"
    user.write_text(
        "templates:\n"
        "  - name: my-wb-damaged\n    lang: ru\n    topics: [damaged]\n    platforms: [wildberries]\n"
        "    text: WB {customer}\n",
        encoding="utf-8",
    )
    templates = tpl.load_templates(str(user))
    item = {"lang": "ru", "topics": ["damaged"], "negative": True, "platform": "wildberries"}
    assert tpl.choose(templates, item).name == "my-wb-damaged"  # type: ignore[union-attr]
    assert tpl.choose(templates, {**item, "platform": "ozon"}).name == "ru-damaged"  # type: ignore[union-attr]
    assert tpl.choose(templates, {**item, "topics": []}).name == "ru-negative"  # type: ignore[union-attr]
    positive = {"lang": "uk", "topics": [], "negative": False, "rating": 5}
    assert tpl.choose(templates, positive).name == "uk-positive"  # type: ignore[union-attr]


def test_bad_template_file_names_line_and_variable(tmp_path: Path) -> None:
    user = tmp_path / "t.yaml"
    user.write_text(
        "templates:\n  - name: ok\n    text: fine\n  - name: bad\n    text: Hi {cusotmer}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        tpl.load_templates(str(user))
    assert str(user) in info.value.message and ":4:" in info.value.message
    assert "{cusotmer}" in info.value.message and "{customer}" in (info.value.hint or "")


def test_sla_per_kind_resolution(tmp_path: Path) -> None:
    config = parse_config(
        "sla: {comment: 3}\n"
        "sources:\n"
        "  - {name: a, type: demo, sla_hours: 12, sla: {question: 2}}\n"
        "  - {name: b, type: demo}\n"
    )
    a, b = config.sources
    assert config.sla_hours(a, "question") == 2
    assert config.sla_hours(a, "review") == 12
    assert config.sla_hours(b, "comment") == 3
    assert config.sla_hours(b, "review") == 24
    with pytest.raises(ConfigError) as info:
        parse_config("sources:\n  - {name: a, type: demo, sla: {review: -1}}\n")
    assert "sources[0].sla.review" in str(info.value)


def test_post_loop_on_the_demo_platform(checked: Cli) -> None:
    """draft -> approve -> post -> answered, out of the queue; posting twice is impossible;
    a refused post keeps the draft with the platform's error and exit 6."""
    cli = checked
    first, second = (r["id"] for r in _rows(cli("queue", "--format", "jsonl", "-n", "2")))
    result = cli("reply", str(first), "--approve", "--post", env={"REPCLI_USER": "anna"})
    assert result.exit_code == 0, result.output
    assert "✓ posted reply 1" in result.stderr
    assert first not in [r["id"] for r in _rows(cli("queue", "--format", "jsonl", "-n", "0"))]
    item = json.loads(cli("show", str(first), "--format", "json").stdout)
    assert item["item"]["status"] == "answered"
    assert item["item"]["replies"][0]["status"] == "posted"
    assert [e["action"] for e in item["item"]["history"]][-1] == "reply posted"

    again = cli("post", "1")
    assert again.exit_code == 1 and "already posted" in again.stderr
    redraft = cli("reply", str(first), "--text", "again")
    assert redraft.exit_code == 2 and "already has a posted answer" in redraft.stderr

    too_long = "Ответ. " * 200
    refused = cli("reply", str(second), "--text", too_long, "--approve", "--post")
    assert refused.exit_code == 6
    assert "at most 1000" in refused.stderr
    kept = _rows(cli("replies", "--status", "failed", "--format", "jsonl"))
    assert [(r["item_id"], r["text"], r["attempts"]) for r in kept] == [
        (second, too_long.strip(), 1)
    ]
    assert "at most 1000" in kept[0]["platform_error"]
    assert second in [r["id"] for r in _rows(cli("queue", "--format", "jsonl", "-n", "0"))]
    # Fixed and approved again, the same reply goes out.
    cli("reply", str(second), "--text", "Короткий ответ.", "--approve")
    assert cli("post").exit_code == 0
    assert _rows(cli("replies", "--status", "posted", "--format", "jsonl"))[0]["attempts"] == 2


def test_a_reply_stuck_in_posting_is_never_resent(checked: Cli) -> None:
    from repcli.store import open_store

    cli = checked
    item = _rows(cli("queue", "--format", "jsonl", "-n", "1"))[0]["id"]
    cli("reply", str(item), "--approve")
    config = parse_config(cli.config.read_text(encoding="utf-8"), cli.config)  # type: ignore[union-attr]
    with open_store(config.store) as store:
        from repcli.clock import now

        assert store.claim_for_posting(1, now())  # a run claimed it, then was killed
        assert not store.claim_for_posting(1, now())
    stuck = cli("post", "1")
    assert stuck.exit_code == 1 and "--was-posted" in stuck.stderr
    assert cli("post", "1", "--was-posted", "yes").exit_code == 0
    assert _rows(cli("replies", "--format", "jsonl"))[0]["status"] == "posted"


def test_reply_edit_runs_the_editor(checked: Cli, tmp_path: Path) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nprintf 'Исправленный ответ.\\n' > \"$1\"\n", encoding="utf-8")
    editor.chmod(0o755)
    item = _rows(checked("queue", "--format", "jsonl", "-n", "1"))[0]["id"]
    result = checked("reply", str(item), "--edit", env={"EDITOR": str(editor), "VISUAL": ""})
    assert result.exit_code == 0, result.output
    assert _rows(checked("replies", "--format", "jsonl"))[0]["text"] == "Исправленный ответ."


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_template_file_gives_templates_or_a_config_error(text: str) -> None:
    try:
        tpl.parse_templates(text, "t.yaml")
    except ConfigError as exc:
        assert exc.message.startswith("t.yaml")


@settings(max_examples=200, deadline=None)
@given(st.text(), st.dictionaries(st.sampled_from(tpl.VARIABLES), st.text()))
def test_render_never_crashes_on_checked_text(text: str, values: dict[str, str]) -> None:
    try:
        tpl.check_text(text, "t")
    except ConfigError:
        return
    full = {v: "" for v in tpl.VARIABLES} | values
    assert isinstance(tpl.render(text, full), str)

"""`repcli.actions.draft` called as a script would: no CLI, plain results."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from repcli.actions import draft, fetch
from repcli.config.model import Config
from repcli.errors import ConfigError, NotFoundError
from repcli.sources.registry import load_config
from repcli.store import ItemFilter, Store, open_store
from tests.conftest import Cli

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
RULE = "\nworkflow:\n  auto_approve:\n    - ratings: [5]\n      langs: [en]\n"


def _opened(path: Path) -> tuple[Config, Store]:
    config = load_config(path)
    store = open_store(config.store)
    assert fetch.run(config, store, NOW).failure_code is None
    return config, store


@pytest.fixture
def fetched(demo_config: Path) -> Iterator[tuple[Config, Store]]:
    config, store = _opened(demo_config)
    yield config, store
    store.close()


def test_draft_gives_what_the_cli_prints(
    fetched: tuple[Config, Store], demo_config: Path, tmp_path: Path
) -> None:
    config, store = fetched
    result = draft.run(config, store, draft.DraftOptions(langs=("uk",)), NOW, "anna")
    twin = tmp_path / "twin"
    twin.mkdir()
    shutil.copy(demo_config, twin / "config.yaml")
    cli = Cli(twin / "config.yaml")
    assert cli("fetch").exit_code == 0
    printed = cli("draft", "--lang", "uk", "--format", "json")
    assert printed.exit_code == 0, printed.output
    rows = json.loads(json.dumps([d.row() for d in result.drafts]))  # tuples as lists
    assert rows == json.loads(printed.stdout)["drafts"]
    assert f"{len(result.drafts)} draft(s), {result.fresh} new; 0 approved" in printed.stderr
    assert result.drafts and result.fresh == len(result.drafts) and result.held == []


def test_a_person_approves_what_was_read_but_the_skipped_and_the_unfinished(
    fetched: tuple[Config, Store],
) -> None:
    config, store = fetched
    ask = draft.DraftOptions(langs=("uk",), approve=True)
    first = draft.run(config, store, ask, NOW, "anna")
    assert first.drafts and first.approved == 0  # nobody has read them yet
    assert first.held == [(d.item_id, "drafted just now: read it, then approve")
                          for d in first.drafts]  # fmt: skip
    reviews = [d for d in first.drafts if d.kind == "review"]
    questions = [d for d in first.drafts if d.kind == "question"]
    assert reviews and questions
    skip = reviews[0].item_id
    second = draft.run(config, store, draft.DraftOptions(langs=("uk",), approve=True,
                       skip=(skip,)), NOW, "anna")  # fmt: skip
    assert [d.reply_id for d in second.drafts] == [d.reply_id for d in first.drafts]
    assert second.fresh == 0
    status = {d.item_id: d.status for d in second.drafts}
    assert status[skip] == "draft"
    assert {status[q.item_id] for q in questions} == {"draft"}
    assert second.held == [(q.item_id, "a question's draft needs the answer written in: "
                            "`repcli reply ID --edit`") for q in second.drafts
                           if q.kind == "question"]  # fmt: skip
    assert second.approved == len(first.drafts) - len(questions) - 1
    for d in second.drafts:
        assert store.reply(d.reply_id)["status"] == d.status


def test_filters_narrow_the_queue_and_unanswered_reaches_past_it(
    fetched: tuple[Config, Store],
) -> None:
    config, store = fetched
    flt = ItemFilter(sources=("ozon-demo",), kinds=("question",))
    questions = draft.run(config, store, draft.DraftOptions(filter=flt), NOW, "anna")
    assert questions.drafts
    assert {(d.source, d.kind) for d in questions.drafts} == {("ozon-demo", "question")}
    praise = draft.DraftOptions(filter=ItemFilter(ratings=(5,)), unanswered=True)
    queue_only = draft.run(config, store, draft.DraftOptions(filter=ItemFilter(ratings=(5,))),
                           NOW, "anna")  # fmt: skip
    unanswered = draft.run(config, store, praise, NOW, "anna")
    assert len(unanswered.drafts) > len(queue_only.drafts)
    assert {d.rating for d in unanswered.drafts} == {5}
    assert {d.item_id for d in queue_only.drafts} <= {d.item_id for d in unanswered.drafts}


def test_auto_approval_rules_approve_only_the_praise_they_name(
    demo_config: Path,
) -> None:
    demo_config.write_text(demo_config.read_text(encoding="utf-8") + RULE, encoding="utf-8")
    config, store = _opened(demo_config)
    try:
        result = draft.run(config, store, draft.DraftOptions(unanswered=True), NOW, "anna")
    finally:
        store.close()
    auto = [d for d in result.drafts if d.auto]
    assert auto and result.auto == len(auto) == result.approved
    assert all(d.rating == 5 and d.lang == "en" and d.kind == "review" for d in auto)
    assert all(d.status == "approved" for d in auto)


def test_checked_refuses_a_rule_that_would_approve_a_complaint(demo_config: Path) -> None:
    demo_config.write_text(
        demo_config.read_text(encoding="utf-8")
        + "\nworkflow:\n  auto_approve:\n    - ratings: [1, 5]\n",
        encoding="utf-8",
    )
    config, store = _opened(demo_config)
    try:
        with pytest.raises(ConfigError, match="only 4 and 5 can be approved without a person"):
            draft.checked(config, draft.DraftOptions())
        with pytest.raises(ConfigError):
            draft.run(config, store, draft.DraftOptions(), NOW, "anna")
        assert store.list_replies() == []
    finally:
        store.close()


def test_checked_refuses_an_unknown_source(demo_config: Path) -> None:
    config = load_config(demo_config)
    with pytest.raises(NotFoundError, match="no source named 'nope'"):
        draft.checked(config, draft.DraftOptions(filter=ItemFilter(sources=("nope",))))
    draft.checked(config, draft.DraftOptions(filter=ItemFilter(sources=("vk-demo",))))


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (("--source", "nope"), 5, "no source named 'nope'"),
        (("--kind", "nope"), 2, "--kind 'nope' is unknown"),
        (("--topic", "nope"), 2, "--topic 'nope' is unknown"),
        (("--rating", "9"), 2, "--rating '9' is not a rating range"),
        (("--format", "csv", "--approve"), 3, "only 4 and 5 can be approved"),
    ],
)
def test_a_bad_option_leaves_no_store_behind(
    tmp_path: Path, args: tuple[str, ...], code: int, said: str
) -> None:
    config = tmp_path / "repcli.yaml"
    config.write_text(
        "store: team.db\nsources:\n  - {name: wb-demo, type: demo, dataset: wildberries}\n"
        + ("workflow:\n  auto_approve:\n    - ratings: [1]\n" if code == 3 else ""),
        encoding="utf-8",
    )
    result = Cli(config)("draft", *args)
    assert result.exit_code == code, result.output
    assert said in result.stderr
    assert not (tmp_path / "team.db").exists()

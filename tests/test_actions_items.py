"""`repcli.actions` export, reply and report called as a script would: no CLI, plain results."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from repcli.actions import check, export, reply, report
from repcli.config.model import Config
from repcli.errors import ExitCode, NotFoundError, OutputError, UsageError
from repcli.sources.registry import load_config
from repcli.store import Store, open_store
from tests.conftest import Cli

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PINNED = {"REPCLI_NOW": "2026-11-23T09:00:00Z"}


@pytest.fixture
def checked(demo_config: Path) -> Iterator[tuple[Config, Store]]:
    """The demo config's store after one check."""
    config = load_config(demo_config)
    store = open_store(config.store)
    check.run(config, store, check.CheckOptions(alerts=False), NOW)
    yield config, store
    store.close()


# ----------------------------------------------------------------- export


def test_export_gives_the_text_the_cli_writes(
    checked: tuple[Config, Store], demo_config: Path
) -> None:
    config, store = checked
    options = export.ExportOptions(what=export.ExportWhat.items, format="csv", limit=5)
    result = export.run(config, store, options, NOW)
    printed = Cli(demo_config)("export", "-f", "csv", "--limit", "5", env=PINNED).stdout
    assert result.text == printed
    assert len(result.rows) == 5 and result.mark is None
    assert printed.splitlines()[0].split(",")[:3] == ["id", "source", "platform"]


def test_last_run_bookmark_moves_only_after_a_successful_write(
    checked: tuple[Config, Store],
) -> None:
    config, store = checked
    options = export.ExportOptions(since="last-run", limit=7, name="crm")

    def full_disk(result: export.ExportResult) -> None:
        raise OutputError("export.jsonl: disk full")

    with pytest.raises(OutputError):
        export.run(config, store, options, NOW, write=full_disk)
    written: list[export.ExportResult] = []
    first = export.run(config, store, options, NOW, write=written.append)
    assert written == [first] and len(first.rows) == 7 and first.mark
    lines = [json.loads(line) for line in first.text.splitlines()]
    assert [r["id"] for r in lines] == [r["id"] for r in first.rows]
    second = export.run(config, store, options, NOW)
    assert second.rows and not {r["id"] for r in second.rows} & {r["id"] for r in first.rows}
    assert second.mark is not None and second.mark > first.mark


def test_export_options_are_checked_before_anything_is_read() -> None:
    with pytest.raises(UsageError, match="not an export format"):
        export.ExportOptions(format="table")
    with pytest.raises(UsageError, match="--negative filters items only"):
        export.ExportOptions(what=export.ExportWhat.replies, negative=True)


def test_export_refuses_an_unknown_source(checked: tuple[Config, Store]) -> None:
    config, store = checked
    options = export.ExportOptions(what=export.ExportWhat.events, sources=("nope",))
    with pytest.raises(NotFoundError):
        export.run(config, store, options, NOW)


# ----------------------------------------------------------------- reply


def test_reply_drafts_approves_and_tells_each_step(checked: tuple[Config, Store]) -> None:
    config, store = checked
    item = store.queue(NOW, _all())[0]
    steps: list[Any] = []

    class Recorder(reply.ReplySteps):
        def drafted(self, item_id: int, reply_id: int, template: str | None) -> None:
            steps.append(("drafted", item_id, reply_id, template))

        def ready(self, rep: Any) -> None:
            steps.append(("ready", rep["status"]))

    preview = reply.run(config, store, item["id"], reply.ReplyOptions(preview=True), NOW, "me")
    assert preview.preview and preview.reply is None
    assert store.open_reply(item["id"]) is None  # a preview saves nothing
    drafted = reply.run(
        config, store, item["id"], reply.ReplyOptions(), NOW, "me", steps=Recorder()
    )
    assert drafted.drafted is not None
    reply_id, template = drafted.drafted
    assert drafted.reply is not None and drafted.reply["text"] == preview.preview
    assert steps == [("drafted", item["id"], reply_id, template), ("ready", "draft")]
    assert template is not None and drafted.exit_code is ExitCode.OK
    approved = reply.run(
        config, store, item["id"], reply.ReplyOptions(approve=True), NOW, "me", steps=Recorder()
    )
    assert approved.drafted is None  # the draft there is kept
    assert approved.reply is not None and approved.reply["id"] == reply_id
    assert approved.reply["status"] == "approved" and steps[-1] == ("ready", "approved")


def test_reply_text_goes_through_the_editor_and_errors_are_ours(
    checked: tuple[Config, Store],
) -> None:
    config, store = checked
    item = store.queue(NOW, _all())[0]
    seen: list[str] = []

    def editor(text: str) -> str:
        seen.append(text)
        return text + " Ждём вас снова."

    options = reply.ReplyOptions(text="  Спасибо, разберёмся.  ")
    result = reply.run(config, store, item["id"], options, NOW, "me", edit=editor)
    assert seen == ["Спасибо, разберёмся."]
    assert result.reply is not None
    assert result.reply["text"] == "Спасибо, разберёмся. Ждём вас снова."
    assert result.drafted == (result.reply["id"], None)
    with pytest.raises(NotFoundError):
        reply.run(config, store, 10**9, reply.ReplyOptions(), NOW, "me")
    with pytest.raises(UsageError, match="alternatives"):
        reply.run(config, store, item["id"], reply.ReplyOptions(text="a", template="b"), NOW, "me")
    with pytest.raises(UsageError, match="--dry-run goes with --post"):
        reply.run(config, store, item["id"], reply.ReplyOptions(dry_run=True), NOW, "me")


def _all() -> Any:
    from repcli.store import ItemFilter

    return ItemFilter()


# ----------------------------------------------------------------- report


def test_report_gives_the_numbers_the_cli_prints(
    checked: tuple[Config, Store], demo_config: Path
) -> None:
    config, store = checked
    result = report.run(config, store, report.ReportOptions(since="60d"), NOW)
    printed = Cli(demo_config)("report", "--since", "60d", "-f", "json", env=PINNED).stdout
    assert json.loads(json.dumps(result.data, default=str)) == json.loads(printed)["report"]
    assert result.locale == config.locale


def test_report_refuses_a_bad_period_or_locale(checked: tuple[Config, Store]) -> None:
    config, store = checked
    with pytest.raises(UsageError, match="--until must be after --since"):
        report.run(config, store, report.ReportOptions(since="7d", until="30d"), NOW)
    with pytest.raises(UsageError, match="is not one repcli has"):
        report.run(config, store, report.ReportOptions(locale="xx"), NOW)
    with pytest.raises(NotFoundError):
        report.run(config, store, report.ReportOptions(sources=("nope",)), NOW)

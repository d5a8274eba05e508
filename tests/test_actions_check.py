"""`repcli.actions.check` and `fetch` called as a script would: no CLI, plain results."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from repcli.actions import check, fetch
from repcli.config.model import Config
from repcli.errors import ExitCode, NotFoundError, OutputError
from repcli.sources.registry import load_config
from repcli.store import Store, open_store
from tests.conftest import Cli

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PINNED = {"REPCLI_NOW": "2026-11-23T09:00:00Z"}


@pytest.fixture
def opened(demo_config: Path) -> Iterator[tuple[Config, Store]]:
    config = load_config(demo_config)
    store = open_store(config.store)
    yield config, store
    store.close()


def _twin(demo_config: Path, tmp_path: Path) -> Cli:
    """The same config and data in another folder, with its own store, for the CLI."""
    other = tmp_path / "twin"
    other.mkdir()
    shutil.copy(demo_config, other / "config.yaml")
    return Cli(other / "config.yaml")


def test_check_gives_what_the_cli_prints(
    opened: tuple[Config, Store], demo_config: Path, tmp_path: Path
) -> None:
    config, store = opened
    result = check.run(config, store, check.CheckOptions(), NOW)
    printed = json.loads(_twin(demo_config, tmp_path)("check", "-f", "json", env=PINNED).stdout)
    assert result.summary == printed["summary"]
    assert [r["id"] for r in result.negatives] == [r["id"] for r in printed["new_negative"]]
    assert result.signals == printed["signals"]
    assert result.sources == printed["sources"]
    assert result.summary["new_negative"] == len(result.negatives) > 50
    assert all("extortion" in r["topics"] for r in result.extortion)
    assert result.exit_code is ExitCode.OK and result.matched == []
    again = check.run(config, store, check.CheckOptions(), NOW)
    assert again.negatives == [] and again.summary["new_items"] == 0


def test_fail_on_rules_set_the_exit_code_in_the_order_given(
    opened: tuple[Config, Store],
) -> None:
    config, store = opened
    rules = (check.FailOn.overdue, check.FailOn.rejects, check.FailOn.spike,
             check.FailOn.new_negative, check.FailOn.overdue)  # fmt: skip
    result = check.run(config, store, check.CheckOptions(fail_on=rules), NOW)
    spikes = [s for s in result.signals if s["kind"] == "spike"]
    assert result.summary["rejected"] == 0  # the demo's rows are all good: `rejects` is quiet
    assert result.matched == [
        ("overdue", result.summary["overdue"]),
        ("spike", len(spikes)),
        ("new-negative", len(result.negatives)),
    ]
    assert result.summary["overdue"] > 0 and spikes
    assert result.exit_code is ExitCode.FOUND
    quiet = check.run(config, store, check.CheckOptions(fail_on=(check.FailOn.new_negative,)), NOW)
    assert quiet.matched == [] and quiet.exit_code is ExitCode.OK


def test_negatives_stay_unreported_when_delivering_them_fails(
    opened: tuple[Config, Store],
) -> None:
    config, store = opened
    seen: list[int] = []

    def closed_pipe(result: check.CheckResult) -> None:
        seen.append(len(result.negatives))
        raise OutputError("stdout: closed pipe")

    with pytest.raises(OutputError):
        check.run(config, store, check.CheckOptions(), NOW, deliver=closed_pipe)
    assert seen and seen[0] > 50
    shown: list[int] = []
    result = check.run(
        config, store, check.CheckOptions(), NOW, deliver=lambda r: shown.append(len(r.negatives))
    )
    assert shown == [len(result.negatives)] == seen
    assert check.run(config, store, check.CheckOptions(), NOW).negatives == []


def test_fetch_reports_progress_and_refuses_unknown_sources(
    opened: tuple[Config, Store],
) -> None:
    config, store = opened
    events: list[str] = []

    class Recorder(fetch.Progress):
        def started(self, sources: list[str]) -> None:
            events.append("started " + ",".join(sources))

        def ran(self, report: object) -> None:
            events.append("ran")

    enabled = [s.name for s in config.sources if s.enabled]
    report = fetch.run(config, store, NOW, progress=Recorder())
    assert events == ["started " + ",".join(enabled), "ran"]
    assert [r.source for r in report.results] == enabled
    assert sum(r.new for r in report.results) == len(report.new_ids) > 300
    with pytest.raises(NotFoundError):
        fetch.run(config, store, NOW, ["no-such-source"])

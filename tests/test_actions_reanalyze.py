"""`repcli.actions.reanalyze` called as a script would: no CLI, plain results."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from repcli.actions import fetch, reanalyze
from repcli.config.model import Config
from repcli.errors import NotFoundError
from repcli.sources.registry import load_config
from repcli.store import ItemFilter, Store, open_store
from tests.conftest import Cli

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def fetched(demo_config: Path) -> Iterator[tuple[Config, Store]]:
    config = load_config(demo_config)
    store = open_store(config.store)
    assert fetch.run(config, store, NOW).failure_code is None
    yield config, store
    store.close()


def _negatives(store: Store) -> set[int]:
    return {i["id"] for i in store.list_items(ItemFilter(negative=True))}


def test_reanalyze_gives_what_the_cli_prints(
    fetched: tuple[Config, Store], demo_config: Path, tmp_path: Path
) -> None:
    config, store = fetched
    result = reanalyze.run(config, store, reanalyze.ReanalyzeOptions(), NOW)
    stored = store.list_items(ItemFilter())
    assert result.total.items == result.total.same == len(stored)  # nothing drifts
    assert list(result.by_kind) == ["comment", "question", "review"]
    for kind, tally in result.by_kind.items():
        assert tally.items == tally.same == sum(i["kind"] == kind for i in stored)
    twin = tmp_path / "twin"
    twin.mkdir()
    shutil.copy(demo_config, twin / "config.yaml")
    cli = Cli(twin / "config.yaml")
    assert cli("fetch").exit_code == 0
    printed = cli("reanalyze", "--format", "json")
    assert printed.exit_code == 0, printed.output
    assert {"version": 1, **result.as_dict()} == json.loads(printed.stdout)


def test_a_lower_bar_turns_stored_items_negative_and_then_settles(
    fetched: tuple[Config, Store], demo_config: Path
) -> None:
    _, store = fetched
    before = _negatives(store)
    text = demo_config.read_text(encoding="utf-8")
    assert "text_negative: 0.5" in text
    demo_config.write_text(text.replace("text_negative: 0.5", "text_negative: 0.2"), "utf-8")
    lower = load_config(demo_config)
    result = reanalyze.run(lower, store, reanalyze.ReanalyzeOptions(), NOW)
    after = _negatives(store)
    assert result.total.newly_negative == len(after - before) > 0
    assert result.total.no_longer_negative == len(before - after)
    outcomes = ("same", "changed", "newly_negative", "no_longer_negative")
    assert result.total.items == sum(getattr(result.total, o) for o in outcomes)
    for o in ("items", *outcomes):
        assert getattr(result.total, o) == sum(getattr(t, o) for t in result.by_kind.values())
    again = reanalyze.run(lower, store, reanalyze.ReanalyzeOptions(), NOW)
    assert again.total.same == again.total.items == result.total.items


def test_only_the_named_sources_are_analysed_again(fetched: tuple[Config, Store]) -> None:
    config, store = fetched
    vk = store.list_items(ItemFilter(sources=("vk-demo",)))
    result = reanalyze.run(config, store, reanalyze.ReanalyzeOptions(sources=("vk-demo",)), NOW)
    assert result.total.items == len(vk) > 0
    assert set(result.by_kind) == {i["kind"] for i in vk}


def test_select_names_the_sources_or_refuses(demo_config: Path) -> None:
    config = load_config(demo_config)
    enabled = [s.name for s in config.sources if s.enabled]
    assert [s.name for s in reanalyze.select(config)] == enabled
    assert [s.name for s in reanalyze.select(config, ["tg-demo"])] == ["tg-demo"]
    with pytest.raises(NotFoundError, match="no source named 'nope'"):
        reanalyze.select(config, ["nope"])


def test_an_unknown_source_leaves_no_store_behind(tmp_path: Path) -> None:
    config = tmp_path / "repcli.yaml"
    config.write_text(
        "store: team.db\nsources:\n  - {name: wb-demo, type: demo, dataset: wildberries}\n",
        encoding="utf-8",
    )
    result = Cli(config)("reanalyze", "--source", "nope")
    assert result.exit_code == 5, result.output
    assert "no source named 'nope'" in result.stderr
    assert not (tmp_path / "team.db").exists()
    assert Cli(config)("reanalyze", "--format", "json").exit_code == 0
    assert (tmp_path / "team.db").exists()

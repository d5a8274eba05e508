"""Bad options are refused before the store is opened: a typo must not leave a new, empty store
file behind (or take the store's write lock)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli

NO_SOURCES = "store: team.db\nsources: []\n"
ONE_SOURCE = "store: team.db\nsources:\n  - {name: wb-demo, type: demo, dataset: wildberries}\n"


def _cli(tmp_path: Path, text: str) -> Cli:
    config = tmp_path / "repcli.yaml"
    config.write_text(text, encoding="utf-8")
    return Cli(config)


@pytest.mark.parametrize(
    ("config", "args", "code"),
    [
        (NO_SOURCES, ["check"], 3),
        (NO_SOURCES, ["fetch"], 3),
        (ONE_SOURCE, ["check", "--source", "nope"], 5),
        (ONE_SOURCE, ["fetch", "--source", "nope"], 5),
        (ONE_SOURCE, ["report", "--locale", "xx"], 2),
        (ONE_SOURCE, ["report", "--since", "7d", "--until", "30d"], 2),
        (ONE_SOURCE, ["report", "--source", "nope"], 5),
    ],
)
def test_refused_before_the_store_is_made(
    tmp_path: Path, config: str, args: list[str], code: int
) -> None:
    result = _cli(tmp_path, config)(*args)
    assert result.exit_code == code, result.output
    assert not (tmp_path / "team.db").exists()


def test_a_good_run_still_makes_the_store(tmp_path: Path) -> None:
    result = _cli(tmp_path, ONE_SOURCE)("fetch")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "team.db").exists()

"""`repcli init` writes the config readable by its owner alone: it may come to hold tokens."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from repcli.errors import ExitCode
from tests.conftest import Cli


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)  # the usual one: a plain write makes 0644
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_writes_the_config_0600(tmp_path: Path) -> None:
    target = tmp_path / "conf" / "repcli.yaml"
    result = Cli(None)("init", str(target))
    assert result.exit_code == 0, result.output
    assert mode(target) == 0o600
    assert "${WB_TOKEN}" in target.read_text(encoding="utf-8")
    assert Cli(None)("init").exit_code == 0  # the user config dir too
    assert [mode(p) for p in (tmp_path / "home").rglob("config.yaml")] == [0o600]


def test_an_existing_config_is_kept_as_it_is(tmp_path: Path) -> None:
    target = tmp_path / "repcli.yaml"
    target.write_text("token: mine\n", encoding="utf-8")
    target.chmod(0o640)
    result = Cli(None)("init", str(target))
    assert result.exit_code == ExitCode.USAGE and "already exists" in result.stderr
    assert target.read_text(encoding="utf-8") == "token: mine\n" and mode(target) == 0o640


def test_force_replaces_it_with_a_private_file(tmp_path: Path) -> None:
    target = tmp_path / "repcli.yaml"
    target.write_text("token: mine\n", encoding="utf-8")
    target.chmod(0o644)
    assert Cli(None)("init", str(target), "--force").exit_code == 0
    assert mode(target) == 0o600 and "demo" in target.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "repcli.yaml"]  # no temp file


def test_a_link_in_its_place_is_not_written_through(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.yaml"
    target = tmp_path / "repcli.yaml"
    target.symlink_to(elsewhere)  # dangling: exists() says False
    result = Cli(None)("init", str(target))
    assert result.exit_code == ExitCode.USAGE and "already exists" in result.stderr
    assert not elsewhere.exists()

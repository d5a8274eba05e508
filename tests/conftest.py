from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-11-23T09:00:00Z"

# CI runs the same examples every time (a landing never fails on a newly drawn one); local runs
# draw new examples, so fuzzing keeps exploring where a failure can be looked at.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own home and config dirs: nothing touches the real user's files."""
    home = tmp_path / "home"
    home.mkdir()
    for var, sub in (
        ("HOME", ""),
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_DATA_HOME", ".local/share"),
    ):
        monkeypatch.setenv(var, str(home / sub) if sub else str(home))
    for var in (
        "REPCLI_CONFIG",
        "REPCLI_NOW",
        "NO_COLOR",
        "COLUMNS",
        "TTY_COMPATIBLE",
        "FORCE_COLOR",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("REPCLI_NOW", NOW)
    monkeypatch.chdir(tmp_path)
    yield home


@pytest.fixture(autouse=True)
def isolated_logging() -> Iterator[None]:
    """Each test starts with the `repcli` logger as a new process has it (no handler, no level
    of its own, propagating), and leaves it so. The CLI sets it up for its process (its own
    stderr handler, no propagation); a CLI run in a module-scoped fixture, outside any one
    test, used to leave that to every later test, and caplog then saw nothing."""
    import logging

    def pristine() -> None:
        logger = logging.getLogger("repcli")
        logger.handlers[:] = []
        logger.propagate = True
        logger.setLevel(logging.NOTSET)  # setLevel also clears cached isEnabledFor answers

    pristine()
    yield
    pristine()


@pytest.fixture(autouse=True)
def isolated_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Secrets a test registers (a config's tokens) are masked in that test only: a fuzzed
    config's `token: feed` must not mask "feed" in every later test's messages."""
    from repcli import secrets

    monkeypatch.setattr(secrets, "_SECRETS", set(secrets._SECRETS))


@pytest.fixture
def demo_config(tmp_path: Path) -> Path:
    """config.example.yaml copied next to a fresh store."""
    target = tmp_path / "config.yaml"
    shutil.copy(ROOT / "config.example.yaml", target)
    return target


class Cli:
    def __init__(self, config: Path | None) -> None:
        self.config = config
        self.runner = CliRunner()

    def __call__(self, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        from repcli.cli.app import app

        argv = (["--config", str(self.config)] if self.config else []) + list(args)
        return self.runner.invoke(app, argv, env=env, catch_exceptions=False)


@pytest.fixture
def cli(demo_config: Path) -> Cli:
    return Cli(demo_config)


# ----------------------------------------------------------------- the store's two engines


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    """A throwaway PostgreSQL for the session (tests/pgserver.py), or a skip saying why not."""
    from tests import pgserver

    try:
        server = pgserver.start()
    except pgserver.Unavailable as exc:
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server: object) -> Iterator[str]:
    """A fresh, empty PostgreSQL database of its own for this test; its URL."""
    from tests import pgserver

    assert isinstance(pg_server, pgserver.PgServer)
    url = pg_server.create_database()
    yield url
    pg_server.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> str:
    """Each store test runs on both engines."""
    return str(request.param)


@pytest.fixture
def store_target(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> str | Path:
    """Where a fresh store is opened on `engine`: a file path, or a fresh database's URL."""
    if engine == "sqlite":
        return tmp_path / "store.db"
    return str(request.getfixturevalue("pg_url"))

"""Secrets never leak: passwords in URL userinfo (literal or from ${VAR}) in every sink, secrets in
--traceback, and the modes of the files repcli writes (the store private, --output as the umask
says). Through the real CLI against a real server on 127.0.0.1."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import Cli

PASSWORD = "hunter2-userinfo-9c8b7a"
SHORT = "pw7"  # too short to register as a plain secret: the userinfo as a whole is masked


def _source_config(tmp_path: Path, base_url: str) -> Path:
    config = tmp_path / "repcli.yaml"
    config.write_text(
        f"store: {tmp_path / 'r.db'}\nsources:\n  - name: wb\n    type: wildberries\n"
        f"    token: wb-token-not-the-point\n    base_url: {base_url}\n    questions: false\n"
        "    rate_limit: 1000\n",
        encoding="utf-8",
    )
    return config


def _store_text(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("template", "env", "password"),
    [
        ("http://alice:{pw}@{hostport}/", {}, PASSWORD),
        ("http://alice:{pw}@{hostport}/", {}, SHORT),
        ("${{WB_URL}}", {"WB_URL": "http://alice:{pw}@{hostport}/"}, PASSWORD),
        ("http://alice:${{WB_PASS}}@{hostport}/", {"WB_PASS": "{pw}"}, PASSWORD),
    ],
    ids=["literal", "literal-short", "whole-url-from-env", "password-from-env"],
)
def test_userinfo_password_never_reaches_any_sink(
    httpserver: HTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    template: str,
    env: dict[str, str],
    password: str,
) -> None:
    httpserver.expect_request("/api/v1/feedbacks").respond_with_data("no", status=401)
    hostport = f"127.0.0.1:{httpserver.port}"
    for var, value in env.items():
        monkeypatch.setenv(var, value.format(pw=password, hostport=hostport))
    config = _source_config(tmp_path, template.format(pw=password, hostport=hostport))
    cli = Cli(config)
    leak = f"alice:{password}"

    fetched = cli("-vv", "fetch", "--format", "json")
    assert fetched.exit_code == 6, fetched.output
    assert f"{hostport}: HTTP 401" in fetched.stdout  # the host, never its userinfo
    assert leak not in fetched.stdout + fetched.stderr
    if password == PASSWORD:
        assert password not in fetched.stdout + fetched.stderr
    # The ✗ line for people, on a "terminal" table run.
    table = cli("-vv", "fetch", "--format", "table")
    assert "✗ wb" in table.stdout + table.stderr
    assert leak not in table.stdout + table.stderr
    for args in (
        ("status", "--format", "json"),
        ("sources", "list", "--format", "json"),
        ("sources", "list", "--format", "table"),
        ("sources", "test"),
    ):
        result = cli("-vv", *args)
        assert leak not in result.stdout + result.stderr, args
        if password == PASSWORD:
            assert password not in result.stdout + result.stderr, args
    listed = cli("sources", "list", "--format", "json").stdout
    assert ('"***"' if "WB_URL" in template else "://***@127.0.0.1") in listed
    stored = _store_text(tmp_path / "r.db")
    assert "HTTP 401" in stored
    assert leak not in stored
    if password == PASSWORD:
        assert password not in stored


def test_redact_masks_any_url_userinfo_and_leaves_other_text() -> None:
    from repcli import secrets

    assert secrets.redact("GET https://bob:s3@api.example.com/x failed") == (
        "GET https://***@api.example.com/x failed"
    )
    assert secrets.redact('{"u": "ftp://token@h/p"}') == '{"u": "ftp://***@h/p"}'
    for text in (
        "mail me at anna@example.com",
        "https://example.com/path?by=anna@example.com",
        "https://example.com/@anna",
        '"https://example.com", "mail": "a@b.c"',
    ):
        assert secrets.redact(text) == text


# --traceback ----------------------------------------------------------------------------------


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("REPCLI_")}
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "repcli", *args], env=full, capture_output=True, text=True
    )


def test_traceback_masks_the_secret_the_message_masks(tmp_path: Path) -> None:
    """The config error quotes the bad value, which is the token; the exception's args hold it
    unmasked, and so did the stack --traceback printed."""
    token = "wb-token-in-the-wrong-key-5e4d3c"
    config = tmp_path / "repcli.yaml"
    config.write_text(
        f"store: {tmp_path / 'r.db'}\nsources:\n  - name: wb\n    type: wildberries\n"
        "    token: ${WB_TOKEN}\n    page_size: ${WB_TOKEN}\n",
        encoding="utf-8",
    )
    env = {"HOME": str(tmp_path), "WB_TOKEN": token}
    plain = _run(["--config", str(config), "status"], env)
    assert plain.returncode == 3 and "page_size" in plain.stderr and token not in plain.stderr
    traced = _run(["--config", str(config), "--traceback", "status"], env)
    assert "Traceback (most recent call last)" in traced.stderr
    assert "ConfigError" in traced.stderr and "page_size" in traced.stderr
    assert token not in traced.stdout + traced.stderr
    assert traced.returncode == 3  # the error's own code, as without --traceback


def test_traceback_masks_chained_exceptions_and_userinfo(tmp_path: Path) -> None:
    """A bug whose cause holds a registered secret and a URL with a password: the whole chain
    is masked. (The bug is planted in the store's status query.)"""
    plugin = tmp_path / "leaky_plugin.py"
    plugin.write_text(
        "import os\n"
        "def boom():\n"
        "    try:\n"
        "        raise ConnectionError('to https://u:' + os.environ['LEAK_PW'] + '@h/x with '\n"
        "                              + os.environ['WB_TOKEN'])\n"
        "    except ConnectionError as exc:\n"
        "        raise RuntimeError('wrapped ' + os.environ['WB_TOKEN']) from exc\n",
        encoding="utf-8",
    )
    token = "wb-token-chained-7a6b5c4d"
    config = tmp_path / "repcli.yaml"
    config.write_text(
        f"store: {tmp_path / 'r.db'}\nsources:\n  - name: wb\n    type: wildberries\n"
        "    token: ${WB_TOKEN}\n",
        encoding="utf-8",
    )
    script = (
        "import sys, leaky_plugin\n"
        "from repcli.store.reads import Reads\n"
        "Reads.source_status = lambda self: leaky_plugin.boom()\n"
        "from repcli.cli.app import main\n"
        "sys.argv = ['repcli', *sys.argv[1:]]\n"
        "main()\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPCLI_")}
    env.update(
        HOME=str(tmp_path),
        WB_TOKEN=token,
        LEAK_PW="pw-in-a-cause-1234",
        PYTHONPATH=os.pathsep.join([str(tmp_path), os.getcwd(), env.get("PYTHONPATH", "")]),
    )
    traced = subprocess.run(
        [sys.executable, "-c", script, "--config", str(config), "--traceback", "status"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    err = traced.stderr
    assert "RuntimeError" in err and "ConnectionError" in err, err
    assert "direct cause" in err
    assert token not in err and "pw-in-a-cause-1234" not in err
    assert "https://***@h/x" in err
    assert traced.returncode == 1


def test_format_traceback_masks_context_and_notes() -> None:
    from repcli import secrets

    secrets.register("secret-in-context-42")
    try:
        try:
            raise KeyError("secret-in-context-42")
        except KeyError:
            err = ValueError("outer")
            err.add_note("note with secret-in-context-42")
            raise err  # noqa: B904 (the implicit context is what is tested)
    except ValueError as exc:
        text = secrets.format_traceback(exc)
    assert "KeyError" in text and "During handling" in text and "note with ***" in text
    assert "secret-in-context-42" not in text


# file modes ------------------------------------------------------------------------------------


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_store_and_its_wal_are_private(tmp_path: Path, umask_022: None) -> None:
    store = tmp_path / "data" / "deeper" / "r.db"
    config = tmp_path / "repcli.yaml"
    config.write_text(f"store: {store}\n", encoding="utf-8")
    # A store that stays open while its -wal and -shm exist.
    from repcli.store import open_store

    cli = Cli(config)
    result = cli("status", "--format", "json")
    assert result.exit_code == 0, result.output
    assert _mode(store) == 0o600
    assert _mode(store.parent) == 0o700 and _mode(store.parent.parent) == 0o700
    with open_store(store) as opened:
        opened.conn.execute("CREATE TABLE t (x)")
        for suffix in ("-wal", "-shm"):
            side = store.with_name(store.name + suffix)
            assert side.exists() and _mode(side) == 0o600, suffix


def test_rollback_journal_is_private_too(tmp_path: Path, umask_022: None) -> None:
    from repcli.store import open_store

    store = tmp_path / "r.db"
    with open_store(store) as opened:
        opened.conn.execute("PRAGMA journal_mode = DELETE")
        opened.conn.execute("PRAGMA locking_mode = EXCLUSIVE")  # the journal file stays
        opened.conn.execute("BEGIN IMMEDIATE")
        opened.conn.execute("CREATE TABLE big (x)")
        opened.conn.execute("INSERT INTO big VALUES (randomblob(100000))")
        opened.conn.execute("COMMIT")
        opened.conn.execute("BEGIN IMMEDIATE")
        opened.conn.execute("UPDATE big SET x = randomblob(100000)")
        journal = tmp_path / "r.db-journal"
        assert journal.exists() and _mode(journal) == 0o600
        opened.conn.execute("ROLLBACK")


def test_an_existing_store_keeps_its_mode(tmp_path: Path, umask_022: None) -> None:
    store = tmp_path / "shared.db"
    (tmp_path / "repcli.yaml").write_text(f"store: {store}\n", encoding="utf-8")
    cli = Cli(tmp_path / "repcli.yaml")
    assert cli("status").exit_code == 0
    store.chmod(0o640)
    assert cli("status").exit_code == 0
    assert _mode(store) == 0o640


def test_an_existing_folder_keeps_its_mode(tmp_path: Path, umask_022: None) -> None:
    folder = tmp_path / "team"
    folder.mkdir(mode=0o755)
    (tmp_path / "repcli.yaml").write_text(f"store: {folder / 'r.db'}\n", encoding="utf-8")
    assert Cli(tmp_path / "repcli.yaml")("status").exit_code == 0
    assert _mode(folder) == 0o755 and _mode(folder / "r.db") == 0o600


@pytest.mark.parametrize(
    "args",
    [
        ("report", "--format", "html"),
        ("report", "--format", "md"),
        ("export", "--format", "csv"),
    ],
)
def test_output_files_follow_the_umask(
    cli: Cli, tmp_path: Path, umask_022: None, args: tuple[str, ...]
) -> None:
    assert cli("fetch", "--format", "json").exit_code == 0
    target = tmp_path / "web" / "report.out"
    target.parent.mkdir()
    result = cli(*args, "--output", str(target))
    assert result.exit_code == 0, result.output
    assert _mode(target) == 0o644
    os.umask(0o027)
    result = cli(*args, "--output", str(tmp_path / "web" / "other.out"))
    assert _mode(tmp_path / "web" / "other.out") == 0o640
    # An existing file keeps its mode, whatever the umask.
    target.chmod(0o664)
    result = cli(*args, "--output", str(target))
    assert result.exit_code == 0, result.output
    assert _mode(target) == 0o664
    assert [p.name for p in target.parent.iterdir() if p.name.startswith(".")] == []


def test_debug_log_tracebacks_are_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer
) -> None:
    """-vv logs a failed source's stack (exc_info): the stack's text is masked like the message,
    chained causes included."""
    from repcli import pipeline

    token = "wb-token-in-a-debug-stack-31f2"

    class Leaky:
        def __init__(self, src: object, ctx: object) -> None:
            pass

        async def fetch(self, cursor: object, full: bool = False) -> Iterator[object]:
            try:
                raise KeyError(f"http://alice:{SHORT}@127.0.0.1/ {token}")
            except KeyError as exc:
                raise RuntimeError(f"parser broke on {token}") from exc
            yield  # an async generator, as sources are

    monkeypatch.setattr(pipeline, "source_class", lambda _type: Leaky)
    monkeypatch.setenv("WB_TOKEN", token)
    config = _source_config(tmp_path, httpserver.url_for("/"))
    config.write_text(config.read_text().replace("wb-token-not-the-point", "${WB_TOKEN}"))
    result = Cli(config)("-vv", "fetch", "--format", "json")
    assert result.exit_code == 6
    assert "Traceback" in result.stderr and "KeyError" in result.stderr
    assert token not in result.stdout + result.stderr
    assert f"alice:{SHORT}@" not in result.stderr


def test_train_output_follows_the_umask(cli: Cli, tmp_path: Path, umask_022: None) -> None:
    assert cli("fetch", "--format", "json").exit_code == 0
    model = tmp_path / "web" / "model.json"
    model.parent.mkdir()
    result = cli("train", "--output", str(model), "--format", "json")
    assert result.exit_code == 0, result.output
    assert _mode(model) == 0o644
    model.chmod(0o660)
    assert cli("train", "--output", str(model), "--format", "json").exit_code == 0
    assert _mode(model) == 0o660

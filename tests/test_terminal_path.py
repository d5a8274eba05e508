"""The terminal path, as a person at a terminal (or a pipe) meets it: failures readable at 80
columns and said once, a run where every source failed says so, offline commands without the
fetch credentials, `alerts test` with a dead destination, help that reflows to the terminal,
piped tables without trailing spaces, and `show` json/jsonl of one shape."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest

from repcli.errors import ExitCode
from tests.conftest import Cli


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connection refused, no retries)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write(tmp_path: Path, sources: str, extra: str = "") -> Cli:
    path = tmp_path / "repcli.yaml"
    path.write_text(f"store: {tmp_path / 't.db'}\n{extra}sources:\n{sources}", encoding="utf-8")
    return Cli(path)


DEMO = "  - {name: demo, type: demo, dataset: wildberries}\n"


def _forum(port: int) -> str:
    return f"  - {{name: forum, type: feed, urls: ['http://127.0.0.1:{port}/feed.xml']}}\n"


# --------------------------------------------------------------------------- failures


def test_a_failure_is_said_once_without_a_doubled_prefix(tmp_path: Path) -> None:
    port = _closed_port()
    cli = _write(tmp_path, DEMO + _forum(port))
    result = cli("check", "--format", "json")
    assert result.exit_code == ExitCode.SOURCES_FAILED
    said = [line for line in result.stderr.splitlines() if "connection refused" in line]
    assert said == [
        f"✗ forum: 127.0.0.1:{port}/feed.xml: connection refused (nothing listens there)"
    ]
    status = json.loads(cli("status", "--format", "json").stdout)["sources"]
    error = next(r["last_error"] for r in status if r["source"] == "forum")
    assert error == f"127.0.0.1:{port}/feed.xml: connection refused (nothing listens there)"


@pytest.mark.parametrize("columns", [80, 120])
def test_status_shows_the_whole_error_at_80_and_120_columns(tmp_path: Path, columns: int) -> None:
    port = _closed_port()
    cli = _write(tmp_path, DEMO + _forum(port))
    cli("check", "-q", "--format", "json")
    cli("check", "-q", "--format", "json")
    shown = cli("status", "--format", "table", env={"COLUMNS": str(columns)}).stdout
    lines = shown.splitlines()
    assert all(len(line) <= columns for line in lines), shown
    assert "…" not in shown, shown
    words = " ".join(shown.split())
    assert (
        f"forum failed ×2: 127.0.0.1:{port}/feed.xml: connection refused (nothing listens there)"
        in (words)
    ), shown
    assert "ok, 101" in words and " fetched," in words, shown  # wrapped at spaces, never cut


def test_when_every_source_failed_check_says_so(tmp_path: Path) -> None:
    cli = _write(tmp_path, _forum(_closed_port()))
    result = cli("check", "--format", "table")
    assert result.exit_code == ExitCode.SOURCES_FAILED
    assert "Nothing new to act on" not in result.stderr
    assert "Every source failed (1): nothing was fetched" in result.stderr


def test_when_some_sources_failed_nothing_new_names_them(tmp_path: Path) -> None:
    cli = _write(tmp_path, DEMO + _forum(_closed_port()))
    cli("check", "-q", "--format", "json")
    again = cli("check", "--format", "table")
    assert "Nothing new to act on" not in again.stderr
    assert "Nothing new from the sources that answered; 1 failed: forum" in again.stderr


# --------------------------------------------------------------------------- offline commands


WB = "  - {name: wb, type: wildberries, token: '${WB_TOKEN}'}\n"


def test_offline_commands_work_without_the_fetch_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WB_TOKEN", raising=False)
    cli = _write(tmp_path, DEMO + WB)
    fetched = cli("check", "--source", "demo", "--format", "json")
    assert fetched.exit_code == 0, fetched.output
    for args in (
        ("queue", "--format", "json"),
        ("list", "--format", "json"),
        ("show", "1", "--format", "json"),
        ("show", "1", "--format", "table"),
        ("status", "--format", "table"),
        ("status", "--format", "json"),
        ("sources", "list", "--format", "json"),
        ("sources", "list", "--format", "table"),
        ("reply", "1"),
    ):
        result = cli(*args)
        assert result.exit_code == 0, (args, result.output)
    listed = json.loads(cli("sources", "list", "--format", "json").stdout)["sources"]
    assert next(s for s in listed if s["name"] == "wb")["settings"]["token"] is None


@pytest.mark.parametrize(
    "args",
    [("fetch",), ("check",), ("fetch", "--source", "wb"), ("sources", "test", "wb")],
    ids=["fetch", "check", "fetch-wb", "sources-test"],
)
def test_a_command_that_needs_the_token_says_which(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    monkeypatch.delenv("WB_TOKEN", raising=False)
    cli = _write(tmp_path, DEMO + WB)
    result = cli(*args)
    assert result.exit_code == ExitCode.CONFIG, result.output
    path = tmp_path / "repcli.yaml"
    assert (
        f"error: {path}:4: sources[1].token: environment variable WB_TOKEN is not set"
        in result.stderr
    )
    assert "export WB_TOKEN=" in result.stderr
    assert "✓" not in result.stderr  # nothing ran: the other sources are not half fetched


def test_a_malformed_token_is_refused_when_used_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WB_TOKEN", "abc secret-part-1234")
    cli = _write(tmp_path, DEMO + WB)
    assert cli("sources", "list", "--format", "json").exit_code == 0
    assert cli("status").exit_code == 0
    result = cli("fetch")
    assert result.exit_code == ExitCode.CONFIG
    assert "sources[1].token: contains whitespace" in result.stderr
    assert "$WB_TOKEN" in result.stderr
    for shown in (result.output, cli("sources", "list", "--format", "json").output):
        assert "secret-part" not in shown and "abc " not in shown


def test_a_misspelt_reference_is_still_an_error_at_load(tmp_path: Path) -> None:
    cli = _write(tmp_path, DEMO + "  - {name: wb, type: wildberries, token: '${1WB}'}\n")
    result = cli("status")
    assert result.exit_code == ExitCode.CONFIG
    assert "sources[1].token: ${1WB} is not a valid variable name" in result.stderr


# --------------------------------------------------------------------------- alerts


def test_alerts_test_with_a_dead_destination_exits_6_one_line_each(tmp_path: Path) -> None:
    port = _closed_port()
    cli = _write(
        tmp_path,
        DEMO,
        f"alerts:\n  destinations:\n    dead: json://127.0.0.1:{port}/hook\n"
        "    odd: nosuchservice://x\n",
    )
    result = cli("-q", "alerts", "test")
    assert result.exit_code == ExitCode.SOURCES_FAILED, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith("✗ dead: ") and lines[1].startswith("✗ odd: ")


def test_a_dead_destination_is_one_line_per_run_even_per_event(tmp_path: Path) -> None:
    port = _closed_port()
    cli = _write(
        tmp_path,
        DEMO,
        f"alerts:\n  destinations:\n    dead: json://127.0.0.1:{port}/hook\n"
        "  rules:\n    - {rule: new-negative, to: [dead], digest: false}\n"
        "    - {rule: extortion, to: [dead], digest: false}\n",
    )
    result = cli("-q", "check", "--format", "json")
    failed = [line for line in result.stderr.splitlines() if "alert failed" in line]
    assert len(failed) == 1, result.stderr
    assert json.loads(result.stdout)["summary"]["alerts"]["sent"] == 0
    sent = cli("-q", "alerts", "send")
    assert sent.exit_code == ExitCode.SOURCES_FAILED
    assert len(sent.stderr.splitlines()) == 1, sent.stderr


# --------------------------------------------------------------------------- help


@pytest.mark.parametrize("columns", [60, 120])
def test_help_paragraphs_reflow_to_the_terminal(columns: int) -> None:
    result = Cli(None)("queue", "--help", env={"COLUMNS": str(columns)})
    lines = [line.strip() for line in result.stdout.splitlines()]
    text = " ".join(" ".join(lines).split())
    assert "not in it; `repcli mark` and `repcli reply` move items along." in text
    widest = max(len(line.rstrip()) for line in result.stdout.splitlines())
    assert widest <= columns
    if columns == 120:  # one paragraph of 110 characters is one line, not cut at 100
        assert any(line.endswith("move items along.") and "not in it" in line for line in lines)
    paragraph = [line for line in lines if "`repcli mark`" in line]
    assert paragraph and not paragraph[0].endswith("`repcli reply`")


# --------------------------------------------------------------------------- tables


@pytest.mark.parametrize(
    "args", [("status",), ("list",), ("queue",), ("sources", "list"), ("show", "1")]
)
def test_piped_tables_have_no_trailing_spaces(tmp_path: Path, args: tuple[str, ...]) -> None:
    cli = _write(tmp_path, DEMO)
    cli("check", "-q", "--format", "json")
    shown = cli(*args, "--format", "table").stdout
    assert shown.strip()
    trailing = [line for line in shown.splitlines() if line != line.rstrip()]
    assert not trailing, trailing[:3]


def test_a_table_to_a_file_has_no_trailing_spaces(tmp_path: Path) -> None:
    """Through a real file descriptor, as `repcli list --format table > list.txt`."""
    import subprocess
    import sys

    cli = _write(tmp_path, DEMO)
    cli("check", "-q", "--format", "json")
    target = tmp_path / "list.txt"
    with target.open("w") as out:
        subprocess.run(
            [sys.executable, "-m", "repcli", "--config", str(cli.config), "list", "-f", "table"],
            stdout=out,
            check=True,
        )
    text = target.read_text(encoding="utf-8")
    assert "demo" in text
    assert not re.search(r" +$", text, re.MULTILINE)


# --------------------------------------------------------------------------- show


def test_show_json_and_jsonl_carry_the_same_object(tmp_path: Path) -> None:
    cli = _write(tmp_path, DEMO)
    cli("check", "-q", "--format", "json")
    document = json.loads(cli("show", "1", "--format", "json").stdout)
    line = json.loads(cli("show", "1", "--format", "jsonl").stdout)
    assert set(document) == {"version", "item"} and document["version"] == 1
    assert document["item"] == line
    assert line["id"] == 1
    for key in ("versions", "replies", "history", "signals", "order"):
        assert key in line

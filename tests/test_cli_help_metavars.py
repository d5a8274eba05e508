"""`--help` reads like a mature CLI's: a flag shows no metavar, a value option a short upper-case
word for what to give (`--since WHEN`, `--limit N`), never Typer's raw type names (`<bool>`,
`<list[str]>`), on every command of the app."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from repcli.cli.app import app

RAW_TYPES = ("<bool>", "<str>", "<int", "<list[", "<float>", "<path>", "<file>", "<datetime>")
WIDE = {"COLUMNS": "200"}  # one line per option: nothing folds mid-word


def _tree() -> Iterator[tuple[tuple[str, ...], Any]]:
    root = get_command(app)
    ctx = typer.Context(root, info_name="repcli", help_option_names=["-h", "--help"])

    def walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
        yield path, command
        for name in getattr(command, "list_commands", lambda _ctx: [])(ctx):
            yield from walk(command.get_command(ctx, name), (*path, name))

    yield from walk(root, ())


COMMANDS = [path for path, _ in _tree()]


def _help(*path: str) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env=WIDE, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _row(text: str, option: str) -> str:
    """The help row of `option` (its long name, as it starts the row), box edges and the
    required mark cut."""
    rows = [line.strip("│ ").removeprefix("* ").lstrip() for line in text.splitlines()]
    rows = [row for row in rows if re.match(re.escape(option) + "[ ,]", row)]
    assert len(rows) == 1, (option, text)
    return rows[0]


def test_the_tree_has_every_command() -> None:
    assert len(COMMANDS) >= 30
    assert ("list",) in COMMANDS and ("orders", "import") in COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "repcli")
def test_help_shows_no_python_type_names(path: tuple[str, ...]) -> None:
    text = _help(*path)
    shown = [raw for raw in RAW_TYPES if raw in text]
    assert not shown, text


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "repcli")
def test_flags_show_no_metavar_and_values_an_upper_case_one(path: tuple[str, ...]) -> None:
    command = dict(_tree())[path]
    ctx = typer.Context(command, info_name="repcli", help_option_names=["-h", "--help"])
    text = _help(*path)
    for param in command.get_params(ctx):
        if param.param_type_name != "option" or param.hidden:
            continue
        row = _row(text, param.opts[0] if param.opts[0].startswith("--") else param.opts[-1])
        names = re.match(r"(?:--?[\w-]+(?:[ ,]+|$))+", row)  # the row starts with its names
        assert names, row
        rest = row[names.end() :]
        help_start = " ".join((param.help or "").split()[:2])
        assert help_start and rest.find(help_start) >= 0, (row, help_start)
        metavar = rest[: rest.find(help_start)].strip()
        if param.is_flag or param.count:
            assert metavar == "", row
        else:
            word = re.sub(r" \[[^]]*\]$", "", metavar)  # a range such as [x>=0] may follow
            assert re.fullmatch(r"[A-Z][A-Z_=.]*|\[[a-z|-]+\]", word), row


def test_list_help_names_what_to_give() -> None:
    text = _help("list")
    assert re.search(r"--negative\s+Only items flagged negative\.", text), text
    assert re.search(r"--source\s+-s\s+NAME\s", text), text
    assert re.search(r"--since\s+WHEN\s", text), text
    assert re.search(r"--limit\s+-n\s+N\s", text), text
    assert re.search(r"--rating\s+RATINGS\s", text), text
    assert re.search(r"--format\s+-f\s+FORMAT\s+Output format: auto, table, json", text), text
    assert re.search(r"--help\s+-h\s+Show this message and exit\.", text), text


def test_global_options_read_as_a_cli_s() -> None:
    text = _help()
    assert re.search(r"--config\s+-c\s+FILE\s", text), text
    assert re.search(r"--quiet\s+-q\s+Only data and errors\.", text), text
    assert re.search(r"--verbose\s+-v\s+More logs", text), text


def test_arguments_read_upper_case_in_usage_and_table() -> None:
    text = _help("analyze")
    assert "Usage: repcli analyze [OPTIONS] [PATH]" in text, text
    assert re.search(r"│\s+PATH\s+A file of texts", text), text
    mark = _help("mark")
    assert re.search(r"STATUS\s+\[new\|open\|answered\|ignored\|resolved\]\s", mark), mark


def test_a_flag_still_takes_no_value_and_a_value_option_one() -> None:
    """The help changes only how the options read: they parse as before."""
    result = CliRunner().invoke(app, ["list", "--negative", "--limit"], env=WIDE)
    assert result.exit_code == 2
    assert "'--limit'" in result.output and "requires an argument" in result.output

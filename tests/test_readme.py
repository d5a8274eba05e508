"""The README's examples are real: every `$ repcli ...` line in a ```console block is run, in
order, on the bundled demo with a pinned clock, and its output must match the README.

To refresh the README after a deliberate change of output:
    REPCLI_UPDATE_README=1 pytest tests/test_readme.py
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT

README = ROOT / "README.md"
BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)
ENV = {
    "REPCLI_NOW": "2026-11-23T09:00:00Z",
    "NO_COLOR": "1",
    "COLUMNS": "100",
    "TTY_COMPATIBLE": "1",  # render as a terminal would...
    "TTY_INTERACTIVE": "0",  # ...without spinners
    "TERM": "dumb",  # ...and without styles, as in a plain-text page
    "TZ": "UTC",
}


def _commands(block: str) -> list[tuple[str, list[str]]]:
    """[(command, expected output lines)] of one console block."""
    steps: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line)
    return steps


def _run(command: str, runner: CliRunner, env: dict[str, str]) -> str:
    """Run one README command. A `VAR=value` prefix sets VAR for it and the commands after it
    (the tour's clock moves forward and stays there)."""
    from repcli.cli.app import app

    argv = shlex.split(command)
    while argv and re.fullmatch(r"[A-Z_]+=.*", argv[0]):
        name, _, value = argv.pop(0).partition("=")
        env[name] = value
    assert argv[0] == "repcli", f"README examples run repcli only: {command}"
    result = runner.invoke(app, argv[1:], env=env, catch_exceptions=False)
    text = "\n".join(line.rstrip() for line in result.output.splitlines()).rstrip("\n")
    if result.exit_code:
        text += f"\n[exit {result.exit_code}]"
    return text


def test_readme_examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(ROOT / "config.example.yaml", tmp_path / "config.example.yaml")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    (tmp_path / "reviews.txt").write_text(
        "Третью неделю жду заказ, поддержка не отвечает\n"
        "Не плохо, но за эти деньги можно найти лучше\n"
        "Чудова якість, дякую!\n"
        "Refund me or I'll post 1-star reviews everywhere\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    text = README.read_text(encoding="utf-8")
    runner = CliRunner()
    env = dict(ENV)
    blocks = BLOCK.findall(text)
    assert len(blocks) >= 8, "the README's tour should show every command"
    updated = text
    failures = []
    for block in blocks:
        rendered = []
        for command, expected in _commands(block):
            actual = _run(command, runner, env)
            rendered.append(f"$ {command}\n{actual}\n" if actual else f"$ {command}\n")
            if actual != "\n".join(line.rstrip() for line in expected).rstrip("\n"):
                failures.append(command)
        updated = updated.replace(block, "".join(rendered), 1)
    if os.environ.get("REPCLI_UPDATE_README"):
        README.write_text(updated, encoding="utf-8")
        return
    assert not failures, (
        f"README output differs for: {failures}; if the change is intended, run "
        "REPCLI_UPDATE_README=1 pytest tests/test_readme.py and review the diff"
    )
    time.tzset()


def test_exit_code_table_matches_enum() -> None:
    from repcli.errors import EXIT_CODE_MEANING, ExitCode

    text = README.read_text(encoding="utf-8")
    table = text.split("<!-- exit-codes -->\n")[1].split("<!-- /exit-codes -->")[0]
    expected = "".join(
        f"| {int(code)} | {code.name} | {EXIT_CODE_MEANING[code]} |\n" for code in ExitCode
    )
    assert table == expected


def test_setup_commands_verbatim() -> None:
    text = README.read_text(encoding="utf-8")
    first, second = re.findall(r"^pip install .*$", text, re.MULTILINE)[:2]
    assert first == "pip install -e . && repcli check --config config.example.yaml"
    assert second == "pip install -e '.[test]' && pytest"

"""The README's examples are real: every `$ ...` line in a ```console block is run, in order,
in one bash on a pseudo-terminal, as a user pastes them (tests/readme_tour.py), on the bundled
demo, and its output must match the README. The README pins the clock itself (`export
REPCLI_NOW=...`), so the page holds on any date.

To refresh the README after a deliberate change of output:
    REPCLI_UPDATE_README=1 pytest tests/test_readme.py
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from tests import readme_tour
from tests.conftest import ROOT

README = ROOT / "README.md"


def test_readme_examples(tmp_path: Path) -> None:
    shutil.copy(ROOT / "config.example.yaml", tmp_path / "config.example.yaml")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    (tmp_path / "reviews.txt").write_text(
        "Третью неделю жду заказ, поддержка не отвечает\n"
        "Не плохо, но за эти деньги можно найти лучше\n"
        "Чудова якість, дякую!\n"
        "Refund me or I'll post 1-star reviews everywhere\n",
        encoding="utf-8",
    )
    home = tmp_path / "home"  # made empty by conftest's isolated_home
    text = README.read_text(encoding="utf-8")
    blocks = readme_tour.BLOCK.findall(text)
    assert len(blocks) >= 8, "the README's tour should show every command"
    steps = [step for block in blocks for step in readme_tour.commands(block)]
    outputs = readme_tour.run([c for c, _ in steps], tmp_path, readme_tour.environment(home))
    failures = [
        command
        for (command, expected), actual in zip(steps, outputs, strict=True)
        if actual != readme_tour.tidy("\n".join(expected))
    ]
    if os.environ.get("REPCLI_UPDATE_README"):
        found = iter(outputs)
        updated = text
        for block in blocks:
            rendered = []
            for command, _ in readme_tour.commands(block):
                actual = next(found)
                rendered.append(f"$ {command}\n{actual}\n" if actual else f"$ {command}\n")
            updated = updated.replace(block, "".join(rendered), 1)
        README.write_text(updated, encoding="utf-8")
        return
    if failures:
        import difflib

        first = next(
            (expected, actual)
            for (command, expected), actual in zip(steps, outputs, strict=True)
            if command == failures[0]
        )
        diff = "\n".join(
            difflib.unified_diff(
                readme_tour.tidy("\n".join(first[0])).splitlines(),
                first[1].splitlines(),
                "README",
                "actual",
                lineterm="",
            )
        )
        raise AssertionError(
            f"README output differs for: {failures}; if the change is intended, run "
            "REPCLI_UPDATE_README=1 pytest tests/test_readme.py and review the diff\n" + diff
        )


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

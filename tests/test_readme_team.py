"""The README's team example runs as printed, on a real PostgreSQL server: the member configs
come from its ```yaml block (anna.yaml, and boris.yaml the same with `user: boris`), and its
```console team block runs in one bash on a terminal, with the URL of the test's database in
place of db.example. Refresh the README's output with REPCLI_UPDATE_README=1."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from tests import readme_tour
from tests.conftest import ROOT

README = ROOT / "README.md"
TEAM_BLOCK = re.compile(r"```console team\n(.*?)```", re.DOTALL)
ANNA = re.compile(r"```yaml\n(# anna\.yaml.*?)```", re.DOTALL)
STORE_LINE = re.compile(r"^export REPCLI_TEAM_STORE=\S+$")


def test_readme_team_example(tmp_path: Path, pg_url: str) -> None:
    text = README.read_text(encoding="utf-8")
    (block,) = TEAM_BLOCK.findall(text)
    (anna,) = ANNA.findall(text)
    (tmp_path / "anna.yaml").write_text(anna, encoding="utf-8")
    (tmp_path / "boris.yaml").write_text(anna.replace("user: anna", "user: boris"), "utf-8")
    steps = readme_tour.commands(block)
    assert any(STORE_LINE.match(c) for c, _ in steps), "the block sets REPCLI_TEAM_STORE"
    commands = [
        f"export REPCLI_TEAM_STORE={shlex.quote(pg_url)}" if STORE_LINE.match(c) else c
        for c, _ in steps
    ]
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    outputs = readme_tour.run(commands, tmp_path, readme_tour.environment(home))
    assert "repcli_" not in "".join(outputs)  # the test database's name shows nowhere
    assert not list(tmp_path.glob("*.db")), "a PostgreSQL store leaves no SQLite file"
    if os.environ.get("REPCLI_UPDATE_README"):
        rendered = "".join(
            f"$ {command}\n{actual}\n" if actual else f"$ {command}\n"
            for (command, _), actual in zip(steps, outputs, strict=True)
        )
        README.write_text(text.replace(block, rendered, 1), encoding="utf-8")
        return
    for (command, expected), actual in zip(steps, outputs, strict=True):
        assert actual == readme_tour.tidy("\n".join(expected)), command

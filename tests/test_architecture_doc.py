"""docs/architecture.md stays true to the code: every module it names exists, and every module
of the parts it maps (actions, store, cli, sources/wire) is named in it."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import ROOT

DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
PACKAGE = ROOT / "repcli"
# `store/dialect.py`, `cli/commands_run.py`, `repcli/actions/`, `sources/wire/paging.py`...
NAMED = re.compile(r"`((?:[a-z_]+/)+[a-z_]+\.py)`")


def _where(path: str) -> Path:
    return (
        ROOT / path
        if path.split("/", maxsplit=1)[0] in ("repcli", "tests", "bench")
        else PACKAGE / path
    )


def test_every_module_the_map_names_exists() -> None:
    named = set(NAMED.findall(DOC))
    assert named, "the pattern found no module paths: has the document's style changed?"
    missing = sorted(p for p in named if not _where(p).exists())
    assert not missing, f"docs/architecture.md names modules that do not exist: {missing}"


def test_every_action_and_store_module_is_on_the_map() -> None:
    named = {p.removeprefix("repcli/") for p in NAMED.findall(DOC)}
    unmapped = sorted(
        f"{folder}/{path.name}"
        for folder in ("actions", "store", "cli")
        for path in (PACKAGE / folder).glob("*.py")
        if path.name != "__init__.py"
        and f"{folder}/{path.name}" not in named
        and f"`{path.name}`" not in DOC
        and f"`{path.stem}`" not in DOC
    )
    assert not unmapped, f"modules docs/architecture.md does not mention: {unmapped}"

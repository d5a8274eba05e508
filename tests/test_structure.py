"""The shape of the package: lazy imports for a fast --help, and layers that only point down."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "repcli"
HEAVY = (
    "httpx",
    "bs4",
    "sqlite_utils",
    "yaml",
    "repcli.store",
    "repcli.analysis",
    "repcli.pipeline",
    "repcli.config",
)


def test_help_imports_no_heavy_module() -> None:
    code = (
        "import sys\n"
        "from repcli.cli.app import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        f"heavy = [m for m in sys.modules if m.startswith({HEAVY!r})]\n"
        "print('HEAVY:' + ','.join(sorted(heavy)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "HEAVY:", out.stdout


def test_help_lists_every_command_as_built() -> None:
    """`--help` shows light stand-ins instead of building every command: they must say exactly
    what the real commands say."""
    from repcli.cli.app import _LAZY, _build, _summary

    assert len(_LAZY) >= 20
    for name, info in _LAZY.items():
        stand_in, real = _summary(info), _build(info)
        fields = ("name", "help", "short_help", "hidden", "deprecated", "rich_help_panel")
        assert [getattr(stand_in, f) for f in fields] == [getattr(real, f) for f in fields], name
        assert stand_in.name == name


def test_a_mistyped_command_gets_a_suggestion() -> None:
    from typer.testing import CliRunner

    from repcli.cli.app import app

    result = CliRunner().invoke(app, ["chekc"])
    assert result.exit_code == 2
    assert "Did you mean 'check'?" in result.output


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_layers_point_down() -> None:
    """Only cli/ knows typer; only cli/ and render/ know rich; nothing imports cli/."""
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        imported = _imports(path)
        tops = {name.split(".")[0] for name in imported}
        if not rel.startswith("cli/") and rel != "__main__.py":
            assert "typer" not in tops, rel
            assert not any(n.startswith("repcli.cli") for n in imported), rel
        if not rel.startswith(("cli/", "render/")):
            assert "rich" not in tops, rel
        if not rel.startswith("store/"):
            assert "sqlite3" not in tops and "sqlite_utils" not in tops, f"{rel} speaks SQL"
        if rel.startswith(("analysis/", "render/")):
            assert not {"httpx", "sqlite3", "sqlite_utils"} & tops, rel

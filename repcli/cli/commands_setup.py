"""init and sources: getting set up."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from repcli.cli.context import State
from repcli.cli.options import Format, FormatOpt


def init(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(help="Where to write it. Default: the user config dir.", show_default=False),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a starter config (with the offline demo source) to get going.

    The file is readable by you alone (0600): a config may come to hold tokens.
    """
    from importlib import resources

    from repcli.config import user_config_path
    from repcli.errors import UsageError

    state: State = ctx.obj
    target = path or user_config_path()
    exists = UsageError(f"{target}: already exists", "pass --force to overwrite it")
    if target.exists() and not force:
        raise exists
    text = resources.files("repcli").joinpath("starter_config.yaml").read_text(encoding="utf-8")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            _write_private(target, text, replace=force)
        except FileExistsError:  # made between the look and the write
            raise exists from None
    except OSError as exc:
        raise UsageError(f"{target}: cannot write: {exc.strerror}") from None
    from repcli.cli.output import plain

    state.info(plain(f"Wrote {target}"))
    hint = "" if path is None else f" --config {target}"
    state.info(plain(f"Next: edit it, then run `repcli{hint} check`."))


def _write_private(target: Path, text: str, replace: bool) -> None:
    """Write `text` as a file only its owner can read and write (0600, whatever the umask).

    Without `replace` the file must be new (O_EXCL: an existing file, or a link, is never
    written through; FileExistsError). With it a new file is written beside `target` and
    renamed onto it, so `target` is the old file or the whole new one, never half of it."""
    import os

    new = target if not replace else target.with_name(f".{target.name}.{os.urandom(4).hex()}.tmp")
    fd = os.open(new, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            if hasattr(os, "fchmod"):
                os.fchmod(out.fileno(), 0o600)  # a umask such as 0o277 takes bits off too
            out.write(text.encode("utf-8"))
        if replace:
            os.replace(new, target)
    except BaseException:
        new.unlink(missing_ok=True)
        raise


sources_app = typer.Typer(
    help="Configured sources and the source types repcli knows.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _settings(value: Any) -> dict[str, Any]:
    from repcli.secrets import MASK

    out: dict[str, Any] = {}
    for field in dataclasses.fields(value):
        item = getattr(value, field.name)
        if field.metadata.get("secret") and item:
            item = MASK
        out[field.name] = _plain(item)
    return out


def _plain(value: Any) -> Any:
    """Settings as JSON-ready data: nested dataclasses, mappings and tuples included."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, str):  # a password in a URL (base_url: https://user:pw@host)
        from repcli.secrets import redact

        return redact(value)
    return value


@sources_app.command("list")
def sources_list(ctx: typer.Context, fmt: FormatOpt = None) -> None:
    """The sources in the config, with their type, SLA and settings (secrets masked)."""
    from repcli.cli import output
    from repcli.models import KINDS

    state: State = ctx.obj
    fmt_ = output.resolve_format(state, fmt, tuple(Format))
    rows: list[dict[str, Any]] = [
        {
            "name": s.name,
            "type": s.type,
            "sla_hours": {k: state.config.sla_hours(s, k) for k in KINDS},
            "competitor": s.competitor,
            "enabled": s.enabled,
            "tags": list(s.tags),
            "settings": _settings(s.settings),
        }
        for s in state.config.sources
    ]
    columns = ("name", "type", "sla_hours", "competitor", "enabled", "tags", "settings")
    from repcli.render import tables

    output.emit(
        state, fmt_, rows, columns=columns, key="sources", table=lambda: tables.sources_table(rows)
    )


@sources_app.command("test")
def sources_test(
    ctx: typer.Context,
    names: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[NAME]...", help="Sources to test. Default: all enabled.", show_default=False
        ),
    ] = None,
) -> None:
    """Check that sources are reachable and their credentials work; say exactly what is wrong.

    Reads one page from each source; stores nothing.
    """
    from repcli.cli.output import line, plain
    from repcli.errors import ExitCode
    from repcli.pipeline import select_sources, test_sources

    state: State = ctx.obj
    selected = select_sources(state.config, names or [])
    failed = 0
    for name, ok, message in test_sources(selected, state.now):
        mark = ("✓", "green") if ok else ("✗", "bold red")
        state.out.print(line(mark, " ", plain(name), ": ", plain(message)))
        failed += not ok
    if failed:
        raise typer.Exit(int(ExitCode.SOURCES_FAILED))


@sources_app.command("types")
def sources_types(ctx: typer.Context) -> None:
    """The source types this repcli knows (built in and from plugins)."""
    from repcli.sources.registry import known_types, source_class

    state: State = ctx.obj
    for name in known_types():
        try:
            description = source_class(name).description
        except Exception as exc:  # a broken plugin is reported, not fatal
            description = f"(failed to load: {exc})"
        state.out.print(f"{name:<16} {description}", markup=False)


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel="Set up")(init)
    app.add_typer(sources_app, name="sources", rich_help_panel="Set up")

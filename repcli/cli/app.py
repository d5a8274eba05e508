"""The `repcli` command: global options, the one error handler, and command registration.

Everything heavy (config, store, analysis, HTTP) is imported inside the commands that need it,
so `repcli --help` stays fast.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from repcli import __version__
from repcli.cli.context import State, setup_logging
from repcli.cli.options import readable
from repcli.errors import ExitCode, RepcliError

_GLOBAL_FLAGS = {"--quiet", "-q", "--verbose", "-v", "-vv", "-vvv", "--traceback"}
_GLOBAL_VALUED = {"--config", "-c"}


def hoist_global_options(args: list[str]) -> list[str]:
    """Let global options stand anywhere: `repcli check --config x.yaml` works like
    `repcli --config x.yaml check`. Arguments after `--` are left alone."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg in _GLOBAL_FLAGS:
            front.append(arg)
        elif arg in _GLOBAL_VALUED and i + 1 < len(args):
            front.extend(args[i : i + 2])
            i += 1
        elif arg.split("=", 1)[0] in _GLOBAL_VALUED and "=" in arg:
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


class _Command(TyperCommand):
    """Every command: its `--help` names what each option takes (options.readable)."""

    def get_params(self, ctx: Any) -> list[Any]:
        params: list[Any] = super().get_params(ctx)
        readable(params)
        return params


class _SubGroup(TyperGroup):
    """A group of commands (`sources`, `orders`, ...): its options read as _Command's."""

    def get_params(self, ctx: Any) -> list[Any]:
        params: list[Any] = super().get_params(ctx)
        readable(params)
        return params


class _Group(TyperGroup):
    """Turns known errors into one line and the right exit code; --traceback shows the stack."""

    def get_params(self, ctx: Any) -> list[Any]:
        params: list[Any] = super().get_params(ctx)
        readable(params)
        return params

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if ctx.parent is None:
            args = hoist_global_options(args)
        result: list[str] = super().parse_args(ctx, args)
        return result

    # Typer turns every command's signature into click parameters up front (about 1 ms per
    # command). `repcli --help` needs only names and one-line helps, and a run needs one command,
    # so the commands are built on first use from the Typer records kept in _LAZY.
    def list_commands(self, ctx: Any) -> list[str]:
        return [*self.commands, *(name for name in _LAZY if name not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = self.commands.get(cmd_name)
        if command is None and cmd_name in _LAZY:
            command = self.commands[cmd_name] = _build(_LAZY[cmd_name])
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        with self._summaries():
            super().format_help(ctx, formatter)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in _LAZY:  # not a command: the error suggests the closest names
            with self._summaries():
                return super().resolve_command(ctx, args)
        return super().resolve_command(ctx, args)

    @contextlib.contextmanager
    def _summaries(self) -> Iterator[None]:
        built = self.commands
        self.commands = {name: built.get(name) or _summary(info) for name, info in _LAZY.items()}
        try:
            yield
        finally:
            self.commands = built

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except RepcliError as exc:
            state = ctx.find_object(State)
            if state and state.traceback:
                raise
            _print_error(ctx, exc.message, exc.hint)
            raise typer.Exit(int(exc.exit_code)) from None
        except KeyboardInterrupt:
            _print_error(ctx, "interrupted; everything stored so far is kept")
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except (typer.Exit, typer.Abort):
            raise
        except BrokenPipeError as exc:  # stdout closed under a rich table, say: not a bug
            from repcli.cli.output import unwritable_stdout

            error = unwritable_stdout(sys.stdout, exc)
            _print_error(ctx, error.message, error.hint)
            raise typer.Exit(int(error.exit_code)) from None
        except Exception as exc:
            if _is_click_error(exc):
                raise
            store_error = _store_error(ctx, exc)
            if store_error is not None:  # a write outside a transaction hit a full disk, say
                _print_error(ctx, store_error.message, store_error.hint)
                raise typer.Exit(int(ExitCode.STORE)) from None
            state = ctx.find_object(State)
            if state and state.traceback:
                raise
            from repcli.secrets import redact

            _print_error(
                ctx,
                f"internal error: {type(exc).__name__}: {redact(str(exc))}",
                "run again with --traceback and report it",
            )
            raise typer.Exit(int(ExitCode.ERROR)) from None
        finally:
            state = ctx.find_object(State)
            if state:
                state.close()


_LAZY: dict[str, Any] = {}  # command name -> typer CommandInfo or TyperInfo (a sub-app)


def _build(info: Any) -> Any:
    from typer.main import get_command_from_info, get_group_from_info
    from typer.models import TyperInfo

    if isinstance(info, TyperInfo):
        return get_group_from_info(
            info,
            pretty_exceptions_short=app.pretty_exceptions_short,
            rich_markup_mode=app.rich_markup_mode,
            suggest_commands=app.suggest_commands,
        )
    return get_command_from_info(
        info,
        pretty_exceptions_short=app.pretty_exceptions_short,
        rich_markup_mode=app.rich_markup_mode,
    )


def _summary(info: Any) -> Any:
    """A stand-in with only what the top-level help shows: name, help, panel."""
    import inspect

    from typer.core import TyperCommand
    from typer.main import get_command_name, solve_typer_info_defaults
    from typer.models import TyperInfo

    if isinstance(info, TyperInfo):
        info = solve_typer_info_defaults(info)
        name = info.name
    else:
        name = info.name or get_command_name(info.callback.__name__)
    return TyperCommand(
        name=name,
        help=info.help if info.help is not None else inspect.getdoc(info.callback),
        short_help=info.short_help,
        hidden=info.hidden,
        deprecated=info.deprecated,
        rich_help_panel=info.rich_help_panel,
        rich_markup_mode=app.rich_markup_mode,
    )


def _store_error(ctx: Any, exc: Exception) -> RepcliError | None:
    """The store's own explanation of an SQLite error (disk full, locked, read-only), if it
    is one and the traceback was not asked for."""
    state = ctx.find_object(State)
    if state is None or state.traceback or state._config is None:
        return None
    from repcli.store.base import as_store_error

    return as_store_error(state.config.store, exc)


def _is_click_error(exc: Exception) -> bool:
    """A usage error for click to report (a bad option value, say). Found through the public
    `typer.BadParameter`: typer up to 0.2x raises click's own ClickException, later ones a
    copy of click inside typer (the private `typer._click`, which 0.12 lacks)."""
    return isinstance(exc, _click_exception())


def _click_exception() -> type[Exception]:
    for cls in typer.BadParameter.__mro__:
        if cls.__name__ == "ClickException":
            return cls
    return typer.BadParameter  # pragma: no cover - every typer derives it from ClickException


def _print_error(ctx: Any, message: str, hint: str | None = None) -> None:
    from repcli.secrets import redact

    state = ctx.find_object(State) or State()
    from rich.text import Text

    from repcli.render.human import strip_controls

    # Messages quote platforms and files: no escape sequence, markup or emoji code is live.
    state.err.print(Text.assemble(("error:", "bold red"), " ", redact(strip_controls(message))))
    if hint:
        state.err.print(Text.assemble("  ", ("hint:", "dim"), " ", redact(strip_controls(hint))))


app = typer.Typer(
    cls=_Group,
    name="repcli",
    help="Reputation monitoring for sellers: pull reviews, questions and comments from "
    "marketplaces, app stores and social networks; flag what is new and negative; queue replies.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"repcli {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            "-c",
            metavar="FILE",
            help="Config file. Default: $REPCLI_CONFIG, ./repcli.yaml, then the user config dir.",
            envvar=None,
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only data and errors.")] = False,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More logs on stderr (-vv: debug).")
    ] = 0,
    traceback: Annotated[
        bool, typer.Option("--traceback", help="Show the full stack on errors.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    state = State(config_path=config, quiet=quiet, verbose=verbose, traceback=traceback)
    ctx.obj = state
    setup_logging(state)


def _register() -> None:
    from repcli.cli import (
        commands_alerts,
        commands_analyze,
        commands_items,
        commands_orders,
        commands_report,
        commands_run,
        commands_setup,
        commands_store,
        commands_workflow,
    )

    commands_setup.register(app)
    commands_run.register(app)
    commands_items.register(app)
    commands_workflow.register(app)
    commands_alerts.register(app)
    commands_orders.register(app)
    commands_report.register(app)
    commands_analyze.register(app)
    commands_store.register(app)

    from typer.main import get_command_name, solve_typer_info_defaults

    for command in app.registered_commands:
        assert command.callback is not None
        _reflow(command)
        _readable_help(command)
        _LAZY[command.name or get_command_name(command.callback.__name__)] = command
    for group in app.registered_groups:
        for command in group.typer_instance.registered_commands if group.typer_instance else ():
            _reflow(command)
            _readable_help(command)
        solved = solve_typer_info_defaults(group)
        if solved.cls in (None, TyperGroup):
            group.cls = _SubGroup
        _LAZY[str(solved.name)] = group
    app.registered_commands.clear()
    app.registered_groups.clear()


def _readable_help(command: Any) -> None:
    """Build the command as a _Command (unless it asked for a class of its own)."""
    if command.cls in (None, TyperCommand):
        command.cls = _Command


def _reflow(command: Any) -> None:
    """Help paragraphs flow to the terminal's width. Docstrings are wrapped at 100 columns in
    the source, and Typer's rich help keeps a paragraph's line breaks (only the first paragraph
    is joined), so `--help` broke lines mid-sentence. A paragraph that starts with \\b keeps
    its lines, as in click."""
    import inspect

    if command.help is not None or command.callback is None:
        return
    doc = inspect.getdoc(command.callback)
    if doc:
        command.help = "\n\n".join(
            p if p.startswith("\b") else " ".join(p.split("\n")) for p in doc.split("\n\n")
        )


_register()


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # during start-up, before a command runs
        sys.stderr.write("interrupted\n")
        sys.exit(int(ExitCode.INTERRUPTED))
    except Exception as exc:  # only with --traceback: the handler made one line of the rest
        from repcli.secrets import format_traceback

        # The message masks secrets; the exception's args and its chain hold them as they were.
        sys.stderr.write(format_traceback(exc))
        sys.exit(int(exc.exit_code if isinstance(exc, RepcliError) else ExitCode.ERROR))

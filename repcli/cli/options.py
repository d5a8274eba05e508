"""Options shared by every listing, declared once, and how every option reads in `--help`."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Annotated, Any, get_args, get_origin

import typer
from typer.core import TyperArgument, TyperOption


class Format(enum.StrEnum):
    auto = "auto"
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    md = "md"


FormatOpt = Annotated[
    Format | None,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help="Output format: auto, table, json, jsonl, csv or md. Default: table on a terminal, "
        "jsonl when piped (or `output.format` in the config).",
        case_sensitive=False,
        show_default=False,
    ),
]
SourceOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--source",
        "-s",
        metavar="NAME",
        help="Only this source (repeat for several).",
        show_default=False,
    ),
]
SinceOpt = Annotated[
    str | None,
    typer.Option(
        "--since",
        metavar="WHEN",
        help="Only items posted since: a duration back from now (24h, 7d, 2w) or a date "
        "(2026-11-01).",
        show_default=False,
    ),
]
LimitOpt = Annotated[
    int | None,
    typer.Option(
        "--limit",
        "-n",
        metavar="N",
        help="At most this many rows (0: all). Default: `output.limit` (50).",
        show_default=False,
        min=0,
    ),
]


# --------------------------------------------------------------------------- help metavars
#
# Typer 0.29's rich help prints every parameter's `display_type_rich()` in the column after its
# names, and TyperOption answers with its Python type, `<bool>`, `<str>`, `<list[str]>`, `<int
# range>`: even for a flag or a counter, which take no value (its plain-text help,
# `get_help_record`, leaves them out; the rich panel does not ask). `readable()` is applied to
# every command's parameters (repcli.cli.app): a flag says nothing there, a value option a short
# upper-case word for what to give, its own `metavar=` where its definition has one.


class _Flag(TyperOption):
    """A flag (`--negative`) or a counter (`-v`, `-vv`): nothing follows it on the line."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


class _Positional(TyperArgument):
    """An argument's metavar is its name in the table; after it come only its choices."""

    def display_type_rich(self, ctx: Any) -> str | None:
        choices = _choices(self)
        return f"[{'|'.join(choices)}]" if choices else None


_TYPE_METAVARS = {int: "N", float: "NUMBER"}
_PATH_METAVARS = {"file": "FILE", "dir": "DIR"}


def readable(params: Sequence[Any]) -> None:
    """Give `params` (a command's, help option included) the metavars `--help` shows."""
    for param in params:
        if isinstance(param, _Flag | _Positional):
            continue
        descriptor = getattr(param, "type_descriptor", None)  # Typer 0.29; earlier ones: click's
        if isinstance(param, TyperOption) and (param.is_flag or param.count):
            param.__class__ = _Flag
        elif descriptor is None:
            continue
        elif isinstance(param, TyperOption) and param.metavar is None:
            param.metavar = _value_metavar(param, descriptor)
        elif isinstance(param, TyperArgument):
            if param.metavar is None and param.nargs == 1 and param.name:
                param.metavar = param.name.upper()
            param.__class__ = _Positional


def _value_metavar(param: Any, descriptor: Any) -> str:
    """`[a|b|c]` for a choice; N, NUMBER, FILE, DIR, PATH by type; else the option's name."""
    choices = _choices(param)
    if choices:
        return f"[{'|'.join(choices)}]"
    if descriptor.is_path:
        return _PATH_METAVARS.get(descriptor.path_type, "PATH")
    annotation = descriptor.annotation
    if get_origin(annotation) is list and len(get_args(annotation)) == 1:
        annotation = get_args(annotation)[0]
    if annotation in _TYPE_METAVARS:
        return _TYPE_METAVARS[annotation]
    longest = max(param.opts, key=len)
    return str(longest).lstrip("-").replace("-", "_").upper()


def _choices(param: Any) -> list[str]:
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or not param.show_choices or not descriptor.is_choice:
        return []
    return [str(c.value if isinstance(c, enum.Enum) else c) for c in descriptor.choices or ()]

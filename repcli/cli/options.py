"""Options shared by every listing, declared once."""

from __future__ import annotations

import enum
from typing import Annotated

import typer


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
        help="Output format. Default: table on a terminal, jsonl when piped "
        "(or `output.format` in the config).",
        case_sensitive=False,
        show_default=False,
    ),
]
SourceOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--source", "-s", help="Only this source (repeat for several).", show_default=False
    ),
]
SinceOpt = Annotated[
    str | None,
    typer.Option(
        "--since",
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
        help="At most this many rows (0: all). Default: `output.limit` (50).",
        show_default=False,
        min=0,
    ),
]

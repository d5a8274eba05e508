"""analyze: classify texts from stdin or a file, for scripts and for evaluation."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from repcli.cli.context import State
from repcli.cli.options import Format, FormatOpt

COLUMNS = ("line", "label", "score", "negative", "lang", "reasons", "topics", "text")


def analyze(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(help="A file of texts; `-` or nothing: stdin.", show_default=False),
    ] = None,
    fmt: FormatOpt = None,
    text_field: Annotated[
        str, typer.Option("--field", help="The text's key in JSONL or column in CSV.")
    ] = "text",
    rating_field: Annotated[
        str | None,
        typer.Option(
            "--rating-field",
            help="Also use this key/column as the star rating (default: text only).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Classify texts: label, score and the reasons, one row per input.

    Input: plain text (one text per line), JSONL (an object per line) or CSV (with a header),
    told apart by the file's name or its first line.
    """
    from repcli.analysis.batch import classify_rows, read_texts
    from repcli.cli import output
    from repcli.errors import UsageError

    state: State = ctx.obj
    fmt_ = output.resolve_format(
        state, fmt, (Format.table, Format.jsonl, Format.csv, Format.json), use_config=False
    )
    if path is None or str(path) == "-":
        name, handle = "<stdin>", sys.stdin
        rows = read_texts(handle, name, text_field, rating_field)
    else:
        try:
            with path.open(encoding="utf-8-sig") as handle:
                rows = read_texts(handle, str(path), text_field, rating_field)
        except OSError as exc:
            raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
    results = classify_rows(rows)
    from repcli.render import tables

    output.emit(
        state,
        fmt_,
        results,
        columns=COLUMNS,
        key="results",
        table=lambda: tables.analysis_table(results),
    )


def register(app: typer.Typer) -> None:
    app.command()(analyze)

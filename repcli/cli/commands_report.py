"""report: what happened over a period, for people (table, Markdown, HTML) and scripts."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from repcli.cli.context import State
from repcli.cli.options import SinceOpt, SourceOpt


class ReportFormat(enum.StrEnum):
    auto = "auto"
    table = "table"
    md = "md"
    html = "html"
    json = "json"
    csv = "csv"


def report(
    ctx: typer.Context,
    since: SinceOpt = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until", metavar="WHEN", help="End of the period (default: now).", show_default=False
        ),
    ] = None,
    source: SourceOpt = None,
    product: Annotated[
        str | None, typer.Option("--product", help="Only this product id.", show_default=False)
    ] = None,
    target: Annotated[
        float,
        typer.Option(
            "--target", metavar="STARS", help="Target rating for the forecast.", min=1, max=5
        ),
    ] = 4.7,
    locale: Annotated[
        str | None,
        typer.Option(
            "--locale", help="en, ru or uk (default: `locale` in the config).", show_default=False
        ),
    ] = None,
    fmt: Annotated[
        ReportFormat,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="table (terminal), md (mail), html (one file with "
            "charts), json (schema repcli.report/1) or csv.",
            case_sensitive=False,
        ),
    ] = ReportFormat.auto,
    out: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to this file (atomically).",
            show_default=False,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """A period's ratings, complaints, answer times, reply effect and forecast (30 days).

    Rating trend, negatives and their causes, answer times and SLA breaches, products that got
    worse, the effect of replies on ratings, a rating forecast, competitors, and suspicious
    activity. Default period: the last 30 days against the 30 before.
    """
    from repcli.actions import report as action
    from repcli.cli import output
    from repcli.render import formats, report_view

    state: State = ctx.obj
    options = action.ReportOptions(
        since=since, until=until, sources=tuple(source or ()), product=product, target=target,
        locale=locale,
    )  # fmt: skip
    action.checked(state.config, options, state.now)  # before the store is opened
    result = action.run(state.config, state.store, options, state.now)
    data, lang = result.data, result.locale
    chosen = fmt
    if chosen is ReportFormat.auto:
        chosen = ReportFormat.table if out is None and state.out.is_terminal else ReportFormat.md
    if chosen is ReportFormat.table:
        from rich.table import Table

        state.out.print(output.plain(report_view.heading(data, lang), "bold"))
        for title, headers, rows in report_view.sections(data, lang):
            table = Table(title=title, title_justify="left", show_header=headers != [""])
            for h in headers:
                table.add_column(h)
            for row in rows or [[report_view.t("none", lang)] + [""] * (len(headers) - 1)]:
                table.add_row(*(output.safe_text(x) for x in row))
            state.out.print(table)
        return
    text = {
        ReportFormat.md: lambda: report_view.to_markdown(data, lang),
        ReportFormat.html: lambda: report_view.to_html(data, lang),
        ReportFormat.json: lambda: formats.to_json({"report": data}),
        ReportFormat.csv: lambda: report_view.to_csv(data),
    }[chosen]()
    if out is None:
        output.write(state, text)
    else:
        output.write_atomically(out, text)
        state.info(f"Wrote the report to {out}")


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel="Reports and exports")(report)

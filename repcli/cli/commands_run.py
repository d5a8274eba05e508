"""fetch, check, status: running sources and seeing how they did."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import typer

from repcli.actions import fetch as fetch_action
from repcli.actions.check import FailOn, source_rows
from repcli.actions.fetch import Progress
from repcli.cli.context import State
from repcli.cli.options import Format, FormatOpt, LimitOpt, SourceOpt
from repcli.errors import ExitCode

if TYPE_CHECKING:
    from repcli.actions.check import CheckResult
    from repcli.pipeline import RunReport
    from repcli.store.rows import ItemRow


FullOpt = Annotated[
    bool, typer.Option("--full", help="Backfill: fetch everything, not only what is new.")
]


class _Progress(Progress):
    """A spinner on a terminal while the sources are fetched, then one line per source."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.status: Any = None
        self.count = 0

    def started(self, sources: list[str]) -> None:
        state = self.state
        self.count = len(sources)
        if state.err.is_interactive and not state.quiet:
            self.status = state.err.status(f"Fetching {self.count} sources: {', '.join(sources)}")
            self.status.start()

    def fetched(self, source: str, count: int) -> None:
        if self.status is not None:
            self.status.update(f"Fetching {self.count} sources… {source}: {count} items")

    def ran(self, report: RunReport) -> None:
        self.stop()
        _print_run(self.state, report)

    def stop(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None


def _print_run(state: State, report: RunReport) -> None:
    from repcli.cli.output import line, plain

    for r in report.results:
        if r.error:
            state.err.print(line(plain(f"✗ {r.source}", "bold red"), ": ", plain(r.error)))
        elif state.verbose or not state.quiet:
            state.info(
                f"[green]✓[/green] {r.source}: {r.fetched} fetched, {r.new} new"
                + (f", {r.changed} changed" if r.changed else "")
                + (f", [yellow]{r.rejected} rejected[/yellow]" if r.rejected else "")
            )


def fetch(
    ctx: typer.Context,
    source: SourceOpt = None,
    full: FullOpt = False,
    fmt: FormatOpt = None,
) -> None:
    """Fetch new reviews, questions and comments from the sources into the store."""
    from repcli.cli import output

    state: State = ctx.obj
    fmt_ = output.resolve_format(state, fmt, tuple(Format))
    fetch_action.select(state.config, source or ())  # refused before the store is opened
    progress = _Progress(state)
    try:
        report = fetch_action.run(
            state.config, state.store, state.now, source or (), full=full, progress=progress
        )
    finally:
        progress.stop()
    rows = source_rows(report)
    from repcli.render import tables

    output.emit(
        state, fmt_, rows, columns=("source", "fetched", "new", "changed", "rejected", "error"),
        key="sources", extra={"run": report.group}, table=lambda: tables.run_table(rows),
    )  # fmt: skip
    if report.failure_code is not None:
        raise typer.Exit(int(report.failure_code))


def check(
    ctx: typer.Context,
    source: SourceOpt = None,
    full: FullOpt = False,
    fmt: FormatOpt = None,
    limit: LimitOpt = None,
    fail_on: Annotated[
        list[FailOn] | None,
        typer.Option(
            "--fail-on",
            metavar="FINDING",
            help="Exit with code 10 when this is found (repeatable): new-negative, extortion, "
            "overdue, new, signal (any), burst, spike, alert-failed, rejects (rows this run "
            "set aside: `repcli status`).",
            show_default=False,
        ),
    ] = None,
    no_alerts: Annotated[
        bool, typer.Option("--no-alerts", help="Do not send the configured alerts this time.")
    ] = False,
) -> None:
    """The daily check: fetch, analyse, and show what is new and negative (newest first).

    Each negative item is shown once; a second run right after shows nothing new.
    """
    from repcli.actions import check as action
    from repcli.cli import output

    state: State = ctx.obj
    fmt_ = output.resolve_format(state, fmt, tuple(Format))
    fetch_action.select(state.config, source or ())  # refused before the store is opened
    shown = output.limit_of(state, limit, fmt_)
    # Only the negatives shown are read (json/jsonl get every one unless --limit says otherwise);
    # the rest are counted.
    options = action.CheckOptions(
        sources=tuple(source or ()), full=full, fail_on=tuple(fail_on or ()),
        alerts=not no_alerts, shown=shown,
    )  # fmt: skip
    progress = _Progress(state)
    try:
        result = action.run(
            state.config, state.store, options, state.now, progress=progress,
            deliver=lambda r: _show_check(state, fmt_, r, shown),
        )  # fmt: skip
    finally:
        progress.stop()
    if result.alerts is not None:
        output.print_alerts(state, result.alerts)
    hidden = result.summary["new_negative"] - len(_first(result.negatives, shown))
    _print_summary(state, result.summary, hidden, ran=len(result.run.results))
    if result.matched:
        # Said even with -q: a script (or a cron mail) learns which rule gave exit 10.
        state.err.print(output.line(_matched_line(result.matched)))
    if result.exit_code is not ExitCode.OK:
        raise typer.Exit(int(result.exit_code))


T = TypeVar("T")


def _first(rows: list[T], shown: int) -> list[T]:
    return rows[:shown] if shown else rows


def _show_check(state: State, fmt: Format, result: CheckResult, shown: int) -> None:
    """The check's data on stdout (before its negatives are marked reported)."""
    from repcli.cli import output

    visible = _first(result.negatives, shown)
    title = f"New negative ({result.summary['new_negative']})"
    if fmt is Format.table:
        from repcli.render import tables

        if visible:
            state.out.print(tables.items_table(visible, state.now, title))
        changed = result.changed
        if changed:
            changed = _first(changed, shown)
            state.out.print(
                tables.changed_table(changed, state.now, f"Edited by customers ({len(changed)})")
            )
        _print_signals(state, result.signals)
    elif fmt is Format.md:
        _write_mail(state, result, visible)
    else:
        output.emit_items(
            state, fmt, visible, title=title, key="new_negative",
            extra={"changed": result.changed, "signals": result.signals,
                   "summary": result.summary, "sources": result.sources},
        )  # fmt: skip


def _print_signals(state: State, rows: list[dict[str, Any]]) -> None:
    """At most 3 signals of a kind here; `repcli signals` lists them all."""
    from repcli.render import tables

    per_kind: dict[str, int] = {}
    shown = []
    for row in rows:
        per_kind[row["kind"]] = per_kind.get(row["kind"], 0) + 1
        if per_kind[row["kind"]] <= 3:
            shown.append(row)
    if shown:
        state.out.print(tables.signals_table(shown, f"Signals ({len(rows)})"))
    if len(shown) < len(rows):
        state.info(f"[dim]… and {len(rows) - len(shown)} more signals: repcli signals[/dim]")


def _write_mail(state: State, result: CheckResult, negatives: list[ItemRow]) -> None:
    """--format md: the check as a mail with every section; nothing at all when it is empty."""
    from repcli.cli import output
    from repcli.render import check_md, human

    config = state.config
    summary = result.summary
    text = check_md.render(
        check_md.CheckMail(
            now=state.now,
            zone=human.zone(config.output.timezone),
            shop=config.shop,
            summary=summary,
            negatives=negatives,
            extortion=result.extortion,
            changed=result.changed,
            signals=result.signals,
            sources=result.sources,
            alert_failures=summary.get("alerts", {}).get("failed", []),
            matched=_matched_line(result.matched) if result.matched else "",
        )
    )
    if text:
        output.write(state, text)


_UNITS = {"signal": "signal", "burst": "signal", "spike": "signal",
          "alert-failed": "failed send", "rejects": "row"}  # fmt: skip


def _matched_line(matched: list[tuple[str, int]]) -> str:
    """'--fail-on matched: overdue (34 items), burst (1 signal)'."""
    parts = []
    for rule, count in matched:
        unit = _UNITS.get(rule, "item")
        parts.append(f"{rule} ({count} {unit}{'' if count == 1 else 's'})")
    return "--fail-on matched: " + ", ".join(parts)


def _print_summary(state: State, s: dict[str, Any], hidden: int, ran: int = 0) -> None:
    """The closing lines on stderr; `ran`: how many sources this run fetched."""
    from repcli.cli import output

    if state.quiet:
        return
    parts = [f"{s['new_items']} new items", f"[bold]{s['new_negative']} new negative[/bold]"]
    if s["extortion"]:
        parts.append(f"[bold magenta]{s['extortion']} extortion[/bold magenta]")
    if s["changed"]:
        parts.append(f"{s['changed']} edited")
    waiting = f"{s['waiting_for_answer']} waiting for an answer"
    if s["overdue"]:
        waiting += f" ([bold red]{s['overdue']} overdue[/bold red])"
    parts.append(waiting)
    if hidden:
        state.err.print(f"[dim]… and {hidden} more negative items: repcli list --negative[/dim]")
    state.err.print(" · ".join(parts) + "  [dim]→ repcli queue[/dim]")
    failed = s["failed_sources"]
    if failed and len(failed) >= ran:
        state.err.print(
            output.line(
                (f"Every source failed ({len(failed)}): nothing was fetched.", "bold red"),
                " The ✗ lines above say why; `repcli status` keeps them.",
            )
        )
    elif s["new_negative"] == 0 and s["changed"] == 0 and failed:
        names = ", ".join(failed)
        state.err.print(
            output.line(
                ("Nothing new from the sources that answered; ", "yellow"),
                (f"{len(failed)} failed: ", "yellow"),
                output.plain(names, "yellow"),
                (".", "yellow"),
            )
        )
    elif s["new_negative"] == 0 and s["changed"] == 0:
        state.err.print("[green]Nothing new to act on.[/green]")


def status(ctx: typer.Context, fmt: FormatOpt = None) -> None:
    """Per source: last run and its result, item counts, errors, cursor age."""
    from repcli.cli import output

    state: State = ctx.obj
    fmt_ = output.resolve_format(state, fmt, tuple(Format))
    # Sources never run get a row here; every row gets the config's `type` and `enabled`.
    rows = {r["source"]: cast("dict[str, Any]", r) for r in state.store.source_status()}
    for src in state.config.sources:
        rows.setdefault(
            src.name,
            {"source": src.name, "items": 0, "negative_items": 0, "open_items": 0, "rejects": 0},
        )
        rows[src.name]["type"] = src.type
        rows[src.name]["enabled"] = src.enabled
    records = sorted(rows.values(), key=lambda r: r["source"])
    columns = (
        "source", "type", "enabled", "last_run_at", "last_run_status", "last_fetched", "last_new",
        "items", "negative_items", "open_items", "newest_item_at", "cursor_updated_at", "consecutive_failures",
        "last_error", "last_rejected", "rejects",
    )  # fmt: skip
    from repcli.render import tables

    output.emit(
        state, fmt_, records, columns=columns, key="sources",
        table=lambda: tables.status_table(records, state.now),
    )  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel="Daily")(check)
    app.command(rich_help_panel="Daily")(fetch)
    app.command(rich_help_panel="Daily")(status)

"""fetch, check, status: running sources and seeing how they did."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from repcli.cli.context import State
from repcli.cli.options import Format, FormatOpt, LimitOpt, SourceOpt
from repcli.errors import ExitCode

if TYPE_CHECKING:
    from repcli.pipeline import RunReport


class FailOn(enum.StrEnum):
    new_negative = "new-negative"
    extortion = "extortion"
    overdue = "overdue"
    new = "new"
    signal = "signal"
    burst = "burst"
    spike = "spike"
    alert_failed = "alert-failed"
    rejects = "rejects"


FullOpt = Annotated[
    bool, typer.Option("--full", help="Backfill: fetch everything, not only what is new.")
]


def _run(state: State, sources: list[str] | None, full: bool, command: str) -> RunReport:
    from repcli.pipeline import Pipeline, select_sources

    config = state.config
    selected = select_sources(config, sources or [])
    if not selected:
        from repcli.errors import ConfigError

        raise ConfigError(
            f"{config.path}: no enabled sources to fetch",
            "add a source under `sources:` (see config.example.yaml)",
        )
    pipeline = Pipeline(config, state.store, state.now)
    names = ", ".join(s.name for s in selected)
    if state.err.is_interactive and not state.quiet:
        with state.err.status(f"Fetching {len(selected)} sources: {names}") as status:

            def progress(source: str, fetched: int) -> None:
                status.update(f"Fetching {len(selected)} sources… {source}: {fetched} items")

            report = pipeline.run(selected, command, full=full, progress=progress)
    else:
        report = pipeline.run(selected, command, full=full)
    _print_run(state, report)
    return report


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


def _results(report: RunReport) -> list[dict[str, Any]]:
    return [
        {
            "source": r.source,
            "fetched": r.fetched,
            "new": r.new,
            "changed": r.changed,
            "rejected": r.rejected,
            "error": r.error,
        }
        for r in report.results
    ]


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
    report = _run(state, source, full, "fetch")
    rows = _results(report)
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
    from repcli.cli import output

    state: State = ctx.obj
    fmt_ = output.resolve_format(state, fmt, tuple(Format))
    report = _run(state, source, full, "check")
    store, now = state.store, state.now
    # A competitor's items are for reports only: never in this queue, --fail-on or alerts.
    competitors = _competitors(state)
    negatives = store.unreported_negatives(source or (), exclude_sources=competitors)
    changed = [
        r
        for r in store.changed_items(now, source or ())
        if r["id"] in set(report.changed_ids) and r["source"] not in competitors
    ]
    waiting, overdue = store.queue_counts(now, _all_items(), exclude_sources=competitors)
    extortion = [r for r in negatives if "extortion" in (r.get("topics") or [])]
    signal_rows = _fresh_signals(state, report)
    shown = output.limit_of(state, limit, fmt_)
    visible = negatives[:shown] if shown else negatives
    summary = {
        "new_items": sum(r.new for r in report.results if r.source not in competitors),
        "competitor_new_items": sum(r.new for r in report.results if r.source in competitors),
        "new_negative": len(negatives),
        "changed": len(changed),
        "extortion": len(extortion),
        "waiting_for_answer": waiting,
        "overdue": overdue,
        "signals": len(signal_rows),
        "rejected": sum(r.rejected for r in report.results),
        "failed_sources": [r.source for r in report.failed],
    }
    if state.config.alerts.rules and not no_alerts:
        from repcli import alerts

        # Signals near this run's new and changed items only: the day's cost, not the history's.
        fresh = set(report.new_ids) | set(report.changed_ids)
        sent = alerts.send(state.config, store, now, fresh_ids=fresh)
        summary["alerts"] = sent.as_dict()
    title = f"New negative ({len(negatives)})"
    if fmt_ is Format.table:
        from repcli.render import tables

        if visible:
            state.out.print(tables.items_table(visible, now, title))
        if changed:
            changed = changed[:shown] if shown else changed
            state.out.print(
                tables.changed_table(changed, now, f"Edited by customers ({len(changed)})")
            )
        _print_signals(state, signal_rows)
    elif fmt_ is Format.md:
        matched = _matched(fail_on or [], summary, signal_rows)
        _write_mail(state, summary, visible, extortion, changed, signal_rows, report, matched)
    else:
        output.emit_items(
            state, fmt_, visible, title=title, key="new_negative",
            extra={"changed": changed, "signals": signal_rows, "summary": summary,
                   "sources": _results(report)},
        )  # fmt: skip
    # A competitor's negatives are seen too, though never shown: a source that stops being a
    # competitor brings only its new negatives into the queue, not its whole history at once.
    unseen_rivals = store.unreported_negatives(competitors) if competitors else []
    store.mark_reported([r["id"] for r in [*negatives, *unseen_rivals]], now)
    if "alerts" in summary:
        output.print_alerts(state, sent)
    _print_summary(state, summary, len(negatives) - len(visible), ran=len(report.results))
    matched = _matched(fail_on or [], summary, signal_rows)
    if matched:
        # Said even with -q: a script (or a cron mail) learns which rule gave exit 10.
        state.err.print(output.line(_matched_line(matched)))
        raise typer.Exit(int(ExitCode.FOUND))
    if report.failure_code is not None:
        raise typer.Exit(int(report.failure_code))


def _fresh_signals(state: State, report: RunReport) -> list[dict[str, Any]]:
    """The signals that this run's new or changed items are part of (read near those items
    only: the same as `repcli signals` lists for them)."""
    from datetime import timedelta

    from repcli.analysis import signals
    from repcli.cli.signal_rows import signal_row

    settings = state.config.signals
    since = state.now - timedelta(days=settings.baseline_days + 2)
    window = state.store.signal_window(since, _competitors(state))
    fresh = set(report.new_ids) | set(report.changed_ids)
    return [signal_row(sig) for sig in signals.fresh(window, fresh, state.now, settings)]


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


def _write_mail(
    state: State,
    summary: dict[str, Any],
    negatives: list[dict[str, Any]],
    extortion: list[dict[str, Any]],
    changed: list[dict[str, Any]],
    signal_rows: list[dict[str, Any]],
    report: RunReport,
    matched: list[tuple[str, int]],
) -> None:
    """--format md: the check as a mail with every section; nothing at all when it is empty."""
    from repcli.cli import output
    from repcli.render import check_md, human

    config = state.config
    text = check_md.render(
        check_md.CheckMail(
            now=state.now,
            zone=human.zone(config.output.timezone),
            shop=config.shop,
            summary=summary,
            negatives=negatives,
            extortion=extortion,
            changed=changed,
            signals=signal_rows,
            sources=_results(report),
            alert_failures=summary.get("alerts", {}).get("failed", []),
            matched=_matched_line(matched) if matched else "",
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


def _matched(
    rules: list[FailOn], summary: dict[str, Any], signal_rows: list[dict[str, Any]]
) -> list[tuple[str, int]]:
    """(rule, how many things it matched) for each rule that matched, in the order given."""
    kinds = [r["kind"] for r in signal_rows]
    counts = {
        FailOn.new_negative: summary["new_negative"],
        FailOn.extortion: summary["extortion"],
        FailOn.overdue: summary["overdue"],
        FailOn.new: summary["new_items"],
        FailOn.signal: summary["signals"],
        FailOn.burst: sum(k in ("burst", "one-star-burst", "one-star-author") for k in kinds),
        FailOn.spike: kinds.count("spike"),
        FailOn.alert_failed: len(summary.get("alerts", {}).get("failed", [])),
        FailOn.rejects: summary["rejected"],
    }
    return [(rule.value, int(counts[rule])) for rule in dict.fromkeys(rules) if counts[rule]]


def _all_items() -> Any:
    from repcli.store import ItemFilter

    return ItemFilter()


def _competitors(state: State) -> list[str]:
    return [s.name for s in state.config.sources if s.competitor]


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
    rows = {r["source"]: r for r in state.store.source_status()}
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

"""signals and alerts: what no single review shows, and who hears about it."""

from __future__ import annotations

from typing import Annotated

import typer

from repcli.cli.context import State
from repcli.cli.options import Format, FormatOpt, LimitOpt

alerts_app = typer.Typer(
    help="Alerts: what was sent where, and a test message.", no_args_is_help=True
)


def signals(
    ctx: typer.Context,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            help="Only burst, one-star-burst, one-star-author, spike or "
            "topic-cluster (repeatable).",
            show_default=False,
        ),
    ] = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = None,
) -> None:
    """Suspicious bursts, 1★-only authors, spikes and complaint clusters in recent items.

    Thresholds: `signals:` in the config.
    """
    from repcli.cli import output
    from repcli.render import tables

    state: State = ctx.obj
    fmt_ = output.resolve_format(state, fmt, tuple(Format))
    from repcli.cli.signal_rows import current_signals, signal_row

    rows = [signal_row(s) for s in current_signals(state) if not kind or s.kind in kind]
    if cap := output.limit_of(state, limit, fmt_):
        rows = rows[:cap]
    if fmt_ is Format.table and not rows:
        state.info("[dim]No signals: nothing unusual in the recent items.[/dim]")
        return
    output.emit(
        state, fmt_, rows, columns=("kind", "subject", "reason", "items", "key"), key="signals",
        table=lambda: tables.signals_table(rows, f"Signals ({len(rows)})"),
    )  # fmt: skip


@alerts_app.command("list")
def alerts_list(
    ctx: typer.Context,
    failed: Annotated[
        bool, typer.Option("--failed", help="Only failed or given-up sends.")
    ] = False,
    limit: LimitOpt = None,
    fmt: FormatOpt = None,
) -> None:
    """What was sent, to which destination, and what failed (retried next run)."""
    from repcli.cli import output
    from repcli.render import tables

    state: State = ctx.obj
    fmt_ = output.resolve_format(state, fmt, tuple(Format))
    statuses = ("failed", "given-up") if failed else ()
    rows = state.store.alert_log(output.limit_of(state, limit, fmt_), statuses)
    columns = (
        "id",
        "rule",
        "key",
        "item_id",
        "destination",
        "status",
        "sent_at",
        "attempts",
        "error",
    )
    output.emit(state, fmt_, rows, columns=columns, key="alerts",
                table=lambda: tables.alerts_table(rows, state.now),
                empty="No alerts sent yet (alerts: in the config; `repcli alerts test`).")  # fmt: skip


@alerts_app.command("test")
def alerts_test(
    ctx: typer.Context,
    destination: Annotated[
        str | None, typer.Argument(help="One destination (default: all).", show_default=False)
    ] = None,
) -> None:
    """Send a test message to the configured destinations; exit 6 if one fails (one line
    for each destination, what it said)."""
    from repcli.alerts import apprise_notify
    from repcli.cli.output import line, plain
    from repcli.errors import ExitCode, NotFoundError

    state: State = ctx.obj
    dests = state.config.alerts.destinations
    if destination is not None and destination not in dests:
        raise NotFoundError(
            f"no alert destination named {destination!r}",
            f"known: {', '.join(dests) or 'none (add alerts.destinations to the config)'}",
        )
    names = [destination] if destination else list(dests)
    if not names:
        raise NotFoundError("no alert destinations configured", "see README, 'Alerts'")
    failed = False
    for name in names:
        error = apprise_notify(dests[name], "repcli: test", "Alerts from repcli reach you here.")
        if error:
            failed = True
            state.err.print(line(plain(f"✗ {name}", "red"), ": ", plain(error)))
        else:
            state.info(f"[green]✓ {name}[/green]: sent")
    if failed:  # a destination that failed is outside repcli, as a failed source is
        raise typer.Exit(int(ExitCode.SOURCES_FAILED))


@alerts_app.command("send")
def alerts_send(ctx: typer.Context) -> None:
    """Alert on what is in the store now (without fetching): what `check` does after a run."""
    from repcli import alerts
    from repcli.cli import output
    from repcli.errors import ExitCode

    state: State = ctx.obj
    report = alerts.send(state.config, state.store, state.now)
    if not state.config.alerts.rules:
        state.info("[dim]no alert rules configured (alerts.rules)[/dim]")
    output.print_alerts(state, report)
    if report.failed:
        raise typer.Exit(int(ExitCode.SOURCES_FAILED))


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel="Analysis")(signals)
    app.add_typer(alerts_app, name="alerts", rich_help_panel="Set up")

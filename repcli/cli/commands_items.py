"""list, queue, show, search, export: reading what is stored."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from repcli.actions.export import ExportWhat
from repcli.cli.context import State
from repcli.cli.filters import item_filter, narrow
from repcli.cli.options import Format, FormatOpt, LimitOpt, SinceOpt, SourceOpt

NegativeOpt = Annotated[bool, typer.Option("--negative", help="Only items flagged negative.")]
KindOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--kind", help="Only review, question or comment (repeatable).", show_default=False
    ),
]
TopicOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--topic", "-t", help="Only items tagged with this topic, e.g. delivery (repeatable).",
        show_default=False,
    ),
]  # fmt: skip
RatingOpt = Annotated[
    str | None,
    typer.Option(
        "--rating",
        metavar="RATINGS",
        help="Only these ratings: 1, 1-2, 4,5, <=2 or >=4.",
        show_default=False,
    ),
]
ProductOpt = Annotated[
    str | None,
    typer.Option(
        "--product", help="Only this product: its id, or words of its name.", show_default=False
    ),
]
StatusOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--status",
        help="Only items in this state: new, open, answered, ignored, resolved (repeatable).",
        show_default=False,
    ),
]
AssigneeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--assignee", "-a", metavar="PERSON",
        help="Only items assigned to this person (repeatable).", show_default=False,
    ),
]  # fmt: skip


def list_items(
    ctx: typer.Context,
    source: SourceOpt = None,
    since: SinceOpt = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = None,
    negative: NegativeOpt = False,
    kind: KindOpt = None,
    topic: TopicOpt = None,
    rating: RatingOpt = None,
    product: ProductOpt = None,
    status: StatusOpt = None,
    assignee: AssigneeOpt = None,
) -> None:
    """List stored items, newest first.

    Filters combine: `repcli list --topic delivery --rating 1-2 --since 7d`.
    """
    from repcli.cli import output

    state: State = ctx.obj
    fmt_ = output.resolve_format(state, fmt, tuple(Format))
    flt = item_filter(state, source, since, limit, fmt_, negative, kind)
    flt = narrow(state, flt, topic, rating, product, status, assignee)
    records = state.store.list_items(flt)
    output.emit_items(state, fmt_, records, title=f"Items ({len(records)})")


def queue(
    ctx: typer.Context,
    source: SourceOpt = None,
    since: SinceOpt = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = None,
    assignee: AssigneeOpt = None,
    mine: Annotated[bool, typer.Option("--mine", help="Only items assigned to you.")] = False,
    kind: KindOpt = None,
    topic: TopicOpt = None,
    rating: RatingOpt = None,
    product: ProductOpt = None,
) -> None:
    """What needs an answer, most urgent first: overdue, then negative, then by deadline.

    Answered, ignored and resolved items are not in it; `repcli mark` and `repcli reply`
    move items along.
    """
    import dataclasses

    from repcli.cli import output

    state: State = ctx.obj
    fmt_ = output.resolve_format(state, fmt, tuple(Format))
    flt = item_filter(state, source, since, limit, fmt_, kinds=kind)
    flt = narrow(state, flt, topic, rating, product)
    who = [*(assignee or ()), *([state.actor] if mine else [])]
    if who:
        flt = dataclasses.replace(flt, assignees=tuple(who))
    competitors = [s.name for s in state.config.sources if s.competitor]
    records = state.store.queue(state.now, flt, exclude_sources=competitors)
    output.emit_items(state, fmt_, records, title=f"Reply queue ({len(records)})")


def show(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(metavar="ID", help="The item's ID (first column).")],
    fmt: FormatOpt = None,
) -> None:
    """One item in full: text, analysis, answer, earlier versions, replies.

    `--format json` is `{"version": 1, "item": {...}}`; `jsonl` is the same item object on one
    line, with its versions, replies, history, signals and order inside it.
    """
    from repcli.cli import output
    from repcli.errors import NotFoundError
    from repcli.render import formats

    state: State = ctx.obj
    fmt_ = output.resolve_format(state, fmt, (Format.table, Format.json, Format.jsonl))
    record = state.store.get_item(item_id)
    if record is None:
        raise NotFoundError(
            f"no item with ID {item_id}", "IDs are in the first column of check, queue and list"
        )
    versions = state.store.versions(item_id)
    replies = state.store.replies(item_id)
    history = state.store.history(item_id)
    from repcli.cli.signal_rows import current_signals, signal_row

    signals = [signal_row(s) for s in current_signals(state) if item_id in s.item_ids]
    order = state.store.order_for_item(item_id)
    if order:
        order.pop("raw", None)
    if fmt_ is Format.table:
        from repcli.render import tables

        detail = tables.item_detail(record, versions, replies, state.now, history, order)
        state.out.print(detail)
        if signals:
            state.out.print(tables.signals_table(signals, "\nSignals this item is part of"))
    else:
        # One object in both: json's `item` is the jsonl line (as `items` holds list's lines).
        item = {**record, "versions": versions, "replies": replies, "history": history,
                "signals": signals, "order": order}  # fmt: skip
        if fmt_ is Format.json:
            output.write(state, formats.to_json({"item": item}))
        else:
            output.write(state, formats.to_jsonl([item]))


def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Words to find (all must match; prefixes match).")],
    source: SourceOpt = None,
    since: SinceOpt = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = None,
    negative: NegativeOpt = False,
) -> None:
    """Full-text search over titles, texts, pros and cons."""
    from repcli.cli import output

    state: State = ctx.obj
    fmt_ = output.resolve_format(state, fmt, tuple(Format))
    flt = item_filter(state, source, since, limit, fmt_, negative)
    records = state.store.search(query, flt)
    output.emit_items(state, fmt_, records, title=f"Search {query!r} ({len(records)})")


def export(
    ctx: typer.Context,
    what: Annotated[
        ExportWhat,
        typer.Option(
            "--what",
            metavar="ROWS",
            help="items, replies, versions (customers' earlier texts) or "
            "events (the workflow's history).",
            case_sensitive=False,
        ),
    ] = ExportWhat.items,
    source: SourceOpt = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="WHEN",
            help="Only rows since: 24h, 7d, a date, or `last-run` (what "
            "changed since this export last ran; see --name).",
            show_default=False,
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="Name of this export's bookmark for --since last-run (default: the --what).",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", help="At most this many rows (0: all).", min=0)
    ] = 0,
    fmt: Annotated[
        Format,
        typer.Option(
            "--format", "-f", metavar="FORMAT", help="csv, jsonl or json.", case_sensitive=False
        ),
    ] = Format.jsonl,
    negative: NegativeOpt = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to this file (atomically) instead of stdout.",
            show_default=False,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Export items, replies, versions or history for scripts, in a stable column order.

    `--since last-run` gives only what changed since the previous run of the same export: each
    change once, in the order it was stored. Its bookmark is per --name, --what and filter
    (--source, --negative), moves only past the rows written (with --limit, the next run goes
    on from there), and only once the output was all written: a closed pipe or a full disk is
    exit code 8 and the next run gives the same rows again.
    """
    from repcli.actions import export as action
    from repcli.cli import output

    state: State = ctx.obj
    options = action.ExportOptions(
        what=what, sources=tuple(source or ()), since=since, name=name, limit=limit,
        format=fmt.value, negative=negative,
    )  # fmt: skip

    def write(result: action.ExportResult) -> None:
        if out is None:
            output.write(state, result.text)  # written and flushed, or OutputError: no bookmark
        else:
            output.write_atomically(out, result.text)
            state.info(f"Wrote {len(result.rows)} {what.value} to {out}")

    action.run(state.config, state.store, options, state.now, write=write)


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel="Daily")(queue)
    app.command(rich_help_panel="Items")(show)
    app.command("list", rich_help_panel="Items")(list_items)
    app.command(rich_help_panel="Items")(search)
    app.command(rich_help_panel="Reports and exports")(export)

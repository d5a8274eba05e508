"""orders: import shop exports, see which reviews are verified buyers', list whom to invite."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from repcli.cli.context import State
from repcli.cli.options import Format, FormatOpt, LimitOpt

orders_app = typer.Typer(
    help="Orders: import exports, link reviews to buyers, list whom to ask for a review.",
    no_args_is_help=True,
)


def _mapping(pairs: list[str] | None) -> dict[str, str]:
    from repcli.errors import UsageError

    out = {}
    for pair in pairs or ():
        field, sep, column = pair.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise UsageError(f"--map {pair!r}: expected field=Column, e.g. order_id='Номер заказа'")
        out[field.strip()] = column.strip()
    return out


@orders_app.command("import")
def orders_import(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(metavar="FILE", help="A CSV, JSON Lines or JSON export.")],
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            metavar="FIELD=COLUMN",
            help="field=Column, for columns the usual headers don't name "
            "(repeatable): order_id, customer, email, phone, product_id, product_name, "
            "ordered_at, delivered_at.",
            show_default=False,
        ),
    ] = None,
    platform: Annotated[
        str | None,
        typer.Option("--platform", help="Where these orders were placed.", show_default=False),
    ] = None,
    date_format: Annotated[
        str | None,
        typer.Option(
            "--date-format",
            metavar="FORMAT",
            help="strptime format of the dates, e.g. '%d.%m.%Y'.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Import orders (re-importing the same file changes nothing; corrected rows update), then
    link reviews to them. A file with a bad row is refused whole (exit 7)."""
    from repcli import orders

    state: State = ctx.obj
    settings = state.config.orders
    explicit = {**settings.columns, **_mapping(map_)}
    rows = orders.read_orders(
        orders.read_file(path), str(path), explicit, platform,
        date_format or settings.date_format, settings.encoding,
    )  # fmt: skip
    store = state.store
    with store.transaction():
        new, updated = store.upsert_orders(rows, state.now)
        linked = orders.link(store, state.now, settings.link_days)
    state.info(
        f"{len(rows)} order rows read: {new} new, {updated} updated, "
        f"{len(rows) - new - updated} unchanged; {linked} review(s) linked to their orders"
    )


@orders_app.command("list")
def orders_list(
    ctx: typer.Context,
    customer: Annotated[
        str | None,
        typer.Option("--customer", metavar="NAME", help="Name contains.", show_default=False),
    ] = None,
    product: Annotated[
        str | None,
        typer.Option("--product", help="Product id, or name contains.", show_default=False),
    ] = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = None,
) -> None:
    """Imported orders, newest first, with the reviews linked to each."""
    from repcli.cli import output
    from repcli.render import tables

    state: State = ctx.obj
    fmt_ = output.resolve_format(state, fmt, tuple(Format))
    rows = state.store.list_orders(customer, product, output.limit_of(state, limit, fmt_))
    for r in rows:
        r.pop("raw", None)
    columns = ("order_id", "customer", "product_id", "product_name", "ordered_at", "delivered_at",
               "platform", "review_ids")  # fmt: skip
    output.emit(state, fmt_, rows, columns=columns, key="orders",
                table=lambda: tables.orders_table(rows, state.now),
                empty="No orders yet: `repcli orders import FILE`.")  # fmt: skip


@orders_app.command("invite")
def orders_invite(
    ctx: typer.Context,
    days: Annotated[
        int, typer.Option("--days", help="Bought (or delivered) this many days ago...", min=0)
    ] = 14,
    window: Annotated[
        int, typer.Option("--window", help="...or up to this many days before that.", min=0)
    ] = 7,
    fmt: FormatOpt = None,
) -> None:
    """Customers who bought `--days` ago and have not reviewed: the review-invitation list
    (CSV for a mail merge: `repcli orders invite --format csv > invite.csv`)."""
    from repcli import orders
    from repcli.cli import output
    from repcli.render import tables

    state: State = ctx.obj
    fmt_ = output.resolve_format(state, fmt, tuple(Format))
    rows = list(orders.invite_rows(state.store, state.now, days, window))
    if fmt_ is Format.table and not rows:
        state.info("[dim]Nobody to invite in that window.[/dim]")
        return
    output.emit(state, fmt_, rows, columns=orders.FIELDS, key="invite",
                table=lambda: tables.orders_table(rows, state.now))  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(orders_app, name="orders", rich_help_panel="Answering")

"""store: the store itself (copying it to another engine or file)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from repcli.cli.context import State
from repcli.cli.options import Format, FormatOpt

if TYPE_CHECKING:
    from repcli.store.transfer import TableCopy

store_app = typer.Typer(
    help="The store: copy it to PostgreSQL (or back to a SQLite file).",
    no_args_is_help=True,
)

COLUMNS = ("table", "rows", "sha256", "verified")


@store_app.command("migrate")
def migrate(
    ctx: typer.Context,
    to: Annotated[
        str,
        typer.Option(
            "--to",
            metavar="TARGET",
            help="Where to copy the store: a postgresql:// URL (the database must exist and be "
            "empty; give the password through PGPASSWORD or ~/.pgpass rather than the command "
            "line) or a SQLite file path (new or empty).",
            show_default=False,
        ),
    ],
    fmt: FormatOpt = None,
) -> None:
    """Copy the configured store, table by table with ids kept, into an empty store, and
    verify it: every table's row count and SHA-256 must match the source's before the copy
    commits (a mismatch commits nothing, exit 4). The source is read, never changed; point
    `store:` at the target afterwards.

    \b
    repcli store migrate --to postgresql://anna@db.example:5432/repcli
    repcli store migrate --to backup.db
    """
    from repcli.cli import output
    from repcli.secrets import redact
    from repcli.store import open_store
    from repcli.store.transfer import migrate as copy_store

    state: State = ctx.obj
    fmt_ = output.resolve_format(state, fmt, tuple(Format))
    target = _target(to)
    source = state.config.store
    if _same(source, target):
        from repcli.errors import UsageError

        raise UsageError(f"--to {redact(str(target))}: that is the configured store itself")
    copies: list[TableCopy] = []
    with open_store(target) as destination:
        shown = redact(str(destination.path))
        state.info(output.plain(f"Copying {state.config.store_label} to {shown}"))
        with _progress(state) as progress:
            copies = copy_store(state.store, destination, progress)
    records = [_record(copy) for copy in copies]
    output.emit(
        state, fmt_, records, columns=COLUMNS, key="tables",
        table=lambda: _table(records),
        extra={"version": 1, "source": state.config.store_label, "target": shown},
    )  # fmt: skip
    rows = sum(copy.rows for copy in copies)
    state.info(
        output.plain(
            f"Copied and verified {rows} rows in {len(copies)} tables. "
            "Next: point `store:` in the config at the target."
        )
    )


def _target(to: str) -> Path | str:
    """`--to` as open_store takes it, by the rules of `store:` in a config
    (`config.store_location.parse_store`): a PostgreSQL URL (its password registered as a
    secret first), or a file path. Another URL scheme is a usage error, not a file named
    `mysql:`."""
    from repcli.config.store_location import Refused, parse_store
    from repcli.errors import UsageError

    value = to.strip()
    if not value:
        raise UsageError("--to: empty; give a postgresql:// URL or a file path")
    try:
        return parse_store(value, Path())
    except Refused as refused:
        raise UsageError(f"--to: {refused.message}", refused.hint) from None


def _same(source: Path | str, target: Path | str) -> bool:
    if isinstance(source, Path) and isinstance(target, Path):
        return source.resolve() == target.resolve()
    return source == target


@contextlib.contextmanager
def _progress(state: State) -> Iterator[Callable[[str, int], None]]:
    """On a terminal, a line that shows the table and rows being copied; when piped, nothing
    (at --verbose, a line per page)."""
    if state.quiet or not state.err.is_terminal:

        def log(table: str, rows: int) -> None:
            if state.verbose:
                state.info(f"{table}: {rows} rows copied")

        yield log
        return
    with state.err.status("copying…") as status:

        def show(table: str, rows: int) -> None:
            status.update(f"copying {table}: {rows:,} rows")

        yield show


def _record(copy: TableCopy) -> dict[str, Any]:
    return {
        "table": copy.table,
        "rows": copy.rows,
        "sha256": copy.source_sha256,
        "verified": copy.verified,
    }


def _table(records: list[dict[str, Any]]) -> Any:
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False)
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_column("sha256")
    table.add_column("verified")
    for r in records:
        table.add_row(
            Text(r["table"]),
            Text(str(r["rows"])),
            Text(r["sha256"][:16]),
            Text("✓" if r["verified"] else "✗", style="green" if r["verified"] else "red"),
        )
    return table


def register(app: typer.Typer) -> None:
    app.add_typer(store_app, name="store", rich_help_panel="Set up")

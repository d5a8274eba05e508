"""Turn command results into output in the chosen format. The one place that picks a renderer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from repcli.cli.context import State
from repcli.cli.options import Format

if TYPE_CHECKING:
    from rich.text import Text

# Stable column order for item exports (csv, jsonl, md). New columns are only ever appended.
ITEM_COLUMNS = (
    "id", "source", "platform", "kind", "external_id", "created_at", "rating", "negative",
    "sentiment", "sentiment_score", "reasons", "topics", "lang", "product_id", "product_name",
    "author", "order_id", "title", "text", "pros", "cons", "answer_text", "answered_at",
    "status", "needs_reply", "due_at", "url",
)  # fmt: skip
# jsonl carries every stored field (scripts want all of it), in the same stable order.
ITEM_JSONL_COLUMNS = (
    *ITEM_COLUMNS,
    "updated_at",
    "first_seen_at",
    "last_seen_at",
    "flagged_at",
    "assignee",
)
ITEM_MD_COLUMNS = ("id", "created_at", "source", "rating", "product_name", "author", "text", "why")
ITEM_MD_HEADERS = ("ID", "Posted (UTC)", "Source", "Rating", "Product", "Author", "Text", "Why")


def resolve_format(
    state: State, requested: Format | None, allowed: Sequence[Format], use_config: bool = True
) -> Format:
    """--format, else `output.format` from the config (unless the command needs no config),
    else a table on a terminal and jsonl when piped."""
    from repcli.errors import UsageError

    fmt = requested
    if (fmt is None or fmt is Format.auto) and use_config:
        configured = Format(state.config.output.format)
        fmt = None if configured is Format.auto else configured
    elif fmt is Format.auto:
        fmt = None
    if fmt is None:
        fmt = Format.table if state.out.is_terminal else Format.jsonl
    if fmt not in allowed:
        names = ", ".join(f.value for f in allowed)
        raise UsageError(f"--format {fmt.value} is not available here", f"use one of: {names}")
    return fmt


def limit_of(state: State, requested: int | None, fmt: Format) -> int:
    """--limit, else `output.limit` for people (table, md); machine formats get everything."""
    if requested is not None:
        return requested
    return state.config.output.limit if fmt in (Format.table, Format.md) else 0


def md_item(record: dict[str, Any]) -> dict[str, Any]:
    from repcli.render import human

    return {
        **record,
        "rating": human.stars(record.get("rating")) if record.get("rating") else record["kind"],
        "text": human.item_text(record, 200),
        "why": human.why(record),
    }


def emit(
    state: State,
    fmt: Format,
    records: Sequence[dict[str, Any]],
    *,
    columns: Sequence[str],
    table: Callable[[], Any],
    key: str,
    extra: dict[str, Any] | None = None,
    markdown: Callable[[], str] | None = None,
    empty: str | None = None,
) -> None:
    """The one place a listing becomes output: `table` builds the rich renderable for people;
    json/jsonl/csv/md use `columns` in order (json carries every field, plus `extra`). An empty
    table is a dim line on stderr saying so (`empty`), not a header with nothing under it."""
    from repcli.render import formats

    if fmt is Format.table and not records and empty:
        state.info(f"[dim]{empty}[/dim]")
    elif fmt is Format.table:
        state.out.print(table())
    elif fmt is Format.json:
        write(state, formats.to_json({key: list(records), **(extra or {})}))
    elif fmt is Format.jsonl:
        write(state, formats.to_jsonl(records, columns))
    else:
        flat = [{k: _flat(v) for k, v in r.items()} for r in records]
        if fmt is Format.csv:
            write(state, formats.to_csv(flat, columns))
        else:
            write(state, markdown() if markdown else formats.to_markdown(flat, columns, columns))


def _flat(value: Any) -> Any:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return value


def emit_items(
    state: State,
    fmt: Format,
    records: Sequence[dict[str, Any]],
    *,
    title: str,
    key: str = "items",
    extra: dict[str, Any] | None = None,
) -> None:
    """A listing of items: the item table for people, stable item columns for scripts."""
    from repcli.render import formats, tables

    if fmt is Format.table and not records:
        state.info(f"[dim]{title}: nothing to show.[/dim]")
        return

    def markdown() -> str:
        rows = [md_item(r) for r in records]
        return f"### {title}\n\n" + formats.to_markdown(rows, ITEM_MD_COLUMNS, ITEM_MD_HEADERS)

    emit(
        state,
        fmt,
        records,
        columns=ITEM_COLUMNS if fmt is not Format.jsonl else ITEM_JSONL_COLUMNS,
        table=lambda: tables.items_table(records, state.now, title),
        key=key,
        extra=extra,
        markdown=markdown,
    )


def write(state: State, text: str) -> None:
    """Machine output goes straight to stdout: no wrapping, no markup, no colour. On a terminal,
    control characters from review text are dropped so they cannot drive the terminal."""
    if state.out.is_terminal:
        from repcli.render.human import strip_controls

        text = strip_controls(text)
    state.out.file.write(text)
    state.out.file.flush()


def print_alerts(state: State, sent: Any) -> None:
    """One line on alerts sent, held back, and each failure (retried next run)."""
    if sent.sent:
        state.info(f"[dim]alerts: {sent.sent} message(s) sent ({sent.events} events)[/dim]")
    if sent.deferred:
        state.info(f"[yellow]alerts: {sent.deferred} event(s) held back by the throttle[/yellow]")
    for failure in sent.failed:
        state.err.print(
            line(("alert failed", "bold red"), " ", plain(failure), " (retried next run)")
        )


def plain(value: object, style: str = "") -> Text:
    """Text from outside (a platform's error, a review, a name) for a console line: escape
    sequences and control characters out (line breaks and tabs kept), secrets masked, and never
    read as rich markup or emoji codes."""
    from rich.text import Text

    from repcli.render.human import strip_controls
    from repcli.secrets import redact

    return Text(redact(strip_controls(str(value))), style=style)


def line(*parts: str | Text | tuple[str, str]) -> Text:
    """One console line from our own words ((text, style) pairs or plain strings, never
    parsed as markup) and `plain` data."""
    from rich.text import Text

    return Text.assemble(*parts)


def safe_text(value: object) -> str:
    """Text from the store for a rich cell: control characters out, markup escaped."""
    from rich.markup import escape

    from repcli.render.human import strip_controls

    return escape(strip_controls(str(value)))

"""Turn command results into output in the chosen format. The one place that picks a renderer."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from repcli.actions.items import ITEM_COLUMNS  # the stable item columns; only ever appended
from repcli.cli.context import State
from repcli.cli.options import Format
from repcli.errors import OutputError

if TYPE_CHECKING:
    from rich.text import Text

    from repcli.store.rows import ItemRow

# jsonl carries every stored field (scripts want all of it), in the same stable order.
ITEM_JSONL_COLUMNS = (
    *ITEM_COLUMNS,
    "updated_at",
    "first_seen_at",
    "last_seen_at",
    "flagged_at",
    "assignee",
)


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


def emit(
    state: State,
    fmt: Format,
    records: Sequence[Mapping[str, Any]],
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
    records: Sequence[ItemRow],
    *,
    title: str,
    key: str = "items",
    extra: dict[str, Any] | None = None,
) -> None:
    """A listing of items: the item table for people, stable item columns for scripts, and
    for md the rows `check --format md` shows (`render.item_md`: `output.timezone`, links)."""
    from repcli.render import tables

    if fmt is Format.table and not records:
        state.info(f"[dim]{title}: nothing to show.[/dim]")
        return

    def markdown() -> str:
        from repcli.render import human, item_md
        from repcli.render.formats import md_text

        zone = human.zone(state.config.output.timezone)
        lines = [f"### {md_text(title)}", "", *item_md.table(records, zone)]
        return "\n".join(lines) + "\n"

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
    stream: Any = getattr(state.out.file, "raw", state.out.file)  # not trimmed: data as it is
    try:
        stream.flush()  # what was printed before goes first
        fd = _descriptor(stream)
        if fd is None:
            stream.write(text)
            stream.flush()
        else:
            _write_all(fd, text.encode(stream.encoding or "utf-8", stream.errors or "strict"))
    except OSError as exc:  # a closed pipe (EPIPE), a full disk (ENOSPC)
        raise unwritable_stdout(stream, exc) from None


def _descriptor(stream: Any) -> int | None:
    """The stream's file descriptor on POSIX (no newline translation to keep), else None."""
    import os

    if os.name != "posix":
        return None
    try:
        return int(stream.fileno())
    except (OSError, ValueError, AttributeError):  # a test's capture, an in-memory stream
        return None


def _write_all(fd: int, data: bytes) -> None:
    """Every byte, or OSError. A pipe closed in the middle of a big write returns a short count
    (and SIGPIPE, which Python ignores) instead of EPIPE, and `sys.stdout.write` drops the rest
    without a word: only the next write() says EPIPE."""
    import os

    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def unwritable_stdout(stream: Any, exc: OSError) -> OutputError:
    """The error for output that could not be written. The stream's descriptor now points at
    /dev/null (as Python's docs on SIGPIPE advise): what is still buffered goes nowhere at exit
    instead of failing again with a traceback."""
    import errno
    import os

    with contextlib.suppress(OSError, ValueError):  # not a real file (a test's capture)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    if exc.errno == errno.EPIPE:
        message = "the output was closed before all of it was written (broken pipe)"
    else:
        message = f"cannot write the output: {exc.strerror or exc}"
    return OutputError(
        message, "nothing else changed: an export's `--since last-run` bookmark did not move"
    )


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


def write_atomically(path: Path, text: str) -> None:
    """--output: write next to the target, then rename, so a failed write never leaves half a
    file. The file gets the mode a plain write would give it: an existing file keeps its mode
    (and group, where we may set it), a new one follows the umask (a cron job's report.html for
    a web folder stays readable; a umask of 077 keeps it private)."""
    import os

    from repcli.errors import UsageError
    from repcli.files import temp_beside

    tmp: Path | None = None
    try:
        fd, tmp = temp_beside(path)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())  # on disk before a bookmark says it was written
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None and tmp.exists():
            tmp.unlink()
        error = OutputError if tmp is not None else UsageError  # a full disk, or a bad path
        raise error(
            f"{path}: cannot write the export: {exc.strerror or exc}", "no export bookmark moved"
        ) from None

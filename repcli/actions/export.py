"""export: items, replies, versions or events for scripts, in a stable column order; with
`since="last-run"`, what changed since the same export last ran (a bookmark per name, what and
filter on the store's change sequence)."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from repcli.config.model import Config
    from repcli.store import Store


class ExportWhat(enum.StrEnum):
    items = "items"
    replies = "replies"
    versions = "versions"
    events = "events"


FORMATS = ("csv", "jsonl", "json")


@dataclasses.dataclass(frozen=True)
class ExportOptions:
    what: ExportWhat = ExportWhat.items
    sources: tuple[str, ...] = ()
    since: str | None = None
    """24h, 7d, a date, or `last-run`."""
    name: str | None = None
    """The bookmark's name for `last-run` (default: `what`)."""
    limit: int = 0
    """At most this many rows (0: all)."""
    format: str = "jsonl"
    """csv, jsonl or json."""
    negative: bool = False
    """Negative items only (items only)."""

    def __post_init__(self) -> None:
        from repcli.errors import UsageError

        if self.format not in FORMATS:
            raise UsageError(
                f"--format {self.format} is not an export format", "use csv, jsonl or json"
            )
        if self.negative and self.what is not ExportWhat.items:
            raise UsageError(
                "--negative filters items only",
                "export the items with --negative; replies, versions and events by --source",
            )


@dataclasses.dataclass
class ExportResult:
    rows: Sequence[Mapping[str, Any]]
    text: str
    """The rows in the format asked for."""
    mark: int | None
    """With `last-run`: where the bookmark moves once the text is written (None: no
    bookmark)."""


def run(
    config: Config,
    store: Store,
    options: ExportOptions,
    now: datetime,
    *,
    write: Callable[[ExportResult], None] | None = None,
) -> ExportResult:
    """Read the rows and format them; `write` is given the result before a `last-run` bookmark
    moves: when it raises (a closed pipe, a full disk), the bookmark stays and the next run
    gives the same rows again."""
    from repcli.actions.items import ITEM_COLUMNS, item_filter
    from repcli.clock import to_iso
    from repcli.render import formats
    from repcli.store.exports import EXPORT_COLUMNS, filter_key

    what, sources = options.what, options.sources
    for each in sources:
        config.source(each)  # unknown source names are an error, not an empty export
    columns = tuple(ITEM_COLUMNS) if what is ExportWhat.items else EXPORT_COLUMNS[what]
    mark = None
    records: Sequence[Mapping[str, Any]]
    if options.since == "last-run":
        bookmark = (options.name or what.value, what.value, filter_key(sources, options.negative))
        batch = store.export_changes(
            what.value, store.export_mark(*bookmark), options.limit, sources, options.negative
        )
        records, mark = batch.rows, batch.mark
    elif what is ExportWhat.items:
        flt = item_filter(config, now, sources, options.since, options.limit, options.negative)
        records = store.list_items(flt)
    else:
        from repcli.timespec import parse_since

        since = options.since
        start = to_iso(parse_since(since, now)) if since else None
        records = store.export_rows(what.value, start, options.limit, sources)
    if options.format == "csv":
        text = formats.to_csv(records, columns)
    elif options.format == "jsonl":
        text = formats.to_jsonl(records, columns)
    else:
        text = formats.to_json({what.value: records})
    result = ExportResult(rows=records, text=text, mark=mark)
    if write is not None:
        write(result)
    if mark is not None:
        with store.transaction():
            store.set_export_mark(*bookmark, mark, len(records), now)
    return result

"""Rows of one exported file -> Items: the source's `columns` mapped onto our fields, dates,
ratings and text parsed from the cells, a bad row refused with its file:line and column (the
first few named, the rest counted; nothing from the file is stored then). The rows come from
`file_rows.RowReader`. No I/O: `file.py` finds and reads the files; the property tests feed
this anything."""

from __future__ import annotations

import contextlib
import difflib
import json
import logging
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from repcli import tabular
from repcli.clock import ensure_utc
from repcli.errors import ConfigError, InputRefused, SourceError
from repcli.models import Item
from repcli.sources.wire import extract, parse
from repcli.sources.wire.file_rows import MISSING, Data, FileSettings, RowReader, dig

log = logging.getLogger(__name__)

PLATFORM = "file"
"""The items' platform unless `platform:` says otherwise."""

FIELDS = (
    "external_id", "text", "rating", "created_at", "author", "product_id", "product_name",
    "title", "pros", "cons", "url", "answer_text", "answered_at", "updated_at", "order_id",
    "lang",
)  # fmt: skip
DATE_FIELDS = ("created_at", "answered_at", "updated_at")
_TEXT_FIELDS = tuple(f for f in FIELDS if f not in DATE_FIELDS and f != "rating")


class Importer(RowReader):
    """Rows of one file's bytes -> Items (no I/O: the property tests feed it anything)."""

    def __init__(self, settings: FileSettings, source: str, now: datetime) -> None:
        self.now = now
        self.platform = settings.platform or PLATFORM
        columns: dict[str, str] = {}
        for field, column in settings.columns.items():
            if field not in FIELDS:
                close = difflib.get_close_matches(field, FIELDS, n=1)
                raise ConfigError(
                    f"sources: {source}: columns.{field}: not a field repcli stores",
                    (f"did you mean {close[0]!r}? " if close else "")
                    + "fields: "
                    + ", ".join(FIELDS),
                )
            if not str(column).strip():
                raise ConfigError(f"sources: {source}: columns.{field}: empty column name")
            columns[field] = str(column)
        super().__init__(settings, source, columns)
        if "created_at" not in self.columns:
            raise ConfigError(
                f"sources: {source}: columns.created_at: missing",
                "map it to the file's date column, e.g. created_at: Date",
            )
        if not {"text", "rating", "title"} & set(self.columns):
            raise ConfigError(
                f"sources: {source}: columns: map at least one of text, rating, title",
                "e.g. text: Review, rating: Stars",
            )
        if settings.delimiter is not None and len(settings.delimiter) != 1:
            raise ConfigError(f"sources: {source}: delimiter must be one character")
        if not settings.rating_scale > 0:
            raise ConfigError(f"sources: {source}: rating_scale must be a positive number")

    def parse(self, data: Data, name: str) -> list[Item]:
        """Every row of one file, or a SourceError naming the bad rows (nothing is partial)."""
        return list(self.items(data, name))

    def items(self, data: Data, name: str) -> Iterator[Item]:
        """The rows as items, one at a time, in one pass (memory stays flat). After a bad row
        nothing more is yielded: the rest is read only to count the bad rows, and a SourceError
        naming the first of them ends the iteration. The import is all or nothing, so the
        caller drops what it took of this file (`Batch.drop`)."""
        bad = tabular.BadRows()
        for item in self._read(data, name, bad):
            if item is not None and not bad:
                yield item
        if bad:
            raise InputRefused(
                bad.summary(),
                "fix those cells (or `columns` / `date_format` in the config) and run again; "
                "nothing from this file was stored",
            )

    def _read(self, data: Data, name: str, bad: tabular.BadRows) -> Iterator[Item | None]:
        """Each row's item, or None for a bad row (its message goes to `bad`)."""
        counter = extract.Counter()
        for where, record, found in self.rows(data, name):
            try:
                yield self._item(record, found, where, counter)
            except SourceError as exc:
                bad.add(exc.message)
                yield None

    # ----------------------------------------------------------------- one row

    def _item(
        self,
        record: Mapping[str, Any],
        found: dict[str, str],
        where: str,
        counter: extract.Counter,
    ) -> Item:
        values: dict[str, Any] = {}
        for field, column in found.items():
            value = dig(record, column)
            values[field] = None if value is MISSING else value

        def fail(field: str, problem: str) -> SourceError:
            return InputRefused(f"{where}: column {found[field]!r}: {problem}")

        def formula_check(field: str) -> None:
            value = values.get(field)
            if isinstance(value, str) and value.strip()[:1] in ("=", "@"):
                raise fail(field, f"{value.strip()[:40]!r} looks like a spreadsheet formula, "
                                  "not a value (export values, not formulas)")  # fmt: skip

        dates: dict[str, datetime | None] = {}
        for field in DATE_FIELDS:
            if field not in found:
                continue
            formula_check(field)
            raw = values.get(field)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                if field == "created_at":
                    raise fail(field, "empty; every row needs a date")
                dates[field] = None
                continue
            try:
                dates[field] = parse.plausible(  # 9999-12-31: no deadline can follow it
                    _date(raw, self.settings.date_format), "date", raw
                )
            except SourceError as exc:
                raise fail(field, exc.message.removeprefix("date: ")) from None
        rating = None
        if "rating" in found:
            formula_check("rating")
            try:
                rating = extract.scaled_rating(values.get("rating"), self.settings.rating_scale)
            except SourceError as exc:
                raise fail("rating", exc.message.removeprefix("rating: ")) from None
        text = dict.fromkeys(_TEXT_FIELDS)
        for field in found:
            if field in text:
                text[field] = cell = _cell(values[field])
                if cell and not _utf8(cell) and (bad := parse.surrogate(cell)):  # SQLite refuses
                    raise fail(field, f"holds a lone surrogate ({bad!a}), which is not text")
        external_id = text["external_id"] or counter(
            extract.content_id(
                text["author"], values.get("created_at"), text["text"], text["product_id"],
                text["title"], values.get("rating"),
            )
        )  # fmt: skip
        created = dates["created_at"]
        assert created is not None
        return Item(
            source=self.source,
            platform=self.platform,
            kind=self.settings.kind,
            external_id=external_id,
            created_at=created,
            text=text["text"] or "",
            url=text["url"],
            product_id=text["product_id"],
            product_name=text["product_name"],
            author=text["author"],
            rating=rating,
            title=text["title"],
            pros=text["pros"],
            cons=text["cons"],
            updated_at=dates.get("updated_at"),
            answer_text=text["answer_text"],
            answered_at=dates.get("answered_at"),
            order_id=text["order_id"],
            lang=text["lang"],
            raw=_jsonable(record),
        )


def _date(value: Any, date_format: str | None) -> datetime:
    """`extract.parse_date`, with a shortcut for what exports mostly hold (ISO-8601 with a
    dash-separated date): `datetime.fromisoformat` first, which reads it the same way."""
    if date_format is None and isinstance(value, str) and value[4:5] == "-" == value[7:8]:
        with contextlib.suppress(ValueError, OverflowError):
            return ensure_utc(datetime.fromisoformat(value))
    return extract.parse_date(value, date_format, "date")


def _utf8(text: str) -> bool:
    """True unless `text` holds a lone surrogate (cheaper than searching for one)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _cell(value: Any) -> str | None:
    """A text field from a cell or a JSON value, verbatim (formula-like text included: it is
    what the customer wrote; exports escape it on the way out)."""
    if value is None or isinstance(value, bool):
        return None if value is None else str(value).lower()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)[:20000]
    return str(value).strip() or None


def _jsonable(record: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): v for k, v in record.items() if v not in (None, "")}

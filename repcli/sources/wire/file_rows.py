"""Rows out of one exported file's bytes: CSV (delimiter sniffed, Excel's `sep=` line), JSON
Lines or JSON, decoded in the configured encoding, each row with where it is (`file:line`, or
`file: item n`) for error messages and the columns checked against the header. No I/O and no
idea what the rows mean: `file_import` turns them into Items, `repcli/orders.py` into orders.

The reading itself (decoding errors, strict CSV, JSON Lines) is `repcli/tabular.py`, which
`analyze` and `train --from-file` read with too; this is the source's side of it: the settings,
JSON arrays, the `columns` checked against the header, errors that are SourceErrors."""

from __future__ import annotations

import dataclasses
import difflib
import io
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO, Literal

from repcli import tabular
from repcli.errors import ConfigError, InputRefused, SourceError
from repcli.sources.wire import json_array

Data = bytes | BinaryIO
"""A file's bytes, or a seekable binary stream of them (read from the start, left open)."""
COMPLAINTS = tabular.Complaints(error=InputRefused, encoding="`encoding`", delimiter="`delimiter`")
"""A source's file is refused with an InputRefused (a SourceError); the hints name the
settings."""

Rows = Iterator[tuple[str, Mapping[str, Any], dict[str, str]]]
"""(where, the record, our field -> the record's key) for each row of a file."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class FileSettings:
    """A `type: file` source's settings. The reader uses `format`, `encoding` and `delimiter`;
    `kind`, `date_format`, `rating_scale` and `platform` are the importer's (`file_import`)."""

    path: str
    """The file, or a pattern such as `exports/*.csv`. `~` is expanded; a relative path is
    taken from the directory repcli runs in."""
    columns: Mapping[str, str]
    """Our field -> the file's column, e.g. {text: Review, rating: Stars, created_at: Date}."""
    kind: Literal["review", "question", "comment"] = "review"
    format: Literal["auto", "csv", "jsonl", "json"] = "auto"
    """auto: by extension (.jsonl/.ndjson, .json, anything else CSV)."""
    date_format: str | None = None
    """strptime format of the date columns (e.g. '%m/%d/%Y'); default: ISO and common shapes."""
    encoding: str = "utf-8-sig"
    """Text encoding; the default also reads UTF-8 with a BOM (Excel's 'CSV UTF-8')."""
    delimiter: str | None = None
    """CSV delimiter; default: detected (comma, semicolon, tab or |)."""
    rating_scale: float = 5.0
    """What a full mark is in the file: 5, 10, 100 (percent); mapped onto 1-5."""
    platform: str | None = None
    """What to store as the items' platform (e.g. `amazon`); default `file`."""


class RowReader:
    """An exported file's bytes -> (where, record, field -> column) rows: CSV (delimiter sniffed,
    Excel's `sep=` line), JSON Lines or JSON, with the columns checked against the header.
    Shared by review imports and `orders import`."""

    def __init__(self, settings: FileSettings, source: str, columns: dict[str, str]) -> None:
        self.settings = settings
        self.source = source
        self.columns = columns

    def format_of(self, name: str) -> str:
        if self.settings.format != "auto":
            return self.settings.format
        lower = name.lower()
        if lower.endswith((".jsonl", ".ndjson", ".jsonl.txt")):
            return "jsonl"
        return "json" if lower.endswith(".json") else "csv"

    def rows(self, data: Data, name: str) -> Rows:
        """Every row of the file, in order; a SourceError names the first unreadable spot.
        CSV and JSON Lines are read line by line, a JSON array element by element (memory
        stays flat); an `{"items": [...]}` object is read whole."""
        stream = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
        stream.seek(0)
        try:
            text = io.TextIOWrapper(stream, encoding=self.settings.encoding, newline="")
        except LookupError:
            raise ConfigError(
                f"sources: {self.source}: encoding {self.settings.encoding!r} is not one "
                "Python knows",
                "use e.g. utf-8-sig, cp1251, utf-16, latin-1",
            ) from None
        read = {"csv": self._csv, "jsonl": self._jsonl, "json": self._json}[self.format_of(name)]
        try:
            yield from read(text, name)
        except UnicodeDecodeError:
            stream.seek(0)
            raise tabular.not_decodable(
                stream.read(), name, COMPLAINTS, self.settings.encoding
            ) from None
        finally:
            text.detach()  # the caller's stream stays open (it was hashed first)

    # ----------------------------------------------------------------- the three formats

    def _csv(self, text: io.TextIOWrapper, name: str) -> Rows:
        """`tabular.Csv`: the delimiter sniffed or named, strict quoting (a row that a stray
        quote ran into the next ones is refused, never stored merged)."""
        table = tabular.Csv(text, name, COMPLAINTS, self.settings.delimiter)
        if not table.header:
            return
        found = self._match(table.header, name)
        for line, row in table.rows():
            yield f"{name}:{line}", row, found

    def _match(self, header: list[str], name: str) -> dict[str, str]:
        """Our field -> the header's column; a SourceError naming every missing column."""
        normalised: dict[str, str] = {}
        for column in header:
            normalised.setdefault(tabular.loose_key(column), column)
        found: dict[str, str] = {}
        missing: list[str] = []
        for field, column in self.columns.items():
            if column in header:
                found[field] = column
            elif (alike := normalised.get(tabular.loose_key(column))) is not None:
                found[field] = alike
            else:
                close = difflib.get_close_matches(column, header, n=1)
                guess = f" (did you mean {close[0]!r}?)" if close else ""
                missing.append(f"no column {column!r} for {field}{guess}")
        if missing:
            shown = ", ".join(repr(h) for h in header[:30]) or "none"
            raise InputRefused(
                f"{name}:1: " + "; ".join(missing) + f"; the file's columns: {shown}",
                "fix `columns` in the config to name the file's columns exactly (if the "
                "columns look run together, set `delimiter`)",
            )
        return found

    def _jsonl(self, text: io.TextIOWrapper, name: str) -> Rows:
        """One record per line, streamed."""
        return self._keyed(self._jsonl_records(text, name), name)

    @staticmethod
    def _jsonl_records(text: io.TextIOWrapper, name: str) -> Iterator[tuple[str, Any]]:
        for number, record in tabular.json_lines(text, name, COMPLAINTS):
            yield f"{name}:{number}", record

    def _json(self, text: io.TextIOWrapper, name: str) -> Rows:
        """A JSON array of objects, streamed element by element (memory stays flat), or an
        `{"items": [...]}` object (read whole)."""
        return self._keyed(self._json_records(text, name), name)

    @staticmethod
    def _json_records(text: io.TextIOWrapper, name: str) -> Iterator[tuple[str, Any]]:
        for number, record in enumerate(json_array.records(text, name), 1):
            if not isinstance(record, dict):
                raise InputRefused(
                    f"{name}: item {number}: expected an object, got {type(record).__name__}"
                )
            yield f"{name}: item {number}", record

    def _keyed(self, records: Iterator[tuple[str, Any]], name: str) -> Rows:
        """JSON records, streamed: a key may be missing in some records; one missing in all of
        them is an error at the end (the import is all or nothing, so what was stored of the
        file is dropped then)."""
        found = dict(self.columns)
        unseen = dict(self.columns)
        keys: set[str] = set()
        any_record = False
        for where, record in records:
            any_record = True
            if len(keys) < 200:
                keys.update(record)  # JSON keys are text
            if unseen:
                for field, column in list(unseen.items()):
                    if dig(record, column) is not MISSING:
                        del unseen[field]
            yield where, record, found
        if any_record and unseen:
            raise _absent(name, unseen, keys)


MISSING: Any = object()
"""What `dig` gives for a column the record does not have."""


def _absent(name: str, absent: Mapping[str, str], keys: set[str]) -> SourceError:
    named = ", ".join(f"{column!r} (for {field})" for field, column in absent.items())
    return InputRefused(
        f"{name}: no record has the key {named}; keys seen: "
        + (", ".join(sorted(keys)[:30]) or "none"),
        "fix `columns` in the config to name the file's keys (a.b for nested ones)",
    )


def dig(record: Mapping[str, Any], column: str) -> Any:
    """record[column], or record["a"]["b"] for "a.b" when there is no key "a.b"."""
    if column in record:
        return record[column]
    value: Any = record
    for part in column.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return MISSING
        value = value[part]
    return value

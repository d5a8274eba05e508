"""Rows out of one exported file's bytes: CSV (delimiter sniffed, Excel's `sep=` line), JSON
Lines or JSON, decoded in the configured encoding, each row with where it is (`file:line`, or
`file: item n`) for error messages and the columns checked against the header. No I/O and no
idea what the rows mean: `file_import` turns them into Items, `repcli/orders.py` into orders."""

from __future__ import annotations

import csv
import dataclasses
import difflib
import io
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO, Literal

from repcli.errors import ConfigError, InputRefused, SourceError
from repcli.sources.wire import json_array

Data = bytes | BinaryIO
"""A file's bytes, or a seekable binary stream of them (read from the start, left open)."""
_SAMPLE = 65536
"""Characters read to sniff a CSV file's delimiter."""

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
            raise self._not_decodable(stream.read(), name) from None
        finally:
            text.detach()  # the caller's stream stays open (it was hashed first)

    def _not_decodable(self, data: bytes, name: str) -> SourceError:
        """Where exactly the bytes stop being text (only on the error path: reads them whole)."""
        encoding = self.settings.encoding
        try:
            data.decode(encoding)
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            return InputRefused(
                f"{name}:{line}: not valid {encoding} text "
                f"(byte 0x{data[exc.start]:02x} at offset {exc.start})",
                "save the file as UTF-8 (Excel: 'CSV UTF-8'), or set `encoding` to the file's "
                "own, e.g. cp1251",
            )
        return InputRefused(f"{name}: not valid {encoding} text")  # pragma: no cover

    # ----------------------------------------------------------------- the three formats

    def _csv(self, text: io.TextIOWrapper, name: str) -> Rows:
        """Strict RFC 4180 quoting: a quote opens a cell only at its start and must close it;
        a row that a stray quote ran into the next ones is refused, never stored merged."""
        sample = text.read(_SAMPLE)
        text.seek(0)
        delimiter = self.settings.delimiter
        first = sample[: sample.find("\n") + 1 if "\n" in sample else len(sample)]
        if re.fullmatch(r"sep=(.)\r?\n?", first):  # Excel's "sep=;" line names the delimiter
            delimiter = delimiter or first[4]
            text.readline()
        delimiter = delimiter or _sniff(sample)
        lines = _Lines(text)
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        header: list[str] = []
        line = 0

        def record() -> list[str] | None:
            nonlocal line
            line = reader.line_num + 1
            lines.first = None
            return next(reader, None)

        try:
            cells = record()
            while cells is not None and not any(h.strip() for h in cells):
                cells = record()  # blank lines before the header
            if cells is None:
                return
            header = [h.strip() for h in cells]
            found = self._match(header, name)
            while (cells := record()) is not None:
                if not any(c.strip() for c in cells):
                    continue
                if reader.line_num > line and len(cells) != len(header):
                    # A quoted cell ran over lines and the row came out the wrong shape: a
                    # stray quote swallowed the rows after it.
                    raise csv.Error("a quoted cell ran into the next rows")
                row: dict[str, str] = {}
                for column, cell in zip(header, cells, strict=False):
                    if column:
                        row.setdefault(column, cell)  # a repeated column: the first wins
                yield f"{name}:{line}", row, found
        except csv.Error as exc:
            raise _csv_error(
                name, line, reader.line_num, lines.first, delimiter, header, exc
            ) from None

    def _match(self, header: list[str], name: str) -> dict[str, str]:
        """Our field -> the header's column; a SourceError naming every missing column."""
        normalised: dict[str, str] = {}
        for column in header:
            normalised.setdefault(" ".join(column.casefold().split()), column)
        found: dict[str, str] = {}
        missing: list[str] = []
        for field, column in self.columns.items():
            if column in header:
                found[field] = column
            elif (alike := normalised.get(" ".join(column.casefold().split()))) is not None:
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
        for number, line in enumerate(text, 1):
            if not line or line.isspace():  # (not a stripped copy of every line)
                continue
            where = f"{name}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputRefused(
                    f"{where}: not valid JSON ({exc.msg}, column {exc.colno})",
                    "each line of a .jsonl file must be one JSON object",
                ) from None
            except RecursionError:
                raise InputRefused(f"{where}: JSON nested too deeply") from None
            if not isinstance(record, dict):
                raise InputRefused(f"{where}: expected a JSON object, got {type(record).__name__}")
            yield where, record

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


class _Lines:
    """A text's lines for csv.reader, keeping the first line of the row being read (to say
    where a quote opened)."""

    def __init__(self, text: io.TextIOWrapper) -> None:
        self.text = text
        self.first: str | None = None

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self.text)
        if self.first is None:
            self.first = line
        return line


def _open_quote(line: str, delimiter: str) -> tuple[int, int] | None:
    """(cell index, 1-based column) of a quote that opens a cell of `line` and is not closed
    on it; None if every quote that opens a cell is closed."""
    line = line.rstrip("\r\n")
    cell = i = 0
    while True:
        if line[i : i + 1] == '"':
            opened, i = i, i + 1
            while True:
                end = line.find('"', i)
                if end < 0:
                    return cell, opened + 1
                if line[end + 1 : end + 2] != '"':
                    i = end + 1
                    break
                i = end + 2  # a doubled quote is a quote in the cell
        i = line.find(delimiter, i)
        if i < 0:
            return None
        cell, i = cell + 1, i + 1


def _csv_error(
    name: str,
    line: int,
    last: int,
    first: str | None,
    delimiter: str,
    header: list[str],
    exc: csv.Error,
) -> SourceError:
    """The csv module's complaint as file:line:column and what to do."""
    opened = _open_quote(first, delimiter) if first is not None else None
    if opened is None:
        return InputRefused(
            f"{name}:{last or line}: not readable as CSV ({exc})",
            "check the quoting on that line, or set `delimiter`",
        )
    cell, column = opened
    label = repr(header[cell]) if cell < len(header) and header[cell] else f"#{cell + 1}"
    ran = f" (lines {line}-{last} read as one row)" if last > line else ""
    return InputRefused(
        f"{name}:{line}:{column}: quote opened in column {label} on line {line} is never "
        f"closed{ran}",
        'a cell holding a quote or a line break must be quoted whole, inner quotes doubled (""): '
        "fix that cell (or remove the stray quote) and run again",
    )


def _sniff(text: str) -> str:
    sample = "\n".join(line.removesuffix("\r") for line in text[:_SAMPLE].split("\n")[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","

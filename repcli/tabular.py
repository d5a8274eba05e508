"""Reading a table out of a file someone exported: bytes decoded (an error names the line and
the byte offset), CSV read strictly (delimiter sniffed or named by Excel's `sep=` line, a quote
that is never closed named by file:line:column), JSON Lines one object a line, header names
compared loosely, and a file's bad rows reported the same way (the first few named, the rest
counted).

Shared by the `file` source (`sources/wire/file_rows.py`), `orders import` (`orders.py`) and
`analyze` / `train --from-file` (`analysis/batch.py`), so they accept the same files and refuse
them in the same words. No I/O and no idea what the rows mean; imports nothing from sources/,
analysis/, store/ or cli/.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from repcli.errors import InputError, RepcliError

SAMPLE = 65536
"""Characters read to sniff a CSV file's delimiter."""
MAX_REPORTED = 3
"""Bad rows named in one error message; the rest are counted."""
QUOTING = 'a cell holding a quote or a line break must be quoted whole, inner quotes doubled ("")'


@dataclasses.dataclass(frozen=True, kw_only=True)
class Complaints:
    """How a reader refuses a file: which error, and how the user names what was guessed."""

    error: type[RepcliError] = InputError
    """InputRefused for a source's file (the pipeline records it per source), InputError for a
    file given to a command."""
    encoding: str | None = None
    """How the file's encoding is set (e.g. "`encoding`"), for the hint; None: it cannot be."""
    delimiter: str | None = None
    """How the CSV delimiter is set (e.g. "`delimiter`"), for the hint; None: it cannot be."""


class BadRows:
    """A file's bad rows: the first MAX_REPORTED messages kept, the rest counted."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.count = 0

    def add(self, message: str) -> None:
        self.count += 1
        if len(self.messages) < MAX_REPORTED:
            self.messages.append(message)

    def __bool__(self) -> bool:
        return self.count > 0

    def summary(self) -> str:
        """The named rows' messages, and how many more there were."""
        more = self.count - len(self.messages)
        return "; ".join(self.messages) + (f" (and {more} more rows)" if more > 0 else "")


def loose_key(text: str) -> str:
    """A column's (or a person's) name as compared loosely: case, runs of whitespace and ё/е
    do not matter."""
    return " ".join(text.casefold().replace("ё", "е").split())


# --------------------------------------------------------------------------- text


def decode(
    data: bytes | str,
    name: str,
    complaints: Complaints,
    encoding: str = "utf-8-sig",
    label: str | None = None,
) -> str:
    """The bytes as text (a BOM is dropped); a refusal naming the line and byte offset."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise not_decodable(data, name, complaints, encoding, label) from None


def not_decodable(
    data: bytes,
    name: str,
    complaints: Complaints,
    encoding: str,
    label: str | None = None,
) -> RepcliError:
    """Where exactly the bytes stop being text in `encoding` (called `label` in the message)."""
    said = label or encoding
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return complaints.error(
            f"{name}:{line}: not valid {said} text "
            f"(byte 0x{data[exc.start]:02x} at offset {exc.start})",
            "save the file as UTF-8 (Excel: 'CSV UTF-8')"
            + (f", or set {complaints.encoding} to the file's own, e.g. cp1251"
               if complaints.encoding else ""),
        )  # fmt: skip
    return complaints.error(f"{name}: not valid {said} text")  # pragma: no cover


# --------------------------------------------------------------------------- JSON Lines


def json_lines(
    lines: Iterable[str], name: str, complaints: Complaints
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of each non-blank line; a refusal naming the line for one that is
    not a JSON object."""
    for number, line in enumerate(lines, 1):
        if not line or line.isspace():  # (not a stripped copy of every line)
            continue
        where = f"{name}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise complaints.error(
                f"{where}: not valid JSON ({exc.msg}, column {exc.colno})",
                "each line of a .jsonl file must be one JSON object",
            ) from None
        except RecursionError:
            raise complaints.error(f"{where}: JSON nested too deeply") from None
        if not isinstance(record, dict):
            raise complaints.error(
                f"{where}: expected a JSON object, got {type(record).__name__}",
                "each line of a .jsonl file must be one JSON object",
            )
        yield number, record


# --------------------------------------------------------------------------- CSV


class Csv:
    """A CSV text with a header: the delimiter as named (`delimiter`, else Excel's `sep=;`
    first line), else sniffed; strict RFC 4180 quoting: a quote opens a cell only at its start
    and must close it, and a row that a stray quote ran into the next ones is refused, never
    read merged. Blank lines, and rows of blank cells, are skipped.

    The header is read when the table is made (`header`: its names stripped, [] for an empty
    file); `rows()` reads the rest."""

    def __init__(
        self, text: TextIO, name: str, complaints: Complaints, delimiter: str | None = None
    ) -> None:
        """`text`: seekable, opened with newline="" (a cell may hold a line break)."""
        self.name = name
        self.complaints = complaints
        sample = text.read(SAMPLE)
        text.seek(0)
        self._skipped = 0  # lines read before the csv reader's first (a `sep=` line)
        first = sample[: sample.find("\n") + 1 if "\n" in sample else len(sample)]
        if re.fullmatch(r"sep=(.)\r?\n?", first):  # Excel's "sep=;" line names the delimiter
            delimiter = delimiter or first[4]
            text.readline()
            self._skipped = 1
        self.delimiter = delimiter or sniff(sample)
        self._lines = _Lines(text)
        self._reader = csv.reader(self._lines, delimiter=self.delimiter, strict=True)
        self._line = 0
        self.header: list[str] = []
        try:
            cells = self._record()
            while cells is not None and not any(h.strip() for h in cells):
                cells = self._record()  # blank lines before the header
        except csv.Error as exc:
            raise self._refusal(exc) from None
        if cells is not None:
            self.header = [h.strip() for h in cells]

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(the line the row starts on, column -> cell) of each row after the header; a
        column the header repeats keeps its first cell, one it leaves unnamed is dropped."""
        if not self.header:
            return
        header = self.header
        try:
            while (cells := self._record()) is not None:
                if not any(c.strip() for c in cells):
                    continue
                if self._last() > self._line and len(cells) != len(header):
                    # A quoted cell ran over lines and the row came out the wrong shape: a
                    # stray quote swallowed the rows after it.
                    raise csv.Error("a quoted cell ran into the next rows")
                row: dict[str, str] = {}
                for column, cell in zip(header, cells, strict=False):
                    if column:
                        row.setdefault(column, cell)  # a repeated column: the first wins
                yield self._line, row
        except csv.Error as exc:
            raise self._refusal(exc) from None

    def _last(self) -> int:
        """The line last read (0: none yet)."""
        read = self._reader.line_num
        return read + self._skipped if read else 0

    def _record(self) -> list[str] | None:
        self._line = self._skipped + self._reader.line_num + 1
        self._lines.first = None
        return next(self._reader, None)

    def _refusal(self, exc: csv.Error) -> RepcliError:
        """The csv module's complaint as file:line:column and what to do."""
        name, line, last = self.name, self._line, self._last()
        first = self._lines.first
        opened = _open_quote(first, self.delimiter) if first is not None else None
        if opened is None:
            how = self.complaints.delimiter
            return self.complaints.error(
                f"{name}:{last or line}: not readable as CSV ({exc})",
                f"check the quoting on that line, or set {how}" if how else QUOTING,
            )
        cell, column = opened
        header = self.header
        label = repr(header[cell]) if cell < len(header) and header[cell] else f"#{cell + 1}"
        ran = f" (lines {line}-{last} read as one row)" if last > line else ""
        return self.complaints.error(
            f"{name}:{line}:{column}: quote opened in column {label} on line {line} is never "
            f"closed{ran}",
            QUOTING + ": fix that cell (or remove the stray quote) and run again",
        )


def sniff(sample: str) -> str:
    """The delimiter of a CSV text by its first lines (comma, semicolon, tab or |); a comma
    when they do not say, or when the header line does not hold the delimiter found (one
    column: its cells are never cut at a `;` they hold)."""
    lines = [line.removesuffix("\r") for line in sample[:SAMPLE].split("\n")[:50]]
    try:
        found = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        return ","
    header = next((line for line in lines if line.strip()), "")
    return found if found in header else ","


class _Lines:
    """A text's lines for csv.reader, keeping the first line of the row being read (to say
    where a quote opened)."""

    def __init__(self, text: TextIO) -> None:
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

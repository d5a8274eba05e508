"""A JSON array read element by element, so that a large export never sits in memory whole.

`json.JSONDecoder.raw_decode` decodes each element from a buffer that holds a chunk of the file
and the element being read; errors name the line (and column) in the whole file.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

from repcli.errors import SourceError

CHUNK = 1 << 16
"""Characters read at a time (tests make it small, to cross every boundary)."""
_AFTER_ELEMENT = frozenset(",] \t\r\n")
_HINT = "export the reviews as a JSON array, or as JSON Lines (.jsonl)"


def records(text: io.TextIOWrapper, name: str) -> Iterator[Any]:
    """The elements of a top-level JSON array, one at a time; or the list under `items` of an
    object (read whole)."""
    reader = _JsonArray(text, name)
    if reader.skip_space() == "[":
        yield from reader.elements()
    else:
        yield from reader.items_object()


class _JsonArray:
    """Decodes a JSON array element by element from a buffer that holds a chunk of the file
    and the element being read (`json.JSONDecoder.raw_decode` does the decoding)."""

    def __init__(self, text: io.TextIOWrapper, name: str) -> None:
        self.text, self.name = text, name
        self.decoder = json.JSONDecoder()
        self.buffer = text.read(CHUNK)
        self.pos = 0
        self.lines_before = 0
        """Line ends in the text already dropped from the buffer's front."""
        self.at_end = not self.buffer

    def fill(self) -> bool:
        """Read more of the file into the buffer, dropping what was decoded; False at EOF."""
        if self.at_end:
            return False
        more = self.text.read(max(CHUNK, len(self.buffer)))  # doubles for a huge element
        self.at_end = not more
        self.lines_before += self.buffer.count("\n", 0, self.pos)
        self.buffer, self.pos = self.buffer[self.pos :] + more, 0
        return not self.at_end

    def skip_space(self) -> str:
        """The next non-space character ("" at the end of the file)."""
        while True:
            buffer = self.buffer
            while self.pos < len(buffer) and buffer[self.pos] in " \t\r\n\ufeff":
                self.pos += 1
            if self.pos < len(buffer) or not self.fill():
                return self.buffer[self.pos] if self.pos < len(self.buffer) else ""

    def error(self, msg: str, at: int | None = None) -> SourceError:
        at = self.pos if at is None else at
        line = self.lines_before + self.buffer.count("\n", 0, at) + 1
        start = self.buffer.rfind("\n", 0, at)
        column = f", column {at - start}" if start >= 0 or not self.lines_before else ""
        return SourceError(
            f"{self.name}:{line}: not valid JSON ({msg}{column})",
            _HINT,
        )

    def elements(self) -> Iterator[Any]:
        self.pos += 1  # the "["
        if self.skip_space() == "]":
            self.pos += 1
        else:
            while True:
                yield self._element()
                after = self.skip_space()
                self.pos += 1
                if after == "]":
                    break
                if after != ",":
                    self.pos -= 1
                    raise self.error("expected ',' or ']' after an item" if after else "cut short")
                self.skip_space()
        if self.skip_space():
            raise self.error("extra data after the array")

    def _element(self) -> Any:
        while True:
            try:
                record, end = self.decoder.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as exc:
                if self.fill():  # the element may go on past the buffer: read more, retry
                    continue
                raise self.error(exc.msg, exc.pos) from None
            except RecursionError:
                raise SourceError(f"{self.name}: JSON nested too deeply") from None
            # A number may go on past the buffer ("0." then "5"): an element counts once what
            # follows it is in the buffer and can follow an element.
            if (end == len(self.buffer) or self.buffer[end] not in _AFTER_ELEMENT) and self.fill():
                continue
            self.pos = end
            return record

    def items_object(self) -> Iterator[Any]:
        while self.fill():
            pass
        try:
            data = json.loads(self.buffer[self.pos :])
        except json.JSONDecodeError as exc:
            raise self.error(exc.msg, self.pos + exc.pos) from None
        except RecursionError:
            raise SourceError(f"{self.name}: JSON nested too deeply") from None
        if isinstance(data, dict) and isinstance(data.get("items"), list):
            yield from data["items"]
            return
        raise SourceError(
            f'{self.name}: expected a list of objects or {{"items": [...]}}',
            _HINT,
        )

"""`IdRuns`: row ids held as runs of consecutive ids (a run's new items, a million in a few
bytes). Shared: the store fills it, the pipeline and `check` read it."""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from typing import overload


class IdRuns(Sequence[int]):
    """Row ids in the order they were added, held as runs of consecutive ids: the new items
    of one insert get consecutive ids, so a million of them take a few runs (bytes), not a
    million Python ints (~36 bytes each, ~50 each once a list has been copied into two more).
    Ids in no order (changed items) take 16 bytes each.

    A sequence like a list of those ints (len, index, slice, iterate, `==` with a list), plus
    `append` and `extend` at the end, `in` (by binary search) and `|` (the union as a set,
    ascending)."""

    __slots__ = ("_ends", "_next", "_sorted", "_starts")

    def __init__(self, ids: Iterable[int] = ()) -> None:
        self._starts = array("q")
        """The first id of each run."""
        self._ends = array("q")
        """How many ids the runs hold up to and including each (its end in the sequence)."""
        self._next = 0
        """The id that would extend the last run."""
        self._sorted: IdRuns | None = None
        """For `in`: the same ids, each once, ascending (made when first asked)."""
        self.extend(ids)

    def append(self, item_id: int) -> None:
        self._add_run(item_id, 1)

    def extend(self, ids: Iterable[int]) -> None:
        if isinstance(ids, IdRuns):
            for start, count in list(ids.runs()):  # a copy: `ids` may be self
                self._add_run(start, count)
        elif isinstance(ids, range) and ids.step == 1:
            self._add_run(ids.start, len(ids))
        else:
            for item_id in ids:
                self._add_run(item_id, 1)

    def _add_run(self, start: int, count: int) -> None:
        if count <= 0:
            return
        start = int(start)
        if self._ends and start == self._next:
            self._ends[-1] += count
        else:
            self._starts.append(start)
            self._ends.append((self._ends[-1] if self._ends else 0) + count)
        self._next = start + count
        self._sorted = None

    def runs(self) -> Iterator[tuple[int, int]]:
        """(first id, how many consecutive ids) of each run, in order."""
        before = 0
        for start, end in zip(self._starts, self._ends, strict=True):
            yield start, end - before
            before = end

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    def __iter__(self) -> Iterator[int]:
        for start, count in self.runs():
            yield from range(start, start + count)

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> IdRuns: ...
    def __getitem__(self, index: int | slice) -> int | IdRuns:
        if isinstance(index, slice):
            return IdRuns(self[i] for i in range(*index.indices(len(self))))
        size = len(self)
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("IdRuns index out of range")
        run = bisect_right(self._ends, index)
        return self._starts[run] + index - (self._ends[run - 1] if run else 0)

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int):
            return False
        if self._sorted is None:
            self._sorted = self | ()
        ordered = self._sorted
        run = bisect_right(ordered._starts, value) - 1
        if run < 0:
            return False
        before = ordered._ends[run - 1] if run else 0
        return value < ordered._starts[run] + ordered._ends[run] - before

    def __or__(self, other: Iterable[int]) -> IdRuns:
        """The ids in either, each once, ascending."""
        more = other if isinstance(other, IdRuns) else IdRuns(other)
        union = IdRuns()
        stop: int | None = None  # the end of what `union` holds so far
        for first, count in sorted([*self.runs(), *more.runs()]):
            end = first + count
            if stop is not None and end <= stop:
                continue
            start = first if stop is None else max(first, stop)  # only what is not in yet
            union._add_run(start, end - start)
            stop = end
        return union

    def __eq__(self, other: object) -> bool:
        if isinstance(other, IdRuns):  # runs are always maximal: the same ids, the same runs
            return self._starts == other._starts and self._ends == other._ends
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __repr__(self) -> str:
        shown = [f"{s}" if n == 1 else f"{s}-{s + n - 1}" for s, n in self._first_runs(8)]
        more = ", ..." if len(self._starts) > 8 else ""
        return f"IdRuns({len(self)} ids: {', '.join(shown)}{more})"

    def _first_runs(self, n: int) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for run in self.runs():
            if len(out) == n:
                break
            out.append(run)
        return out

"""The ids of a run's new and changed items are held compactly: an upsert or a fetch of many new
items keeps runs of consecutive ids, not one Python int per item (memory of a big ingest stays
flat), and every consumer still sees the same sequence of ids."""

from __future__ import annotations

import gc
import json
import random
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from repcli.store import open_store
from tests.httpkit import run_sources
from tests.test_store import T0, analyse, item


def held_bytes(obj: object) -> int:
    """The bytes `obj` holds: itself and every object it reaches (classes and modules left
    out). A list of n ids holds n int objects (28 bytes each) and n pointers."""
    seen: set[int] = set()
    todo = [obj]
    total = 0
    while todo:
        o = todo.pop()
        if id(o) in seen or isinstance(o, type | types.ModuleType):
            continue
        seen.add(id(o))
        total += sys.getsizeof(o)
        todo.extend(gc.get_referents(o))
    return total


def test_id_runs_is_the_sequence_of_ids_it_was_given() -> None:
    from repcli.idruns import IdRuns

    ids = [5, 6, 7, 3, 9, 10, 10, 11, 2]
    runs = IdRuns(ids)
    assert list(runs) == ids and len(runs) == len(ids) and runs == ids and ids == runs
    assert [runs[i] for i in range(-len(ids), len(ids))] == ids + ids
    assert runs[2:5] == ids[2:5] and runs[::-2] == ids[::-2] and runs[:0] == []
    with pytest.raises(IndexError):
        runs[len(ids)]
    with pytest.raises(IndexError):
        runs[-len(ids) - 1]
    assert all(i in runs for i in ids) and not any(i in runs for i in (0, 1, 4, 8, 12))
    assert not runs.__contains__("5") and not runs.__contains__(None)
    assert IdRuns() == [] and not IdRuns() and IdRuns() != [1] and runs != ids[:-1]
    assert runs != [*ids[:-1], 99] and runs == IdRuns(ids) and runs != IdRuns(ids[1:])
    more = IdRuns(runs)
    more.append(3)
    more.extend(IdRuns([4, 8]))
    more.extend(range(100, 200))
    assert list(more) == [*ids, 3, 4, 8, *range(100, 200)]
    assert list(runs) == ids  # copied, not shared
    union = IdRuns([9, 1, 2, 3]) | IdRuns([3, 4, 20]) | [7]
    assert list(union) == [1, 2, 3, 4, 7, 9, 20]
    assert "7 ids" in repr(union) and "1-4" in repr(union)


_ids = st.lists(st.integers(-5, 40) | st.integers(-(2**63), 2**63 - 1), max_size=30)


@given(_ids, _ids, st.integers(-40, 40))
def test_id_runs_answers_as_the_list_and_set_of_its_ids(
    a: list[int], b: list[int], probe: int
) -> None:
    from repcli.idruns import IdRuns

    runs = IdRuns(a)
    assert runs == a and list(runs) == a and len(runs) == len(a)
    assert [runs[i] for i in range(len(a))] == a and runs[1::3] == a[1::3]
    assert (probe in runs) == (probe in a) and all(i in runs for i in a)
    assert list(runs | b) == sorted(set(a) | set(b)) == list(runs | IdRuns(b))
    joined = IdRuns(a)
    joined.extend(IdRuns(b))
    assert joined == a + b and joined == IdRuns(a + b)


def test_id_runs_of_many_consecutive_ids_is_small() -> None:
    from repcli.idruns import IdRuns

    runs = IdRuns()
    for start in range(1, 1_000_001, 400):  # chunk by chunk, as an upsert adds them
        runs.extend(range(start, start + 400))
    assert len(runs) == 1_000_000 and runs[-1] == 1_000_000 and 777_777 in runs
    assert held_bytes(runs) < 1024
    scattered = IdRuns(random.Random(1).sample(range(10**9), 10_000))
    assert held_bytes(scattered) < 10_000 * 20  # a list of ints: ~36 bytes each


def test_an_upsert_of_many_new_items_holds_their_ids_compactly(store_target: Path | str) -> None:
    store = open_store(store_target)
    n = 2000
    with store.transaction():
        result = store.upsert_items([item(str(i)) for i in range(n)], analyse, T0)
    stored = [r[0] for r in store.conn.execute("SELECT id FROM items ORDER BY id")]
    assert len(result.new_ids) == n and list(result.new_ids) == stored
    assert held_bytes(result.new_ids) < 1024  # not 2000 Python ints (~72 KB)

    edited = list(range(0, n, 3))
    random.Random(2).shuffle(edited)  # changed items come in any order
    with store.transaction():
        again = store.upsert_items(
            [item(str(i), rating=5, text="заменили") for i in edited], analyse, T0
        )
    assert again.new_ids == [] and again.unchanged == 0
    by_key = {int(r[1]): r[0] for r in store.conn.execute("SELECT id, external_id FROM items")}
    assert list(again.changed_ids) == [by_key[i] for i in edited]
    assert held_bytes(again.changed_ids) < len(edited) * 20


def _jsonl(path: Path, first: int, count: int, text: str) -> None:
    path.write_text(
        "".join(
            json.dumps({"Id": f"r{i}", "Review": text, "Stars": 1, "Date": "2026-05-01"}) + "\n"
            for i in range(first, first + count)
        )
    )


def test_a_fetch_of_many_new_items_reports_their_ids_compactly(tmp_path: Path) -> None:
    data = tmp_path / "a.jsonl"
    _jsonl(data, 0, 3000, "мятая коробка")
    text = (
        f"store: {tmp_path / 'x.db'}\nsources:\n  - name: a\n    type: file\n"
        f"    path: '{data}'\n"
        "    columns: {external_id: Id, rating: Stars, text: Review, created_at: Date}\n"
    )
    report: Any
    store: Any
    report, store = run_sources(text, tmp_path / "x.db", "2026-11-23T09:00:00Z")
    assert not report.failed and report.results[0].new == 3000
    ids = [r[0] for r in store.conn.execute("SELECT id FROM items")]
    assert sorted(report.new_ids) == sorted(ids) and len(report.new_ids) == 3000
    assert report.changed_ids == [] and held_bytes(report.new_ids) < 1024

    _jsonl(data, 0, 3000, "мятая коробка, и ещё раз")
    report, store = run_sources(text, tmp_path / "x.db", "2026-11-24T09:00:00Z", full=True)
    assert report.results[0].new == 0 and report.results[0].changed == 3000
    assert report.new_ids == [] and sorted(report.changed_ids) == sorted(ids)
    assert held_bytes(report.changed_ids) < 3000 * 20

"""A check that brings very many fresh items (a shop's first, its whole history) finds the same
signals as the daily one, reading the fresh items in pieces: no read returns more rows than
`SEEDS_AT_ONCE`, and no set of every fresh id is made."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from test_signals_fresh import COMPETITOR, NOW, ROWS, SETTINGS, SINCE, _insert, _row, _scratch_store

from repcli.actions import signals as signal_actions
from repcli.analysis import signals
from repcli.config import SignalSettings
from repcli.idruns import IdRuns
from repcli.sources.registry import parse_config
from repcli.store import open_store

WORDS = (
    "коробка мятая курьер опоздал качество ужасное размер большой цвет тусклый запах химии "
    "отличный товар спасибо продавцу быстрая доставка рекомендую ткань приятная"
).split()


@settings(max_examples=120, deadline=None)
@given(ROWS, st.data(), SETTINGS, st.integers(0, 4), st.booleans())
def test_fresh_in_pieces_finds_what_detect_finds(
    specs: list[tuple[Any, ...]], data: st.DataObject, s: SignalSettings, at_once: int, runs: bool
) -> None:
    rows = [_row(i + 1, spec) for i, spec in enumerate(specs)]
    ids = [r["id"] for r in rows]
    fresh = data.draw(st.sets(st.sampled_from([*ids, 999])) | st.just(set(ids[len(ids) // 2 :])))
    store = _scratch_store()
    store.conn.execute("DELETE FROM items")
    _insert(store, rows)
    everything = signals.detect(store.recent_for_signals(SINCE, [COMPETITOR]), NOW, s)
    expected = [x for x in everything if fresh & set(x.item_ids)]
    given_ids = IdRuns(sorted(fresh)) if runs else fresh
    window = store.signal_window(SINCE, [COMPETITOR])
    at_once_all = signals.fresh(window, fresh, NOW, s, at_once=len(fresh))
    in_pieces = signals.fresh(window, given_ids, NOW, s, at_once=at_once)
    assert in_pieces == at_once_all
    assert sorted(in_pieces, key=repr) == sorted(expected, key=repr)


class _Counting:
    """A signal window that records how many rows each of its reads returned."""

    def __init__(self, window: Any) -> None:
        self._window = window
        self.reads: list[tuple[str, int]] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._window, name)

        def counted(*args: Any, **kw: Any) -> Any:
            found = method(*args, **kw)
            if isinstance(found, list):
                self.reads.append((name, len(found)))
            if name == "items":
                self.reads.append(("items asked", len(args[0])))
            return found

        return counted


class _Store:
    """A store whose signal windows count their reads."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.windows: list[_Counting] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def signal_window(self, *args: Any, **kw: Any) -> _Counting:
        window = _Counting(self._store.signal_window(*args, **kw))
        self.windows.append(window)
        return window


def test_ten_thousand_fresh_items_are_read_in_pieces(store_target: str | Path) -> None:
    """10k fresh items of the window (a first check's import): the signals are the window's
    that take them in, and no read of the store returns more than `SEEDS_AT_ONCE` rows."""
    rng = random.Random(3)
    rows = []
    for i in range(1, 10_001):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(4, 14)))
        rating = rng.choice([1, 1, 2, 3, 4, 5, 5, 5])
        hours = rng.uniform(0, 24 * 29)
        spec = (f"{text} {i}", hours, rating, f"p{i % 40}", "wildberries", f"A{i % 700}",
                rating <= 2, [rng.choice(["delivery", "damaged", "quality"])], False)  # fmt: skip
        rows.append(_row(i, spec))
    config = parse_config("sources:\n  - {name: shop, type: demo}\n")
    with open_store(store_target) as store:
        if store.dialect.name == "sqlite":
            _insert(store, rows)
        else:  # no full-text table to fill
            cols = list(rows[0])
            with store.transaction():
                store.conn.executemany(
                    f"INSERT INTO items ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                    [[r[c] for c in cols] for r in rows],
                )
        expected = signals.detect(store.recent_for_signals(SINCE), NOW, config.signals)
        counting = _Store(store)
        fresh = IdRuns(range(1, 10_001))
        found = signal_actions.fresh(config, counting, NOW, fresh)  # type: ignore[arg-type]
    assert found == expected and any(x.kind == "topic-cluster" for x in found)
    (window,) = counting.windows
    largest = max(n for _, n in window.reads)
    assert largest <= signals.SEEDS_AT_ONCE, sorted(window.reads, key=lambda r: -r[1])[:5]
    assert sum(n for name, n in window.reads if name == "items_in") == len(rows)

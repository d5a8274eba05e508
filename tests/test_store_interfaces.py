"""`Store` satisfies each area's Protocol (repcli/store/interfaces.py), and every public method
of `Store` is declared in exactly one of them, so nothing public is left untyped.

`_areas` is checked by mypy (strict, run here on this file): a method whose signature or row
type drifts from its protocol fails the assignment it is in.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from repcli.store import Store, open_store
from repcli.store.interfaces import (
    AREAS,
    AlertLog,
    ExportFeed,
    ItemReads,
    ItemWrites,
    OrderBook,
    ReplyWorkflow,
    ReportStats,
    RunLog,
    SignalReads,
    Transactions,
)


def _areas(store: Store) -> tuple[object, ...]:
    """Each assignment is a mypy check that `Store` has the area's methods as declared."""
    transactions: Transactions = store
    items: ItemReads = store
    signals: SignalReads = store
    writes: ItemWrites = store
    runs: RunLog = store
    workflow: ReplyWorkflow = store
    alerts: AlertLog = store
    orders: OrderBook = store
    stats: ReportStats = store
    exports: ExportFeed = store
    return (transactions, items, signals, writes, runs, workflow, alerts, orders, stats, exports)


def _declared(area: type) -> set[str]:
    return {name for name in vars(area) if not name.startswith("_")}


def _public_methods() -> set[str]:
    return {
        name
        for name, value in inspect.getmembers(Store, callable)
        if not name.startswith("_") and not inspect.isclass(value)
    }


def test_every_public_method_is_in_exactly_one_area() -> None:
    seen: dict[str, list[str]] = {}
    for area in AREAS:
        for name in _declared(area):
            seen.setdefault(name, []).append(area.__name__)
    methods = _public_methods()
    undeclared = sorted(methods - set(seen))
    twice = {name: areas for name, areas in seen.items() if len(areas) > 1}
    unknown = sorted(set(seen) - methods)
    assert not undeclared, f"public Store methods in no protocol: {undeclared}"
    assert not twice, f"methods declared in more than one protocol: {twice}"
    assert not unknown, f"protocol methods Store does not have: {unknown}"


def test_an_open_store_is_each_area_at_run_time(tmp_path: Path) -> None:
    with open_store(tmp_path / "store.db") as store:
        for area, typed in zip(AREAS, _areas(store), strict=True):
            assert isinstance(typed, area), area.__name__


@pytest.mark.slow
def test_mypy_checks_store_against_each_protocol(monkeypatch: pytest.MonkeyPatch) -> None:
    """mypy --strict on this file: each assignment in `_areas` holds. (mypy is in the dev
    extra; where it is not installed, .ci/run's lint step runs the same check on this file.)"""
    api = pytest.importorskip("mypy.api", reason="mypy is not installed (the dev extra)")

    here = Path(__file__)
    monkeypatch.setenv("MYPYPATH", str(here.parent.parent))  # this checkout's repcli
    out, err, status = api.run(
        [
            "--strict",
            "--no-error-summary",
            "--config-file",
            str(here.parent.parent / "pyproject.toml"),
            str(here),
        ]
    )
    assert status == 0, out + err

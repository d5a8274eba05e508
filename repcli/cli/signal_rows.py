"""The cross-item signals of the store's recent items, as rows: `signals`, `show` and `check`
list them. Shared by command modules, which never import one another."""

from __future__ import annotations

from typing import Any

from repcli.cli.context import State


def current_signals(state: State) -> list[Any]:
    """Every cross-item signal in the store's recent items (competitors left out)."""
    from repcli.actions import signals

    return signals.current(state.config, state.store, state.now)


def signal_row(sig: Any) -> dict[str, Any]:
    from repcli.actions import signals

    return signals.row(sig)

"""The cross-item signals of the store's recent items, as rows: `signals`, `show` and `check`
list them. Shared by command modules, which never import one another."""

from __future__ import annotations

from typing import Any

from repcli.cli.context import State


def current_signals(state: State) -> list[Any]:
    """Every cross-item signal in the store's recent items (competitors left out)."""
    from datetime import timedelta

    from repcli.analysis import signals

    settings = state.config.signals
    since = state.now - timedelta(days=settings.baseline_days + 2)
    competitors = [s.name for s in state.config.sources if s.competitor]
    records = state.store.recent_for_signals(since, competitors)
    return signals.detect(records, state.now, settings)


def signal_row(sig: Any) -> dict[str, Any]:
    return {
        "kind": sig.kind,
        "subject": sig.subject,
        "reason": sig.reason,
        "items": list(sig.item_ids),
        "key": sig.key,
    }

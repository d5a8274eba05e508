"""The cross-item signals of the store's recent items, as rows (`signals`, `show`, `check`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from repcli.analysis.signals import Signal
    from repcli.config.model import Config
    from repcli.store import Store


def competitors(config: Config) -> list[str]:
    """The names of the competitors' sources: for reports only, never queues or signals."""
    return [s.name for s in config.sources if s.competitor]


def current(config: Config, store: Store, now: datetime) -> list[Signal]:
    """Every cross-item signal in the store's recent items (competitors left out)."""
    from repcli.analysis import signals

    settings = config.signals
    since = now - timedelta(days=settings.baseline_days + 2)
    records = store.recent_for_signals(since, competitors(config))
    return signals.detect(records, now, settings)


def fresh(config: Config, store: Store, now: datetime, ids: Collection[int]) -> list[Signal]:
    """The signals that the items `ids` are part of (read near those items only: the same as
    `current` lists for them). `ids` as the store's IdRuns: many are read in pieces, never
    made a set."""
    from repcli.analysis import signals

    settings = config.signals
    since = now - timedelta(days=settings.baseline_days + 2)
    window = store.signal_window(since, competitors(config))
    return list(signals.fresh(window, ids, now, settings))


def row(sig: Signal) -> dict[str, Any]:
    return {
        "kind": sig.kind,
        "subject": sig.subject,
        "reason": sig.reason,
        "items": list(sig.item_ids),
        "key": sig.key,
    }

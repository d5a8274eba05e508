"""reanalyze: the stored items analysed again with today's model, topics, thresholds and SLA
hours (after `train`, or a change to the config); statuses, notes and replies are kept."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from repcli.config.model import Config, SourceConfig
    from repcli.store import Store


@dataclasses.dataclass(frozen=True)
class ReanalyzeOptions:
    sources: tuple[str, ...] = ()
    """Only these sources' items (default: every enabled source's)."""


@dataclasses.dataclass(frozen=True)
class Tally:
    items: int = 0
    same: int = 0
    changed: int = 0
    """Other changes: the score, causes or reply deadline."""
    newly_negative: int = 0
    no_longer_negative: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "items": self.items,
            "same": self.same,
            "changed": self.changed,
            "newly negative": self.newly_negative,
            "no longer negative": self.no_longer_negative,
        }

    @classmethod
    def of(cls, counts: dict[str, Any]) -> Tally:
        return cls(
            items=counts["items"],
            same=counts["same"],
            changed=counts["changed"],
            newly_negative=counts["newly negative"],
            no_longer_negative=counts["no longer negative"],
        )


@dataclasses.dataclass(frozen=True)
class ReanalyzeResult:
    total: Tally
    by_kind: dict[str, Tally]
    """The same counts per kind of item (comment, question, review), in that order."""

    def as_dict(self) -> dict[str, Any]:
        """The counts as the JSON output has them: items, same, changed, newly negative, no
        longer negative, and `by kind`."""
        return {
            **self.total.as_dict(),
            "by kind": {kind: t.as_dict() for kind, t in self.by_kind.items()},
        }


def select(config: Config, sources: Sequence[str] = ()) -> list[SourceConfig]:
    """The sources whose items are analysed again: the enabled ones, or exactly the named ones.
    The CLI asks before it opens the store. NotFoundError for an unknown name."""
    from repcli.pipeline import select_sources

    return select_sources(config, sources)


def run(config: Config, store: Store, options: ReanalyzeOptions, now: datetime) -> ReanalyzeResult:
    """Analyse the selected sources' stored items again, in one transaction, and count what
    changed. NotFoundError for an unknown source."""
    from repcli.pipeline import Pipeline

    selected = select(config, options.sources)
    counts = Pipeline(config, store, now).reanalyse(selected)
    return ReanalyzeResult(
        total=Tally.of(counts),
        by_kind={kind: Tally.of(c) for kind, c in counts["by kind"].items()},
    )

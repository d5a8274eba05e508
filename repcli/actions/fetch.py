"""fetch: run the selected sources into the store (also the first half of `check`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from repcli.config.model import Config, SourceConfig
    from repcli.pipeline import RunReport
    from repcli.store import Store


class Progress:
    """What a run reports while it works; each method does nothing unless overridden (the CLI
    shows a spinner and the per-source lines)."""

    def started(self, sources: list[str]) -> None:
        """The names of the sources about to be fetched."""

    def fetched(self, source: str, count: int) -> None:
        """`source` has fetched `count` items so far."""

    def ran(self, report: RunReport) -> None:
        """Every source has finished (before what the command does next)."""


def select(config: Config, sources: Sequence[str] = ()) -> list[SourceConfig]:
    """The sources a run fetches: the enabled ones, or exactly the named ones. The CLI asks
    before it opens the store, so a typo leaves no store behind.

    Raises ConfigError when there is nothing to fetch, NotFoundError for an unknown name."""
    from repcli.errors import ConfigError
    from repcli.pipeline import select_sources

    selected = select_sources(config, sources)
    if not selected:
        raise ConfigError(
            f"{config.path}: no enabled sources to fetch",
            "add a source under `sources:` (see config.example.yaml)",
        )
    return selected


def run(
    config: Config,
    store: Store,
    now: datetime,
    sources: Sequence[str] = (),
    *,
    full: bool = False,
    command: str = "fetch",
    progress: Progress | None = None,
) -> RunReport:
    """Fetch, analyse and store the enabled sources (or exactly the named ones).

    Raises ConfigError when there is nothing to fetch, NotFoundError for an unknown name."""
    from repcli.pipeline import Pipeline

    progress = progress or Progress()
    selected = select(config, sources)
    progress.started([s.name for s in selected])
    report = Pipeline(config, store, now).run(
        selected, command, full=full, progress=progress.fetched
    )
    progress.ran(report)
    return report

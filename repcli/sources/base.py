"""What every source type implements."""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, ClassVar

from repcli.config import SourceConfig
from repcli.models import Item


@dataclasses.dataclass(frozen=True)
class NoSettings:
    """For source types that take no settings of their own."""


@dataclasses.dataclass(slots=True)
class Batch:
    """Items a source fetched, and the cursor to store once they are safely stored.

    The pipeline writes the items and the cursor in one transaction, so a run killed half way
    resumes from the last stored batch and never skips anything.
    """

    items: list[Item]
    cursor: dict[str, Any]


class Source(abc.ABC):
    """A configured source of one type. Subclasses set `type_name` and `settings_class`."""

    type_name: ClassVar[str]
    platform: ClassVar[str]
    settings_class: ClassVar[type[Any]] = NoSettings
    description: ClassVar[str] = ""

    def __init__(self, config: SourceConfig, now: datetime) -> None:
        self.config = config
        self.settings = config.settings
        self.now = now

    @property
    def name(self) -> str:
        return self.config.name

    @abc.abstractmethod
    def fetch(self, cursor: dict[str, Any], full: bool = False) -> AsyncIterator[Batch]:
        """Yield batches of items newer than `cursor`; with `full`, everything the platform has
        (the cursor is still passed: it may hold state a backfill keeps, like the demo anchor)."""

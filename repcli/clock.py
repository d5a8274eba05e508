"""The one source of "now", so that time-dependent behaviour can be tested and demoed.

`REPCLI_NOW` (an ISO-8601 time, e.g. `2026-11-23T09:00:00Z`) pins the clock: tests and the
README's examples use it to get the same output every time.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from repcli.errors import UsageError


def now() -> datetime:
    pinned = os.environ.get("REPCLI_NOW")
    if pinned:
        try:
            return ensure_utc(datetime.fromisoformat(pinned.replace("Z", "+00:00")))
        except ValueError:
            raise UsageError(
                f"REPCLI_NOW={pinned!r} is not an ISO-8601 time",
                "use e.g. REPCLI_NOW=2026-11-23T09:00:00Z, or unset it",
            ) from None
    return datetime.now(UTC)


def ensure_utc(value: datetime) -> datetime:
    """Aware UTC; a naive time is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_iso(value: datetime | None) -> str | None:
    """How times are stored: UTC ISO-8601 with a Z and whole microseconds."""
    if value is None:
        return None
    return ensure_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    return ensure_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))

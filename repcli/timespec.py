"""Parse the time filters users type: `--since 24h`, `--since 7d`, `--since 2026-11-01`."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from repcli.clock import ensure_utc
from repcli.errors import UsageError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)


def parse_duration(text: str) -> timedelta:
    """`90m`, `24h`, `7d`, `2w` -> timedelta."""
    match = _DURATION.match(text)
    if not match:
        raise UsageError(
            f"{text!r} is not a duration",
            "use a number and a unit: 30m, 24h, 7d, 2w",
        )
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2).lower()])


def parse_since(text: str, now: datetime) -> datetime:
    """A duration back from `now`, or an ISO date/time (local dates are taken as UTC midnight)."""
    if _DURATION.match(text):
        return now - parse_duration(text)
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--since {text!r} is neither a duration nor a date",
            "use a duration (24h, 7d) or a date (2026-11-01, 2026-11-01T09:00)",
        ) from None
    return ensure_utc(value)

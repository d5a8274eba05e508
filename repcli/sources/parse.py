"""Small, strict parsers for what platforms send: times in every shape, optional strings."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from repcli.clock import ensure_utc
from repcli.errors import SourceError

_FRACTION = re.compile(r"(\.\d+)")


def parse_time(value: Any, field: str = "time") -> datetime:
    """ISO-8601 with any fraction length (WB sends nanoseconds), `Z` or an offset, or unix
    seconds (int, float or digits). Always aware UTC."""
    if isinstance(value, bool) or value is None or value == "":
        raise SourceError(f"{field}: expected a time, got {value!r}")
    if isinstance(value, int | float):
        return _from_unix(float(value), field)
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return _from_unix(float(text), field)
    text = text.replace("Z", "+00:00").replace("z", "+00:00")
    text = _FRACTION.sub(lambda m: m.group(1)[:7].ljust(7, "0"), text, count=1)
    try:
        return ensure_utc(datetime.fromisoformat(text))
    except ValueError:
        raise SourceError(f"{field}: {value!r} is not a time this connector understands") from None


def _from_unix(seconds: float, field: str) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise SourceError(f"{field}: {seconds!r} is not a plausible unix time") from None


def optional_time(value: Any, field: str = "time") -> datetime | None:
    return None if value in (None, "", 0) else parse_time(value, field)


def text(value: Any) -> str | None:
    """A string field that may be missing, null, empty or whitespace: None unless it says something."""
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def rating(value: Any, field: str = "rating") -> int | None:
    if value in (None, ""):
        return None
    try:
        number = round(float(value))
    except (TypeError, ValueError):
        raise SourceError(f"{field}: {value!r} is not a rating") from None
    if not 1 <= number <= 5:
        raise SourceError(f"{field}: {value!r} is outside 1-5")
    return number


def excerpt(value: str | None, width: int = 100) -> str | None:
    """A text's first line, shortened to `width`: what a comment answers (a post's start)."""
    if not value:
        return None
    line = value.splitlines()[0].strip()
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"


def whole_number(value: Any, field: str, platform: str) -> int:
    """An integer id or count, as JSON has it; a SourceError naming the platform otherwise."""
    from repcli.errors import SourceError

    if isinstance(value, bool) or not isinstance(value, int):
        raise SourceError(f"{platform}: {field}: expected a number, got {value!r}")
    return value

"""How values read to a person: stars, ages, deadlines, short texts, local times."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from repcli.clock import from_iso

if TYPE_CHECKING:
    from repcli.store.rows import ItemRow

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_SEQUENCE = re.compile(
    # CSI (ESC [ or C1 0x9b): parameters, intermediates, one final byte.
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    # OSC, DCS, SOS, PM, APC strings (ESC ] P X ^ _ or their C1 forms) up to BEL or ST: the
    # payload goes too (a hyperlink's URL, a window title). Unterminated: only the introducer.
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x90\x98\x9c-\x9f]*(?:\x07|\x1b\\|\x9c)"
    # Any other escape: ESC, intermediates, one final byte (ESC c, ESC ( B, ESC 7...).
    r"|\x1b[ -/]*[0-~]"
)


def safe(text: str | None) -> str:
    """Text from the internet, made safe for a terminal: escape sequences (with their payload),
    control characters and bidi overrides removed (a review must never move the cursor, set the
    window title, hide a link or recolour the screen); tabs become spaces."""
    if not text:
        return ""
    return strip_controls(text).replace("\t", " ")


def strip_controls(text: str) -> str:
    """Drop terminal escape sequences and control characters but keep line breaks and tabs: the
    one cleaner for anything from outside printed or logged (messages, errors, machine formats
    on a terminal, alerts). Line breaks and tabs stay where they are layout."""
    if not text:
        return text
    return _CONTROL.sub(_keep_layout, _SEQUENCE.sub("", text))


def _keep_layout(match: re.Match[str]) -> str:
    return match.group(0) if match.group(0) in "\n\t" else ""


def stars(rating: int | None) -> str:
    if rating is None:
        return "–"
    rating = max(0, min(5, rating))
    return "★" * rating + "☆" * (5 - rating)


def span(delta: timedelta) -> str:
    """A compact duration: 45s, 12m, 5h, 3d, 7w."""
    seconds = abs(delta.total_seconds())
    if seconds < 60:
        return f"{int(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400 * 2:
        hours = seconds / 3600
        return f"{int(hours)}h" if hours >= 10 else f"{int(hours)}h{int(seconds % 3600 // 60):02d}m"
    if seconds < 86400 * 21:
        return f"{int(seconds // 86400)}d"
    return f"{int(seconds // (86400 * 7))}w"


def age(value: str | None, now: datetime) -> str:
    when = from_iso(value)
    if when is None:
        return ""
    if abs((now - when).total_seconds()) < 60:
        return "just now"
    return span(now - when) + " ago" if when <= now else "in " + span(when - now)


def due(value: str | None, now: datetime) -> tuple[str, bool]:
    """('in 5h' | 'overdue 2h', overdue?)"""
    when = from_iso(value)
    if when is None:
        return "", False
    if when < now:
        return "overdue " + span(now - when), True
    return "in " + span(when - now), False


def local_time(value: str | None) -> str:
    when = from_iso(value)
    if when is None:
        return ""
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


def zone(name: str) -> tzinfo:
    """An IANA time zone (`output.timezone`); ValueError naming it when unknown."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {name!r}") from None


def zoned_time(value: str | datetime | None, tz: tzinfo, with_zone: bool = False) -> str:
    """A stored UTC time in the reader's zone: '2026-11-23 12:00' (+ ' MSK' with_zone)."""
    when = from_iso(value) if not isinstance(value, datetime) else value
    if when is None:
        return ""
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M" + (" %Z" if with_zone else ""))


SIGNAL_LABELS = {
    "burst": "near-duplicates", "one-star-burst": "1★ burst", "one-star-author": "1★-only author",
    "spike": "spike", "topic-cluster": "cluster",
}  # fmt: skip


def shorten(text: str | None, width: int) -> str:
    text = " ".join(safe(text).split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def item_text(record: ItemRow, width: int = 160) -> str:
    """Title, text and cons in one line, for listings."""
    parts = [record.get("title"), record.get("text")]
    if record.get("cons"):
        parts.append("Cons: " + str(record["cons"]))
    return shorten(" · ".join(p for p in parts if p), width)


def why(record: ItemRow) -> str:
    topics = record.get("topics") or []
    reasons = record.get("reasons") or []
    return "; ".join([*reasons, *(f"#{t}" for t in topics)])

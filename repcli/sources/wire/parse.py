"""Small, strict parsers for what platforms send: times in every shape, optional strings."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

from repcli.clock import ensure_utc
from repcli.errors import SourceError

# Re-exported (connectors import them from here); they live in textcheck, shared with the store.
from repcli.textcheck import LATEST as LATEST  # noqa: PLC0414
from repcli.textcheck import escape_surrogates as escape_surrogates  # noqa: PLC0414
from repcli.textcheck import surrogate as surrogate  # noqa: PLC0414
from repcli.textcheck import unstorable as unstorable  # noqa: PLC0414

log = logging.getLogger(__name__)

_FRACTION = re.compile(r"(\.\d+)")


def parse_time(value: Any, field: str = "time") -> datetime:
    """ISO-8601 with any fraction length (WB sends nanoseconds), `Z` or an offset, or unix
    seconds or milliseconds (int, float or digits; `from_unix`). Always aware UTC."""
    if isinstance(value, bool) or value is None or value == "":
        raise SourceError(f"{field}: expected a time, got {value!r}")
    if isinstance(value, int | float):
        return plausible(from_unix(float(value), field), field, float(value))
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return plausible(from_unix(float(text), field), field, float(text))
    text = text.replace("Z", "+00:00").replace("z", "+00:00")
    text = _FRACTION.sub(lambda m: m.group(1)[:7].ljust(7, "0"), text, count=1)
    try:
        when = ensure_utc(datetime.fromisoformat(text))
    except ValueError:
        raise SourceError(f"{field}: {value!r} is not a time this connector understands") from None
    return plausible(when, field, value)


UNIX_MILLISECONDS = 1e11
"""A unix time above this is in milliseconds (exports and JavaScript send them): as seconds
it would be the year 5138."""


def from_unix(number: float, field: str = "time") -> datetime:
    """The one reading of a unix time: seconds, or milliseconds above `UNIX_MILLISECONDS`.
    Aware UTC; a SourceError for a number no clock shows. (`plausible` is the caller's.)"""
    seconds = number / 1000 if number > UNIX_MILLISECONDS else number
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise SourceError(f"{field}: {number!r} is not a plausible unix time") from None


def plausible(when: datetime, field: str, value: Any = None) -> datetime:
    """`when`, unless it is after `LATEST` (a placeholder such as 9999-12-31)."""
    if when >= LATEST:
        shown = when.isoformat() if value is None else repr(value)
        raise SourceError(f"{field}: {shown} is after the year {LATEST.year}: not a real date")
    return when


def optional_time(value: Any, field: str = "time") -> datetime | None:
    return None if value in (None, "", 0) else parse_time(value, field)


def text(value: Any) -> str | None:
    """A plain-text field as every connector stores it (docs/connectors.md, "Text"): line
    breaks normalised to `\n` (`\r\n` and lone `\r`), leading and trailing whitespace
    stripped, everything in between kept as sent (inner spaces, blank lines, indentation).
    None when the field is missing, null, empty or only whitespace."""
    if value is None:
        return None
    value = str(value)
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.strip() or None


def html_text(value: Any) -> str | None:
    """A field the platform sends as HTML (YouTube's `textDisplay`, an RSS description): the
    text a browser shows, tags dropped, entities decoded, <br> and paragraphs as line breaks,
    runs of spaces collapsed as HTML renders them; then `text`'s rule."""
    if value is None:
        return None
    from repcli.sources.wire.extract import html_to_text

    return text(html_to_text(str(value)))


_MARKUP = re.compile(
    r"<(?:[a-zA-Z][\w-]*|/[a-zA-Z][\w-]*|!--)[^<>]*>|&(?:[a-zA-Z]\w{1,31}|#\d{1,7}|#[xX][0-9a-fA-F]{1,6});"
)


def prose(value: Any) -> str | None:
    """A field that may hold HTML or plain text (schema.org `reviewBody`): `html_text` when it
    has a tag or an entity, else `text` (plain text keeps its spacing)."""
    if value is None:
        return None
    value = str(value)
    return html_text(value) if _MARKUP.search(value) else text(value)


ATTACHMENTS = ("photo", "video", "sticker", "doc", "audio")
"""What an attachment-only message holds, as markers: `[photo]`, `[video]`... The same on
every platform, so the pipeline knows such an item wants a reply (`attachments_only`)."""
_ONLY_MARKERS = re.compile(r"(?:\[(?:photo|video|sticker|doc|audio)\][ \n]*)+")


def attachment_marker(kind: str) -> str:
    """`[photo]` for a photo; `[doc]` for any kind not in `ATTACHMENTS` (a link, a poll)."""
    return f"[{kind if kind in ATTACHMENTS else 'doc'}]"


def attachments_only(value: str | None) -> bool:
    """True when a text is nothing but attachment markers (`[photo] [photo]`): a customer
    sent only a picture, a video or a sticker, which no text model can read."""
    return bool(value) and _ONLY_MARKERS.fullmatch(value or "") is not None


def rating(value: Any, field: str = "rating") -> int | None:
    """A 1-5 rating. A number outside the scale (Ozon documents `"rating": 0`) is unknown:
    None and a warning, and the review is stored; text that is no number is an error."""
    if value in (None, ""):
        return None
    try:
        number = round(float(value))
    except (TypeError, ValueError, OverflowError):
        raise SourceError(f"{field}: {value!r} is not a rating") from None
    if not 1 <= number <= 5:
        log.warning("%s: %r is outside 1-5; stored as unknown", field, value)
        return None
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

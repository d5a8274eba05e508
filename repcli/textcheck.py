"""What the store cannot keep as it is: text with a lone surrogate or a NUL character (which
PostgreSQL text cannot hold: refused on both engines, so a store moves between them whole), a
time after `LATEST`.

Shared by the connectors (`sources.wire.parse` re-exports these) and the store, which sets
such an item aside as a reject instead of failing its batch.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from repcli.models import Item

_SURROGATE = re.compile("[\ud800-\udfff]")
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
"""Times from here on are placeholders or garbage (9999-12-31), not when something was
written: no deadline can be added to them, and as a cursor they would skip everything."""
_TEXT_FIELDS = (
    "external_id", "url", "product_id", "product_name", "author", "title", "text", "pros",
    "cons", "answer_text", "order_id", "lang",
)  # fmt: skip
_TIME_FIELDS = ("created_at", "updated_at", "answered_at")


def unstorable(item: Item) -> tuple[str, str] | None:
    """(field, problem) of the first value of `item` that cannot be stored as it is: text
    with a lone surrogate (valid JSON, but not text SQLite accepts) or a NUL, or a time after
    `LATEST`; None when every value can be stored. `raw` is stored with surrogates escaped."""
    for name in _TEXT_FIELDS:
        value = getattr(item, name)
        if isinstance(value, str):
            if found := _SURROGATE.search(value):
                return name, f"holds a lone surrogate ({found.group()!a}), which is not text"
            if "\x00" in value:
                return name, "holds a NUL character, which PostgreSQL cannot store in text"
    for name in _TIME_FIELDS:
        when = getattr(item, name)
        if when is not None and when >= LATEST:
            return name, f"{when:%Y-%m-%d} is after the year {LATEST.year}: not a real date"
    return None


def surrogate(text: str) -> str | None:
    """The first lone surrogate in `text` (valid in JSON, not text SQLite accepts), if any."""
    found = _SURROGATE.search(text)
    return found.group() if found else None


def escape_surrogates(text: str) -> str:
    """`text` with each lone surrogate written as its JSON escape (`\\ud800`): JSON text
    stays the same JSON, and SQLite accepts it."""
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)

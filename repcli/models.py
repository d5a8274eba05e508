"""The plain data types every layer shares."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import datetime
from typing import Any, Literal

Kind = Literal["review", "question", "comment"]
KINDS: tuple[Kind, ...] = ("review", "question", "comment")
Status = Literal["new", "open", "answered", "ignored", "resolved"]
STATUSES: tuple[Status, ...] = ("new", "open", "answered", "ignored", "resolved")
_JSON = json.JSONEncoder(ensure_ascii=False).encode


@dataclasses.dataclass(slots=True)
class Item:
    """One review, question or comment, as a source reports it.

    Its key is (source, external_id). Times are timezone-aware UTC.
    """

    source: str
    platform: str
    kind: Kind
    external_id: str
    created_at: datetime
    text: str = ""
    url: str | None = None
    product_id: str | None = None
    product_name: str | None = None
    author: str | None = None
    rating: int | None = None
    title: str | None = None
    pros: str | None = None
    cons: str | None = None
    updated_at: datetime | None = None
    answer_text: str | None = None
    answered_at: datetime | None = None
    order_id: str | None = None
    lang: str | None = None
    raw: dict[str, Any] | None = None

    def content_hash(self) -> str:
        """Hash of what a customer can edit: rating and the texts. A change makes a new version."""
        payload = _JSON([self.rating, self.title, self.text, self.pros, self.cons])
        return hashlib.blake2b(payload.encode(), digest_size=12).hexdigest()

    def full_text(self) -> str:
        """Title, text, pros and cons joined: what text analysis reads."""
        parts = [self.title, self.text, self.pros, self.cons]
        return "\n".join(p for p in parts if p)


@dataclasses.dataclass(frozen=True, slots=True)
class Verdict:
    """What analysis says about an item: negative or not, how sure, and why."""

    sentiment: Literal["negative", "neutral", "positive"]
    score: float
    """Negativity in [0, 1]; >= the configured threshold means negative."""
    negative: bool
    reasons: tuple[str, ...] = ()
    """Human-readable reasons: 'rating 1★', 'cues: сломалось, не рекомендую'."""
    topics: tuple[str, ...] = ()
    lang: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Reject:
    """A row that could not become a stored item: kept aside (the `rejects` table) with why,
    so it costs only itself; the cursor moves past it."""

    kind: str
    external_id: str | None
    reason: str
    raw: Any
    """The row as the platform sent it (or the item's `raw`)."""


@dataclasses.dataclass(frozen=True, slots=True)
class SourceRunResult:
    """What one source did in one run."""

    source: str
    fetched: int = 0
    new: int = 0
    changed: int = 0
    error: str | None = None
    rejected: int = 0
    """Rows set aside (the `rejects` table) instead of stored: unreadable or unstorable."""
    refused: bool = False
    """It failed only because an input file was refused whole (exit 7 rather than 6)."""

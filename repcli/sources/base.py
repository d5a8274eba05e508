"""What every source type implements, and what it is given to work with."""

from __future__ import annotations

import abc
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from repcli.config import SourceConfig
from repcli.errors import SourceError
from repcli.models import Item
from repcli.models import Reject as Reject  # noqa: PLC0414 (re-exported: connectors use it)

if TYPE_CHECKING:
    from repcli.http import HostLimit, Http

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class NoSettings:
    """For source types that take no settings of their own."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class HttpSettings:
    """Settings every HTTP source accepts (connector settings subclass this)."""

    base_url: str | None = None
    """Override the platform's API address (a proxy, a mirror, a test server)."""
    rate_limit: float | None = None
    """Requests per second to this source's host; default: the platform's documented limit."""
    full_backfill_days: int = 365
    """How far back `--full` goes, for platforms that need a start date."""
    max_pages: int | None = None
    """Pages one list may take in one run before the source stops with an error (1-100000);
    default 1000 (`repcli.sources.wire.paging`)."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class SocialSettings(HttpSettings):
    """Settings of social sources (comments and mentions): brand/keyword filters."""

    include: tuple[str, ...] = ()
    """Keep only texts mentioning one of these words or phrases (any word form); empty: all."""
    exclude: tuple[str, ...] = ()
    """Drop texts mentioning any of these (spam, giveaways, job posts)."""


ROW_ERRORS: tuple[type[Exception], ...] = (
    SourceError, KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError,
)  # fmt: skip
"""What reading one malformed row raises: the row is rejected, the others go on."""
_ID_KEYS = ("id", "feedbackId", "reviewId")
"""Where a rejected row's id may be (most platforms; Yandex Market and eBay; Google Play API)."""


@dataclasses.dataclass(slots=True)
class Batch:
    """Items a source fetched, and the cursor to store once they are safely stored.

    The pipeline writes the items and the cursor in one transaction, so a run killed half way
    resumes from the last stored batch and never skips anything.

    An all-or-nothing unit (one file's rows) spans batches: each but the last has `hold`, and
    the pipeline commits the unit with its last batch. A source that finds the unit bad half way
    yields `Batch.drop()`, and what was stored of the unit is undone.
    """

    items: list[Item]
    cursor: dict[str, Any]
    hold: bool = False
    """More batches of this unit follow: store, but commit only with the unit's last batch."""
    dropped: bool = False
    """The unit is abandoned: undo what was stored of it (see `drop`)."""
    rejects: list[Reject] = dataclasses.field(default_factory=list)
    """Rows of this batch that could not be read (also `Source.rejects`, drained per batch)."""

    @classmethod
    def drop(cls) -> Batch:
        return cls([], {}, dropped=True)


@dataclasses.dataclass(frozen=True, slots=True)
class ReplyTarget:
    """What posting an answer needs to know of a stored item."""

    external_id: str
    kind: str
    product_id: str | None = None
    author: str | None = None
    raw: dict[str, Any] | None = None
    """The platform's own payload as fetched: some answer APIs need ids kept only there."""


@dataclasses.dataclass(frozen=True, slots=True)
class PostedReply:
    """What the platform said when it accepted an answer."""

    external_id: str | None = None
    """The answer's id on the platform, when it returns one."""


@contextlib.contextmanager
def refusals_as_rejections(platform: str) -> Iterator[None]:
    """While posting an answer: a 4xx from the platform (after the HTTP layer's retries of
    429) is a refusal of this answer (`ReplyRejected`); anything else stays a `SourceError`."""
    from repcli.errors import ReplyRejected
    from repcli.http import HttpError

    try:
        yield
    except HttpError as exc:
        if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
            raise ReplyRejected(
                exc.message,
                exc.hint or f"fix the draft and approve it again, or answer on {platform}",
            ) from None
        raise


class FetchContext:
    """What a run gives its sources: the time, and the shared HTTP layer (made on first use,
    so offline sources never import httpx)."""

    def __init__(self, now: datetime, http: Http | None = None) -> None:
        self.now = now
        self._http = http

    @property
    def http(self) -> Http:
        if self._http is None:
            from repcli.http import Http

            self._http = Http()
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()


class Source(abc.ABC):
    """A configured source of one type. Subclasses set `type_name` and `settings_class`."""

    type_name: ClassVar[str]
    platform: ClassVar[str]
    settings_class: ClassVar[type[Any]] = NoSettings
    description: ClassVar[str] = ""

    def __init__(self, config: SourceConfig, ctx: FetchContext) -> None:
        config.require_secrets()  # built to fetch, post or test: its credentials must be there
        self.config = config
        self.settings = config.settings
        self.ctx = ctx
        self.now = ctx.now
        self.rejects: list[Reject] = []
        """Rows set aside since the last batch; the pipeline stores them with the next one."""

    @property
    def name(self) -> str:
        return self.config.name

    def parse_row(
        self, row: Any, build: Callable[[Any], Item | None], kind: str, id_prefix: str = ""
    ) -> Item | None:
        """`build(row)` (None: a row with nothing to store, such as a deleted comment), or None
        when the row cannot be read: it is kept in `rejects` (its id, if it has one under
        `_ID_KEYS`, as external id) and the rest of the page goes on."""
        try:
            return build(row)
        except ROW_ERRORS as exc:
            log.debug("%s: %s rejected", self.name, kind, exc_info=True)
            ids = (row.get(key) for key in _ID_KEYS) if isinstance(row, dict) else iter(())
            found = next((value for value in ids if value not in (None, "")), None)
            external_id = f"{id_prefix}{found}" if isinstance(found, str | int) and found else None
            reason = exc.message if isinstance(exc, SourceError) else f"{type(exc).__name__}: {exc}"
            self.rejects.append(Reject(kind, external_id, reason, row))
            log.warning("%s: a %s was set aside (repcli status): %s", self.name, kind, reason)
            return None

    def parse_rows(
        self, rows: list[Any], build: Callable[[Any], Item | None], kind: str, id_prefix: str = ""
    ) -> list[Item]:
        """The items of the rows that can be read (`parse_row` for each)."""
        items = (self.parse_row(row, build, kind, id_prefix) for row in rows)
        return [item for item in items if item is not None]

    @abc.abstractmethod
    def fetch(self, cursor: dict[str, Any], full: bool = False) -> AsyncIterator[Batch]:
        """Yield batches of items newer than `cursor`; with `full`, everything the platform has
        (the cursor is still passed: it may hold state a backfill keeps, like the demo anchor)."""

    @property
    def can_reply(self) -> bool:
        """True when `post_reply` speaks the platform's answer API (in this configuration)."""
        return False

    async def post_reply(self, target: ReplyTarget, text: str) -> PostedReply:
        """Publish `text` as the shop's public answer to `target`.

        Raise `ReplyRejected` when the platform refuses it (a 4xx), `SourceError` when it could
        not be reached (after the HTTP layer's retries)."""
        from repcli.errors import UsageError

        raise UsageError(
            f"source {self.name!r} ({self.type_name}) cannot post answers",
            "answer on the platform itself, then `repcli status ID answered`",
        )

    async def test(self) -> str:
        """Check reachability and credentials with one cheap request; return what was seen.
        Raise a SourceError saying exactly what is wrong."""
        async for batch in self.fetch({}, full=False):
            return f"ok: reachable, {len(batch.items)} items in the first page"
        return "ok: reachable, nothing to fetch"


class HttpSource(Source):
    """A source on the HTTP layer: `base_url` override and the platform's rate limit."""

    default_base_url: ClassVar[str]
    default_limit: ClassVar[HostLimit]

    @property
    def base_url(self) -> str:
        return (self.settings.base_url or self.default_base_url).rstrip("/")

    def keep(self, text: str) -> bool:
        """The source's include/exclude keyword filter (SocialSettings); True without one."""
        include = getattr(self.settings, "include", ())
        exclude = getattr(self.settings, "exclude", ())
        if not include and not exclude:
            return True
        from repcli.sources.wire.keywords import KeywordFilter

        if getattr(self, "_filter", None) is None:
            self._filter = KeywordFilter(include=include, exclude=exclude)
        return self._filter(text)

    @property
    def limit(self) -> HostLimit:
        if self.settings.rate_limit:
            return dataclasses.replace(self.default_limit, rate=float(self.settings.rate_limit))
        return self.default_limit

"""Reviews from any web page, found with CSS selectors (`type: html`).

`item` selects each review on a page; the other selectors are looked up inside it. A selector
is a string (the element's text) or `{css: ..., attr: ...}` (an attribute; `css` may be left
out to read the review element's own attribute). `next` finds the link to the next page; pages
are read newest first until one shows a review the previous run saw (or `max_pages`), so a
daily run costs one or two requests. The first page is fetched conditionally (ETag /
Last-Modified): a 304 means nothing new.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, ClassVar, Literal
from urllib.parse import urljoin, urlsplit

from repcli.errors import ConfigError, SourceError
from repcli.http import HostLimit
from repcli.models import Item
from repcli.sources.base import Batch, HttpSettings, HttpSource
from repcli.sources.wire import extract, paging

log = logging.getLogger(__name__)

ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
RECENT_IDS = 200
"""How many ids of the last run's pages the cursor keeps, to know where to stop paging."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class Selector:
    """A CSS selector and, optionally, the attribute to read instead of the element's text."""

    css: str = ""
    """CSS selector inside the review element; empty: the review element itself."""
    attr: str | None = None
    """Read this attribute (e.g. `data-rating`, `datetime`, `href`) instead of the text."""


Field = str | Selector | None


@dataclasses.dataclass(frozen=True, kw_only=True)
class HtmlSettings(HttpSettings):
    urls: tuple[str, ...]
    """First pages to read (each may have its own next pages). Relative ones join `base_url`."""
    item: str
    """CSS selector of one review on a page."""
    text: Field = None
    """The review's text; default: all the text of the review element."""
    author: Field = None
    rating: Field = None
    """A number, "4 out of 5", "80%", "★★★★☆", or an attribute holding one."""
    rating_scale: float = 5.0
    """What a full mark is on this site: 5 (stars), 10, 100 (percent); mapped onto 1-5."""
    date: Field = None
    """When it was written; a <time> element's `datetime` is used when present."""
    date_format: str | None = None
    """strptime format of `date` (e.g. '%d.%m.%Y'); default: ISO-8601 and common shapes."""
    title: Field = None
    id: Field = None
    """A stable id per review (e.g. `{attr: data-review-id}`); default: a content hash."""
    link: Field = None
    """A permalink to the review (`href`); default: the page's address."""
    answer: Field = None
    """The shop's public reply to the review, when the page shows it."""
    answer_date: Field = None
    product: str | None = None
    """CSS selector, on the page (not in a review), of the product's name."""
    next: Field = None
    """The link to the next page (`href` unless `attr` says otherwise)."""
    max_pages: int = 10
    """Never read more pages than this per URL in one run."""
    allow_hosts: tuple[str, ...] = ()
    """Hosts (or host:port) that `next` links may lead to besides the URL's own scheme, host and
    port; a link anywhere else stops paging with an error naming it."""
    max_items_per_page: int = paging.MAX_ITEMS_PER_PAGE
    """Take at most this many reviews from one page (a warning says when a page had more)."""
    stop_at_seen: bool = True
    """Stop paging at a page holding a review seen before (pages list newest first)."""
    allow_empty: bool = False
    """Accept a first page where `item` matches nothing (otherwise that is an error, since it
    usually means the site changed its layout)."""
    kind: Literal["review", "question", "comment"] = "review"
    platform: str | None = None
    """What to store as the items' platform; default `web`."""


_FIELDS = ("text", "author", "rating", "date", "title", "id", "link", "answer", "answer_date")


class HtmlSource(HttpSource):
    type_name: ClassVar[str] = "html"
    platform: ClassVar[str] = "web"
    settings_class: ClassVar[type[Any]] = HtmlSettings
    description: ClassVar[str] = "reviews on any web page, found with CSS selectors"
    default_base_url: ClassVar[str] = ""
    # No platform documents a rate here: one page a second per host, one at a time.
    default_limit: ClassVar[HostLimit] = HostLimit(rate=1.0, burst=1, concurrency=1)

    max_pages_override: int | None = None

    async def fetch(self, cursor: dict[str, Any], full: bool = False) -> AsyncIterator[Batch]:
        reader = PageReader(self.settings, self.name, self.now)
        stored = cursor.get("pages")
        known: dict[str, Any] = stored if isinstance(stored, dict) else {}
        pages: dict[str, Any] = dict(known)
        failures = extract.Failures(self.name)
        for start in self._start_urls():
            state = known.get(start) if isinstance(known.get(start), dict) else {}
            assert isinstance(state, dict)
            seen = (
                set(state.get("recent") or []) if not full and self.settings.stop_at_seen else set()
            )
            recent: list[str] = []
            first_validators: dict[str, str] | None = None
            url: str | None = start
            guard = paging.PageGuard("", start, start=start)
            pages_read = 0
            budget = self.max_pages_override or self.settings.max_pages
            try:
                while url and pages_read < budget:
                    pages_read += 1
                    first = url == start
                    response = await extract.get_page(
                        self, url, state if first and not full else None, ACCEPT
                    )
                    if response is None:
                        log.info("%s: %s not modified since the last run", self.name, url)
                        break
                    page = reader.read(extract.decode_html(response), url, start, first)
                    if first:
                        first_validators = extract.validators(response)
                    recent += [i.external_id for i in page.items][: RECENT_IDS - len(recent)]
                    yield Batch(page.items, cursor)
                    if seen and any(i.external_id in seen for i in page.items):
                        break
                    if pages_read >= budget:
                        break
                    url = self._follow(page.next_url, url, start)
                    if url:
                        guard.next_page(url, [i.external_id for i in page.items])
            except SourceError as exc:
                failures.add(exc)
                continue
            if first_validators is not None:
                pages[start] = {**first_validators, "recent": recent}
        # The cursor moves only with the last batch: a run killed half way re-reads.
        yield Batch([], {**cursor, "pages": pages})
        failures.raise_any()

    def _follow(self, link: str | None, page: str, start: str) -> str | None:
        """The next page to read: `link` when it stays on the start URL's site (or a host in
        `allow_hosts`); a SourceError naming it when it leaves."""
        if link is None or link == page:  # a last page's "next" often links to itself
            return None
        if not paging.same_site(link, start, self.settings.allow_hosts):
            raise paging.foreign_link(link, page)
        return link

    def _start_urls(self) -> list[str]:
        if not 1 <= self.settings.max_pages <= 1000:
            raise ConfigError(f"sources: {self.name}: max_pages must be 1-1000")
        if not 1 <= self.settings.max_items_per_page <= 100_000:
            raise ConfigError(f"sources: {self.name}: max_items_per_page must be 1-100000")
        return extract.source_urls(self, "pages")

    async def test(self) -> str:
        self.max_pages_override = 1
        count = 0
        async for batch in self.fetch({}, full=True):
            count += len(batch.items)
        return f"ok: reachable, {count} items on the first page of {len(self.settings.urls)} URL(s)"


@dataclasses.dataclass
class Page:
    items: list[Item]
    next_url: str | None


class PageReader:
    """Turns one page's HTML into Items with the configured selectors (no I/O: the property
    tests feed it anything)."""

    def __init__(self, settings: HtmlSettings, source: str, now: datetime) -> None:
        import soupsieve

        self.settings = settings
        self.source = source
        self.now = now
        self.platform = settings.platform or HtmlSource.platform
        self.compiled: dict[str, Any] = {}
        if not settings.rating_scale > 0:
            raise ConfigError(f"sources: {source}: rating_scale must be a positive number")
        specs: dict[str, Field] = {name: getattr(settings, name) for name in _FIELDS}
        specs["item"], specs["product"], specs["next"] = (
            settings.item,
            settings.product,
            settings.next,
        )
        for name, spec in specs.items():
            css = spec.css if isinstance(spec, Selector) else spec
            if not css:
                if name == "item":
                    raise ConfigError(f"sources: {source}: item: a CSS selector is required")
                continue
            try:
                self.compiled[name] = soupsieve.compile(css)
            except (
                soupsieve.SelectorSyntaxError,
                ValueError,
                TypeError,
                RecursionError,
                NotImplementedError,  # soupsieve on at-rules ("@media") and the like
            ) as exc:
                first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise ConfigError(
                    f"sources: {source}: {name}: {css!r} is not a CSS selector this parser "
                    f"understands ({first_line})",
                    "test it in the browser's console: document.querySelectorAll('...')",
                ) from None

    def read(self, markup: str, url: str, start: str, first: bool) -> Page:
        doc = extract.soup(markup)
        cap = self.settings.max_items_per_page
        try:
            # One more than the cap: enough to know the page was cut, without listing them all.
            elements = paging.capped(self.compiled["item"].select(doc, limit=cap + 1), url, cap)
        except RecursionError:  # pragma: no cover - soupsieve on a pathological tree
            raise SourceError(f"{url}: the page is nested too deeply to read") from None
        if not elements and first and not self.settings.allow_empty:
            raise SourceError(
                f"{url}: item selector {self.settings.item!r} matched nothing",
                "the site may have changed its layout, or builds reviews with JavaScript; "
                "check the selector (or set allow_empty: true for a page with no reviews yet)",
            )
        product = None
        if "product" in self.compiled and (found := self.compiled["product"].select_one(doc)):
            product = extract.tidy(found.get_text(" ")) or None
        counter = extract.Counter()
        items = [
            self._item(el, n, url, start, product, counter) for n, el in enumerate(elements, 1)
        ]
        return Page(items, self._next(doc, url))

    def _get(self, name: str, el: Any) -> str | None:
        spec = getattr(self.settings, name)
        if spec is None:
            return None
        attr = spec.attr if isinstance(spec, Selector) else None
        target = self.compiled[name].select_one(el) if name in self.compiled else el
        if target is None:
            return None
        if attr is None and name in ("date", "answer_date") and target.name == "time":
            attr = "datetime" if target.has_attr("datetime") else None
        if attr is not None:
            value = target.get(attr)
            if isinstance(value, list):
                value = " ".join(value)
            return (value.strip() or None) if isinstance(value, str) else None
        if name in ("text", "answer"):
            return extract.html_to_text(str(target)) or None
        return extract.tidy(target.get_text(" ")) or None

    def _item(
        self, el: Any, n: int, url: str, start: str, product: str | None, counter: extract.Counter
    ) -> Item:
        where = f"{url}: review {n}"
        s = self.settings
        text = self._get("text", el) if s.text is not None else None
        if s.text is None:
            text = extract.html_to_text(str(el))
        author, title, raw_date = (
            self._get("author", el),
            self._get("title", el),
            self._get("date", el),
        )
        raw_rating = self._get("rating", el)
        rating = extract.scaled_rating(raw_rating, s.rating_scale, f"{where}: rating")
        created = (
            extract.parse_date(raw_date, s.date_format, f"{where}: date") if raw_date else None
        )
        answer = self._get("answer", el)
        raw_answer_date = self._get("answer_date", el)
        answered_at = (
            extract.parse_date(raw_answer_date, s.date_format, f"{where}: answer_date")
            if raw_answer_date and answer
            else None
        )
        link = self._get("link", el)
        ident = self._get("id", el)
        external_id = ident or counter(
            extract.content_id(start, author, raw_date, text, title, raw_rating)
        )
        raw = {
            "page": url,
            "author": author,
            "rating": raw_rating,
            "date": raw_date,
            "title": title,
            "text": text,
            "id": ident,
            "answer": answer,
            "html": str(el)[:20000],
        }
        return Item(
            source=self.source,
            platform=self.platform,
            kind=s.kind,
            external_id=external_id,
            created_at=created or self.now,
            text=text or "",
            url=urljoin(url, link) if link else url,
            product_name=product,
            author=author,
            rating=rating if s.kind == "review" else None,
            title=title,
            answer_text=answer,
            answered_at=answered_at,
            raw={k: v for k, v in raw.items() if v is not None},
        )

    def _next(self, doc: Any, url: str) -> str | None:
        spec = self.settings.next
        if spec is None or "next" not in self.compiled:
            return None
        link = self.compiled["next"].select_one(doc)
        if link is None:
            return None
        attr = spec.attr if isinstance(spec, Selector) and spec.attr else "href"
        href = link.get(attr)
        if not isinstance(href, str) or not href.strip():
            return None
        target = urljoin(url, href.strip())
        return target if urlsplit(target).scheme in ("http", "https") else None

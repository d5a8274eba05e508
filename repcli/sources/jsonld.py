"""Reviews that pages publish as schema.org structured data (`type: jsonld`).

Every `<script type="application/ld+json">` on each configured page is read: a Review on its
own, reviews nested under a Product / Organization / LocalBusiness (`review`), `@graph`
documents whose nodes refer to each other by `@id`, and lists of all of these. A page with no
JSON-LD is read as schema.org microdata (`itemscope` / `itemprop`) instead. Ratings are mapped
onto 1-5 from their own `worstRating`/`bestRating` (defaults 1 and 5, as schema.org and Google
assume). Each run sends the validators (ETag / Last-Modified) the last run got: a 304 means
nothing new on that page.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urljoin

from repcli.errors import SourceError
from repcli.http import HostLimit, Response
from repcli.models import Item
from repcli.sources.base import Batch, HttpSettings, HttpSource
from repcli.sources.wire import extract, microdata, parse

log = logging.getLogger(__name__)

ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
REVIEW_TYPES = frozenset(
    {"Review", "UserReview", "CriticReview", "EmployerReview", "MediaReview", "Recommendation"}
)
ORGANIZATION_TYPES = frozenset(
    {"Organization", "Corporation", "LocalBusiness", "OnlineStore", "OnlineBusiness", "Store"}
)
PRODUCT_IDS = ("sku", "gtin13", "gtin", "gtin14", "gtin12", "gtin8", "mpn", "productID")
MAX_DEPTH = 64
"""Deeper nesting than this is not a page, it is an attack: it is not walked."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class JsonLdSettings(HttpSettings):
    urls: tuple[str, ...]
    """Pages to read (product pages, a shop's reviews page). Relative ones join `base_url`."""
    platform: str | None = None
    """What to store as the items' platform (e.g. `trustpilot`); default `web`."""


class JsonLdSource(HttpSource):
    type_name: ClassVar[str] = "jsonld"
    platform: ClassVar[str] = "web"
    settings_class: ClassVar[type[Any]] = JsonLdSettings
    description: ClassVar[str] = "reviews a page marks up as schema.org JSON-LD or microdata"
    default_base_url: ClassVar[str] = ""
    # No platform documents a rate here: one page a second per host, one at a time.
    default_limit: ClassVar[HostLimit] = HostLimit(rate=1.0, burst=1, concurrency=1)

    def page_urls(self) -> list[str]:
        return extract.source_urls(self, "pages")

    async def fetch(self, cursor: dict[str, Any], full: bool = False) -> AsyncIterator[Batch]:
        def parse(response: Response, url: str) -> list[Item]:
            markup = extract.decode_html(response)
            return parse_page(markup, url, self.name, self.item_platform, self.now)

        pages = extract.read_each(self, cursor, "pages", self.page_urls(), full, ACCEPT, parse)
        async for batch in pages:
            yield batch

    @property
    def item_platform(self) -> str:
        return self.settings.platform or self.platform

    async def test(self) -> str:
        count = 0
        async for batch in self.fetch({}, full=True):
            count += len(batch.items)
        return f"ok: reachable, {count} reviews marked up on {len(self.settings.urls)} page(s)"


# --------------------------------------------------------------------------- parsing


def parse_page(markup: str, url: str, source: str, platform: str, now: datetime) -> list[Item]:
    """Every review a page marks up, as Items. SourceError (naming the page) when its JSON-LD
    is all broken or the page has no structured data at all."""
    doc = extract.soup(markup)
    blocks, errors = _json_ld_blocks(doc)
    graph = _Graph(blocks)
    reviews = graph.reviews()
    if not reviews:
        micro = microdata.items(doc, url)
        if micro:
            graph = _Graph(micro)
            reviews = graph.reviews()
        elif errors and not blocks:
            raise SourceError(f"{url}: {'; '.join(errors)}", "the page's JSON-LD is broken")
        elif not blocks:
            raise SourceError(
                f"{url}: no schema.org JSON-LD or microdata on the page",
                "the site may build its reviews with JavaScript: try `type: html` with "
                "selectors, or the site's feed",
            )
    for error in errors:
        log.warning("%s: %s (skipped)", url, error)
    counter = extract.Counter()
    return [
        _item(review, subject, graph, url, source, platform, now, counter)
        for review, subject in reviews
    ]


def _json_ld_blocks(doc: Any) -> tuple[list[Any], list[str]]:
    blocks: list[Any] = []
    errors: list[str] = []
    n = 0
    for script in doc.find_all("script"):
        kind = str(script.get("type") or "").split(";")[0].strip().lower()
        if kind != "application/ld+json":
            continue
        n += 1
        body = script.string if script.string is not None else "".join(map(str, script.contents))
        body = _unwrap(str(body))
        if not body:
            continue
        try:
            blocks.append(json.loads(body, strict=False))
        except json.JSONDecodeError as exc:
            errors.append(
                f"JSON-LD block {n} is not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno})"
            )
        except RecursionError:
            errors.append(f"JSON-LD block {n} is nested too deeply")
    return blocks, errors


def _unwrap(body: str) -> str:
    """Strip the HTML-comment and CDATA wrappers old templates put around script bodies."""
    body = body.strip()
    for start, end in (("<!--", "-->"), ("//<![CDATA[", "//]]>"), ("<![CDATA[", "]]>")):
        if body.startswith(start) and body.endswith(end):
            body = body[len(start) : -len(end)].strip()
    return body


def _types(node: dict[str, Any]) -> set[str]:
    """`@type` (microdata: itemtype) as short names: "https://schema.org/Review" -> Review."""
    raw = node.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return {
        str(v).rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1].rsplit(":", 1)[-1]
        for v in values
        if isinstance(v, str | int)
    }


class _Graph:
    """The nodes of a page's JSON-LD, indexed by `@id`, walked for reviews and their subjects."""

    def __init__(self, blocks: list[Any]) -> None:
        self.blocks = blocks
        self.index: dict[str, dict[str, Any]] = {}
        for node in self._nodes(blocks, 0):
            ident = node.get("@id")
            if isinstance(ident, str) and len(node) > 1:
                known = self.index.get(ident)
                if known is None or len(node) > len(known):
                    self.index[ident] = node

    def _nodes(self, value: Any, depth: int) -> Iterator[dict[str, Any]]:
        if depth > MAX_DEPTH:
            return
        if isinstance(value, dict):
            yield value
            for child in value.values():
                yield from self._nodes(child, depth + 1)
        elif isinstance(value, list):
            for child in value:
                yield from self._nodes(child, depth + 1)

    def resolve(self, value: Any) -> Any:
        """A bare reference {"@id": ...} becomes the node it names (when the page has it)."""
        if isinstance(value, dict) and set(value) == {"@id"} and isinstance(value["@id"], str):
            return self.index.get(value["@id"], value)
        return value

    def reviews(self) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        """(review, what it reviews) pairs, each review once, in page order."""
        found: dict[int, tuple[dict[str, Any], dict[str, Any] | None]] = {}
        self._walk(self.blocks, None, 0, found, set())
        return list(found.values())

    def _walk(
        self,
        value: Any,
        subject: dict[str, Any] | None,
        depth: int,
        found: dict[int, tuple[dict[str, Any], dict[str, Any] | None]],
        path: set[int],
    ) -> None:
        if depth > MAX_DEPTH:
            return
        if isinstance(value, list):
            for child in value:
                self._walk(child, subject, depth + 1, found, path)
            return
        node = self.resolve(value)
        if not isinstance(node, dict) or id(node) in path:
            return
        if _types(node) & REVIEW_TYPES:
            reviewed = self.resolve(node.get("itemReviewed"))
            about = reviewed if isinstance(reviewed, dict) and len(reviewed) > 1 else subject
            if id(node) not in found or (found[id(node)][1] is None and about is not None):
                found[id(node)] = (node, about)
            return
        path.add(id(node))
        for key, child in node.items():
            if key in ("review", "reviews"):
                self._walk(child, node, depth + 1, found, path)
            elif key == "@graph" or not key.startswith("@"):
                self._walk(child, subject, depth + 1, found, path)
        path.discard(id(node))


def _scalar(value: Any, depth: int = 0) -> str | None:
    """A JSON-LD value as text: plain, {"@value": ...}, or the first of a list."""
    if depth > 8:
        return None
    if isinstance(value, list):
        for entry in value:
            if (found := _scalar(entry, depth + 1)) is not None:
                return found
        return None
    if isinstance(value, dict):
        return _scalar(value.get("@value"), depth + 1) if "@value" in value else None
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip()
    return text or None


def _name(value: Any, graph: _Graph | None = None) -> str | None:
    """An author/subject name: a string, a Person/Organization object, a reference, a list."""
    if isinstance(value, list):
        names = [n for v in value[:10] if (n := _name(v, graph))]
        return ", ".join(names) or None
    if graph is not None:
        value = graph.resolve(value)
    if isinstance(value, dict):
        for key in ("name", "alternateName", "@value"):
            if (found := _scalar(value.get(key))) is not None:
                return extract.html_to_text(found) or None
        return None
    found = _scalar(value)
    return (extract.html_to_text(found) or None) if found else None


def _prose(value: Any) -> str | None:
    """Review text: HTML when it has markup (some sites put it there), else plain text kept
    as written (`parse.prose`: no collapsing of a customer's spaces)."""
    return parse.prose(_scalar(value))


def _notes(value: Any) -> str | None:
    """Pros/cons (`positiveNotes`/`negativeNotes`): an ItemList of names, a list, or text."""
    if isinstance(value, dict):
        value = value.get("itemListElement", value.get("name"))
    entries = value if isinstance(value, list) else [value]
    names = [n for e in entries[:50] if (n := _name(e) if isinstance(e, dict) else _prose(e))]
    return "\n".join(names) or None


def _rating(review: dict[str, Any], url: str) -> int | None:
    """reviewRating mapped onto 1-5 from its own worstRating/bestRating; None (logged) when the
    page's rating makes no sense: one odd review must not lose the page."""
    rating = review.get("reviewRating")
    if isinstance(rating, list):
        rating = rating[0] if rating else None
    if isinstance(rating, dict):
        value, best, worst = (
            rating.get("ratingValue"),
            rating.get("bestRating"),
            rating.get("worstRating"),
        )
    else:
        value, best, worst = rating, None, None
    read = extract.read_rating(_scalar(value) if isinstance(value, dict | list) else value)
    if read is None:
        if value not in (None, ""):
            log.warning("%s: review rating %r is not a number (kept without a rating)", url, value)
        return None
    number, implied = read
    try:
        if implied is not None:
            return extract.to_five(number, implied, 0.0)
        top = extract.read_rating(_scalar(best) if isinstance(best, dict | list) else best)
        low = extract.read_rating(_scalar(worst) if isinstance(worst, dict | list) else worst)
        return extract.to_five(number, top[0] if top else 5.0, low[0] if low else 1.0)
    except ValueError as exc:
        log.warning("%s: review rating: %s (kept without a rating)", url, exc)
        return None


def _when(value: Any, url: str) -> datetime | None:
    text = _scalar(value)
    if text is None:
        return None
    try:
        return extract.parse_date(text, field="datePublished")
    except SourceError as exc:
        log.warning("%s: %s", url, exc.message)
        return None


def _answer(review: dict[str, Any], graph: _Graph, url: str) -> tuple[str | None, datetime | None]:
    """The shop's reply: the first `comment` on the review written by an Organization."""
    comments = review.get("comment")
    for entry in comments if isinstance(comments, list) else [comments]:
        comment = graph.resolve(entry)
        if not isinstance(comment, dict):
            continue
        author = comment.get("author")
        author = graph.resolve(author[0] if isinstance(author, list) and author else author)
        if isinstance(author, dict) and _types(author) & ORGANIZATION_TYPES:
            text = _prose(comment.get("text")) or _prose(comment.get("description"))
            if text:
                when = comment.get("dateCreated") or comment.get("datePublished")
                return text, _when(when, url)
    return None, None


def _item(
    review: dict[str, Any],
    subject: dict[str, Any] | None,
    graph: _Graph,
    url: str,
    source: str,
    platform: str,
    now: datetime,
    counter: extract.Counter,
) -> Item:
    text = _prose(review.get("reviewBody")) or _prose(review.get("description")) or ""
    author = _name(review.get("author"), graph)
    published = _scalar(review.get("datePublished")) or _scalar(review.get("dateCreated"))
    rating = _rating(review, url)
    title = _prose(review.get("name")) or _prose(review.get("headline"))
    ident = _scalar(review.get("@id"))
    if ident and not ident.startswith("_:"):
        external_id = urljoin(url, ident)
    else:
        external_id = counter(extract.content_id(url, author, published, text, title, rating))
    product_id = product_name = None
    if subject is not None:
        product_name = _name(subject.get("name"))
        product_id = next((v for k in PRODUCT_IDS if (v := _scalar(subject.get(k)))), None)
        if product_id is None and (sid := _scalar(subject.get("@id"))) and not sid.startswith("_:"):
            product_id = urljoin(url, sid)
    link = _scalar(review.get("url"))
    answer_text, answered_at = _answer(review, graph, url)
    modified = _when(review.get("dateModified"), url)
    return Item(
        source=source,
        platform=platform,
        kind="review",
        external_id=external_id,
        created_at=_when(published, url) or now,
        text=text,
        url=urljoin(url, link) if link else url,
        product_id=product_id,
        product_name=product_name,
        author=author,
        rating=rating,
        title=title,
        pros=_notes(review.get("positiveNotes")),
        cons=_notes(review.get("negativeNotes")),
        updated_at=modified,
        answer_text=answer_text,
        answered_at=answered_at,
        raw=review,
    )

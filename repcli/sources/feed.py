"""RSS and Atom feeds as comments/mentions (`type: feed`): brand-mention alerts, forum and
blog comment feeds, review sites that publish a feed.

RSS 2.0 (and 0.9x / 1.0) `<item>`s and Atom 1.0 `<entry>`s become items without a rating; their
HTML is reduced to text. XML is parsed with defusedxml and any DTD is refused, so entity
expansion ("billion laughs") and external entities cannot happen. Each feed is fetched
conditionally with the ETag / Last-Modified the last run got: a 304 means nothing new.
"""

from __future__ import annotations

import dataclasses
import email.utils
import logging
import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, ClassVar, Literal
from urllib.parse import urljoin
from xml.etree.ElementTree import Element, ParseError

from repcli.clock import ensure_utc
from repcli.errors import SourceError
from repcli.http import HostLimit, Response
from repcli.models import Item, Kind
from repcli.sources.base import Batch, HttpSource, SocialSettings
from repcli.sources.wire import extract

log = logging.getLogger(__name__)

ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)
ATOM = "{http://www.w3.org/2005/Atom}"
ATOM03 = "{http://purl.org/atom/ns#}"
RSS1 = "{http://purl.org/rss/1.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
PREFIXES = {
    ATOM: "atom:",
    ATOM03: "atom03:",
    RSS1: "",
    DC: "dc:",
    CONTENT: "content:",
    "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}": "rdf:",
    "{http://search.yahoo.com/mrss/}": "media:",
    "{http://purl.org/rss/1.0/modules/slash/}": "slash:",
    "{http://wellformedweb.org/CommentAPI/}": "wfw:",
    "{http://www.w3.org/1999/xhtml}": "xhtml:",
}
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")


@dataclasses.dataclass(frozen=True, kw_only=True)
class FeedSettings(SocialSettings):
    urls: tuple[str, ...]
    """Feed addresses (RSS or Atom). Relative ones join `base_url`."""
    kind: Literal["review", "question", "comment"] = "comment"
    """What the feed's entries are: comments/mentions by default."""
    platform: str | None = None
    """What to store as the items' platform; default `feed`."""


class FeedSource(HttpSource):
    type_name: ClassVar[str] = "feed"
    platform: ClassVar[str] = "feed"
    settings_class: ClassVar[type[Any]] = FeedSettings
    description: ClassVar[str] = "RSS/Atom feeds as comments and mentions (keyword filters)"
    default_base_url: ClassVar[str] = ""
    # Feeds document no rate; one request a second per host is polite.
    default_limit: ClassVar[HostLimit] = HostLimit(rate=1.0, burst=1, concurrency=1)

    async def fetch(self, cursor: dict[str, Any], full: bool = False) -> AsyncIterator[Batch]:
        def parse(response: Response, url: str) -> list[Item]:
            items = parse_feed(
                response.content,
                url,
                self.name,
                self.settings.platform or self.platform,
                self.settings.kind,
                self.now,
                response.headers.get("content-type"),
            )
            return [i for i in items if self.keep(i.full_text())]

        urls = extract.source_urls(self, "feeds")
        async for batch in extract.read_each(self, cursor, "feeds", urls, full, ACCEPT, parse):
            yield batch

    async def test(self) -> str:
        count = 0
        async for batch in self.fetch({}, full=True):
            count += len(batch.items)
        return f"ok: reachable, {count} entries in {len(self.settings.urls)} feed(s)"


# --------------------------------------------------------------------------- parsing


def parse_xml(content: bytes, url: str, content_type: str | None = None) -> Element:
    """The document's root, parsed safely: no DTD, no entities, no external references."""
    import defusedxml
    from defusedxml.ElementTree import fromstring

    match = _XML_DECLARATION.match(content[:512])
    declared = match.group(1).decode("ascii") if match else None
    text = extract.decode(content, None if declared else content_type, declared)
    if not text.strip():
        raise SourceError(f"{url}: the feed is empty")
    try:
        root: Element = fromstring(text, forbid_dtd=True)
    except defusedxml.DTDForbidden:
        raise SourceError(
            f"{url}: refused: the feed declares a DTD (<!DOCTYPE ...>)",
            "repcli never expands XML entities or DTDs (entity-expansion and external-entity "
            "attacks); ask the publisher for a plain RSS/Atom feed",
        ) from None
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden):
        raise SourceError(f"{url}: refused: the feed declares XML entities") from None
    except ParseError as exc:
        raise SourceError(f"{url}: not well-formed XML ({exc})") from None
    except (ValueError, RecursionError) as exc:  # other defusedxml refusals, absurd nesting
        raise SourceError(f"{url}: unreadable XML ({type(exc).__name__})") from None
    return root


def parse_feed(
    content: bytes,
    url: str,
    source: str,
    platform: str,
    kind: Kind,
    now: datetime,
    content_type: str | None = None,
) -> list[Item]:
    """Every entry of an RSS or Atom document, as Items."""
    root = parse_xml(content, url, content_type)
    try:
        return _entries(root, url, source, platform, kind, now)
    except RecursionError:
        raise SourceError(f"{url}: the feed is nested too deeply to read") from None


def _entries(
    root: Element, url: str, source: str, platform: str, kind: Kind, now: datetime
) -> list[Item]:
    tag = _local(root.tag)
    counter = extract.Counter()
    reader = _Reader(url, source, platform, kind, now, counter)
    if tag == "rss":
        channel = root.find("channel")
        entries = channel.findall("item") if channel is not None else []
        return [reader.rss(e) for e in entries]
    if tag == "RDF":
        return [reader.rss(e) for e in [*root.findall(f"{RSS1}item"), *root.findall("item")]]
    if tag == "feed" and root.tag in (f"{ATOM}feed", f"{ATOM03}feed"):
        ns = root.tag[: -len("feed")]
        feed_author = _text(root.find(f"{ns}author/{ns}name"))
        return [reader.atom(e, ns, feed_author) for e in root.findall(f"{ns}entry")]
    raise SourceError(
        f"{url}: not an RSS or Atom feed (the document is <{tag}>)",
        "check the URL: it should be the feed itself, not the page that links to it",
    )


def _local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _text(el: Element | None) -> str | None:
    if el is None:
        return None
    return extract.tidy("".join(el.itertext())) or None


_BLOCKS = frozenset({"p", "div", "li", "tr", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"})


def _html(el: Element | None) -> str | None:
    """An element holding (escaped) HTML, or inline XHTML (Atom type="xhtml"), as plain text."""
    if el is None:
        return None
    if len(el):  # inline XHTML: the markup is child elements, already parsed
        for child in el.iter():
            if child is not el and _local(child.tag) in _BLOCKS | {"br"}:
                child.tail = "\n" + (child.tail or "")
        return extract.tidy("".join(el.itertext())) or None
    return extract.html_to_text(el.text or "") or None


def _as_dict(el: Element, depth: int = 0) -> dict[str, Any]:
    """An entry as JSON (the `raw` kept with each item); namespaced tags get their usual
    prefixes (`dc:creator`), the feed's own vocabulary none."""
    own = str(el.tag)[: str(el.tag).find("}") + 1] if str(el.tag).startswith("{") else ""
    return _children(el, own, depth)


def _children(el: Element, own: str, depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {f"@{k}": v for k, v in el.attrib.items()}
    if len(el) and el.text and el.text.strip():
        out["#text"] = el.text.strip()
    for child in el:
        tag = str(child.tag)
        if tag.startswith("{"):
            ns, _, local = tag.partition("}")
            ns += "}"
            tag = local if ns == own else PREFIXES.get(ns, ns[1:-1] + ":") + local
        if len(child) and depth < 4:
            value: Any = _children(child, own, depth + 1)
        elif child.attrib:
            value = {**{f"@{k}": v for k, v in child.attrib.items()}, "#text": child.text or ""}
        else:
            value = child.text or ""
        if tag in out:
            if not isinstance(out[tag], list):
                out[tag] = [out[tag]]
            out[tag].append(value)
        else:
            out[tag] = value
    return out


class _Reader:
    def __init__(
        self,
        url: str,
        source: str,
        platform: str,
        kind: Kind,
        now: datetime,
        counter: extract.Counter,
    ) -> None:
        self.url = url
        self.source = source
        self.platform = platform
        self.kind = kind
        self.now = now
        self.counter = counter

    def _when(self, value: str | None, what: str) -> datetime | None:
        if not value:
            return None
        try:
            return ensure_utc(email.utils.parsedate_to_datetime(value.strip()))
        except (TypeError, ValueError, IndexError, OverflowError):
            pass
        try:
            return extract.parse_date(value, field=what)
        except SourceError as exc:
            log.warning("%s: %s (kept, dated when first seen)", self.url, exc.message)
            return None

    def rss(self, entry: Element) -> Item:
        ns = RSS1 if entry.tag.startswith(RSS1) else ""
        title = _html(entry.find(f"{ns}title"))
        text = _html(entry.find(f"{CONTENT}encoded")) or _html(entry.find(f"{ns}description"))
        link = _text(entry.find(f"{ns}link"))
        guid_el = entry.find("guid")
        guid = _text(guid_el)
        permalink = guid_el is not None and guid_el.get("isPermaLink", "true").lower() != "false"
        if not link and guid and permalink and guid.startswith("http"):
            link = guid
        author = _text(entry.find(f"{DC}creator")) or _author(_text(entry.find("author")))
        published = _text(entry.find("pubDate")) or _text(entry.find(f"{DC}date"))
        about = entry.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
        ident = guid or about or link
        return self._item(ident, title, text, link, author, published, None, entry)

    def atom(self, entry: Element, ns: str, feed_author: str | None) -> Item:
        title = _html(entry.find(f"{ns}title"))
        content = entry.find(f"{ns}content")
        if content is not None and content.get("src"):
            content = None  # out-of-line content: not fetched
        text = _html(content) or _html(entry.find(f"{ns}summary"))
        link = None
        for candidate in entry.findall(f"{ns}link"):
            if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                link = candidate.get("href")
                break
        author = _text(entry.find(f"{ns}author/{ns}name")) or feed_author
        published = _text(entry.find(f"{ns}published")) or _text(entry.find(f"{ns}issued"))
        updated = _text(entry.find(f"{ns}updated")) or _text(entry.find(f"{ns}modified"))
        ident = _text(entry.find(f"{ns}id")) or link
        return self._item(ident, title, text, link, author, published or updated, updated, entry)

    def _item(
        self,
        ident: str | None,
        title: str | None,
        text: str | None,
        link: str | None,
        author: str | None,
        published: str | None,
        updated: str | None,
        entry: Element,
    ) -> Item:
        created = self._when(published, "published")
        modified = self._when(updated, "updated") if updated and updated != published else None
        external_id = ident or self.counter(
            extract.content_id(self.url, title, text, published, author)
        )
        return Item(
            source=self.source,
            platform=self.platform,
            kind=self.kind,
            external_id=external_id[:1000],
            created_at=created or self.now,
            updated_at=modified if modified and created and modified > created else None,
            text=text or "",
            title=title,
            url=urljoin(self.url, link) if link else None,
            author=author,
            rating=None,
            raw=_as_dict(entry),
        )


def _author(value: str | None) -> str | None:
    """RSS `author` is an e-mail address, usually with the name in parentheses: keep the name."""
    if not value:
        return None
    match = re.search(r"\(([^()]+)\)\s*$", value)
    return match.group(1).strip() if match else value

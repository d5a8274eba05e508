"""What the sources without an API share (jsonld, html, feed, file): decoding what a server
sent, HTML to plain text, ratings on any scale mapped onto 1-5, dates in the shapes people and
exports write, content-hash ids, and conditional GETs (ETag / Last-Modified) kept in a cursor.
"""

from __future__ import annotations

import codecs
import email.utils
import hashlib
import json
import logging
import math
import re
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from repcli.clock import ensure_utc
from repcli.errors import InputRefused, SourceError
from repcli.sources.wire.parse import from_unix

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

    from repcli.http import Response
    from repcli.models import Item
    from repcli.sources.base import Batch, HttpSource

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- text


def decode(content: bytes, content_type: str | None = None, declared: str | None = None) -> str:
    """Bytes to text: a BOM, then the Content-Type charset, then the document's own declaration
    (`declared`), then UTF-8. Undecodable bytes become U+FFFD instead of failing the page."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if content.startswith(bom):
            return content.decode(codec, errors="replace").lstrip("\ufeff")
    candidates: list[str | None] = [charset_of(content_type), declared, "utf-8"]
    for name in candidates:
        if not name:
            continue
        try:
            return content.decode(name, errors="replace")
        except LookupError:  # a charset Python does not know
            continue
    return content.decode("utf-8", errors="replace")  # pragma: no cover - utf-8 always exists


def charset_of(content_type: str | None) -> str | None:
    match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type or "", re.IGNORECASE)
    return match.group(1) if match else None


def decode_html(response: Response) -> str:
    from bs4.dammit import EncodingDetector

    head = response.content[:4096]
    declared = EncodingDetector.find_declared_encoding(head, is_html=True)
    return decode(response.content, response.headers.get("content-type"), declared)


def soup(markup: str) -> BeautifulSoup:
    """Python's own HTML parser: forgiving, no C extension, never runs scripts."""
    from bs4 import BeautifulSoup

    return BeautifulSoup(markup, "html.parser")


_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_BLOCKS = ("p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "section")


def html_to_text(markup: str) -> str:
    """Readable text from an HTML fragment: tags dropped, entities decoded, scripts and styles
    removed, paragraphs and <br> kept as line breaks."""
    if "<" not in markup and "&" not in markup:
        return tidy(markup)
    doc = soup(markup)
    for tag in doc.find_all(("script", "style", "template", "noscript")):
        tag.decompose()
    for br in doc.find_all("br"):
        br.replace_with("\n")
    for block in doc.find_all(_BLOCKS):
        block.insert_after("\n")
    return tidy(doc.get_text())


def tidy(text: str) -> str:
    """Collapse runs of spaces, keep single line breaks, strip."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def content_id(*parts: Any) -> str:
    """A stable id for an item that has none: a hash of what identifies it."""
    payload = json.dumps([("" if p is None else str(p)) for p in parts], ensure_ascii=False)
    return "h:" + hashlib.blake2b(payload.encode(), digest_size=12).hexdigest()


class Counter:
    """Makes content ids unique within one page: the second identical review gets `#2`."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def __call__(self, ident: str) -> str:
        count = self._seen.get(ident, 0) + 1
        self._seen[ident] = count
        return ident if count == 1 else f"{ident}#{count}"


# --------------------------------------------------------------------------- ratings

_NUMBER = r"[-+]?\d+(?:[.,]\d+)?"
_FRACTION = re.compile(
    rf"({_NUMBER})\s*(?:/|out of|of|из|з|із|von|sur|de)\s*({_NUMBER})", re.IGNORECASE
)
_PERCENT = re.compile(rf"({_NUMBER})\s*%")
_FIRST_NUMBER = re.compile(_NUMBER)
_FULL_STARS = "★⭐"
_EMPTY_STARS = "☆"


def _float(text: str) -> float:
    return float(text.replace(",", "."))


def read_rating(value: Any) -> tuple[float, float | None] | None:
    """(value, the scale it implies or None) from what a page or file says: 4, "4.5", "4,5",
    "60%", "8/10", "4 out of 5 stars", "★★★★☆". None when it holds no rating at all."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
        return (number, None) if math.isfinite(number) else None
    text = str(value).strip()
    if not text:
        return None
    if match := _PERCENT.search(text):
        return _float(match.group(1)), 100.0
    if match := _FRACTION.search(text):
        return _float(match.group(1)), _float(match.group(2))
    if match := _FIRST_NUMBER.search(text):
        return _float(match.group(0)), None
    full = sum(text.count(c) for c in _FULL_STARS)
    empty = text.count(_EMPTY_STARS)
    if full or empty:  # "★★★☆☆" is 3 of 5; "★★★" alone is 3 on the configured scale
        return float(full), float(full + empty) if empty else None
    return None


def half_up(number: float) -> int:
    return math.floor(number + 0.5)


def to_five(number: float, best: float, worst: float) -> int:
    """A rating on [worst, best] as 1-5 stars. A scale from 0 is proportional (8 of 10 -> 4,
    60% -> 3, never below 1); any other is linear (worst -> 1, best -> 5). ValueError when the
    value lies outside its scale or the scale makes no sense."""
    if not (math.isfinite(best) and math.isfinite(worst) and best > worst and best > 0):
        raise ValueError(f"the rating scale {worst:g}-{best:g} makes no sense")
    if not worst - 1e-9 <= number <= best + 1e-9:
        raise ValueError(f"{number:g} is outside its scale {worst:g}-{best:g}")
    if worst == 0:
        return min(5, max(1, half_up(number / best * 5)))
    return min(5, max(1, half_up(1 + (number - worst) * 4 / (best - worst))))


def scaled_rating(value: Any, scale: float = 5.0, field: str = "rating") -> int | None:
    """A rating a person configured a scale for (`rating_scale`): 8 with scale 10 -> 4 stars.
    A scale written in the value itself ("8/10", "80%") wins. None when empty; SourceError when
    it says something that is not a rating."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    read = read_rating(value)
    if read is None:
        raise SourceError(f"{field}: {str(value)[:80]!r} holds no rating")
    number, implied = read
    try:
        return to_five(number, implied or scale, 0.0)
    except ValueError as exc:
        raise SourceError(f"{field}: {str(value)[:80]!r}: {exc}") from None


# --------------------------------------------------------------------------- dates

_MONTHS = {
    # Russian and Ukrainian month names (genitive, as dates are written) and short forms.
    **dict.fromkeys(("января", "янв", "січня", "січ", "январь", "січень"), 1),
    **dict.fromkeys(("февраля", "фев", "лютого", "лют", "февраль", "лютий"), 2),
    **dict.fromkeys(("марта", "мар", "березня", "бер", "март", "березень"), 3),
    **dict.fromkeys(("апреля", "апр", "квітня", "квіт", "апрель", "квітень"), 4),
    **dict.fromkeys(("мая", "май", "травня", "трав", "травень"), 5),
    **dict.fromkeys(("июня", "июнь", "червня", "черв", "червень"), 6),
    **dict.fromkeys(("июля", "июль", "липня", "лип", "липень"), 7),
    **dict.fromkeys(("августа", "авг", "серпня", "серп", "август", "серпень"), 8),
    **dict.fromkeys(("сентября", "сен", "сент", "вересня", "вер", "сентябрь", "вересень"), 9),
    **dict.fromkeys(("октября", "окт", "жовтня", "жовт", "октябрь", "жовтень"), 10),
    **dict.fromkeys(("ноября", "ноя", "нояб", "листопада", "лист", "ноябрь", "листопад"), 11),
    **dict.fromkeys(("декабря", "дек", "грудня", "груд", "декабрь", "грудень"), 12),
}
_SLAVIC_DATE = re.compile(
    r"^(\d{1,2})\s+([а-яіїєґ]+)\.?\s+(\d{4})(?:\s*(?:г\.?|р\.?|года|року))?"
    r"(?:[,\s]+(?:в\s+|о\s+)?(\d{1,2}):(\d{2}))?$",
    re.IGNORECASE,
)
_FORMATS = (
    "%d.%m.%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y, %H:%M",
    "%Y/%m/%d", "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S",
    "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%B %d %Y", "%b. %d, %Y",
    "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S %Z",
)  # fmt: skip


def parse_date(value: Any, date_format: str | None = None, field: str = "date") -> datetime:
    """A date as pages and exports write it: with `date_format` (strptime codes) exactly that;
    otherwise ISO-8601 (a date or a date-time), unix seconds or milliseconds, RFC 2822
    (feeds, mail), "14.05.2026", "May 14, 2026", "14 мая 2026", "14 травня 2026 р.". Naive
    times are taken as UTC. SourceError otherwise, suggesting `date_format`."""
    if isinstance(value, bool) or value is None:
        raise SourceError(f"{field}: expected a date, got {value!r}")
    if isinstance(value, int | float):
        return from_unix(float(value), field)
    text = " ".join(str(value).split())
    if not text:
        raise SourceError(f"{field}: expected a date, got an empty value")
    if date_format:
        try:
            return ensure_utc(datetime.strptime(text, date_format))
        except (ValueError, OverflowError):
            raise SourceError(
                f"{field}: {text[:60]!r} does not match date_format {date_format!r}",
                "fix date_format (Python strptime codes, e.g. '%d.%m.%Y %H:%M')",
            ) from None
    if found := _guess_date(text):
        return found
    raise SourceError(
        f"{field}: {text[:60]!r} is not a date repcli understands",
        "set date_format to match it (Python strptime codes, e.g. '%m/%d/%Y')",
    )


def _guess_date(text: str) -> datetime | None:
    if re.fullmatch(r"\d{9,13}(\.\d+)?", text):
        try:
            return from_unix(float(text), "date")
        except SourceError:
            return None
    iso = text.replace("Z", "+00:00").replace("z", "+00:00")
    iso = re.sub(r"(\.\d{6})\d+", r"\1", iso)  # nanoseconds
    try:
        return ensure_utc(datetime.fromisoformat(iso))
    except (ValueError, OverflowError):
        pass
    if "," in text[:5] or re.search(r"\d\d:\d\d(:\d\d)? ([+-]\d{4}|[A-Z]{2,4})$", text):
        try:
            return ensure_utc(email.utils.parsedate_to_datetime(text))
        except (TypeError, ValueError, IndexError, OverflowError):
            pass
    if match := _SLAVIC_DATE.match(text):
        day, month_name, year, hour, minute = match.groups()
        month = _MONTHS.get(month_name.lower().rstrip("."))
        if month:
            try:
                return ensure_utc(
                    datetime(int(year), month, int(day), int(hour or 0), int(minute or 0))
                )
            except ValueError:
                return None
    for fmt in _FORMATS:
        try:
            return ensure_utc(datetime.strptime(text, fmt))
        except (ValueError, OverflowError):
            continue
    return None


# --------------------------------------------------------------------------- conditional GET


def conditional_headers(known: Mapping[str, Any] | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from the validators a previous run stored."""
    headers: dict[str, str] = {}
    if not isinstance(known, Mapping):
        return headers
    if isinstance(known.get("etag"), str):
        headers["If-None-Match"] = known["etag"]
    if isinstance(known.get("last_modified"), str):
        headers["If-Modified-Since"] = known["last_modified"]
    return headers


def validators(response: Response) -> dict[str, str]:
    """What to send next time to get a 304 if nothing changed."""
    found = {}
    for header, key in (("etag", "etag"), ("last-modified", "last_modified")):
        value = response.headers.get(header)
        if value:
            found[key] = value
    return found


async def get_page(
    source: HttpSource, url: str, known: Mapping[str, Any] | None, accept: str
) -> Response | None:
    """GET a page politely through the one HTTP layer; None when the server says 304 (nothing
    changed since the validators in `known`)."""
    from urllib.parse import urlsplit

    from repcli.http import HttpError, host_of, raise_for_status

    headers = {"Accept": accept, **conditional_headers(known)}
    try:
        response = await source.ctx.http.request(
            "GET", url, limit=source.limit, headers=headers, same_host_redirects=True
        )
        if response.status == 304:
            return None
        raise_for_status(response)
    except HttpError as exc:
        # Name the page, not only the host: a source reads many pages on one host.
        host = host_of(url)
        where = host + urlsplit(url).path
        message = where + exc.message[len(host) :] if exc.message.startswith(host) else exc.message
        raise HttpError(message, exc.status, exc.hint) from None
    return response


def source_urls(source: HttpSource, what: str) -> list[str]:
    """The source's `urls` setting, each resolved against `base_url` and checked."""
    from urllib.parse import urljoin

    from repcli.errors import ConfigError

    urls = source.settings.urls
    if not urls:
        raise ConfigError(f"sources: {source.name}: urls is empty", f"list the {what} to read")
    base = source.settings.base_url
    return [check_url(urljoin(base.rstrip("/") + "/", u) if base else u, source.name) for u in urls]


async def read_each(
    source: HttpSource,
    cursor: Mapping[str, Any],
    key: str,
    urls: list[str],
    full: bool,
    accept: str,
    parse: Callable[[Response, str], list[Item]],
) -> AsyncIterator[Batch]:
    """Read several pages or feeds politely, one batch each: a conditional GET with the
    validators kept under `cursor[key]` (304: nothing new), `parse` into items; a failing page
    does not stop the others. The cursor moves only with the last batch (a run killed half way
    re-reads, never skips); then the failures, if any, are raised together, naming each page."""
    from repcli.sources.base import Batch

    stored = cursor.get(key)
    known: dict[str, Any] = stored if isinstance(stored, dict) else {}
    seen: dict[str, Any] = dict(known)
    failures = Failures(source.name)
    for url in urls:
        try:
            response = await get_page(source, url, None if full else known.get(url), accept)
            if response is None:
                log.info("%s: %s not modified since the last run", source.name, url)
                continue
            items = parse(response, url)
        except SourceError as exc:
            failures.add(exc)
            continue
        seen[url] = validators(response)
        yield Batch(items, dict(cursor))
    yield Batch([], {**cursor, key: seen})
    failures.raise_any()


def check_url(url: str, where: str) -> str:
    """An http(s) URL, or a ConfigError saying what is wrong with it."""
    from urllib.parse import urlsplit

    from repcli.errors import ConfigError

    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"{where}: {url!r} is not an http(s) URL", "write the full address, https://..."
        )
    return url.strip()


class Failures:
    """Errors of some pages of a multi-page source: the others are still read and stored, and
    the source is reported failed at the end, naming every page that failed."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[SourceError] = []

    def add(self, exc: SourceError) -> None:
        self.errors.append(exc)

    def raise_any(self) -> None:
        if not self.errors:
            return
        message = "; ".join(e.message for e in self.errors)
        hint = next((e.hint for e in self.errors if e.hint), None)
        if all(isinstance(e, InputRefused) for e in self.errors):
            raise InputRefused(message, hint)  # files refused whole: exit 7, not 6
        raise SourceError(message, hint)  # whoever reports it names the source

"""Trustpilot reviews of a business unit (a company's domain), newest first.

With an API key: the public Business Units API, GET {base}/v1/business-units/{id}/reviews with
`page` (from 1), `perPage` (1-100) and `orderBy=createdat.desc`; the key goes in the `apikey`
header. A page past the end is an empty `reviews` list, not an error; `links` are arrays of
`{href, method, rel}`. A `domain` without a `business_unit_id` is resolved once through
GET /v1/business-units/find?name=<domain>. The company's answer is `companyReply {text,
createdAt}`.

Without a key: best effort, the public profile page https://www.trustpilot.com/review/{domain}
?page=N, whose `<script id="__NEXT_DATA__">` JSON carries `props.pageProps.reviews` (`rating`,
`title`, `text`, `consumer.displayName`, `dates.publishedDate`, `reply {message,
publishedDate}`). The site changes that data without notice: any other shape is a SourceError
saying so, never a silent empty run.

Each run reads until it passes `lookback_days` before the newest review seen (to pick up company
replies given since); `--full` goes back `full_backfill_days`.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any, ClassVar

from repcli.clock import from_iso, to_iso
from repcli.errors import ConfigError, SourceError
from repcli.http import HostLimit, HttpError, host_of, raise_for_status
from repcli.models import Item
from repcli.sources.base import Batch, HttpSettings, HttpSource
from repcli.sources.wire import parse
from repcli.sources.wire.paging import PageGuard, max_pages, row_ids

REVIEW_URL = "https://www.trustpilot.com/reviews/{review_id}"
WEB_BASE = "https://www.trustpilot.com"
# Trustpilot asks clients to stay under 833 calls per 5 minutes and 10 000 an hour (~2.8/s).
API_LIMIT = HostLimit(rate=2.5, burst=5, concurrency=2)
# The public site documents no rate; read it slowly, one page at a time.
WEB_LIMIT = HostLimit(rate=0.5, burst=1, concurrency=1)
_NEXT_DATA = re.compile(
    r"<script\b[^>]*\bid=[\"']__NEXT_DATA__[\"'][^>]*>(.*?)</script\s*>", re.S | re.I
)
_CHANGED = "set api_key to read the official API instead of the public page"


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrustpilotSettings(HttpSettings):
    business_unit_id: str | None = None
    """The business unit id (24 hex digits); with api_key, `domain` can stand in for it."""
    domain: str | None = None
    """The profile's domain, as in trustpilot.com/review/<domain> (www. included if there)."""
    api_key: str | None = dataclasses.field(default=None, metadata={"secret": True})
    """The API key of a Trustpilot application; without it the public page is read (best effort)."""
    page_size: int = 100
    """API: reviews per request (`perPage`), 1-100."""
    lookback_days: int = 7
    """Re-read reviews this far before the newest seen, to pick up company replies."""
    max_pages: int = 10
    """Public page: at most this many pages a run (the site serves about 10)."""
    web_base_url: str | None = None
    """Override the public site's address (a proxy, a test server)."""


class TrustpilotSource(HttpSource):
    type_name: ClassVar[str] = "trustpilot"
    platform: ClassVar[str] = "trustpilot"
    settings_class: ClassVar[type[Any]] = TrustpilotSettings
    description: ClassVar[str] = (
        "Trustpilot business unit reviews: API key, or the public profile page (best effort)"
    )
    default_base_url: ClassVar[str] = "https://api.trustpilot.com"
    default_limit: ClassVar[HostLimit] = API_LIMIT

    async def fetch(self, cursor: dict[str, Any], full: bool = False) -> AsyncIterator[Batch]:
        settings: TrustpilotSettings = self.settings
        domain = _domain(settings.domain)
        unit_id = parse.text(settings.business_unit_id)
        if not domain and not unit_id:
            raise ConfigError(
                f"sources: {self.name}: set business_unit_id or domain",
                "domain is the part after trustpilot.com/review/, e.g. www.example.com",
            )
        since = from_iso(cursor.get("since"))
        if full or since is None:
            stop_at = self.now - timedelta(days=settings.full_backfill_days)
        else:
            stop_at = since - timedelta(days=settings.lookback_days)
        new_cursor = dict(cursor)
        if settings.api_key:
            if not 1 <= settings.page_size <= 100:
                raise ConfigError(f"sources: {self.name}: page_size must be 1-100")
            if not unit_id and domain:
                unit_id = await self._unit_id(domain, cursor)
                new_cursor["business_unit"] = {"domain": domain, "id": unit_id}
            pages = self._api_pages(str(unit_id), stop_at)
        else:
            if not domain:
                raise ConfigError(
                    f"sources: {self.name}: without api_key the public page is read by domain",
                    "set domain (trustpilot.com/review/<domain>) or api_key",
                )
            pages = self._web_pages(domain, stop_at)
        newest = since
        async for items in pages:
            newest = max([t for t in (newest, *(i.created_at for i in items)) if t])
            # The cursor moves only at the end: a run killed half way re-reads, never skips.
            yield Batch(items, cursor)
        if newest is not None:
            new_cursor["since"] = to_iso(newest)
        yield Batch([], new_cursor)

    # ------------------------------------------------------------------------- the API

    async def _unit_id(self, domain: str, cursor: dict[str, Any]) -> str:
        known = cursor.get("business_unit")
        if isinstance(known, dict) and known.get("domain") == domain and known.get("id"):
            return str(known["id"])
        body = await self._api_get("/v1/business-units/find", {"name": domain})
        unit_id = parse.text(body.get("id"))
        if not unit_id:
            raise SourceError(f"{self.name}: Trustpilot found no business unit id for {domain}")
        return unit_id

    async def _api_pages(self, unit_id: str, stop_at: datetime) -> AsyncIterator[list[Item]]:
        per_page = self.settings.page_size
        page = 1
        guard = PageGuard(self.name, "reviews", max_pages(None, self.name), page)
        while True:
            body = await self._api_get(
                f"/v1/business-units/{unit_id}/reviews",
                {"page": page, "perPage": per_page, "orderBy": "createdat.desc"},
            )
            rows = body.get("reviews")
            if not isinstance(rows, list):
                raise SourceError(f"{self.name}: Trustpilot answered without a reviews list")
            items = self.parse_rows(rows, self._api_item, "review")
            kept = [i for i in items if i.created_at >= stop_at]
            if kept:
                yield kept
            # Past the end the list is empty; a short page is the last one.
            if len(kept) < len(items) or len(rows) < per_page:
                return
            page += 1
            guard.next_page(page, row_ids(rows))

    async def _api_get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        response = await self.ctx.http.request(
            "GET",
            self.base_url + path,
            limit=self.limit,
            params=params,
            headers={"apikey": str(self.settings.api_key), "Accept": "application/json"},
        )
        body = response.json_object()
        if body is None:
            raise SourceError(f"{self.name}: Trustpilot answered with JSON that is not an object")
        if response.status in (401, 403):
            raise HttpError(
                f"{host_of(response.url)}: HTTP {response.status}: "
                f"{_error_message(body) or 'unauthorized'}",
                status=response.status,
                hint="check api_key (your Trustpilot application's API key, sent in the apikey "
                "header) and business_unit_id/domain; API access comes with a paid Trustpilot plan",
            )
        raise_for_status(response, _error_message(body))
        return body

    def _api_item(self, row: Any) -> Item:
        try:
            reply = row.get("companyReply") or {}
            return self._item(
                row,
                rating=row.get("stars"),
                created=row.get("createdAt"),
                updated=row.get("updatedAt"),
                author=(row.get("consumer") or {}).get("displayName"),
                answer=reply.get("text"),
                answered=reply.get("createdAt"),
                created_field="createdAt",
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise SourceError(
                f"{self.name}: a Trustpilot review without the expected fields ({exc!r})"
            ) from None

    # --------------------------------------------------------------- the public page

    async def _web_pages(self, domain: str, stop_at: datetime) -> AsyncIterator[list[Item]]:
        base = (self.settings.web_base_url or WEB_BASE).rstrip("/")
        guard = PageGuard(self.name, f"{base}/review/{domain}", start=1)
        for page in range(1, max(1, self.settings.max_pages) + 1):
            response = await self.ctx.http.request(
                "GET",
                f"{base}/review/{domain}",
                limit=self.web_limit,
                # Newest first, every language (the site's unconfirmed defaults differ).
                params={"page": page, "sort": "recency", "languages": "all"},
                headers={"Accept": "text/html,application/xhtml+xml"},
            )
            if response.status in (403, 404):
                raise HttpError(
                    f"{host_of(response.url)}: HTTP {response.status} for the public page of "
                    f"{domain}",
                    status=response.status,
                    hint="404: check domain (trustpilot.com/review/<domain>); 403: the site "
                    "refused an automated reader; " + _CHANGED,
                )
            raise_for_status(response)
            props = _page_props(response.text, self.name)
            rows = props["reviews"]
            items = self.parse_rows(rows, self._web_item, "review")
            kept = [i for i in items if i.created_at >= stop_at]
            if kept:
                yield kept
            if not rows or len(kept) < len(items) or page >= _total_pages(props):
                return
            guard.next_page(page + 1, row_ids(rows))

    @property
    def web_limit(self) -> HostLimit:
        if self.settings.rate_limit:
            return dataclasses.replace(WEB_LIMIT, rate=float(self.settings.rate_limit))
        return WEB_LIMIT

    def _web_item(self, row: Any) -> Item:
        try:
            dates = row.get("dates") or {}
            reply = row.get("reply") or {}
            return self._item(
                row,
                rating=row.get("rating"),
                created=dates.get("publishedDate"),
                updated=dates.get("updatedDate"),
                author=(row.get("consumer") or {}).get("displayName"),
                answer=reply.get("message"),
                answered=reply.get("publishedDate"),
                created_field="dates.publishedDate",
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise SourceError(
                f"{self.name}: a review on the Trustpilot page without the expected fields "
                f"({exc!r}); the page's data changed shape: {_CHANGED}"
            ) from None

    # ------------------------------------------------------------------------ shared

    def _item(
        self,
        row: dict[str, Any],
        *,
        rating: Any,
        created: Any,
        updated: Any,
        author: Any,
        answer: Any,
        answered: Any,
        created_field: str,
    ) -> Item:
        review_id = parse.text(row.get("id"))
        if not review_id:
            raise SourceError(f"{self.name}: a Trustpilot review without an id")
        answer_text = parse.text(answer)
        return Item(
            source=self.name,
            platform=self.platform,
            kind="review",
            external_id=review_id,
            created_at=parse.parse_time(created, created_field),
            updated_at=parse.optional_time(updated, "updated"),
            rating=parse.rating(rating, "stars"),
            title=parse.text(row.get("title")),
            text=parse.text(row.get("text")) or "",
            author=parse.text(author),
            answer_text=answer_text,
            answered_at=parse.optional_time(answered, "reply date") if answer_text else None,
            lang=parse.text(row.get("language")),
            url=REVIEW_URL.format(review_id=review_id),
            raw=row,
        )


def _domain(value: str | None) -> str | None:
    """'https://www.Example.com/' -> 'www.example.com' (www. kept: it is a different profile)."""
    text = parse.text(value)
    if not text:
        return None
    text = re.sub(r"^[a-z]+://", "", text.lower()).split("/")[0]
    return text or None


def _page_props(html: str, name: str) -> dict[str, Any]:
    """`props.pageProps` of the page's __NEXT_DATA__, with a `reviews` list, or a SourceError."""
    match = _NEXT_DATA.search(html)
    if not match:
        raise SourceError(
            f"{name}: the Trustpilot page has no __NEXT_DATA__ (the site changed): {_CHANGED}"
        )
    try:
        data = json.loads(match.group(1))
    except ValueError:
        raise SourceError(
            f"{name}: the Trustpilot page's __NEXT_DATA__ is not JSON (the site changed): {_CHANGED}"
        ) from None
    props = data.get("props") if isinstance(data, dict) else None
    page_props = props.get("pageProps") if isinstance(props, dict) else None
    if not isinstance(page_props, dict) or not isinstance(page_props.get("reviews"), list):
        raise SourceError(
            f"{name}: the Trustpilot page's data has no props.pageProps.reviews list (the site "
            f"changed): {_CHANGED}"
        )
    return page_props


def _total_pages(props: dict[str, Any]) -> int:
    filters = props.get("filters")
    pagination = filters.get("pagination") if isinstance(filters, dict) else None
    total = pagination.get("totalPages") if isinstance(pagination, dict) else None
    return total if isinstance(total, int) and total > 0 else 1_000_000


def _error_message(body: dict[str, Any]) -> str | None:
    """Trustpilot's error bodies are not documented: take `message`, `errorMessage`, `details`
    or an API gateway's `fault.faultstring`, whichever is there."""
    for key in ("message", "errorMessage", "details", "error"):
        if isinstance(body.get(key), str) and body[key].strip():
            return str(body[key]).strip()
    fault = body.get("fault")
    if isinstance(fault, dict) and isinstance(fault.get("faultstring"), str):
        return str(fault["faultstring"])
    return None

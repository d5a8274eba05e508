"""Apple App Store customer reviews with a key: the App Store Connect API.

With `key_id` + `issuer_id` + `private_key` (the .p8 file or its PEM text): the App Store Connect
API, `GET /v1/apps/{id}/customerReviews?sort=-createdDate&limit=200&include=response`, which
covers every territory and brings the developer's response; paged by `links.next`; each request
carries `Authorization: Bearer <JWT>` signed ES256 (header `kid`, `typ`; claims `iss`, `iat`,
`exp` under 20 minutes later, `aud` appstoreconnect-v1).

Answers (Connect mode only): `POST /v1/customerReviewResponses` with the JSON:API document
`{"data": {"type": "customerReviewResponses", "attributes": {"responseBody"}, "relationships":
{"review": {"data": {"type": "customerReviews", "id"}}}}}` -> 201 with the response's `id` and
`state` PENDING_PUBLISH; it comes back as the review's included response on a later fetch.

`AppStoreConnect` is one half of `repcli.sources.app_store.AppStoreSource` (the `app_store`
type), which uses this API when all three key settings are given.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from repcli.clock import from_iso, to_iso
from repcli.config import SourceConfig
from repcli.errors import ConfigError, SourceError
from repcli.http import HostLimit, raise_for_status
from repcli.models import Item
from repcli.sources.base import (
    Batch,
    FetchContext,
    HttpSource,
    PostedReply,
    ReplyTarget,
    refusals_as_rejections,
)
from repcli.sources.wire import parse
from repcli.sources.wire.paging import PageGuard, max_pages, row_ids
from repcli.sources.wire.tokens import sign_jwt

CONNECT_BASE = "https://api.appstoreconnect.apple.com"
CONNECT_AUDIENCE = "appstoreconnect-v1"
TOKEN_LIFETIME = 19 * 60
"""Apple refuses tokens whose `exp` is 20 minutes or more after `iat`."""
TOKEN_RENEW_AFTER = 15 * 60
CONNECT_APP_URL = "https://apps.apple.com/app/id{app_id}"
# App Store Connect: a rolling hour of ~3600 requests per key (`X-Rate-Limit: user-hour-lim`).
CONNECT_LIMIT = HostLimit(rate=1.0, burst=5, concurrency=1)


class AppStoreConnect(HttpSource):
    """Reading reviews and posting responses through App Store Connect, with a signed token."""

    def __init__(self, config: SourceConfig, ctx: FetchContext) -> None:
        super().__init__(config, ctx)
        self._token: str | None = None
        self._token_minted = 0.0
        self._born = time.monotonic()

    @property
    def connect_configured(self) -> bool:
        s = self.settings
        given = {"key_id": s.key_id, "issuer_id": s.issuer_id, "private_key": s.private_key}
        if not any(given.values()):
            return False
        missing = [name for name, value in given.items() if not value]
        if missing:
            raise ConfigError(
                f"sources: {self.name}: App Store Connect needs key_id, issuer_id and "
                f"private_key; missing: {', '.join(missing)}",
                "set all three (private_key: the .p8 path or ${ASC_PRIVATE_KEY}), or none of "
                "them to read the public feed",
            )
        return True

    async def _fetch_connect(
        self, app_id: str, cursor: dict[str, Any], full: bool
    ) -> AsyncIterator[Batch]:
        if not 1 <= self.settings.page_size <= 200:
            raise ConfigError(f"sources: {self.name}: page_size must be 1-200")
        since = from_iso(cursor.get("connect_since"))
        if full or since is None:
            stop_at = self.now - timedelta(days=self.settings.full_backfill_days)
        else:
            stop_at = since - timedelta(days=self.settings.answered_lookback_days)
        newest = since
        url: str | None = f"{self.connect_base}/v1/apps/{app_id}/customerReviews"
        params: dict[str, Any] | None = {
            "sort": "-createdDate",
            "limit": self.settings.page_size,
            "include": "response",
        }
        guard = PageGuard(self.name, "customerReviews", max_pages(self.settings, self.name), url)
        while url:
            body = await self._connect_call(url, params)
            data = body.get("data")
            if not isinstance(data, list):
                raise SourceError(f"{self.name}: App Store Connect answered without a data list")
            responses = _responses(body.get("included"))
            items: list[Item] = []
            reached = False
            for review in data:
                item = self.parse_row(
                    review,
                    partial(self._connect_item, responses=responses, app_id=app_id),
                    "review",
                )
                if item is None:
                    continue
                if item.created_at < stop_at:
                    reached = True
                    continue
                items.append(item)
                newest = max(newest or item.created_at, item.created_at)
            if items:
                yield Batch(items, cursor)
            link = (body.get("links") or {}).get("next")
            if reached or not data or not isinstance(link, str) or not link:
                break
            url, params = self._rebase(link), None  # the next link carries the query
            guard.next_page(url, row_ids(data))
        yield Batch([], {**cursor, "connect_since": to_iso(newest)})

    @property
    def connect_base(self) -> str:
        return (self.settings.api_base_url or CONNECT_BASE).rstrip("/")

    @property
    def connect_limit(self) -> HostLimit:
        if self.settings.rate_limit:
            return dataclasses.replace(CONNECT_LIMIT, rate=float(self.settings.rate_limit))
        return CONNECT_LIMIT

    def _rebase(self, link: str) -> str:
        """`links.next` names Apple's host; keep its path and query on the configured base."""
        parts, base = urlsplit(link), urlsplit(self.connect_base)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

    @property
    def can_reply(self) -> bool:
        return self.connect_configured

    async def post_reply(self, target: ReplyTarget, text: str) -> PostedReply:
        if not self.connect_configured:
            return await super().post_reply(target, text)
        document = {
            "data": {
                "type": "customerReviewResponses",
                "attributes": {"responseBody": text},
                "relationships": {
                    "review": {"data": {"type": "customerReviews", "id": target.external_id}}
                },
            }
        }
        url = f"{self.connect_base}/v1/customerReviewResponses"
        with refusals_as_rejections("App Store Connect"):
            body = await self._connect_call(url, None, method="POST", json_body=document)
        answer_id = (body.get("data") or {}).get("id")
        return PostedReply(external_id=str(answer_id) if answer_id else None)

    async def _connect_call(
        self,
        url: str,
        params: dict[str, Any] | None,
        method: str = "GET",
        json_body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        response = await self.ctx.http.request(
            method,
            url,
            limit=self.connect_limit,
            params=params,
            json_body=json_body,
            headers={"Authorization": f"Bearer {self._connect_token()}"},
        )
        body = response.json_object() or {}
        raise_for_status(response, _connect_error(body))
        return body

    def _connect_token(self) -> str:
        """A signed ES256 JWT, made again before it gets old (a run may outlast 20 minutes)."""
        elapsed = time.monotonic() - self._born
        if self._token and elapsed - self._token_minted < TOKEN_RENEW_AFTER:
            return self._token
        issued = int(self.now.timestamp() + elapsed)
        claims = {
            "iss": self.settings.issuer_id,
            "iat": issued,
            "exp": issued + TOKEN_LIFETIME,
            "aud": CONNECT_AUDIENCE,
        }
        token = sign_jwt(
            claims,
            self._private_key,
            algorithm="ES256",
            headers={"kid": self.settings.key_id, "typ": "JWT"},
            needs=f"sources: {self.name}: App Store Connect",
            bad_key=f"sources: {self.name}: private_key is not a usable EC P-256 key",
            bad_key_hint="use the AuthKey_<key id>.p8 file App Store Connect gave you, unchanged",
        )
        self._token, self._token_minted = token, elapsed
        return token

    def _private_key(self) -> str:
        value = str(self.settings.private_key).strip()
        if "-----BEGIN" in value:
            return value.replace("\\n", "\n")  # PEM text from an env var may have literal \n
        path = Path(value).expanduser()
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"sources: {self.name}: cannot read private_key file ({type(exc).__name__})",
                "private_key is the path of the .p8 file, or its PEM text",
            ) from None

    def _connect_item(self, review: Any, responses: dict[str, dict[str, Any]], app_id: str) -> Item:
        try:
            attrs = review.get("attributes") or {}
            linked = ((review.get("relationships") or {}).get("response") or {}).get("data")
            response = responses.get(str(linked.get("id"))) if isinstance(linked, dict) else None
            response = response or responses.get(f"review:{review['id']}")
            answer = (response or {}).get("attributes") or {}
            return Item(
                source=self.name,
                platform=self.platform,
                kind="review",
                external_id=str(review["id"]),
                created_at=parse.parse_time(attrs.get("createdDate"), "createdDate"),
                title=parse.text(attrs.get("title")),
                text=parse.text(attrs.get("body")) or "",
                rating=parse.rating(attrs.get("rating")),
                author=parse.text(attrs.get("reviewerNickname")),
                product_id=app_id,
                url=CONNECT_APP_URL.format(app_id=app_id),
                answer_text=parse.text(answer.get("responseBody")),
                answered_at=parse.optional_time(answer.get("lastModifiedDate"), "lastModifiedDate"),
                raw={"data": review, "included": [response] if response else []},
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise SourceError(
                f"{self.name}: an App Store Connect review without the expected fields ({exc!r})"
            ) from None


def _responses(included: Any) -> dict[str, dict[str, Any]]:
    """Included customerReviewResponses, by their own id and by the review they answer."""
    found: dict[str, dict[str, Any]] = {}
    for obj in included if isinstance(included, list) else []:
        if not isinstance(obj, dict) or obj.get("type") != "customerReviewResponses":
            continue
        found[str(obj.get("id"))] = obj
        review = ((obj.get("relationships") or {}).get("review") or {}).get("data")
        if isinstance(review, dict) and review.get("id"):
            found[f"review:{review['id']}"] = obj
    return found


def _connect_error(body: dict[str, Any]) -> str | None:
    """`{"errors": [{"status", "code", "title", "detail"}]}`, the App Store Connect error shape."""
    errors = body.get("errors")
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return None
    first = errors[0]
    parts = [str(first[k]) for k in ("code", "title", "detail") if first.get(k)]
    return ": ".join(parts) or None

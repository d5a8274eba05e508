"""Google Play reviews: the public web endpoint, or the official Android Publisher API.

Without credentials: what the Play Store web page itself calls (as google-play-scraper does),
`POST {base}/_/PlayStoreUi/data/batchexecute?hl={lang}&gl={country}` with the form field
`f.req`, newest first. The answer starts with `)]}'` and a blank line, then a JSON array of
envelopes; ours is `["wrb.fr", <rpc id>, <payload as a JSON *string*>, ...]`, followed by
`["di", ...]` and `["af.httprm", ...]` rows. In the payload, reviews are at [0] and the next
page's token at [1][1]. A review is positional: [0] id, [1][0] author, [2] stars, [4] text,
[5] = [unix seconds, nanos], [6] thumbs up, [7] = [replier, reply text, [secs, nanos]] or null,
[10] app version (may be null). A body naming `PlayGatewayError` means "slow down".

With `service_account` (the JSON key of a service account invited in Play Console): the
Android Publisher API, `GET .../androidpublisher/v3/applications/{package}/reviews`, paged by
`tokenPagination.nextPageToken` sent back as `token`; Google returns only reviews created or
changed in the last week. Access tokens come from the key's `token_uri` for an RS256-signed JWT
(OAuth 2.0 JWT bearer grant).

Answers (API mode only): `POST .../reviews/{reviewId}:reply` with `{"replyText": ...}` (at most
350 characters) returns `{"result": {"replyText", "lastEdited"}}`; the reply shows as the
review's `developerComment` on the next fetch. The web endpoint cannot post.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal

from repcli import secrets
from repcli.config import SourceConfig
from repcli.errors import ConfigError, SourceError
from repcli.http import (
    HostLimit,
    raise_for_status,
)
from repcli.models import Item
from repcli.sources.base import (
    Batch,
    FetchContext,
    HttpSettings,
    HttpSource,
    PostedReply,
    ReplyTarget,
    refusals_as_rejections,
)
from repcli.sources.wire import parse
from repcli.sources.wire.paging import PageGuard, max_pages, row_ids
from repcli.sources.wire.play_batchexecute import (
    BATCH_PATH,
    at,
    gateway_check,
    parse_batch,
    stamp,
    web_request,
)
from repcli.sources.wire.tokens import GOOGLE_TOKEN_URI, request_token, sign_jwt

REVIEW_URL = "https://play.google.com/store/apps/details?id={app_id}&reviewId={review_id}"
API_BASE = "https://androidpublisher.googleapis.com"
API_SCOPE = "https://www.googleapis.com/auth/androidpublisher"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_LIFETIME = 3600
# The web endpoint documents no limit; Google answers PlayGatewayError when pushed.
WEB_LIMIT = HostLimit(rate=1.0, burst=1, concurrency=1)
# Reply to Reviews API quota: 200 GET requests an hour per app.
API_LIMIT = HostLimit(rate=200 / 3600, burst=10, concurrency=1)


@dataclasses.dataclass(frozen=True, kw_only=True)
class GooglePlaySettings(HttpSettings):
    app_id: str
    """The package name, as in play.google.com/store/apps/details?id=<package>."""
    lang: str = "en"
    """Web endpoint: review language (`hl`)."""
    country: str = "us"
    """Web endpoint: storefront country (`gl`)."""
    page_size: int = 100
    """Reviews per request (web: up to 4500; API: up to 100)."""
    max_pages: int = 50
    """Web endpoint: pages read by a first or `--full` run (older reviews are left alone)."""
    answered_lookback_days: int = 7
    """Web endpoint: re-read reviews this far back, to see replies given later."""
    rpc_id: Literal["oCPfdb", "UsvDTd"] = "oCPfdb"
    """Web endpoint: the Play UI's reviews call (UsvDTd is the one used before late 2023)."""
    service_account: str | None = dataclasses.field(
        default=None, metadata={"secret": True, "document": True}
    )
    """The service account's JSON key (a file path, or the JSON text): uses the official API."""
    api_base_url: str | None = None
    """Override the Android Publisher API address (a proxy, a test server)."""
    translation_language: str | None = None
    """API: translate reviews into this language (e.g. ru); the original stays in `raw`."""


class GooglePlaySource(HttpSource):
    type_name: ClassVar[str] = "google_play"
    platform: ClassVar[str] = "google_play"
    settings_class: ClassVar[type[Any]] = GooglePlaySettings
    description: ClassVar[str] = (
        "Google Play reviews: public web endpoint, or Android Publisher API (service account)"
    )
    default_base_url: ClassVar[str] = "https://play.google.com"
    default_limit: ClassVar[HostLimit] = WEB_LIMIT

    def __init__(self, config: SourceConfig, ctx: FetchContext) -> None:
        super().__init__(config, ctx)
        self._born = time.monotonic()
        self._token: str | None = None
        self._token_until = 0.0

    async def fetch(self, cursor: dict[str, Any], full: bool = False) -> AsyncIterator[Batch]:
        if not str(self.settings.app_id).strip():
            raise ConfigError(f"sources: {self.name}: app_id (the package name) is empty")
        if self.settings.service_account:
            async for batch in self._fetch_api(cursor, full):
                yield batch
        else:
            async for batch in self._fetch_web(cursor, full):
                yield batch

    # ------------------------------------------------------------------ the web endpoint

    async def _fetch_web(self, cursor: dict[str, Any], full: bool) -> AsyncIterator[Batch]:
        if not 1 <= self.settings.page_size <= 4500:
            raise ConfigError(f"sources: {self.name}: page_size must be 1-4500")
        since = cursor.get("web_since")
        since = float(since) if isinstance(since, int | float) else None
        first = full or since is None
        if since is None or full:
            stop_at = (self.now - timedelta(days=self.settings.full_backfill_days)).timestamp()
        else:
            stop_at = since - self.settings.answered_lookback_days * 86400
        newest = None if full else since
        token: str | None = None
        pages = 0
        guard = PageGuard(self.name, "web reviews", max_pages(None, self.name))
        while True:
            rows, token = await self._web_page(token)
            pages += 1
            items: list[Item] = []
            reached = False
            for row in rows:
                item = self.parse_row(row, self._web_item, "review")
                if item is None:
                    continue
                stamp = item.created_at.timestamp()
                if stamp < stop_at:
                    reached = True
                    continue
                items.append(item)
                newest = max(newest or stamp, stamp)
            if items:
                # The cursor moves only at the end: a run killed half way re-reads, never skips.
                yield Batch(items, cursor)
            if reached or not rows or not token or (first and pages >= self.settings.max_pages):
                break
            guard.next_page(token, [r[0] if isinstance(r, list) and r else r for r in rows])
        yield Batch([], {**cursor, "web_since": int(newest) if newest is not None else None})

    async def _web_page(self, token: str | None) -> tuple[list[Any], str | None]:
        settings: GooglePlaySettings = self.settings
        response = await self.ctx.http.request(
            "POST",
            self.base_url + BATCH_PATH,
            form={
                "f.req": web_request(settings.rpc_id, settings.app_id, settings.page_size, token)
            },
            params={"hl": settings.lang, "gl": settings.country},
            limit=self.limit,
            idempotent=True,
            check=gateway_check,
        )
        raise_for_status(response)
        return parse_batch(response.text, settings.rpc_id)

    def _web_item(self, row: Any) -> Item:
        review_id = at(row, 0)
        seconds = at(row, 5, 0)
        if not isinstance(review_id, str) or not review_id or seconds is None:
            raise SourceError(f"{self.name}: a Google Play review without an id or a date")
        reply = at(row, 7)
        replied = at(reply, 2, 0)
        app_id = self.settings.app_id
        return Item(
            source=self.name,
            platform=self.platform,
            kind="review",
            external_id=review_id,
            created_at=stamp(seconds, at(row, 5, 1)),
            author=parse.text(at(row, 1, 0)),
            rating=parse.rating(at(row, 2), "stars"),
            text=parse.text(at(row, 4)) or "",
            product_id=app_id,
            url=REVIEW_URL.format(app_id=app_id, review_id=review_id),
            answer_text=parse.text(at(reply, 1)) if reply else None,
            answered_at=stamp(replied, at(reply, 2, 1)) if replied is not None else None,
            raw={"review": row},  # positional, as Google sends it
        )

    # -------------------------------------------------------- the Android Publisher API

    async def _fetch_api(self, cursor: dict[str, Any], full: bool) -> AsyncIterator[Batch]:
        if not 1 <= self.settings.page_size <= 100:
            raise ConfigError(f"sources: {self.name}: page_size must be 1-100 with the API")
        since = cursor.get("api_since")
        floor = None if full or not isinstance(since, int | float) else float(since)
        newest = floor
        token: str | None = None
        guard = PageGuard(self.name, "reviews", max_pages(None, self.name))
        while True:
            body = await self._api_get(token)
            reviews = body.get("reviews") or []
            if not isinstance(reviews, list):
                raise SourceError(f"{self.name}: the API answered `reviews` that is not a list")
            items: list[Item] = []
            for review in reviews:
                item = self.parse_row(review, self._api_item, "review")
                if item is None:
                    continue
                # A user's edit or our reply moves lastModified: either makes the review news.
                stamp = max(d.timestamp() for d in (item.created_at, item.answered_at) if d)
                if floor is not None and stamp <= floor:
                    continue
                items.append(item)
                newest = max(newest or stamp, stamp)
            if items:
                yield Batch(items, cursor)
            token = (body.get("tokenPagination") or {}).get("nextPageToken")
            if not reviews or not isinstance(token, str) or not token:
                break
            guard.next_page(token, row_ids(reviews, "reviewId"))
        yield Batch([], {**cursor, "api_since": newest})

    @property
    def can_reply(self) -> bool:
        return bool(self.settings.service_account)

    async def post_reply(self, target: ReplyTarget, text: str) -> PostedReply:
        if not self.settings.service_account:
            return await super().post_reply(target, text)
        with refusals_as_rejections("Google Play"):
            await self._api("POST", f"/{target.external_id}:reply", json_body={"replyText": text})
        return PostedReply()

    async def _api_get(self, token: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {"maxResults": self.settings.page_size}
        if self.settings.translation_language:
            params["translationLanguage"] = self.settings.translation_language
        if token:
            params["token"] = token
        return await self._api("GET", "", params=params)

    async def _api(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        json_body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One Android Publisher call on the app's reviews (`path` after `/reviews`)."""
        base = (self.settings.api_base_url or API_BASE).rstrip("/")
        url = f"{base}/androidpublisher/v3/applications/{self.settings.app_id}/reviews{path}"
        limit = API_LIMIT
        if self.settings.rate_limit:
            limit = dataclasses.replace(API_LIMIT, rate=float(self.settings.rate_limit))
        response = await self.ctx.http.request(
            method,
            url,
            limit=limit,
            params=params,
            json_body=json_body,
            headers={"Authorization": f"Bearer {await self._access_token()}"},
        )
        body = response.json_object() or {}
        error = body.get("error")
        message = None
        if isinstance(error, dict):
            message = ": ".join(str(error[k]) for k in ("status", "message") if error.get(k))
        raise_for_status(response, message or None)
        return body

    async def _access_token(self) -> str:
        """An OAuth access token for the service account, fetched once and reused until near
        its expiry (the JWT bearer grant, RFC 7523)."""
        elapsed = time.monotonic() - self._born
        if self._token and elapsed < self._token_until:
            return self._token
        account = self._service_account()
        issued = int(self.now.timestamp() + elapsed)
        token_uri = str(account.get("token_uri") or GOOGLE_TOKEN_URI)
        claims = {
            "iss": account["client_email"],
            "scope": API_SCOPE,
            "aud": token_uri,
            "iat": issued,
            "exp": issued + ASSERTION_LIFETIME,
        }
        headers = {"kid": str(account["private_key_id"])} if account.get("private_key_id") else {}
        assertion = sign_jwt(
            claims,
            lambda: account["private_key"],
            algorithm="RS256",
            headers=headers,
            needs=f"sources: {self.name}: the Google Play API",
            bad_key=f"sources: {self.name}: the service account's private_key is not a usable "
            "RSA key",
            bad_key_hint="use the JSON key file Google Cloud gave you, unchanged",
        )
        token = await request_token(
            self.ctx.http,
            token_uri,
            {"grant_type": JWT_GRANT, "assertion": assertion},
            refused="the service account's token request",
            hint="check the JSON key (not revoked?) and that this service account is "
            "invited in Play Console with permission to reply to reviews",
        )
        self._token, self._token_until = token.value, elapsed + token.good_for
        return token.value

    def _service_account(self) -> dict[str, Any]:
        value = str(self.settings.service_account).strip()
        if not value.startswith("{"):
            try:
                value = Path(value).expanduser().read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(
                    f"sources: {self.name}: cannot read the service_account file "
                    f"({type(exc).__name__})",
                    "service_account is the path of the JSON key file, or its JSON text",
                ) from None
        try:
            account = json.loads(value)
        except ValueError:
            raise ConfigError(f"sources: {self.name}: service_account is not valid JSON") from None
        if not isinstance(account, dict):
            raise ConfigError(f"sources: {self.name}: service_account is not a JSON object")
        kind = account.get("type", "service_account")
        missing = [k for k in ("client_email", "private_key") if not account.get(k)]
        if kind != "service_account" or missing:
            raise ConfigError(
                f"sources: {self.name}: service_account is not a service account key "
                f"(type {kind!r}{', missing ' + ', '.join(missing) if missing else ''})",
                "download a JSON key for the service account in Google Cloud Console",
            )
        secrets.register(str(account["private_key"]))
        return account

    def _api_item(self, review: Any) -> Item:
        try:
            comments = review.get("comments") or []
            user = next((c["userComment"] for c in comments if c.get("userComment")), None)
            developer = next(
                (c["developerComment"] for c in comments if c.get("developerComment")), None
            )
            if not isinstance(user, dict):
                raise SourceError(f"{self.name}: a Google Play review without a userComment")
            text = str(user.get("text") or "")
            title = None
            if "\t" in text:  # "title and body are concatenated and separated by a tab"
                title, text = text.split("\t", 1)
            changed = _api_time(user.get("lastModified"))
            if changed is None:
                raise SourceError(f"{self.name}: a Google Play review without lastModified")
            review_id = str(review["reviewId"])
            app_id = self.settings.app_id
            return Item(
                source=self.name,
                platform=self.platform,
                kind="review",
                external_id=review_id,
                created_at=changed,  # the API has no creation time
                updated_at=changed,
                author=parse.text(review.get("authorName")),
                rating=parse.rating(user.get("starRating"), "starRating"),
                title=parse.text(title),
                text=parse.text(text) or "",
                product_id=app_id,
                url=REVIEW_URL.format(app_id=app_id, review_id=review_id),
                answer_text=parse.text(developer.get("text")) if developer else None,
                answered_at=_api_time(developer.get("lastModified")) if developer else None,
                raw=review,
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise SourceError(
                f"{self.name}: a Google Play review without the expected fields ({exc!r})"
            ) from None


def _api_time(value: Any) -> datetime | None:
    """`{"seconds": "1716200000", "nanos": 123}` (seconds are an int64 as a string)."""
    if not isinstance(value, dict) or value.get("seconds") in (None, ""):
        return None
    try:
        seconds = int(value["seconds"])
    except (TypeError, ValueError):
        raise SourceError(f"Google Play: {value!r} is not a timestamp") from None
    return stamp(seconds, value.get("nanos"))

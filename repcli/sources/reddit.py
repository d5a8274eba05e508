"""Reddit: brand mentions in posts, and new comments in chosen subreddits.

Listings `{"kind": "Listing", "data": {after, before, dist, children: [{kind, data}]}}` paged
with `after` (null on the last page; `limit` <= 100), newest first:

- `query` without `subreddits`: site-wide post search, `/search?q=...&sort=new&type=link`
  (Reddit's API searches posts and subreddits, not comments);
- each of `subreddits`: its new comments (`/r/{sub}/comments`), then its posts: a search for
  `query` inside it (`/r/{sub}/search?restrict_sr=1`), or all its new posts (`/r/{sub}/new`)
  when there is no query. Comments are kept when they mention the query's words or phrases
  (unless `include` says otherwise).

Without credentials the public `.json` pages of www.reddit.com are read (Reddit throttles them
hard and may refuse them). With `client_id` + `client_secret` repcli gets an application-only
token (`POST /api/v1/access_token`, HTTP Basic, `grant_type=client_credentials`) and reads
oauth.reddit.com with `Authorization: bearer <token>`. Every request carries a descriptive
User-Agent, as Reddit's API rules require; `raw_json=1` keeps `&`, `<` and `>` unescaped.
`X-Ratelimit-Remaining` / `-Reset` (floats as strings) pause the host when the budget is spent.

`username` (the brand's account): its own posts and comments are not items, and its replies
mark their parent as answered when both arrive in the same run (newest first, so the reply
comes before its parent; comments are read before posts).
"""

from __future__ import annotations

import base64
import dataclasses
import logging
import math
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any, ClassVar

from repcli import __version__, secrets
from repcli.config import SourceConfig
from repcli.errors import ConfigError, SourceError
from repcli.http import (
    MAX_WAIT,
    HostLimit,
    HttpError,
    Response,
    RetryLater,
    host_of,
    raise_for_status,
)
from repcli.models import Item
from repcli.sources.base import Batch, FetchContext, HttpSource, SocialSettings
from repcli.sources.wire import parse
from repcli.sources.wire.keywords import KeywordFilter
from repcli.sources.wire.paging import PageGuard, max_pages

log = logging.getLogger(__name__)

WEB = "https://www.reddit.com"
OAUTH = "https://oauth.reddit.com"
USER_AGENT = (
    f"python:repcli:{__version__} (reputation monitoring; +https://pypi.org/project/repcli/)"
)
_GONE = frozenset({"[deleted]", "[removed]"})
_SUBREDDIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{1,20}$")


@dataclasses.dataclass(frozen=True, kw_only=True)
class RedditSettings(SocialSettings):
    subreddits: tuple[str, ...] = ()
    """Subreddits to watch (without `r/`): their new comments and posts."""
    query: str | None = None
    """Brand keywords, in Reddit search syntax (`"Cozy Home" OR cozyhome`)."""
    user_agent: str | None = None
    """Sent as User-Agent: `<platform>:<app id>:<version> (by /u/<your username>)`."""
    client_id: str | None = None
    """A Reddit app's id (reddit.com/prefs/apps, type "script" or "web"): use OAuth."""
    client_secret: str | None = dataclasses.field(default=None, metadata={"secret": True})
    """That app's secret."""
    username: str | None = None
    """The brand's own Reddit account: its replies are answers, its posts are not items."""
    comments: bool = True
    """Read each subreddit's new comments."""
    page_size: int = 100
    """Items per request (`limit`, 1-100)."""


@dataclasses.dataclass(frozen=True)
class _Stream:
    key: str
    path: str
    params: dict[str, str]
    comments: bool = False


class RedditSource(HttpSource):
    type_name: ClassVar[str] = "reddit"
    platform: ClassVar[str] = "reddit"
    settings_class: ClassVar[type[Any]] = RedditSettings
    description: ClassVar[str] = (
        "Reddit posts and comments: brand search and subreddits (OAuth optional)"
    )
    default_base_url: ClassVar[str] = WEB
    # Reddit's Data API terms: 100 queries per minute per OAuth client; far less without OAuth.
    default_limit: ClassVar[HostLimit] = HostLimit(rate=10 / 60, burst=2, concurrency=1)
    oauth_limit: ClassVar[HostLimit] = HostLimit(rate=100 / 60, burst=5, concurrency=1)

    def __init__(self, config: SourceConfig, ctx: FetchContext) -> None:
        super().__init__(config, ctx)
        self._token: str | None = None
        self._answers: dict[str, tuple[str, datetime]] = {}
        """The brand account's replies seen this run, by the parent's fullname."""
        self._query_filter: KeywordFilter | None = None

    @property
    def oauth(self) -> bool:
        return bool(self.settings.client_id and self.settings.client_secret)

    @property
    def limit(self) -> HostLimit:
        base = self.oauth_limit if self.oauth else self.default_limit
        if self.settings.rate_limit:
            return dataclasses.replace(base, rate=float(self.settings.rate_limit))
        return base

    @property
    def api_url(self) -> str:
        """oauth.reddit.com with a token, www.reddit.com without; `base_url` overrides both."""
        if self.settings.base_url:
            return self.base_url
        return OAUTH if self.oauth else WEB

    @property
    def user_agent(self) -> str:
        return self.settings.user_agent or USER_AGENT

    def _streams(self) -> list[_Stream]:
        settings: RedditSettings = self.settings
        query = (settings.query or "").strip()
        streams = []
        for sub in settings.subreddits:
            if settings.comments:
                streams.append(_Stream(f"r/{sub}/comments", f"/r/{sub}/comments", {}, True))
            if query:
                search = {"q": query, "restrict_sr": "1", "sort": "new", "type": "link"}
                streams.append(_Stream(f"r/{sub}/search", f"/r/{sub}/search", search))
            else:
                streams.append(_Stream(f"r/{sub}/new", f"/r/{sub}/new", {}))
        if query and not settings.subreddits:
            params = {"q": query, "sort": "new", "type": "link"}
            streams.append(_Stream("search", "/search", params))
        return streams

    def _check_settings(self) -> None:
        settings: RedditSettings = self.settings
        if not settings.subreddits and not (settings.query or "").strip():
            raise ConfigError(
                f"sources: {self.name}: nothing to read",
                "set query: (brand keywords) and/or subreddits: [...]",
            )
        for sub in settings.subreddits:
            if not _SUBREDDIT.match(sub):
                raise ConfigError(
                    f"sources: {self.name}: subreddits: {sub!r} is not a subreddit name",
                    "write the name without r/ or a URL, e.g. subreddits: [kyiv]",
                )
        if bool(settings.client_id) != bool(settings.client_secret):
            raise ConfigError(
                f"sources: {self.name}: OAuth needs both client_id and client_secret",
                "set both (client_secret: ${REDDIT_CLIENT_SECRET}) or neither",
            )
        if not 1 <= settings.page_size <= 100:
            raise ConfigError(f"sources: {self.name}: page_size must be 1-100")

    async def fetch(self, cursor: dict[str, Any], full: bool = False) -> AsyncIterator[Batch]:
        self._check_settings()
        self._answers = {}
        new_cursor = dict(cursor)
        for stream in self._streams():
            since = cursor.get(stream.key)
            if full or not isinstance(since, int | float):
                floor = (self.now - timedelta(days=self.settings.full_backfill_days)).timestamp()
            else:
                floor = float(since)
            newest = since if isinstance(since, int | float) else 0.0
            async for items, page_newest in self._pages(stream, floor):
                newest = max(newest, page_newest)
                # The cursor moves only at the end: a run killed half way re-reads, never skips.
                yield Batch(items, cursor)
            if newest:
                new_cursor[stream.key] = newest
        yield Batch([], new_cursor)

    async def _pages(
        self, stream: _Stream, floor: float
    ) -> AsyncIterator[tuple[list[Item], float]]:
        after: str | None = None
        guard = PageGuard(self.name, stream.path, max_pages(self.settings, self.name))
        count = 0
        while True:
            params = {**stream.params, "limit": str(self.settings.page_size), "raw_json": "1"}
            if after:
                params.update(after=after, count=str(count))
            data = await self._listing(stream.path, params)
            children = [] if data.get("children") is None else data["children"]
            if not isinstance(children, list):
                raise SourceError(f"{self.name}: unexpected listing shape from Reddit")
            count += len(children)
            items: list[Item] = []
            times: list[float] = []
            for child in children:
                item = self.parse_row(child, lambda c: self._item(c, stream), "comment")
                if item is None:
                    continue
                when = item.created_at.timestamp()
                times.append(when)
                # Items at the cursor's second are read again (an upsert); older ones are not.
                if when >= floor and self._wanted(item, stream):
                    items.append(item)
            yield items, max(times, default=0.0)
            after = data.get("after") or None
            if not after or not children or (times and min(times) < floor):
                return
            ids = [c.get("data", {}).get("name") if isinstance(c, dict) else c for c in children]
            guard.next_page(after, ids)

    def _wanted(self, item: Item, stream: _Stream) -> bool:
        """Not the brand's own words (a reply is remembered as its parent's answer); only
        comments that mention the query; the include/exclude filter."""
        raw = item.raw or {}
        if self.settings.username and (item.author or "").lower() == self.settings.username.lower():
            parent = raw.get("parent_id")
            if isinstance(parent, str) and item.text:
                # Newest first: the last one remembered is the earliest answer.
                self._answers[parent] = (item.text, item.created_at)
            return False
        answer = self._answers.get(item.external_id)
        if answer and not item.answer_text:
            item.answer_text, item.answered_at = answer
        text = item.full_text()
        by_query = stream.comments and self.settings.query and not self.settings.include
        if by_query and not self._mentions_query(text):
            return False
        return self.keep(text)

    def _mentions_query(self, text: str) -> bool:
        if self._query_filter is None:
            self._query_filter = KeywordFilter(include=query_terms(self.settings.query or ""))
        return bool(self._query_filter(text))

    async def _listing(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        suffix = "" if self.oauth else ".json"
        for attempt in (1, 2):
            headers = {"User-Agent": self.user_agent}
            if self.oauth:
                headers["Authorization"] = f"bearer {await self._access_token()}"
            url = self.api_url + path + suffix
            response = await self.ctx.http.request(
                "GET", url, limit=self.limit, params=params, headers=headers, check=_error_in_200
            )
            self._honour_rate_headers(response, url)
            if response.status == 401 and self.oauth and attempt == 1:
                self._token = None  # expired or revoked: one fresh token, once
                continue
            body = response.json_object() or {}
            if response.status >= 400:
                _raise_error(response, body)
            if body.get("kind") != "Listing" or not isinstance(body.get("data"), dict):
                raise SourceError(f"{self.name}: Reddit answered {path} without a listing")
            data: dict[str, Any] = body["data"]
            return data
        raise AssertionError("unreachable")  # pragma: no cover

    async def _access_token(self) -> str:
        if self._token:
            return self._token
        settings: RedditSettings = self.settings
        basic = base64.b64encode(f"{settings.client_id}:{settings.client_secret}".encode()).decode()
        secrets.register(basic)
        # OAuth2 client credentials: grant_type in the form body (RFC 6749 4.4.2).
        response = await self.ctx.http.request(
            "POST",
            (self.base_url if settings.base_url else WEB) + "/api/v1/access_token",
            limit=self.limit,
            idempotent=True,
            form={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}", "User-Agent": self.user_agent},
        )
        body = response.json_object() or {}
        if response.status >= 400 or body.get("error") or not body.get("access_token"):
            detail = body.get("error_description") or body.get("message") or body.get("error")
            raise HttpError(
                f"Reddit: the OAuth token request was refused "
                f"(HTTP {response.status}{': ' + str(detail) if detail else ''})",
                status=response.status,
                hint="check client_id and client_secret (reddit.com/prefs/apps; a 'script' or "
                "'web' app: installed apps have no secret)",
            )
        token = str(body["access_token"])
        secrets.register(token)
        self._token = token
        return token

    def _honour_rate_headers(self, response: Response, url: str) -> None:
        remaining = _float(response.headers.get("x-ratelimit-remaining"))
        reset = _float(response.headers.get("x-ratelimit-reset"))
        if remaining is not None and remaining < 1 and reset and reset > 0:
            if reset > MAX_WAIT:  # never sleep for as long as a host asks (inf, a day...)
                raise HttpError(
                    f"{host_of(url)}: rate limited for {reset:.0f} s; try later",
                    hint="Reddit's request budget is spent; the next run resumes from the cursor",
                )
            log.info("%s: Reddit's request budget is spent; waiting %.0f s", self.name, reset)
            self.ctx.http.bucket(host_of(url), self.limit).pause(reset)

    def _item(self, child: Any, stream: _Stream) -> Item | None:
        """A t1 comment or t3 post; other kinds (t5 subreddits in search, `more`) are skipped."""
        if not isinstance(child, dict) or child.get("kind") not in ("t1", "t3"):
            return None
        data = child.get("data")
        if not isinstance(data, dict):
            raise SourceError(f"{self.name}: a Reddit {child.get('kind')} without data")
        kind = child["kind"]
        try:
            name = str(data.get("name") or f"{kind}_{data['id']}")
            edited = data.get("edited")
            body = parse.text(data.get("body" if kind == "t1" else "selftext"))
            text = None if body in _GONE else body
            title = parse.text(data.get("title")) if kind == "t3" else None
            if not text and not title:
                return None  # deleted or removed: keep what the store has
            author = parse.text(data.get("author"))
            permalink = parse.text(data.get("permalink"))
            subreddit = parse.text(data.get("subreddit"))
            return Item(
                source=self.name,
                platform=self.platform,
                kind="comment",
                external_id=name,
                created_at=parse.parse_time(data.get("created_utc"), "created_utc"),
                updated_at=parse.parse_time(edited, "edited")
                if isinstance(edited, int | float) and not isinstance(edited, bool) and edited
                else None,
                title=title,
                text=text or "",
                author=None if author in _GONE else author,
                product_name=f"r/{subreddit}" if subreddit else None,
                url=WEB + permalink if permalink and permalink.startswith("/") else permalink,
                raw=data,
            )
        except (KeyError, TypeError, AttributeError, ValueError, OverflowError, OSError) as exc:
            raise SourceError(
                f"{self.name}: a Reddit {kind} without the expected fields ({exc!r})"
            ) from None


def query_terms(query: str) -> tuple[str, ...]:
    """The words and phrases of a Reddit search query: `"Cozy Home" OR cozyhome` -> both."""
    parts = re.split(r"\s+(?:OR|AND)\s+|\s*\|\s*", query)
    terms = (re.sub(r'[()"]', " ", part).strip() for part in parts)
    return tuple(term for term in terms if term)


def _float(value: str | None) -> float | None:
    try:
        number = float(value) if value else None
    except ValueError:
        return None
    return None if number is None or math.isnan(number) else number


def _raise_error(response: Response, body: dict[str, Any]) -> None:
    """Reddit's errors: `{"message", "error": <status>, "reason"?}`; an HTML page when blocked."""
    message = body.get("message")
    reason = body.get("reason")
    detail = ": ".join(str(p) for p in (message, reason) if p) or None
    if response.status == 403 and reason:
        raise HttpError(
            f"Reddit: HTTP 403: {detail}",
            status=403,
            hint="the subreddit is private, quarantined or banned: remove it from subreddits",
        )
    if response.status == 403 and not body:
        raise HttpError(
            "Reddit: HTTP 403: the request was blocked",
            status=403,
            hint="set user_agent to '<platform>:<app id>:<version> (by /u/<you>)' and use "
            "OAuth (client_id, client_secret): Reddit blocks anonymous clients",
        )
    raise_for_status(response, detail)


def _error_in_200(response: Response) -> None:
    """Reddit sometimes answers 200 with `{"message": "Too Many Requests", "error": 429}`."""
    if response.status != 200 or len(response.content) > 2000:
        return
    body = response.json_object() or {}
    if body.get("error") == 429:
        raise RetryLater("HTTP 200 with error 429", status=429)

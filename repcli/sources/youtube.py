"""YouTube Data API v3: comments on a channel's videos, or on chosen videos.

GET /youtube/v3/commentThreads with `part=snippet,replies`, `allThreadsRelatedToChannelId` (the
channel) or `videoId` (each configured video), `order=time` (newest thread first),
`maxResults` <= 100, `pageToken` paging and `textFormat=plainText`. The API key travels as the
`key` query parameter, so no error or log line here ever shows a request URL or its query.

Quota: every page is charged against the project's daily quota (10,000 units by default; the
current docs say 1 unit plus 2 per part, older ones 1 unit). Exhaustion is HTTP 403
`quotaExceeded`: the source stops at once (no retries) and the next run after the reset
(midnight Pacific time) resumes from the stored cursor.

Threads come newest first by their top-level comment, and `nextPageToken` may appear even on a
short page, so paging follows the token until there is none or the page reaches the cursor.
Replies under `replies.comments` are partial (a few per thread; the rest need comments.list,
one more request per thread): a reply by the channel is the seller's answer to the thread,
any other reply is a comment of its own. New replies and edits to older threads are caught by
re-reading `lookback_days` behind the cursor.
"""

from __future__ import annotations

import dataclasses
import html
import logging
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, ClassVar

from repcli.errors import ConfigError, SourceError
from repcli.http import HostLimit, HttpError, Response, RetryLater, raise_for_status
from repcli.models import Item
from repcli.sources.base import Batch, HttpSource, SocialSettings
from repcli.sources.wire import parse
from repcli.sources.wire.paging import PageGuard, max_pages, row_ids

log = logging.getLogger(__name__)

PATH = "/youtube/v3/commentThreads"
WATCH_URL = "https://www.youtube.com/watch?v={video}&lc={comment}"
_RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
_TAG = re.compile(r"<[^>]+>")


@dataclasses.dataclass(frozen=True, kw_only=True)
class YouTubeSettings(SocialSettings):
    api_key: str = dataclasses.field(metadata={"secret": True})
    """A Google Cloud API key with the YouTube Data API v3 enabled."""
    channel_id: str | None = None
    """Your channel (UC...): all comments on its videos; its replies are your answers."""
    video_ids: tuple[str, ...] = ()
    """Videos to watch one by one (e.g. reviews of your products on other channels); replies
    there by `channel_id`, when set, are your answers too."""
    lookback_days: int = 7
    """Re-read threads this far behind the cursor, to see new replies, answers and edits."""
    page_size: int = 100
    """Threads per request (`maxResults`, 1-100); every page costs quota."""


class _CommentsDisabled(Exception):
    """A video with comments turned off: skipped, not a failure."""


class YouTubeSource(HttpSource):
    type_name: ClassVar[str] = "youtube"
    platform: ClassVar[str] = "youtube"
    settings_class: ClassVar[type[Any]] = YouTubeSettings
    description: ClassVar[str] = "YouTube comments on a channel's videos or chosen videos (API key)"
    default_base_url: ClassVar[str] = "https://www.googleapis.com"
    # YouTube documents a daily quota, not a request rate: stay polite.
    default_limit: ClassVar[HostLimit] = HostLimit(rate=2.0, burst=4, concurrency=2)

    def _streams(self) -> list[tuple[str, dict[str, str]]]:
        settings: YouTubeSettings = self.settings
        streams = []
        if settings.channel_id:
            streams.append(
                (
                    f"channel:{settings.channel_id}",
                    {"allThreadsRelatedToChannelId": settings.channel_id},
                )
            )
        streams += [(f"video:{video}", {"videoId": video}) for video in settings.video_ids]
        return streams

    async def fetch(self, cursor: dict[str, Any], full: bool = False) -> AsyncIterator[Batch]:
        settings: YouTubeSettings = self.settings
        if not settings.api_key:
            raise ConfigError(
                f"sources: {self.name}: api_key is empty", "set api_key: ${YOUTUBE_API_KEY}"
            )
        if not settings.channel_id and not settings.video_ids:
            raise ConfigError(
                f"sources: {self.name}: nothing to read",
                "set channel_id: UC... (your channel) and/or video_ids: [...]",
            )
        if not 1 <= settings.page_size <= 100:
            raise ConfigError(f"sources: {self.name}: page_size must be 1-100")
        new_cursor = dict(cursor)
        for key, params in self._streams():
            since = cursor.get(key)
            if full or not isinstance(since, int | float):
                stop_before = (self.now - timedelta(days=settings.full_backfill_days)).timestamp()
            else:
                stop_before = since - timedelta(days=settings.lookback_days).total_seconds()
            newest = since if isinstance(since, int | float) else 0
            try:
                async for items, page_newest in self._pages(params, stop_before):
                    newest = max(newest, page_newest)
                    # The cursor moves only at the end: a run killed half way re-reads, never skips.
                    yield Batch(items, cursor)
            except _CommentsDisabled:
                log.warning("%s: %s has comments disabled; skipped", self.name, key)
                continue
            if newest:
                new_cursor[key] = newest
        yield Batch([], new_cursor)

    async def _pages(
        self, params: dict[str, str], stop_before: float
    ) -> AsyncIterator[tuple[list[Item], float]]:
        token: str | None = None
        what = "commentThreads " + ",".join(f"{k}={v}" for k, v in params.items())
        guard = PageGuard(self.name, what, max_pages(self.settings, self.name))
        while True:
            query: dict[str, Any] = {
                **params,
                "part": "snippet,replies",
                "maxResults": self.settings.page_size,
                "order": "time",
                "textFormat": "plainText",
                "key": self.settings.api_key,
            }
            if token:
                query["pageToken"] = token
            body = await self._get(query)
            rows = [] if body.get("items") is None else body["items"]
            if not isinstance(rows, list):
                raise SourceError(f"{self.name}: unexpected commentThreads shape from YouTube")
            items: list[Item] = []
            published: list[float] = []
            for row in rows:
                thread_items, when = self._thread(row)
                items += thread_items
                if when is not None:  # None: the thread was set aside (`rejects`)
                    published.append(when)
            yield items, max(published, default=0.0)
            token = body.get("nextPageToken") or None
            # Newest first: once a page reaches back past the cursor, the rest is older still.
            # The token is followed even after a short page (YouTube sends one there too).
            if not token or (published and min(published) < stop_before):
                return
            guard.next_page(token, row_ids(rows))

    async def _get(self, query: dict[str, Any]) -> dict[str, Any]:
        response = await self.ctx.http.request(
            "GET", self.base_url + PATH, limit=self.limit, params=query, check=_rate_limited
        )
        body = response.json_object() or {}
        if response.status >= 400:
            error = _error(body)
            reason = _reason(error)
            message = _plain(error.get("message")) or None
            if reason == "quotaExceeded":
                raise HttpError(
                    "YouTube: the daily API quota is used up (quotaExceeded); it resets at "
                    "midnight Pacific time",
                    status=response.status,
                    hint="the next run after the reset resumes from the cursor; fewer video_ids, "
                    "a smaller page_size or a quota increase in Google Cloud Console help",
                )
            if reason == "commentsDisabled":
                raise _CommentsDisabled(message)
            if reason == "keyInvalid" or _key_invalid(error):
                raise HttpError(
                    f"YouTube: the API key was refused ({message or 'API key not valid'})",
                    status=response.status,
                    hint="check api_key: a Google Cloud API key with the YouTube Data API v3 "
                    "enabled and no referrer/IP restriction that excludes this machine",
                )
            raise_for_status(response, f"{reason}: {message}" if reason and message else message)
        return body

    def _thread(self, row: Any) -> tuple[list[Item], float | None]:
        """The thread's own comment (with the seller's answer) and the other replies; a thread
        or reply that cannot be read is set aside alone (`rejects`). The time is None when
        the thread itself was set aside."""
        thread = self.parse_row(row, self._top, "comment")
        if thread is None:
            return [], None
        video = thread.product_id
        # Only the configured channel answers for the seller (not a reviewer on their own video).
        owner = self.settings.channel_id
        answers: list[Item] = []
        others: list[Item] = []
        for reply in (row.get("replies") or {}).get("comments") or []:
            item = self.parse_row(reply, lambda r: self._comment(r, video, raw=r), "comment")
            if item is not None:
                (answers if owner and _author_channel(reply) == owner else others).append(item)
        items: list[Item] = []
        own = owner and _author_channel(row["snippet"]["topLevelComment"]) == owner
        if not own and self.keep(thread.text):
            # The channel's earliest reply: when the seller first answered.
            first = min(answers, key=lambda item: item.created_at, default=None)
            if first is not None:
                thread.answer_text, thread.answered_at = first.text or None, first.created_at
            items.append(thread)
        items += [item for item in others if self.keep(item.text)]
        return items, thread.created_at.timestamp()

    def _top(self, row: Any) -> Item:
        """The thread's top-level comment, checking the thread's shape on the way."""
        try:
            snippet = row["snippet"]
            top = snippet["topLevelComment"]
            video = snippet.get("videoId") or (top.get("snippet") or {}).get("videoId")
            replies = (row.get("replies") or {}).get("comments") or []
            if not isinstance(replies, list):
                raise TypeError("replies.comments is not a list")
        except (KeyError, AttributeError, TypeError) as exc:
            raise SourceError(
                f"{self.name}: a YouTube comment thread of an unexpected shape ({exc!r})"
            ) from None
        return self._comment(top, video, raw=row)

    def _comment(self, comment: Any, video: str | None, raw: dict[str, Any]) -> Item:
        try:
            snippet = comment.get("snippet") or {}
            comment_id = str(comment["id"])
            created = parse.parse_time(snippet.get("publishedAt"), "publishedAt")
            updated = parse.optional_time(snippet.get("updatedAt"), "updatedAt")
            video = snippet.get("videoId") or video
            return Item(
                source=self.name,
                platform=self.platform,
                kind="comment",
                external_id=comment_id,
                created_at=created,
                updated_at=updated if updated and updated > created else None,
                # textDisplay is HTML (links as <a>, entities): its text, never its markup.
                # textOriginal is only guaranteed to the author: often empty for others.
                text=parse.text(snippet.get("textOriginal"))
                or parse.html_text(snippet.get("textDisplay"))
                or "",
                author=parse.text(snippet.get("authorDisplayName")),
                product_id=video,
                url=WATCH_URL.format(video=video, comment=comment_id) if video else None,
                raw=raw,
            )
        except (KeyError, TypeError, AttributeError, ValueError, OverflowError, OSError) as exc:
            raise SourceError(
                f"{self.name}: a YouTube comment without the expected fields ({exc!r})"
            ) from None


def _author_channel(comment: Any) -> str | None:
    snippet = comment.get("snippet") if isinstance(comment, dict) else None
    author = (snippet or {}).get("authorChannelId")
    if isinstance(author, dict):
        value = author.get("value")
        return str(value) if value else None
    return str(author) if author else None


def _error(body: dict[str, Any]) -> dict[str, Any]:
    """Google's error envelope: `{"error": {"code", "message", "errors": [{reason, ...}]}}`."""
    error = body.get("error")
    return error if isinstance(error, dict) else {}


def _reason(error: dict[str, Any]) -> str | None:
    errors = error.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        reason = errors[0].get("reason")
        return str(reason) if reason else None
    return None


def _key_invalid(error: dict[str, Any]) -> bool:
    """Google's newer shape: reason `badRequest` plus an ErrorInfo detail API_KEY_INVALID."""
    details = error.get("details")
    return isinstance(details, list) and any(
        isinstance(d, dict) and d.get("reason") == "API_KEY_INVALID" for d in details
    )


def _plain(message: Any) -> str:
    """YouTube's messages carry HTML (`<a href=...>quota</a>`, `<code>`): text only."""
    return html.unescape(_TAG.sub("", str(message))).strip() if message else ""


def _rate_limited(response: Response) -> None:
    """Google's per-user rate limits are a 403 with reason rateLimitExceeded: retry later."""
    if response.status != 403:
        return
    reason = _reason(_error(response.json_object() or {}))
    if reason in _RATE_LIMIT_REASONS:
        raise RetryLater(f"HTTP 403 {reason}", status=403)

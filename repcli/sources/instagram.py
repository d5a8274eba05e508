"""Instagram professional account: comments on its media, through the Instagram Graph API.

Every run reads the account's newest `media_depth` media (`GET /{ig-user-id}/media`, newest
first, each with `comments_count`, `username`, `caption`, `permalink`, `timestamp`); media
created more than `full_backfill_days` ago are left alone. A medium whose `comments_count`
changed since the last run (or that is new) has its comments read: `GET /{media-id}/comments`
(top-level comments, each with its `replies` expanded), paged by the `after` cursor; a thread
whose `replies` have a next page is read through `GET /{comment-id}/replies`. The cursor keeps
each watched medium's count, so a quiet run costs one request. `--full` re-reads every medium
in the window.

Comments by the account itself (`from.id` = ig_user_id, or the medium owner's `username`) are
its answers: Instagram threads are one level deep (a reply to a reply joins the top-level
comment), so the account's reply answers every earlier comment of its thread that has no
answer yet (the earliest answer counts). Comments carry no URL of their own: `url` is the
medium's permalink.

Hosts: `graph.facebook.com` (Instagram API with Facebook Login: a Page access token of the
Page linked to the account, `instagram_basic`, `instagram_manage_comments`,
`pages_read_engagement`) or `graph.instagram.com` (Instagram Login: an Instagram user token,
`instagram_business_basic`, `instagram_business_manage_comments`) as `base_url`. Errors, paging,
rate limits and the usage headers as for `facebook` (`repcli.sources.wire.meta_graph`); throttling of
Instagram calls is code 80002 among the others.

Answers: `POST /{ig-comment-id}/replies` with `message`, sent once, to the thread's top-level
comment (Instagram accepts replies to top-level comments only); the answer id comes back as `id`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, ClassVar

from repcli.errors import SourceError
from repcli.models import Item
from repcli.sources.base import (
    Batch,
    PostedReply,
    Reject,
    ReplyTarget,
    refusals_as_rejections,
)
from repcli.sources.graph_source import GraphSettings, GraphSource
from repcli.sources.wire import parse
from repcli.sources.wire.meta_graph import graph_time
from repcli.sources.wire.paging import PageGuard, max_pages

MEDIA_FIELDS = (
    "id,caption,media_type,media_product_type,permalink,timestamp,username,comments_count"
)
REPLY_FIELDS = "id,text,timestamp,username,from{id,username},parent_id,like_count,hidden"
COMMENT_FIELDS = (
    f"id,text,timestamp,username,from{{id,username}},like_count,hidden,replies{{{REPLY_FIELDS}}}"
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class InstagramSettings(GraphSettings):
    """`access_token`: a Page access token of the linked Page (graph.facebook.com), or an
    Instagram user token (graph.instagram.com as base_url)."""

    ig_user_id: str
    """The professional account's numeric id (the IG User id, not the @username)."""
    media_depth: int = 25
    """How many of the newest media to watch for comments."""
    page_size: int = 50
    """Media or comments per request (`limit`, 1-100)."""


class InstagramSource(GraphSource):
    type_name: ClassVar[str] = "instagram"
    platform: ClassVar[str] = "instagram"
    settings_class: ClassVar[type[Any]] = InstagramSettings
    description: ClassVar[str] = "Instagram comments on your business account's media (Graph API)"
    graph_platform: ClassVar[str] = "Instagram"
    account_setting: ClassVar[str] = "ig_user_id"
    account_hint: ClassVar[str] = (
        "GET /{page-id}?fields=instagram_business_account gives it; quote it"
    )
    depth_setting: ClassVar[str] = "media_depth"
    env_var: ClassVar[str] = "IG_TOKEN"

    @property
    def _user(self) -> str:
        return self.account

    async def fetch(self, cursor: dict[str, Any], full: bool = False) -> AsyncIterator[Batch]:
        self._validate()
        known: dict[str, Any] = {} if full else dict(cursor.get("media") or {})
        watched: dict[str, int] = {}
        for medium in await self._media():
            media_id = str(medium["id"])
            count = medium.get("comments_count")
            count = count if isinstance(count, int) and not isinstance(count, bool) else -1
            watched[media_id] = count
            if count == 0 or (count > 0 and known.get(media_id) == count):
                continue
            threads = await self._threads(media_id)
            # The cursor moves only at the end: a run killed half way re-reads, never skips.
            yield Batch(self._items(medium, threads), cursor)
        yield Batch([], {**cursor, "media": watched})

    async def test(self) -> str:
        self._validate()
        body = await self.graph.get(self._user, {"fields": "id,username"})
        return f"ok: reachable, the account is @{body.get('username') or self._user}"

    async def _media(self) -> list[dict[str, Any]]:
        s: InstagramSettings = self.settings
        floor = self.now - timedelta(days=s.full_backfill_days)
        params = {"fields": MEDIA_FIELDS, "limit": min(s.page_size, s.media_depth)}
        guard = PageGuard(self.name, "media", max_pages(s, self.name))
        media: list[dict[str, Any]] = []
        async for page in self.graph.pages(f"{self._user}/media", params, guard):
            old = 0
            for medium in page:
                if _bad_id(medium.get("id")):
                    self.rejects.append(Reject("comment", None, "a medium without an id", medium))
                    continue
                try:
                    if graph_time(medium.get("timestamp"), "timestamp") < floor:
                        old += 1
                        continue
                except SourceError:
                    pass  # read it: its comments carry their own times
                media.append(medium)
            if len(media) >= s.media_depth or (page and old == len(page)):
                break
        return media[: s.media_depth]

    async def _threads(self, media_id: str) -> list[list[dict[str, Any]]]:
        """Each top-level comment followed by all of its replies."""
        s: InstagramSettings = self.settings
        params = {"fields": COMMENT_FIELDS, "limit": s.page_size}
        guard = PageGuard(self.name, f"comments of {media_id}", max_pages(s, self.name))
        threads: list[list[dict[str, Any]]] = []
        async for page in self.graph.pages(f"{media_id}/comments", params, guard):
            for comment in page:
                replies = comment.get("replies")
                replies = replies if isinstance(replies, dict) else {}
                rows = replies.get("data")
                thread = [comment] + [r for r in rows or [] if isinstance(r, dict)]
                paging = replies.get("paging")
                if isinstance(paging, dict) and paging.get("next") and not _bad_id(comment["id"]):
                    thread = [comment] + await self._replies(str(comment["id"]))
                threads.append(thread)
        return threads

    async def _replies(self, comment_id: str) -> list[dict[str, Any]]:
        s: InstagramSettings = self.settings
        params = {"fields": REPLY_FIELDS, "limit": s.page_size}
        guard = PageGuard(self.name, f"replies of {comment_id}", max_pages(s, self.name))
        found: list[dict[str, Any]] = []
        async for page in self.graph.pages(f"{comment_id}/replies", params, guard):
            found += page
        return found

    def _items(self, medium: dict[str, Any], threads: list[list[dict[str, Any]]]) -> list[Item]:
        owner = parse.text(medium.get("username"))
        caption = parse.excerpt(parse.text(medium.get("caption")))
        items: list[Item] = []
        for thread in threads:
            found: list[Item] = []
            answers: list[dict[str, Any]] = []
            for comment in thread:
                if self._own(comment, owner):
                    answers.append(comment)
                    continue
                item = self.parse_row(comment, lambda c: self._item(c, medium, caption), "comment")
                if item is not None:
                    found.append(item)
            for answer in answers:
                text = parse.text(answer.get("text"))
                try:
                    when = graph_time(answer.get("timestamp"), "timestamp")
                except SourceError:
                    continue
                for item in found:
                    if text and item.answer_text is None and item.created_at <= when:
                        item.answer_text, item.answered_at = text, when
            items += found
        return [item for item in items if self.keep(item.text)]

    def _own(self, comment: dict[str, Any], owner: str | None) -> bool:
        author = comment.get("from")
        author_id = author.get("id") if isinstance(author, dict) else None
        if author_id is not None and str(author_id) == self._user:
            return True
        name = comment.get("username")
        if name is None and isinstance(author, dict):
            name = author.get("username")
        return bool(owner) and isinstance(name, str) and name.lower() == str(owner).lower()

    def _item(self, row: Any, medium: dict[str, Any], caption: str | None) -> Item:
        if not isinstance(row, dict) or _bad_id(row.get("id")):
            raise SourceError(f"{self.name}: an Instagram comment without an id")
        author = row.get("username")
        if not isinstance(author, str) and isinstance(row.get("from"), dict):
            author = row["from"].get("username")
        link = medium.get("permalink")
        return Item(
            source=self.name,
            platform=self.platform,
            kind="comment",
            external_id=str(row["id"]),
            created_at=graph_time(row.get("timestamp"), "timestamp"),
            text=parse.text(row.get("text")) or "",
            url=link if isinstance(link, str) and link.startswith("https://") else None,
            product_id=str(medium.get("id")),
            product_name=caption,
            author=parse.text(author),
            raw={k: v for k, v in row.items() if k != "replies"},  # replies are items too
        )

    async def post_reply(self, target: ReplyTarget, text: str) -> PostedReply:
        self._validate()
        parent = (target.raw or {}).get("parent_id")
        top = str(parent) if isinstance(parent, str | int) and str(parent) else target.external_id
        with refusals_as_rejections("Instagram"):
            body = await self.graph.post(f"{top}/replies", {"message": text})
        answer = body.get("id")
        return PostedReply(external_id=str(answer) if answer else None)


def _bad_id(value: Any) -> bool:
    return isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip()

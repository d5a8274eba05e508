"""Facebook Page: comments on the Page's posts and visitors' posts, through the Graph API.

Every run reads the Page's newest `posts_depth` posts (`GET /{page-id}/feed`: the Page's own
posts and those visitors wrote on it), each with `updated_time` ("the time of the last comment")
and its comment count (`comments.filter(stream).limit(0).summary(true)`). A post whose
`updated_time` or count changed since the last run (or that is new) has its comments read:
`GET /{post-id}/comments` with `filter=stream` (replies too, each with its `parent`) and
`order=chronological`, paged by the `after` cursor. The cursor keeps each watched post's mark,
so a quiet run costs one request. `--full` re-reads every post in the window; posts created
more than `full_backfill_days` ago are left alone.

A visitor's post on the Page is an item of its own (kind `comment`). Comments written by the
Page itself (`from.id` = page_id) are its answers: they go into the `answer_text`/`answered_at`
of the comment they reply to (`parent`), or, at the top level of a visitor's post, of that post
(the earliest answer counts), never as items. A comment with only a photo, sticker or video
is stored with `[photo]`/`[video]`/`[sticker]` (else `[doc]`) as its text (the attachment stays in `raw`).
Names (`from.name`) come only with a Page access token and only for people Meta shows: an
author may be None.

Token: a Page access token (long-lived, or a system user's) with `pages_read_engagement`,
`pages_read_user_content` and, to answer, `pages_manage_engagement`. Answers:
`POST /{comment-id}/comments` with `message`, sent once; the answer id comes back as `id`, and
the next fetch reads the answer back as the Page's comment.
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

POST_FIELDS = (
    "id,message,created_time,updated_time,permalink_url,from{id,name},"
    "comments.filter(stream).limit(0).summary(true)"
)
COMMENT_FIELDS = (
    "id,message,created_time,from{id,name},parent{id},permalink_url,attachment{type,url},"
    "comment_count"
)
_ATTACHMENTS = {
    "photo": "[photo]",
    "sticker": "[sticker]",
    "video_inline": "[video]",
    "video": "[video]",
    "animated_image_share": "[video]",
    "animated_image_autoplay": "[video]",
}
"""Markers for comments with only an attachment, in the words every connector uses
(`[photo]`, `[video]`, `[sticker]`; anything else `[doc]`)."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class FacebookSettings(GraphSettings):
    """`access_token`: a Page access token (pages_read_engagement, pages_read_user_content; to
    answer: pages_manage_engagement)."""

    page_id: str
    """The Page's numeric id (Page settings -> About -> Page ID)."""
    posts_depth: int = 50
    """How many of the newest posts to watch for comments."""


class FacebookSource(GraphSource):
    type_name: ClassVar[str] = "facebook"
    platform: ClassVar[str] = "facebook"
    settings_class: ClassVar[type[Any]] = FacebookSettings
    description: ClassVar[str] = "Facebook Page comments and visitor posts (Graph API, Page token)"
    graph_platform: ClassVar[str] = "Facebook"
    account_setting: ClassVar[str] = "page_id"
    account_hint: ClassVar[str] = (
        "Page settings -> About -> Page ID, quoted: page_id: '104857600123456'"
    )
    depth_setting: ClassVar[str] = "posts_depth"
    env_var: ClassVar[str] = "FB_PAGE_TOKEN"

    @property
    def _page(self) -> str:
        return self.account

    async def fetch(self, cursor: dict[str, Any], full: bool = False) -> AsyncIterator[Batch]:
        self._validate()
        known: dict[str, Any] = {} if full else dict(cursor.get("posts") or {})
        watched: dict[str, str] = {}
        for post in await self._posts():
            post_id = _id(post, "post")
            count = _count(post)
            mark = f"{post.get('updated_time') or post.get('created_time')}|{count}"
            watched[post_id] = mark
            if known.get(post_id) == mark:
                continue
            comments = await self._comments(post_id) if count else []
            # The cursor moves only at the end: a run killed half way re-reads, never skips.
            yield Batch(self._items(post, comments), cursor)
        yield Batch([], {**cursor, "posts": watched})

    async def test(self) -> str:
        self._validate()
        body = await self.graph.get(self._page, {"fields": "id,name"})
        return f"ok: reachable, the Page is {body.get('name') or self._page!r}"

    async def _posts(self) -> list[dict[str, Any]]:
        """The newest `posts_depth` posts created within `full_backfill_days`."""
        s: FacebookSettings = self.settings
        floor = self.now - timedelta(days=s.full_backfill_days)
        params = {"fields": POST_FIELDS, "limit": min(s.page_size, s.posts_depth)}
        guard = PageGuard(self.name, "feed", max_pages(s, self.name))
        posts: list[dict[str, Any]] = []
        async for page in self.graph.pages(f"{self._page}/feed", params, guard):
            old = 0
            for post in page:
                if _bad_id(post.get("id")):
                    self.rejects.append(Reject("comment", None, "a post without an id", post))
                    continue
                try:
                    if _time(post.get("created_time"), "created_time") < floor:
                        old += 1
                        continue
                except SourceError:
                    pass  # read it: its own items say what is wrong with it
                posts.append(post)
            if len(posts) >= s.posts_depth or (page and old == len(page)):
                break
        return posts[: s.posts_depth]

    async def _comments(self, post_id: str) -> list[dict[str, Any]]:
        s: FacebookSettings = self.settings
        params = {
            "fields": COMMENT_FIELDS,
            "filter": "stream",
            "order": "chronological",
            "limit": s.page_size,
        }
        guard = PageGuard(self.name, f"comments of {post_id}", max_pages(s, self.name))
        found: list[dict[str, Any]] = []
        async for page in self.graph.pages(f"{post_id}/comments", params, guard):
            found += page
        return found

    def _items(self, post: dict[str, Any], comments: list[dict[str, Any]]) -> list[Item]:
        post_id = _id(post, "post")
        post_text = parse.excerpt(parse.text(post.get("message")))
        items: dict[str, Item] = {}
        visitor: Item | None = None
        if _author_id(post) not in (None, self._page):
            visitor = self.parse_row(post, lambda p: self._item(p, post_id, None), "comment")
            if visitor is not None:
                items[post_id] = visitor
        answers: list[dict[str, Any]] = []
        for comment in comments:
            if _author_id(comment) == self._page:
                answers.append(comment)
                continue
            if _text(comment) is None:
                continue  # no words and no attachment: removed, or hidden from this token
            item = self.parse_row(comment, lambda c: self._item(c, post_id, post_text), "comment")
            if item is not None:
                items[item.external_id] = item
        for answer in sorted(answers, key=lambda a: str(a.get("created_time") or "")):
            parent = answer.get("parent")
            parent_id = parent.get("id") if isinstance(parent, dict) else None
            target = items.get(str(parent_id)) if parent_id else visitor
            text = _text(answer)
            if target is None or target.answer_text is not None or not text:
                continue
            try:
                target.answer_text = text
                target.answered_at = _time(answer.get("created_time"), "created_time")
            except SourceError:
                target.answer_text = None  # an answer without a time is not an answer we know
        return [item for item in items.values() if self.keep(item.text)]

    def _item(self, row: Any, post_id: str, post_text: str | None) -> Item:
        if not isinstance(row, dict):
            raise SourceError(f"{self.name}: a Facebook comment that is not an object")
        external_id = _id(row, "comment")
        author = row.get("from")
        url = row.get("permalink_url")
        return Item(
            source=self.name,
            platform=self.platform,
            kind="comment",
            external_id=external_id,
            created_at=_time(row.get("created_time"), "created_time"),
            text=_text(row) or "",
            url=url if isinstance(url, str) and url.startswith("https://") else None,
            product_id=post_id,
            product_name=post_text,
            author=parse.text(author.get("name")) if isinstance(author, dict) else None,
            raw=row,
        )

    async def post_reply(self, target: ReplyTarget, text: str) -> PostedReply:
        self._validate()
        with refusals_as_rejections("Facebook"):
            body = await self.graph.post(f"{target.external_id}/comments", {"message": text})
        answer = body.get("id")
        return PostedReply(external_id=str(answer) if answer else None)


def _bad_id(value: Any) -> bool:
    return isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip()


def _id(row: dict[str, Any], what: str) -> str:
    value = row.get("id")
    if _bad_id(value):
        raise SourceError(f"Facebook: a {what} without an id")
    return str(value)


def _author_id(row: dict[str, Any]) -> str | None:
    author = row.get("from")
    value = author.get("id") if isinstance(author, dict) else None
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


def _count(post: dict[str, Any]) -> int:
    comments = post.get("comments")
    summary = comments.get("summary") if isinstance(comments, dict) else None
    total = summary.get("total_count") if isinstance(summary, dict) else None
    return total if isinstance(total, int) and not isinstance(total, bool) else 0


def _text(row: dict[str, Any]) -> str | None:
    """The message, or what the comment shows instead of words: `[photo]`, `[sticker]`..."""
    message = parse.text(row.get("message"))
    if message:
        return message
    attachment = row.get("attachment")
    if isinstance(attachment, dict):
        kind = str(attachment.get("type") or "")
        return _ATTACHMENTS.get(kind, "[doc]")
    return None


_time = graph_time

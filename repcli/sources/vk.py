"""VK community wall comments (wall.get + wall.getComments), and mentions by keyword.

Every run walks the community's newest `posts_depth` posts (`wall.get`, owner_id = -group_id,
newest first, the pinned post first whatever its age; posts older than `full_backfill_days`
end the walk) and reads the comments of each post whose comment count changed since the last
run (`wall.getComments`, oldest first so offsets stay put while people comment,
`thread_items_count` for replies, the rest of a long thread through `comment_id`). The cursor
keeps each watched post's comment count (VK counts replies too), so a quiet run costs one
request and a new reply, such as the shop's answer, re-reads just that post. `--full` re-reads
every post in the window. Edits that keep the count unchanged are seen on the next `--full`.

Comments written by the community itself (from_id = -group_id) are the seller's answers: they go
into the answered comment's `answer_text`/`answered_at` (the first answer counts), never as
items. Names come from `profiles[]`/`groups[]` (`extended=1`); `[id123|Name]` mentions become
"Name"; deleted comments are skipped. A comment with only attachments (a customer's photo of
a broken item) is stored with `[photo]`/`[video]`/`[sticker]`/`[doc]`/`[audio]` markers as its
text, the URLs in `raw`, and is flagged for a reply.

Tokens: wall.get and wall.getComments accept a user token or the app's service token (open
communities only), not a community token (VK answers error 27). Every call is a form POST (VK
takes GET or POST), so the `access_token` never appears in a URL; error messages name the method
and VK's own words only.

Mentions (`mentions: [...]`): `newsfeed.search` for each phrase, posts newer than the last run.
VK refuses it with a community token (error 27/28): the search is then skipped with a warning.

Replies (for the reply command): `wall.createComment` with owner_id = -group_id, post_id,
from_group = group_id, reply_to_comment = the comment id and message = the text (a user token
of a community admin with the `wall` scope, or a community token).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from functools import partial
from typing import Any, ClassVar

from repcli.errors import ConfigError, ReplyRejected, SourceError
from repcli.http import HostLimit, HttpError, Response, RetryLater, raise_for_status
from repcli.models import Item
from repcli.sources.base import Batch, HttpSource, PostedReply, ReplyTarget, SocialSettings
from repcli.sources.wire import parse
from repcli.sources.wire.paging import PageGuard, max_pages, row_ids

log = logging.getLogger(__name__)

API_VERSION = "5.199"
THREAD_ITEMS = 10
"""Replies returned with each comment (`thread_items_count`, VK allows 0-10)."""
SEARCH_PAGE = 200
"""Posts per `newsfeed.search` request (VK's maximum)."""
_MENTION = re.compile(r"\[(?:id|club|public|event)\d+\|([^\]\[]*)\]")
_RETRIED = {6: 1.0, 9: None, 29: None}
"""VK errors worth retrying: 6 too many requests per second (wait a second), 9 flood control
and 29 rate limit reached (back off)."""
_SEARCH_REFUSED = frozenset({27, 28})
_HINTS = {
    5: "the access_token is invalid, expired or revoked: make a new user token of a community "
    "admin (scopes wall, groups, offline) or use the app's service token (open communities only)",
    15: "access denied: the community is closed or its wall hidden; use a user token of a member "
    "or admin with the wall and groups scopes",
    18: "the token's user is deleted or banned: make a token of another admin",
    27: "VK does not accept a community token here (wall.get, wall.getComments): use a user "
    "token (scopes wall, groups, offline) or the app's service token",
    28: "this method needs a user token (scopes wall, groups, offline)",
    30: "the community is private: use a user token of a member or admin",
    100: "check group_id: the community's numeric id, without a minus",
    203: "access to the community denied: use a user token of a member or admin",
    212: "comments of this community's posts are closed to this token: use an admin's user token",
}


@dataclasses.dataclass(frozen=True, kw_only=True)
class VkSettings(SocialSettings):
    group_id: int
    """The community's numeric id (vk.com/club<id>), without a minus."""
    access_token: str = dataclasses.field(metadata={"secret": True})
    """A user token (scopes wall, groups, offline) or the app's service token."""
    posts_depth: int = 50
    """How many of the newest posts to watch for comments."""
    mentions: tuple[str, ...] = ()
    """Search VK for posts mentioning these phrases (newsfeed.search; not with community tokens)."""
    page_size: int = 100
    """Posts or comments per request (`count`); VK allows up to 100."""


class VkSource(HttpSource):
    type_name: ClassVar[str] = "vk"
    platform: ClassVar[str] = "vk"
    settings_class: ClassVar[type[Any]] = VkSettings
    description: ClassVar[str] = "VK community wall comments and keyword mentions (API token)"
    default_base_url: ClassVar[str] = "https://api.vk.com/method"
    # VK allows 3 requests/s with a user or service token (error 6 beyond): evenly spaced.
    default_limit: ClassVar[HostLimit] = HostLimit(rate=3.0, burst=1, concurrency=1)

    async def fetch(self, cursor: dict[str, Any], full: bool = False) -> AsyncIterator[Batch]:
        self._validate()
        known: dict[str, Any] = {} if full else dict(cursor.get("posts") or {})
        watched: dict[str, int] = {}
        for post in await self._posts():
            post_id = _int(post.get("id"), "post id")
            count = _int(_obj(post.get("comments")).get("count") or 0, "comments.count")
            watched[str(post_id)] = count
            if count == 0 or known.get(str(post_id)) == count:
                continue
            items = await self._post_comments(post_id, _excerpt(post.get("text")))
            # The cursor moves only at the end: a run killed half way re-reads, never skips.
            yield Batch(items, cursor)
        searched = dict(cursor.get("mentions") or {})
        for phrase in self.settings.mentions:
            since = None if full else searched.get(phrase)
            newest, items = await self._mentions(phrase, since)
            if newest is None:
                break  # the token cannot search; said once in the log
            searched[phrase] = max(newest, since or 0)
            if items:
                yield Batch(items, cursor)
        yield Batch([], {**cursor, "posts": watched, "mentions": searched})

    async def test(self) -> str:
        self._validate()
        data = await self._call("wall.get", {"owner_id": self._owner, "count": 1})
        return f"ok: reachable, the community wall has {data.get('count', 0)} posts"

    @property
    def _owner(self) -> int:
        return -int(self.settings.group_id)

    def _validate(self) -> None:
        s = self.settings
        if not s.access_token:
            raise ConfigError(f"sources: {self.name}: access_token is empty", "set ${VK_TOKEN}")
        if s.group_id <= 0:
            raise ConfigError(
                f"sources: {self.name}: group_id must be the community's positive numeric id",
                "vk.com/club123456 -> group_id: 123456 (no minus)",
            )
        if s.posts_depth < 1 or not 1 <= s.page_size <= 100:
            raise ConfigError(f"sources: {self.name}: posts_depth >= 1 and page_size 1-100")

    # ---------------------------------------------------------------- posts and comments

    async def _posts(self) -> list[dict[str, Any]]:
        """The newest `posts_depth` posts, newest first (the pinned one first, whatever its age)."""
        floor = self._floor().timestamp()
        posts: list[dict[str, Any]] = []
        offset = 0
        while len(posts) < self.settings.posts_depth:
            want = min(self.settings.page_size, self.settings.posts_depth - len(posts))
            data = await self._call(
                "wall.get", {"owner_id": self._owner, "offset": offset, "count": want}
            )
            page = _items(data, "wall.get")
            for post in page:
                if not post.get("is_pinned") and _int(post.get("date"), "post date") < floor:
                    return posts
                posts.append(post)
            offset += len(page)
            if len(page) < want or offset >= _int(data.get("count", offset), "count"):
                break
        return posts[: self.settings.posts_depth]

    async def _post_comments(self, post_id: int, post_text: str | None) -> list[Item]:
        names: dict[int, str] = {}
        comments: list[dict[str, Any]] = []
        roots = await self._comment_level(post_id, None, names)
        for root in roots:
            comments.append(root)
            thread = _obj(root.get("thread"))
            replies = [r for r in _list(thread.get("items")) if isinstance(r, dict)]
            if _int(thread.get("count") or 0, "thread.count") > len(replies):
                replies = await self._comment_level(post_id, _int(root.get("id"), "id"), names)
            comments.extend(replies)
        return self._items(post_id, post_text, comments, names)

    async def _comment_level(
        self, post_id: int, comment_id: int | None, names: dict[int, str]
    ) -> list[dict[str, Any]]:
        """All comments of one level: the post's top level, or one comment's thread."""
        found: list[dict[str, Any]] = []
        offset = 0
        what = f"comments of post {post_id}" + (f", thread {comment_id}" if comment_id else "")
        guard = PageGuard(self.name, what, max_pages(self.settings, self.name), offset)
        while True:
            params: dict[str, Any] = {
                "owner_id": self._owner,
                "post_id": post_id,
                "offset": offset,
                "count": self.settings.page_size,
                "sort": "asc",
                "extended": 1,
                "need_likes": 1,
                "preview_length": 0,  # VK truncates texts to 90 characters without it
            }
            if comment_id is None:
                params["thread_items_count"] = THREAD_ITEMS
            else:
                params["comment_id"] = comment_id
            data = await self._call("wall.getComments", params)
            names.update(_names(data))
            page = _items(data, "wall.getComments")
            found.extend(page)
            offset += len(page)
            level = data.get("current_level_count", data.get("count", offset))
            if len(page) < self.settings.page_size or offset >= _int(level, "count"):
                return found
            guard.next_page(offset, row_ids(page))

    def _items(
        self,
        post_id: int,
        post_text: str | None,
        comments: list[dict[str, Any]],
        names: dict[int, str],
    ) -> list[Item]:
        items: dict[int, Item] = {}
        answers: list[dict[str, Any]] = []
        prefix = f"{post_id}_"
        for comment in comments:
            if comment.get("from_id") == self._owner:
                answers.append(comment)
                continue
            item = self.parse_row(
                comment,
                lambda c: self._comment_item(post_id, post_text, c, names),
                "comment",
                prefix,
            )
            if item is not None:
                items[comment["id"]] = item
        # Earliest first (an answer without a readable date last: it is set aside below).
        for answer in sorted(answers, key=lambda c: _ref(c.get("date")) or float("inf")):
            self.parse_row(answer, lambda a: self._answer(a, items), "comment", prefix)
        return [item for item in items.values() if self.keep(item.text)]

    def _answer(self, answer: dict[str, Any], items: dict[int, Item]) -> None:
        """The community's comment as the answer of the comment it replies to (else of the
        root of its thread), when that one has none yet."""
        text = _clean(answer.get("text"))
        target = items.get(_ref(answer.get("reply_to_comment"))) or items.get(_ref(_root(answer)))
        if text and target is not None and target.answer_text is None:
            answered_at = parse.parse_time(answer.get("date"), "date")
            target.answer_text, target.answered_at = text, answered_at

    def _comment_item(
        self, post_id: int, post_text: str | None, comment: dict[str, Any], names: dict[int, str]
    ) -> Item | None:
        if comment.get("deleted"):
            return None
        # Only attachments (a photo of a broken item): their markers are the text, the
        # URLs stay in `raw`, and the pipeline asks for a reply (`parse.attachments_only`).
        text = _clean(comment.get("text")) or _attachment_markers(comment.get("attachments"))
        if not text:
            return None  # nothing at all to read
        try:
            comment_id = _int(comment["id"], "id")
            root = _ref(_root(comment))
            url = f"https://vk.com/wall{self._owner}_{post_id}?reply={comment_id}"
            raw = dict(comment)
            if isinstance(raw.get("thread"), dict):  # replies are items of their own
                raw["thread"] = {k: v for k, v in raw["thread"].items() if k != "items"}
            return Item(
                source=self.name,
                platform=self.platform,
                kind="comment",
                external_id=f"{post_id}_{comment_id}",
                created_at=parse.parse_time(comment["date"], "date"),
                text=text,
                url=url + (f"&thread={root}" if root else ""),
                product_id=str(post_id),
                product_name=post_text,
                author=names.get(comment.get("from_id") or 0),
                raw=raw,
            )
        except (KeyError, TypeError, IndexError) as exc:
            raise SourceError(
                f"{self.name}: a VK comment without the expected fields ({exc!r})"
            ) from None

    # ---------------------------------------------------------------- mentions

    async def _mentions(self, phrase: str, since: int | None) -> tuple[int | None, list[Item]]:
        """Posts mentioning `phrase` after `since`; (None, []) when the token cannot search."""
        start = since + 1 if since else int(self._floor().timestamp())
        params: dict[str, Any] = {
            "q": phrase,
            "extended": 1,
            "count": SEARCH_PAGE,
            "start_time": start,
        }
        items: list[Item] = []
        newest = since or 0
        what = f"newsfeed.search {phrase!r}"
        guard = PageGuard(self.name, what, max_pages(self.settings, self.name))
        while True:
            try:
                data = await self._call("newsfeed.search", params)
            except VkError as exc:
                if exc.code in _SEARCH_REFUSED:
                    log.warning(
                        "%s: mentions search skipped: VK allows newsfeed.search only with a user "
                        "token, not this one (%s)",
                        self.name,
                        exc.message,
                    )
                    return None, []
                raise
            names = _names(data)
            for post in _items(data, "newsfeed.search"):
                if isinstance(post.get("date"), int) and not isinstance(post["date"], bool):
                    newest = max(newest, post["date"])
                item = self.parse_row(post, partial(self._mention_item, names=names), "comment")
                if item is not None and self.keep(item.text):
                    items.append(item)
            next_from = data.get("next_from")
            if not next_from or not data.get("items"):
                return newest, items
            posts = _items(data, "newsfeed.search")
            guard.next_page(next_from, [(p.get("owner_id"), p.get("id")) for p in posts])
            params = {**params, "start_from": next_from}

    def _mention_item(self, post: dict[str, Any], names: dict[int, str]) -> Item | None:
        text = _clean(post.get("text"))
        owner = _int(post.get("owner_id"), "owner_id")
        if not text or owner == self._owner:
            return None  # our own posts are not mentions
        post_id = _int(post.get("id"), "id")
        author = _int(post.get("from_id", owner), "from_id")
        return Item(
            source=self.name,
            platform=self.platform,
            kind="comment",
            external_id=f"mention:{owner}_{post_id}",
            created_at=parse.parse_time(post.get("date"), "date"),
            text=text,
            url=f"https://vk.com/wall{owner}_{post_id}",
            author=names.get(author),
            raw=post,
        )

    can_reply = True

    async def post_reply(self, target: ReplyTarget, text: str) -> PostedReply:
        post_id, _, comment_id = target.external_id.partition("_")
        if not (post_id.isdigit() and comment_id.isdigit()):
            raise ReplyRejected(
                f"{self.name}: {target.external_id} is a mention, not a comment on your wall",
                "answer it on VK itself, then `repcli mark answered ID`",
            )
        params = {
            "owner_id": self._owner,
            "post_id": post_id,
            "from_group": self.settings.group_id,
            "reply_to_comment": comment_id,
            "message": text,
        }
        try:
            data = await self._call("wall.createComment", params)
        except VkError as exc:  # VK's refusals come inside an HTTP 200
            raise ReplyRejected(exc.message, exc.hint or "fix the draft, or answer on VK") from None
        comment = data.get("comment_id")
        return PostedReply(external_id=f"{post_id}_{comment}" if comment else None)

    def _floor(self) -> datetime:
        return self.now - timedelta(days=self.settings.full_backfill_days)

    # ---------------------------------------------------------------- the wire

    async def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """One API method, as a form POST (VK takes GET or POST): the token stays out of every
        URL, so no proxy or server log ever records it."""
        fields = {**params, "access_token": self.settings.access_token, "v": API_VERSION}
        response = await self.ctx.http.request(
            "POST",
            f"{self.base_url}/{method}",
            limit=self.limit,
            idempotent=method.partition(".")[2].startswith(("get", "search")),  # not createComment
            form={k: str(v) for k, v in fields.items()},
            check=_check,
        )
        raise_for_status(response)  # VK's own errors come with HTTP 200; this is a proxy's
        body = response.json()
        if not isinstance(body, dict):
            raise SourceError(f"{self.name}: {method}: VK answered {type(body).__name__}, not JSON")
        error = body.get("error")
        if isinstance(error, dict):
            raise VkError(method, error)
        data = body.get("response")
        if not isinstance(data, dict):
            raise SourceError(f"{self.name}: {method}: VK answered without a `response` object")
        return data


def _check(response: Response) -> None:
    """VK reports rate limits inside HTTP 200: retry 6 (after a second), 9 and 29 (backoff)."""
    try:
        error = response.json().get("error")
    except (HttpError, AttributeError):
        return  # not JSON or not an object: the caller says so
    if isinstance(error, dict) and error.get("error_code") in _RETRIED:
        code = error["error_code"]
        raise RetryLater(f"VK error {code}: {error.get('error_msg')}", _RETRIED[code])


class VkError(HttpError):
    """An error VK reported inside an HTTP 200, with VK's own code."""

    def __init__(self, method: str, error: dict[str, Any]) -> None:
        # Never `request_params`: it echoes what was sent.
        code = error.get("error_code")
        self.code = code if isinstance(code, int) else None
        message = error.get("error_msg") or "no message"
        hint = _HINTS.get(self.code) if self.code is not None else None
        super().__init__(f"VK {method}: error {code}: {message}", status=200, hint=hint)


def _items(data: dict[str, Any], method: str) -> list[dict[str, Any]]:
    items = data.get("items") or []
    if not isinstance(items, list):
        raise SourceError(f"VK {method}: `items` is {type(items).__name__}, not a list")
    return [item for item in items if isinstance(item, dict)]


def _names(data: dict[str, Any]) -> dict[int, str]:
    """from_id -> name: people from `profiles`, communities (negative ids) from `groups`."""
    names: dict[int, str] = {}
    for person in _list(data.get("profiles")):
        if isinstance(person, dict) and isinstance(person.get("id"), int):
            full = " ".join(p for p in (person.get("first_name"), person.get("last_name")) if p)
            if full:
                names[person["id"]] = full
    for group in _list(data.get("groups")):
        if isinstance(group, dict) and isinstance(group.get("id"), int) and group.get("name"):
            names[-group["id"]] = str(group["name"])
    return names


def _root(comment: dict[str, Any]) -> Any:
    """The top-level comment a reply belongs to (`parents_stack`), or None."""
    stack = comment.get("parents_stack")
    return stack[0] if isinstance(stack, list) and stack else None


def _ref(value: Any) -> int:
    """A comment id to look up; 0 (never an id) for anything else."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _clean(text: Any) -> str | None:
    """VK text with `[id123|Name]` mentions turned into "Name"."""
    value = parse.text(text)
    return parse.text(_MENTION.sub(r"\1", value)) if value else None


def _attachment_markers(attachments: Any) -> str | None:
    """`[photo] [video]`: one marker per attachment (`parse.ATTACHMENTS` names them), or None."""
    kinds = [a.get("type") for a in _list(attachments) if isinstance(a, dict)]
    markers = [parse.attachment_marker(_ATTACHMENT_KINDS.get(str(k), str(k))) for k in kinds if k]
    return " ".join(markers) or None


_ATTACHMENT_KINDS = {
    "photo": "photo", "posted_photo": "photo", "graffiti": "photo", "video": "video",
    "sticker": "sticker", "doc": "doc", "audio": "audio", "audio_message": "audio",
}  # fmt: skip
"""VK's attachment types as the markers repcli uses on every platform."""


def _excerpt(text: Any, width: int = 100) -> str | None:
    """A post's first line, shortened: what a comment answers."""
    return parse.excerpt(_clean(text), width)


def _int(value: Any, field: str) -> int:
    return parse.whole_number(value, field, "VK")

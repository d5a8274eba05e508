"""Telegram channel comments, read from the channel's discussion group through the Bot API.

Comments on channel posts live in the linked discussion group: each post arrives there as an
automatic forward (`is_automatic_forward`, `sender_chat` = the channel, `from.id` 777000), and
comments are messages in that group whose `reply_to_message` is the forward or whose
`message_thread_id` is the forward's id. The forwards are not items; they are remembered (forward
id -> post text, channel post id) so each comment says which post it answers.

`getUpdates` with `offset` = last `update_id` + 1, `allowed_updates` message and edited_message,
`timeout` 0 (no long polling inside a fetch) and `limit` `page_size`. An `edited_message` replaces
the comment's text under the same external id (`chat_id:message_id`), so the store keeps the old
version. Replies from the channel itself, from the group (anonymous admins), from our bot or from
`staff_user_ids` to a customer's comment are the seller's answers: they fill the comment's
`answer_text`/`answered_at` (the first answer counts; an edit of it updates the text).

A photo, video, sticker, file or voice message without a caption is stored with its markers
(`[photo]`, `[video]`, `[sticker]`, `[doc]`, `[audio]`, see `parse.ATTACHMENTS`) as its text and
its file ids in `raw`: the pipeline asks for a reply to such a comment. An album (messages that
share a `media_group_id`) is one comment, under its first message: the caption of any of its
messages, else one marker per message; the others' payloads go into `raw["album"]`. The cursor
remembers recent albums, so a message of one that arrives on a later page is not a comment of its
own, and an answer to any of its messages answers the album.

Telegram forgets an update once a later `getUpdates` asks for a higher offset, and keeps
unread ones for 24 hours only, so: run at least daily; `--full` cannot go further back; and give
repcli a bot of its own (another program polling the same bot takes the updates, and a bot with
a webhook cannot poll at all). Each batch therefore carries the cursor that covers exactly its
updates (the pipeline stores both in one transaction): the cursor also keeps the posts and
answers seen so far, which a later page or run needs. The bot must see every message of the group:
make it an admin there, or turn its privacy mode off in @BotFather.

The token is part of the URL path (/bot<token>/getUpdates): errors here name the method and
Telegram's own words, never the URL.

Answers: `sendMessage` with chat_id = the discussion group, the text, and `reply_parameters` =
{"message_id": <the comment's message_id>, "allow_sending_without_reply": false} (a deleted
comment is a refusal, not a stray message); the bot must be allowed to post in the group. A bot
gets no updates for its own messages, so repcli's answer is known from the posting itself.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from repcli.errors import ConfigError, SourceError
from repcli.http import HostLimit, HttpError
from repcli.models import Item
from repcli.sources.base import (
    Batch,
    HttpSource,
    PostedReply,
    ReplyTarget,
    SocialSettings,
    refusals_as_rejections,
)
from repcli.sources.wire import parse
from repcli.sources.wire.paging import PageGuard, max_pages, row_ids

log = logging.getLogger(__name__)

UPDATES = ["message", "edited_message"]
SERVICE_USER = 777000
"""The "Telegram" account that sends automatic forwards of channel posts."""
KEEP_POSTS = 500
KEEP_ANSWERS = 500
KEEP_ALBUMS = 200
"""How many remembered posts, answers and albums the cursor keeps (the newest)."""
_TOKEN = re.compile(r"^(\d+):[A-Za-z0-9_-]{20,}$")


@dataclasses.dataclass(frozen=True, kw_only=True)
class TelegramSettings(SocialSettings):
    bot_token: str = dataclasses.field(metadata={"secret": True})
    """The token @BotFather gave a bot of repcli's own (123456789:AA...)."""
    chat_id: int
    """The channel's discussion group (a supergroup id, -100...)."""
    staff_user_ids: tuple[int, ...] = ()
    """Telegram user ids of the shop's people: their replies to comments are answers."""
    page_size: int = 100
    """Updates per request (`limit`, 1-100)."""


@dataclasses.dataclass
class _State:
    """What the cursor carries from page to page and run to run."""

    offset: int | None = None
    channel_id: int | None = None
    posts: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    """Forward message id (the thread id) -> {"text", "post" (channel post id), "channel"}."""
    answers: dict[str, list[Any]] = dataclasses.field(default_factory=dict)
    """Comment external id -> [answer text, unix date, the answering message id]."""
    albums: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    """media_group_id -> [the album's comment external id, its text]."""

    @classmethod
    def load(cls, cursor: dict[str, Any]) -> _State:
        offset, channel = cursor.get("offset"), cursor.get("channel_id")
        return cls(
            offset=offset if isinstance(offset, int) else None,
            channel_id=channel if isinstance(channel, int) else None,
            posts=dict(cursor.get("posts") or {}),
            answers=dict(cursor.get("answers") or {}),
            albums={
                str(k): v
                for k, v in _obj(cursor.get("albums")).items()
                if isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) for x in v)
            },
        )

    def dump(self) -> dict[str, Any]:
        newest = sorted(self.posts, key=int)[-KEEP_POSTS:]
        return {
            "offset": self.offset,
            "channel_id": self.channel_id,
            "posts": {key: self.posts[key] for key in newest},
            "answers": dict(list(self.answers.items())[-KEEP_ANSWERS:]),
            "albums": dict(list(self.albums.items())[-KEEP_ALBUMS:]),
        }

    def remember_post(self, forward: dict[str, Any]) -> dict[str, Any]:
        origin = _obj(forward.get("forward_origin"))
        channel = _obj(origin.get("chat")) or _obj(forward.get("sender_chat"))
        if isinstance(channel.get("id"), int):
            self.channel_id = channel["id"]
        post = {
            "text": _excerpt(forward.get("text") or forward.get("caption")),
            "post": origin.get("message_id") or forward.get("forward_from_message_id"),
            "channel": channel.get("username"),
        }
        self.posts[str(_int(forward.get("message_id"), "message_id"))] = post
        return post


class TelegramSource(HttpSource):
    type_name: ClassVar[str] = "telegram"
    platform: ClassVar[str] = "telegram"
    settings_class: ClassVar[type[Any]] = TelegramSettings
    description: ClassVar[str] = "Telegram channel comments in its discussion group (bot token)"
    default_base_url: ClassVar[str] = "https://api.telegram.org"
    # Reading has no documented limit (30 messages/s is the sending ceiling); one poller at a time.
    default_limit: ClassVar[HostLimit] = HostLimit(rate=5.0, burst=1, concurrency=1)

    async def fetch(self, cursor: dict[str, Any], full: bool = False) -> AsyncIterator[Batch]:
        self._validate()
        if full:
            log.info(
                "%s: the Bot API keeps only unread updates (24 h); --full reads those", self.name
            )
        state = _State.load(cursor)
        guard = PageGuard(
            self.name, "getUpdates", max_pages(self.settings, self.name), state.offset
        )
        while True:
            body: dict[str, Any] = {"limit": self.settings.page_size, "timeout": 0}
            body["allowed_updates"] = UPDATES
            if state.offset is not None:
                body["offset"] = state.offset
            updates = await self._call("getUpdates", body)
            if not isinstance(updates, list):
                raise SourceError(f"{self.name}: getUpdates answered {type(updates).__name__}")
            if not updates:
                break
            items = self._read([u for u in updates if isinstance(u, dict)], state)
            # The next request confirms these updates to Telegram, which then forgets them:
            # this batch's cursor covers exactly them, stored with them in one transaction.
            yield Batch(items, state.dump())
            if len(updates) < self.settings.page_size:
                break
            guard.next_page(state.offset, row_ids(updates, "update_id"))
        yield Batch([], state.dump())

    async def test(self) -> str:
        self._validate()
        me = await self._call("getMe", {})
        me = me if isinstance(me, dict) else {}
        name = f"@{me.get('username')}" if me.get("username") else "the bot"
        member = await self._call(
            "getChatMember", {"chat_id": self.settings.chat_id, "user_id": self._bot_id}
        )
        status = member.get("status") if isinstance(member, dict) else None
        # getUpdates without an offset confirms nothing; it fails if a webhook is set.
        await self._call("getUpdates", {"limit": 1, "timeout": 0, "allowed_updates": UPDATES})
        if status in ("left", "kicked"):
            return f"ok: {name} works, but it is not in the discussion group: add it there"
        if status not in ("administrator", "creator") and not me.get("can_read_all_group_messages"):
            return (
                f"ok: {name} reachable, but with privacy mode on and no admin rights it sees no "
                "comments: make it an admin of the discussion group (or /setprivacy off)"
            )
        return f"ok: {name} reachable, {status} of the discussion group"

    @property
    def _bot_id(self) -> int:
        return int(self.settings.bot_token.split(":", 1)[0])

    def _validate(self) -> None:
        if not _TOKEN.match(self.settings.bot_token or ""):
            raise ConfigError(
                f"sources: {self.name}: bot_token does not look like a bot token",
                "copy it from @BotFather (digits, a colon, then letters): ${TG_BOT_TOKEN}",
            )
        if self.settings.chat_id >= 0 or not 1 <= self.settings.page_size <= 100:
            raise ConfigError(
                f"sources: {self.name}: chat_id must be the discussion group's id (-100...)"
                " and page_size 1-100",
                "forward a message from the group to @getidsbot, or read chat.id in getUpdates",
            )

    # ---------------------------------------------------------------- updates to items

    def _read(self, updates: list[dict[str, Any]], state: _State) -> list[Item]:
        items: dict[str, Item] = {}
        for update in updates:
            state.offset = max(state.offset or 0, _int(update.get("update_id"), "update_id") + 1)
            message = update.get("message") or update.get("edited_message")
            if not isinstance(message, dict):
                continue
            if _obj(message.get("chat")).get("id") != self.settings.chat_id:
                continue  # another chat the bot is in
            if message.get("is_automatic_forward"):
                state.remember_post(message)
            elif self._is_staff(message, state):
                # an answer that cannot be read is set aside like a comment: it costs only itself
                self.parse_row(message, lambda m: self._answer(m, state, items), "comment")
            else:
                item = self.parse_row(message, lambda m: self._comment(m, state), "comment")
                if item is not None and not _in_album(item, state, items):
                    items[item.external_id] = item
        return [item for item in items.values() if self.keep(item.text)]

    def _is_staff(self, message: dict[str, Any], state: _State) -> bool:
        sender = _obj(message.get("sender_chat")).get("id")
        if sender is not None and sender in (state.channel_id, self.settings.chat_id):
            return True  # the channel itself, or an anonymous admin of the group
        user = _obj(message.get("from")).get("id")
        return user == self._bot_id or user in self.settings.staff_user_ids

    def _answer(self, message: dict[str, Any], state: _State, items: dict[str, Item]) -> None:
        """Remember the shop's answer to a comment (and set it on the comment's item)."""
        target = message.get("reply_to_message")
        text = _text(message)
        if not isinstance(target, dict) or target.get("is_automatic_forward") or not text:
            return  # the shop's own comment on a post, not an answer to someone
        if self._is_staff(target, state):
            return
        key = _album(target, state, [self._key(target), ""])[0]
        answer_id = _int(message.get("message_id"), "message_id")
        earlier = state.answers.get(key)
        if earlier and earlier[2] != answer_id:
            return  # the first answer counts; an edit of it replaces its text
        date = _int(message.get("date"), "date")
        answered_at = parse.parse_time(date, "date")  # before it is remembered: a bad date
        state.answers[key] = [text, date, answer_id]  # must not follow the comment around
        item = items.get(key) or self._comment(target, state)
        if item is not None and item.external_id != key:  # another message of the album
            item.external_id, item.text = key, state.albums[str(target["media_group_id"])][1]
        if item is not None:  # rebuilt from the replied-to copy if it came in an earlier run
            item.answer_text, item.answered_at = text, answered_at
            items[key] = item

    def _comment(self, message: dict[str, Any], state: _State) -> Item | None:
        reply = _obj(message.get("reply_to_message"))
        if isinstance(reply, dict) and reply.get("is_automatic_forward"):
            post: dict[str, Any] | None = state.remember_post(reply)
        else:
            post = state.posts.get(str(message.get("message_thread_id")))
        user = _obj(message.get("from"))
        text = _text(message) or _marker(message)
        if post is None or user.get("id") == SERVICE_USER or not text:
            return None  # not a comment on a channel post, or nothing to read (a poll)
        try:
            key = self._key(message)
            answer = state.answers.get(key)
            return Item(
                source=self.name,
                platform=self.platform,
                kind="comment",
                external_id=key,
                created_at=parse.parse_time(message["date"], "date"),
                updated_at=parse.optional_time(message.get("edit_date"), "edit_date"),
                text=text,
                url=self._url(message, post),
                product_id=str(post["post"]) if post.get("post") else None,
                product_name=post.get("text"),
                author=_author(message),
                answer_text=answer[0] if answer else None,
                answered_at=parse.parse_time(answer[1], "answer date") if answer else None,
                raw=message,
            )
        except (KeyError, TypeError, IndexError) as exc:
            raise SourceError(
                f"{self.name}: a Telegram message without the expected fields ({exc!r})"
            ) from None

    can_reply = True

    async def post_reply(self, target: ReplyTarget, text: str) -> PostedReply:
        chat, _, message_id = target.external_id.rpartition(":")
        body = {
            "chat_id": int(chat) if chat.lstrip("-").isdigit() else self.settings.chat_id,
            "text": text,
            "reply_parameters": {
                "message_id": int(message_id),
                "allow_sending_without_reply": False,
            },
        }
        with refusals_as_rejections("Telegram"):
            result = await self._call("sendMessage", body)
        sent = _obj(result).get("message_id")
        return PostedReply(external_id=f"{body['chat_id']}:{sent}" if sent else None)

    def _key(self, message: dict[str, Any]) -> str:
        return f"{self.settings.chat_id}:{_int(message.get('message_id'), 'message_id')}"

    def _url(self, message: dict[str, Any], post: dict[str, Any]) -> str | None:
        message_id = message.get("message_id")
        if post.get("channel") and post.get("post"):
            return f"https://t.me/{post['channel']}/{post['post']}?comment={message_id}"
        group = _obj(message.get("chat")).get("username")
        if group:
            return f"https://t.me/{group}/{message_id}"
        chat = str(self.settings.chat_id)
        return f"https://t.me/c/{chat[4:]}/{message_id}" if chat.startswith("-100") else None

    # ---------------------------------------------------------------- the wire

    async def _call(self, method: str, body: dict[str, Any]) -> Any:
        # 429 is retried by the HTTP layer after `Retry-After`, which the Bot API server sets to
        # the body's `parameters.retry_after`.
        response = await self.ctx.http.request(
            "POST",
            f"{self.base_url}/bot{self.settings.bot_token}/{method}",
            limit=self.limit,
            idempotent=method.startswith("get"),  # getUpdates, getMe...; not sendMessage
            json_body=body,
        )
        try:
            payload = response.json()
        except HttpError:
            if response.status < 400:
                raise
            payload = None
        if not isinstance(payload, dict):
            payload = {}
        if response.status >= 400 or payload.get("ok") is not True:
            raise _error(method, response.status, payload)
        return payload.get("result")


def _error(method: str, status: int, payload: dict[str, Any]) -> HttpError:
    code = payload.get("error_code") or status
    description = str(payload.get("description") or "no description")
    hint = None
    if code == 401:
        hint = "the bot token is wrong or was revoked: copy the current one from @BotFather"
    elif code == 404:
        hint = "Telegram answers 404 Not Found to a malformed token: check bot_token"
    elif code == 409 and "webhook" in description:
        hint = (
            "this bot has a webhook, and Telegram refuses getUpdates while one is set: call "
            "deleteWebhook for it, or give repcli a bot of its own"
        )
    elif code == 409:
        hint = "another program is reading this bot's updates: give repcli a bot of its own"
    elif code == 400 and "chat not found" in description:
        hint = "check chat_id, and that the bot is a member of the discussion group"
    return HttpError(f"Telegram {method}: HTTP {code}: {description}", status=status, hint=hint)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(message: dict[str, Any]) -> str | None:
    return parse.text(message.get("text") or message.get("caption"))


_MEDIA = (
    ("photo", "photo"), ("animation", "video"), ("video", "video"), ("video_note", "video"),
    ("sticker", "sticker"), ("voice", "audio"), ("audio", "audio"), ("document", "doc"),
)  # fmt: skip
"""Message fields that hold a file, and their markers. `animation` comes before `document`:
Telegram sets both on a GIF, for backward compatibility."""


def _marker(message: dict[str, Any]) -> str | None:
    """`[photo]` for a photo without a caption, `[audio]` for a voice message...; else None."""
    for field, kind in _MEDIA:
        if message.get(field):
            return parse.attachment_marker(kind)
    return None


def _album(message: dict[str, Any], state: _State, default: list[str]) -> list[str]:
    """[external id, text] of the album `message` belongs to; `default` when none is known."""
    group = message.get("media_group_id")
    return state.albums.get(str(group), default) if group else default


def _in_album(item: Item, state: _State, items: dict[str, Item]) -> bool:
    """True when `item` is a later message of an album: merged into the album's comment (its
    caption, else its marker, is added; its payload goes to `raw["album"]`) or, if that came
    on an earlier page, left out. The first message of an album is remembered."""
    raw = item.raw or {}
    group = raw.get("media_group_id")
    if not group:
        return False
    key, _ = state.albums.setdefault(str(group), [item.external_id, item.text])
    if key == item.external_id:  # the first message, or an edit of it
        state.albums[str(group)][1] = item.text
        return False
    first = items.get(key)
    if first is None:
        log.debug("album %s: message %s came after its comment was stored", group, item.external_id)
        return True
    if parse.attachments_only(first.text):
        caption = not parse.attachments_only(item.text)
        first.text = item.text if caption else f"{first.text} {item.text}"
    first.raw = {**(first.raw or {}), "album": [*(first.raw or {}).get("album", []), raw]}
    state.albums[str(group)][1] = first.text
    return True


def _author(message: dict[str, Any]) -> str | None:
    sender = _obj(message.get("sender_chat"))
    if sender.get("title"):
        return str(sender["title"])  # someone commenting as their own channel
    user = _obj(message.get("from"))
    name = " ".join(str(p) for p in (user.get("first_name"), user.get("last_name")) if p)
    return name or (f"@{user['username']}" if user.get("username") else None)


def _excerpt(text: Any, width: int = 100) -> str | None:
    """A post's first line, shortened: what a comment answers."""
    return parse.excerpt(parse.text(text), width)


def _int(value: Any, field: str) -> int:
    return parse.whole_number(value, field, "Telegram")

"""Posting approved replies through each source's answer API, exactly once.

Each reply is claimed (approved/failed -> posting, committed) before its request is sent, so two
runs never post it twice. The platform's answer decides what follows: posted (the item leaves the
queue), failed with the platform's own error kept next to the draft for a retry (a refusal, or a
request that never left this machine), or unknown: the request may have reached the platform but
no answer said what it did (a 5xx, a timeout, a dropped connection). The HTTP layer never repeats
such a request (`http.OutcomeUnknown`). A run killed mid-request leaves the reply in `posting`.
Neither is retried by itself, because the platform may already show it: the next fetch that sees
the answer settles it as posted, or `repcli post ID --was-posted yes|no` after a look.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from repcli import secrets
from repcli.errors import ConfigError, NotFoundError, RepcliError, ReplyRejected, UsageError
from repcli.http import OutcomeUnknown

if TYPE_CHECKING:
    from repcli.config import Config
    from repcli.http import Http
    from repcli.sources.base import FetchContext, Source
    from repcli.store import Store
    from repcli.store.rows import ItemRow, ReplyRow

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class PostOutcome:
    reply_id: int
    item_id: int
    source: str
    result: str
    """posted, failed, unknown, skipped, or would-post (a dry run)."""
    message: str = ""
    external_id: str | None = None


def _source(config: Config, ctx: FetchContext, name: str) -> Source:
    from repcli.sources.registry import source_class

    try:
        src = config.source(name)
    except NotFoundError:
        raise UsageError(
            f"source {name!r} is no longer in the config", "add it back to post its replies"
        ) from None
    source: Source = source_class(src.type)(src, ctx)
    return source


def _target(store: Store, item: ItemRow) -> Any:
    from repcli.sources.base import ReplyTarget

    raw = store.item_raw(item["id"])
    return ReplyTarget(
        external_id=item["external_id"],
        kind=item["kind"],
        product_id=item.get("product_id"),
        author=item.get("author"),
        raw=json.loads(raw) if raw else None,
    )


def _blocker(store: Store, reply: ReplyRow, item: ItemRow) -> str | None:
    """Why this reply must not be posted now, or None."""
    if reply["status"] == "posting":
        return (
            "a run stopped while posting it, so it may be on the platform already: "
            f"look, then `repcli post {reply['id']} --was-posted yes|no`"
        )
    if reply["status"] == "unknown":
        return (
            "its last post may have reached the platform (no answer said): "
            f"look, then `repcli post {reply['id']} --was-posted yes|no`"
        )
    if reply["status"] == "posted":
        return "already posted"
    if reply["status"] == "draft":
        return f"not approved yet: `repcli reply {item['id']} --approve`"
    if item.get("answer_text"):
        return "the item already has an answer on the platform"
    return None


def post_replies(
    config: Config,
    store: Store,
    reply_ids: Sequence[int],
    now: datetime,
    actor: str,
    dry_run: bool = False,
    http: Http | None = None,
) -> list[PostOutcome]:
    """Post the given replies in order; one platform's failure does not stop the others."""
    from repcli.sources.base import FetchContext

    async def run() -> list[PostOutcome]:
        ctx = FetchContext(now, http)
        try:
            return [
                await _post_one(config, store, ctx, rid, now, actor, dry_run) for rid in reply_ids
            ]
        finally:
            await ctx.aclose()

    return asyncio.run(run())


async def _post_one(
    config: Config,
    store: Store,
    ctx: FetchContext,
    reply_id: int,
    now: datetime,
    actor: str,
    dry_run: bool,
) -> PostOutcome:
    reply = store.reply(reply_id)
    item = store.get_item(reply["item_id"])
    assert item is not None  # a foreign key
    outcome = functools.partial(PostOutcome, reply_id, item["id"], item["source"])
    blocker = _blocker(store, reply, item)
    if blocker:
        return outcome("skipped", blocker)
    try:
        source = _source(config, ctx, item["source"])
        if not source.can_reply:
            return outcome("skipped", f"{source.type_name} sources cannot post answers here")
        target = _target(store, item)
    except ConfigError:
        raise  # a missing or malformed credential: exit 3 for the whole command, nothing sent
    except RepcliError as exc:
        return outcome("skipped", str(exc))
    if dry_run:
        return outcome("would-post", f"as the answer to {target.external_id} on {item['platform']}")
    if not store.claim_for_posting(reply_id, now):
        return outcome("skipped", "another run is posting it")
    try:
        posted = await source.post_reply(target, reply["text"])
    except OutcomeUnknown as exc:
        message = secrets.redact(
            f"{exc.message}; it may be on the platform: look, then "
            f"`repcli post {reply_id} --was-posted yes|no` (the next fetch that sees it settles it)"
        )
        store.posting_unknown(reply_id, now, actor, message)
        return outcome("unknown", message)
    except ReplyRejected as exc:
        message = secrets.redact(str(exc))
    except RepcliError as exc:
        message = secrets.redact(f"{exc} (will retry: `repcli post {reply_id}`)")
    except Exception as exc:  # a connector bug must not leave the reply stuck in `posting`
        log.debug("posting reply %s failed", reply_id, exc_info=True)
        message = secrets.redact(f"{type(exc).__name__}: {exc}")
    else:
        store.finish_posting(reply_id, now, actor, external_id=posted.external_id)
        return outcome("posted", "", posted.external_id)
    store.finish_posting(reply_id, now, actor, error=message)
    return outcome("failed", message)

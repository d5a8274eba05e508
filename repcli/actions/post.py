"""post: send approved replies to their platforms (by default every approved one, for cron),
or settle a reply whose outcome is unknown after a person looked (`was_posted`)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING

from repcli.errors import ExitCode

if TYPE_CHECKING:
    from repcli.config.model import Config
    from repcli.http import Http
    from repcli.store import Store
    from repcli.workflow.posting import PostOutcome

WAS_POSTED = ("yes", "no")


@dataclasses.dataclass(frozen=True)
class PostOptions:
    reply_ids: tuple[int, ...] = ()
    """The replies to post (default: every approved one, oldest first)."""
    dry_run: bool = False
    """Check everything, send nothing."""
    retry_failed: bool = False
    """With no `reply_ids`: also the replies whose last post failed."""
    was_posted: str | None = None
    """`yes` or `no`: settle `reply_ids`, left in `posting` or `unknown`, as a person found them
    on the platform (posted, or failed); nothing is sent."""

    def __post_init__(self) -> None:
        from repcli.errors import UsageError

        if self.was_posted is not None and (
            self.was_posted not in WAS_POSTED or not self.reply_ids
        ):
            raise UsageError("use `repcli post REPLY_ID --was-posted yes` (or no)")


class PostSteps:
    """Told of each step as it is done (each method does nothing unless overridden): the CLI
    says them in order even when a later step fails."""

    def settled(self, reply_id: int, posted: bool) -> None:
        """With `was_posted`: the reply is now posted (True) or failed (False)."""


@dataclasses.dataclass
class PostResult:
    reply_ids: list[int]
    """The replies asked for: the ones given, or the approved (and with `retry_failed`, failed)
    ones found; empty when there was nothing to post."""
    outcomes: list[PostOutcome] = dataclasses.field(default_factory=list)
    """What posting did to each (empty with `was_posted`)."""
    settled: list[tuple[int, bool]] = dataclasses.field(default_factory=list)
    """With `was_posted`: (reply id, posted) for each reply settled."""

    @property
    def exit_code(self) -> ExitCode:
        """SOURCES_FAILED (6) when a reply failed or its outcome is unknown; ERROR (1) when the
        one reply asked for was skipped; else OK."""
        from repcli.actions.reply import posting_exit_code

        return posting_exit_code(self.outcomes, len(self.reply_ids))


def run(
    config: Config,
    store: Store,
    options: PostOptions,
    now: datetime,
    actor: str,
    *,
    steps: PostSteps | None = None,
    http: Http | None = None,
) -> PostResult:
    """Post (or with `was_posted`, settle) the replies `options` name, in order; one platform's
    failure does not stop the others. Raises NotFoundError for an unknown reply, UsageError for
    a reply that is not waiting to be settled or whose source left the config."""
    steps = steps or PostSteps()
    if options.was_posted is not None:
        posted = options.was_posted == "yes"
        result = PostResult(reply_ids=list(options.reply_ids))
        for rid in options.reply_ids:
            store.resolve_stuck_reply(rid, posted, now, actor)
            result.settled.append((rid, posted))
            steps.settled(rid, posted)
        return result
    reply_ids = list(options.reply_ids)
    if not reply_ids:
        statuses = ["approved", "failed"] if options.retry_failed else ["approved"]
        reply_ids = [r["id"] for r in reversed(store.list_replies(statuses))]
    result = PostResult(reply_ids=reply_ids)
    if reply_ids:
        from repcli.workflow.posting import post_replies

        result.outcomes = post_replies(
            config, store, reply_ids, now, actor, options.dry_run, http=http
        )
    return result

"""reply: draft (from a template or a given text), approve and post the shop's public answer to
one item."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from repcli.errors import ExitCode

if TYPE_CHECKING:
    from repcli.config.model import Config
    from repcli.http import Http
    from repcli.store import Store
    from repcli.store.rows import ItemRow, ReplyRow
    from repcli.workflow.posting import PostOutcome


@dataclasses.dataclass(frozen=True)
class ReplyOptions:
    template: str | None = None
    """Draft from this template (default: the best fit, when the item has no reply yet)."""
    text: str | None = None
    """Draft this text instead of a template."""
    preview: bool = False
    """Give the draft's text back; save nothing."""
    approve: bool = False
    post: bool = False
    """Post the approved reply to the platform."""
    dry_run: bool = False
    """With `post`: check everything, send nothing."""


class ReplySteps:
    """Told of each step as it is done (each method does nothing unless overridden): the CLI
    says them in order even when a later step fails."""

    def drafted(self, item_id: int, reply_id: int, template: str | None) -> None:
        """A new draft was saved (from `template`, or a given text when None)."""

    def ready(self, reply: ReplyRow) -> None:
        """The reply as it stands after drafting and approving, before any posting."""


@dataclasses.dataclass
class ReplyResult:
    item: ItemRow
    preview: str | None = None
    """With `preview`: the text that would be drafted (or the current draft); nothing saved."""
    drafted: tuple[int, str | None] | None = None
    """(reply id, template name or None) when a new draft was saved."""
    reply: ReplyRow | None = None
    """The reply after drafting and approving (None with `preview`)."""
    outcomes: list[PostOutcome] = dataclasses.field(default_factory=list)
    """With `post`: what posting did."""

    @property
    def exit_code(self) -> ExitCode:
        return posting_exit_code(self.outcomes, 1)


def posting_exit_code(outcomes: Sequence[PostOutcome], asked: int) -> ExitCode:
    """6 when a reply failed or its outcome is unknown; 1 when the one reply asked for was
    skipped; else 0."""
    if any(o.result in ("failed", "unknown") for o in outcomes):
        return ExitCode.SOURCES_FAILED
    if any(o.result == "skipped" for o in outcomes) and asked == 1:
        return ExitCode.ERROR
    return ExitCode.OK


def run(
    config: Config,
    store: Store,
    item_id: int,
    options: ReplyOptions,
    now: datetime,
    actor: str,
    *,
    edit: Callable[[str], str] | None = None,
    steps: ReplySteps | None = None,
    http: Http | None = None,
) -> ReplyResult:
    """Draft, approve and post as `options` ask; `edit` is given the draft text to change
    (an editor). With nothing asked it drafts from the best-fitting template, or keeps the
    existing draft. Raises NotFoundError for an unknown item, UsageError for options that do
    not go together or a reply over the platform's limits."""
    from repcli.errors import NotFoundError, UsageError

    steps = steps or ReplySteps()
    item = store.get_item(item_id)
    if item is None:
        raise NotFoundError(
            f"no item with ID {item_id}", "IDs are in the first column of check, queue and list"
        )
    if options.text is not None and options.template:
        raise UsageError("--text and --template are alternatives: pass one")
    current = store.open_reply(item_id)
    new_text: str | None = None
    name: str | None = None
    if options.text is not None:
        new_text = options.text.strip()
        if not new_text:
            raise UsageError("--text is empty")
    elif options.template or (current is None and not store.posted_reply(item_id)):
        new_text, name = draft_text(config, store, item, options.template)
    if edit is not None:
        new_text = edit(new_text if new_text is not None else current["text"] if current else "")
    result = ReplyResult(item=item)
    if options.preview:
        result.preview = new_text if new_text is not None else current["text"] if current else ""
        return result
    if new_text is not None:
        with store.transaction():
            reply_id = store.save_draft(item_id, new_text, name, now, actor)
        result.drafted = (reply_id, name)
        steps.drafted(item_id, reply_id, name)
    elif current is not None:
        reply_id = current["id"]
    else:
        posted = store.posted_reply(item_id)
        if posted is None:  # pragma: no cover - drafted above
            raise UsageError(f"item {item_id} has no reply")
        reply_id = posted["id"]
    rep = store.reply(reply_id)
    if options.approve:
        check_limits(item, rep["text"], reply_id)
        with store.transaction():
            store.approve_reply(reply_id, now, actor)
        rep = store.reply(reply_id)
    result.reply = rep
    steps.ready(rep)
    if options.post or options.dry_run:
        if not options.post:
            raise UsageError("--dry-run goes with --post")
        from repcli.workflow.posting import post_replies

        result.outcomes = post_replies(
            config, store, [reply_id], now, actor, options.dry_run, http=http
        )
    return result


def draft_text(
    config: Config, store: Store, item: ItemRow, template: str | None
) -> tuple[str, str]:
    """(text, template name) for the item: the named template or the best fit, filled in."""
    from repcli.errors import UsageError
    from repcli.workflow import templates as tpl

    wf = config.workflow
    available = tpl.load_templates(wf.templates, wf.builtin_templates)
    chosen = tpl.by_name(available, template) if template else tpl.choose(available, item)
    if chosen is None:
        raise UsageError(
            f"no reply template fits item {item['id']} (lang {item.get('lang') or 'unknown'})",
            "pass --template NAME or --text, or add a template (README, 'Replies and templates')",
        )
    values = tpl.variables(item, config.shop, wf.signature, store.order_for_item(item["id"]))
    return tpl.render(chosen.text, values), chosen.name


def check_limits(item: ItemRow, text: str, reply_id: int) -> None:
    """UsageError when the text breaks the platform's limits for the item's kind."""
    from repcli.errors import UsageError
    from repcli.workflow.limits import problems

    found = problems(item.get("platform"), item.get("kind"), text)
    if found:
        raise UsageError(
            f"reply {reply_id} cannot be approved: " + "; ".join(found),
            f"edit it: `repcli reply {item['id']} --edit` (docs/connectors.md, 'Answer limits')",
        )

"""The response workflow: mark, assign, note, reply, replies, post, templates."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from repcli.actions.post import PostSteps
from repcli.actions.reply import ReplySteps
from repcli.cli.context import State
from repcli.cli.options import Format, FormatOpt, LimitOpt, SourceOpt
from repcli.errors import ExitCode

if TYPE_CHECKING:
    from repcli.store.rows import ItemRow, ReplyListRow, ReplyRow
    from repcli.workflow.posting import PostOutcome
    from repcli.workflow.templates import Template

IdsArg = Annotated[list[int], typer.Argument(metavar="ID...", help="Item IDs (first column).")]
ItemArg = Annotated[int, typer.Argument(metavar="ID", help="The item's ID (first column).")]


class ItemStatus(enum.StrEnum):
    new = "new"
    open = "open"
    answered = "answered"
    ignored = "ignored"
    resolved = "resolved"


class ReplyStatus(enum.StrEnum):
    draft = "draft"
    approved = "approved"
    posting = "posting"
    unknown = "unknown"
    posted = "posted"
    failed = "failed"


def mark(
    ctx: typer.Context,
    status: Annotated[ItemStatus, typer.Argument(help="The new status.", case_sensitive=False)],
    ids: IdsArg,
    note: Annotated[
        str | None,
        typer.Option(
            "--note", metavar="TEXT", help="Why (kept in the history).", show_default=False
        ),
    ] = None,
) -> None:
    """Set items' status: open, answered (elsewhere), ignored, resolved, or back to new.

    Answered, ignored and resolved items leave the queue; an answer seen on the platform
    marks an item answered by itself.
    """
    state: State = ctx.obj
    store = state.store
    with store.transaction():
        changed = store.set_status(ids, status.value, state.now, state.actor, note)
    same = len(ids) - len(changed)
    state.info(
        f"{len(changed)} item(s) now {status.value}" + (f"; {same} already were" if same else "")
    )


def assign(
    ctx: typer.Context,
    who: Annotated[str, typer.Argument(help="Who takes them; `-` to unassign.")],
    ids: IdsArg,
) -> None:
    """Assign items to someone (new items become open).

    `repcli queue --assignee NAME` shows their queue; `-` unassigns.
    """
    state: State = ctx.obj
    assignee = None if who == "-" else who
    with state.store.transaction():
        state.store.assign(ids, assignee, state.now, state.actor)
    from repcli.cli.output import plain

    state.info(plain(f"{len(ids)} item(s) " + (f"assigned to {who}" if assignee else "unassigned")))


def note(
    ctx: typer.Context,
    item_id: ItemArg,
    text: Annotated[str, typer.Argument(help="The note.")],
) -> None:
    """Add a note to an item's history (shown by `show`)."""
    state: State = ctx.obj
    with state.store.transaction():
        state.store.add_note(item_id, text, state.now, state.actor)
        state.store.open_item(item_id)
    state.info(f"note added to #{item_id}")


def _templates(state: State) -> list[Template]:
    from repcli.workflow.templates import load_templates

    wf = state.config.workflow
    return load_templates(wf.templates, wf.builtin_templates)


def _draft_text(state: State, item: ItemRow, template: str | None) -> tuple[str, str]:
    """(text, template name) for the item: the named template or the best fit, filled in."""
    from repcli.actions.reply import draft_text

    return draft_text(state.config, state.store, item, template)


def _edit(text: str) -> str:
    import click

    from repcli.errors import UsageError

    edited: str | None = click.edit(text, extension=".txt", require_save=True)
    if edited is None:
        raise UsageError("the editor closed without saving: nothing changed")
    return edited.strip()


def reply(
    ctx: typer.Context,
    item_id: ItemArg,
    template: Annotated[
        str | None,
        typer.Option("--template", "-t", help="Use this template.", show_default=False),
    ] = None,
    text: Annotated[
        str | None, typer.Option("--text", help="Reply with this text.", show_default=False)
    ] = None,
    edit: Annotated[bool, typer.Option("--edit", help="Edit the draft in $EDITOR.")] = False,
    preview: Annotated[
        bool, typer.Option("--preview", help="Show the draft; save nothing.")
    ] = False,
    approve: Annotated[bool, typer.Option("--approve", help="Approve the draft.")] = False,
    post: Annotated[
        bool, typer.Option("--post", help="Post the approved reply to the platform.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="With --post: check everything, send nothing.")
    ] = False,
) -> None:
    """Draft, approve and post the shop's public answer to an item.

    With no options it drafts from the best-fitting template (or shows the existing draft).
    Steps can be combined: `repcli reply 12 --text "..." --approve --post`.
    """
    from repcli.actions import reply as action

    state: State = ctx.obj
    options = action.ReplyOptions(
        template=template, text=text, preview=preview, approve=approve, post=post, dry_run=dry_run
    )
    result = action.run(
        state.config, state.store, item_id, options, state.now, state.actor,
        edit=_edit if edit else None, steps=_ReplySteps(state),
    )  # fmt: skip
    if result.preview is not None:
        from repcli.cli.output import plain
        from repcli.render import human

        state.out.print(plain(human.safe(result.preview)))
        return
    if options.post:
        _print_outcomes(state, result.outcomes)
        if result.exit_code is not ExitCode.OK:
            raise typer.Exit(int(result.exit_code))


class _ReplySteps(ReplySteps):
    def __init__(self, state: State) -> None:
        self.state = state

    def drafted(self, item_id: int, reply_id: int, template: str | None) -> None:
        self.state.info(
            f"draft reply {reply_id} for #{item_id}"
            + (f" (template {template})" if template else "")
        )

    def ready(self, reply: ReplyRow) -> None:
        self.state.out.print(_reply_panel(reply))


def _reply_panel(rep: ReplyRow) -> Any:
    from rich.panel import Panel
    from rich.text import Text

    from repcli.cli.output import plain
    from repcli.render import human

    style = {"approved": "green", "posted": "bold green", "failed": "red"}.get(rep["status"], "")
    title = Text.assemble(f"reply {rep['id']} · ", (rep["status"], style))
    body = plain(human.safe(rep["text"]))
    if rep.get("platform_error"):
        body.append("\n\n[platform said] ")
        body.append_text(plain(human.safe(rep["platform_error"])))
    return Panel(body, title=title, title_align="left", expand=False)


def _print_outcomes(state: State, outcomes: list[PostOutcome]) -> None:
    from repcli.cli.output import line, plain

    marks = {"posted": ("✓ posted", "green"), "would-post": ("✓ would post", "cyan"),
             "failed": ("✗ failed", "red"), "skipped": ("– skipped", "yellow"),
             "unknown": ("? unknown", "yellow")}  # fmt: skip
    for o in outcomes:
        what = plain(f" reply {o.reply_id} (#{o.item_id}, {o.source})")
        state.info(line(marks[o.result], what, ": " if o.message else "", plain(o.message or "")))


def post(
    ctx: typer.Context,
    reply_ids: Annotated[
        list[int] | None,
        typer.Argument(
            metavar="[REPLY_ID]...", help="Replies to post (default: every approved one)."
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check everything, send nothing.")
    ] = False,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Also retry replies whose last post failed.")
    ] = False,
    was_posted: Annotated[
        str | None,
        typer.Option(
            "--was-posted",
            metavar="[yes|no]",
            help="For a reply left in `posting` by a stopped run or in `unknown` (no answer said "
            "whether the platform took it): yes (it is on the platform) or no (it becomes failed; "
            "`--retry-failed` sends it again).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Post approved replies (for cron: `repcli post` posts everything approved).

    Exit 6 when a platform refused or could not be reached; the draft is kept with the
    platform's error, and `--retry-failed` tries it again. A reply whose outcome is unknown (a
    5xx or a timeout after it was sent) is never sent again by itself: the next fetch that sees
    it settles it, or `--was-posted yes|no`.
    """
    from repcli.actions import post as action

    state: State = ctx.obj
    options = action.PostOptions(
        reply_ids=tuple(reply_ids or ()), dry_run=dry_run, retry_failed=retry_failed,
        was_posted=was_posted,
    )  # fmt: skip
    result = action.run(
        state.config, state.store, options, state.now, state.actor, steps=_PostSteps(state)
    )
    if options.was_posted is not None:
        return
    if not result.reply_ids:
        state.info("[dim]nothing to post: no approved replies[/dim]")
        return
    _print_outcomes(state, result.outcomes)
    if result.exit_code is not ExitCode.OK:
        raise typer.Exit(int(result.exit_code))


class _PostSteps(PostSteps):
    def __init__(self, state: State) -> None:
        self.state = state

    def settled(self, reply_id: int, posted: bool) -> None:
        self.state.info(f"reply {reply_id} marked " + ("posted" if posted else "failed"))


def replies(
    ctx: typer.Context,
    status: Annotated[
        list[ReplyStatus] | None,
        typer.Option(
            "--status",
            metavar="STATUS",
            help="Only replies in this state: draft, approved, posting, unknown, posted or failed "
            "(repeatable).",
            show_default=False,
        ),
    ] = None,
    source: SourceOpt = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = None,
) -> None:
    """Replies and their state: draft, approved, posting, unknown, posted, or failed (and why)."""
    from repcli.cli import output

    state: State = ctx.obj
    fmt_ = output.resolve_format(state, fmt, tuple(Format))
    rows = state.store.list_replies(
        [s.value for s in status or ()], source or (), output.limit_of(state, limit, fmt_)
    )
    if fmt_ is Format.table:
        state.info(_reply_counts(state.store.list_replies([], source or ())))
    columns = ("id", "item_id", "source", "status", "template", "text", "drafted_by",
               "created_at", "approved_at", "posted_at", "attempts", "platform_error")  # fmt: skip
    from repcli.render import tables

    output.emit(
        state, fmt_, rows, columns=columns, key="replies",
        table=lambda: tables.replies_table(rows, state.now),
        empty="No replies yet: `repcli reply ID` drafts one.",
    )  # fmt: skip


def _reply_counts(rows: list[ReplyListRow]) -> Any:
    """`2 draft · 1 approved · 0 posting · 1 unknown · 3 posted · 1 failed`, each in its colour."""
    from collections import Counter

    from rich.text import Text

    counts = Counter(r["status"] for r in rows)
    styles = {"approved": "green", "posted": "bold green", "failed": "red", "unknown": "yellow",
              "posting": "yellow"}  # fmt: skip
    line = Text()
    for i, s in enumerate(ReplyStatus):
        line.append(" · " if i else "")
        line.append(
            f"{counts[s.value]} {s.value}",
            style=styles.get(s.value, "") if counts[s.value] else "dim",
        )
    return line


DRAFT_COLUMNS = ("item_id", "reply_id", "source", "platform", "kind", "rating", "lang", "status",
                 "fresh", "auto", "template", "problems", "item_text", "text")  # fmt: skip


def draft(
    ctx: typer.Context,
    source: SourceOpt = None,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind", help="Only review, question or comment (repeatable).", show_default=False
        ),
    ] = None,
    topic: Annotated[
        list[str] | None,
        typer.Option(
            "--topic", "-t", help="Only items with this topic (repeatable).", show_default=False
        ),
    ] = None,
    rating: Annotated[
        str | None,
        typer.Option(
            "--rating",
            metavar="RATINGS",
            help="Only these ratings: 1, 1-2, 4,5, <=2 or >=4.",
            show_default=False,
        ),
    ] = None,
    lang: Annotated[
        list[str] | None,
        typer.Option(
            "--lang",
            help="Only items in this language: ru, uk, en (repeatable).",
            show_default=False,
        ),
    ] = None,
    unanswered: Annotated[
        bool,
        typer.Option(
            "--unanswered",
            help="Every unanswered item, not only the queue (also "
            "praise that needs no answer: thank-yous).",
        ),
    ] = False,
    approve: Annotated[
        bool, typer.Option("--approve", help="Approve the drafts shown (but --skip ones).")
    ] = False,
    skip: Annotated[
        list[int] | None,
        typer.Option(
            "--skip",
            metavar="ID",
            help="With --approve: leave this item's draft unapproved (repeatable).",
            show_default=False,
        ),
    ] = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = None,
) -> None:
    """Draft answers for the whole queue on one screen; `--approve` keeps them.

    Each item in the queue that matches the filters gets a draft from its best template (an
    existing draft is shown, never overwritten); the platform's limits are checked on each.
    Read them, fix any with `repcli reply ID --edit`, then run the same command with
    `--approve` (and `--skip ID` for the ones you don't keep); `repcli post` sends them.
    `workflow.auto_approve` rules in the config approve narrow cases by themselves (off
    unless configured).
    """
    from repcli.actions import draft as action
    from repcli.cli import output
    from repcli.cli.filters import item_filter, narrow
    from repcli.cli.output import plain
    from repcli.render import tables

    state: State = ctx.obj
    fmt_ = output.resolve_format(state, fmt, tuple(Format))
    flt = narrow(state, item_filter(state, source, None, limit, fmt_, kinds=kind), topic, rating)
    options = action.DraftOptions(
        filter=flt, langs=tuple(lang or ()), unanswered=unanswered, approve=approve,
        skip=tuple(skip or ()),
    )  # fmt: skip
    action.checked(state.config, options)  # before the store is opened
    result = action.run(state.config, state.store, options, state.now, state.actor)
    drafts = result.drafts
    rows = [d.row() for d in drafts]
    output.emit(
        state, fmt_, rows, columns=DRAFT_COLUMNS, key="drafts",
        table=lambda: tables.drafts_table(rows),
        empty="Nothing to draft: the queue is empty for these filters.",
    )  # fmt: skip
    summary = f"{len(drafts)} draft(s), {result.fresh} new; {result.approved} approved"
    if result.auto:
        summary += f" ({result.auto} by workflow.auto_approve)"
    if result.blocked:
        summary += f"; {result.blocked} over the platform's limits (fix: `repcli reply ID --edit`)"
    state.info(summary)
    for item_id, why in result.held:
        state.info(plain(f"  #{item_id} not approved: {why}"))
    if drafts and not approve and result.approved < len(drafts):
        state.info("[dim]keep them: the same command with --approve (--skip ID to leave one "
                   "out); then `repcli post --dry-run`[/dim]")  # fmt: skip


def templates(
    ctx: typer.Context,
    item_id: Annotated[
        int | None,
        typer.Option(
            "--item",
            metavar="ID",
            help="Show which template fits this item, filled in.",
            show_default=False,
        ),
    ] = None,
    fmt: FormatOpt = None,
) -> None:
    """The reply templates (yours first, then the built-in ones) and where each applies."""
    from repcli.cli import output
    from repcli.errors import NotFoundError

    state: State = ctx.obj
    if item_id is not None:
        item = state.store.get_item(item_id)
        if item is None:
            raise NotFoundError(f"no item with ID {item_id}")
        text, name = _draft_text(state, item, None)
        from repcli.cli.output import line, plain
        from repcli.render import human

        state.info(line("template ", plain(name, "bold"), f" fits #{item_id}:"))
        state.out.print(plain(human.safe(text)))
        return
    fmt_ = output.resolve_format(state, fmt, tuple(Format))
    rows = [
        {
            "name": t.name,
            "lang": t.lang or "",
            "applies_to": _conditions(t),
            "origin": t.origin,
            "text": t.text,
        }
        for t in _templates(state)
    ]
    from repcli.render import tables

    output.emit(
        state, fmt_, rows, columns=("name", "lang", "applies_to", "origin", "text"),
        key="templates", table=lambda: tables.templates_table(rows),
    )  # fmt: skip


def _conditions(t: Template) -> str:
    parts = []
    if t.kinds:
        parts.append("/".join(t.kinds))
    if t.sentiment:
        parts.append(t.sentiment)
    if t.ratings:
        parts.append("rating " + ",".join(map(str, t.ratings)))
    if t.topics:
        parts.append("#" + " #".join(t.topics))
    if t.platforms:
        parts.append("on " + ",".join(t.platforms))
    return " · ".join(parts) or "anything"


def register(app: typer.Typer) -> None:
    for command in (reply, draft, post, replies, templates, mark, assign, note):
        app.command(rich_help_panel="Answering")(command)

"""Drafting a whole queue at once: a draft per item, the platform's limits checked, approval of
the ones a person keeps, and auto-approval for the narrow rules a config allows.

Nothing here posts: approved drafts go out with `repcli post`, exactly once (posting.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from repcli.errors import ConfigError
from repcli.workflow import limits

if TYPE_CHECKING:
    from repcli.config import AutoApproveRule
    from repcli.store import Store
    from repcli.store.rows import ItemRow


@dataclasses.dataclass(frozen=True, slots=True)
class Draft:
    item_id: int
    reply_id: int
    source: str
    platform: str
    kind: str
    rating: int | None
    lang: str
    item_text: str
    text: str
    template: str | None
    status: str
    """draft or approved (or failed: a refused post waiting for a retry)."""
    fresh: bool
    """Drafted by this run (an existing draft is shown as it is, never overwritten)."""
    problems: tuple[str, ...] = ()
    """Why the platform would refuse it; such a draft is never approved."""
    auto: bool = False
    """Approved by a `workflow.auto_approve` rule."""

    def row(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _item_text(item: ItemRow) -> str:
    parts = [item.get("title"), item.get("text"), item.get("cons")]
    return " / ".join(p for p in parts if p)


def draft_items(
    store: Store,
    items: Sequence[ItemRow],
    render: Callable[[ItemRow], tuple[str, str]],
    now: datetime,
    actor: str,
) -> list[Draft]:
    """A draft for every item without a posted answer: its open reply, or a new one from
    `render(item) -> (text, template name)`. Call inside a transaction."""
    out: list[Draft] = []
    for item in items:
        if store.posted_reply(item["id"]):
            continue
        current = store.open_reply(item["id"])
        if current is not None:
            reply_id, text, name, status = (
                int(current["id"]), current["text"], current.get("template"), current["status"]
            )  # fmt: skip
            fresh = False
        else:
            text, name = render(item)
            reply_id = store.save_draft(item["id"], text, name, now, actor)
            status, fresh = "draft", True
        out.append(
            Draft(
                item_id=item["id"],
                reply_id=reply_id,
                source=item["source"],
                platform=item.get("platform") or "",
                kind=item.get("kind") or "",
                rating=item.get("rating"),
                lang=item.get("lang") or "",
                item_text=_item_text(item),
                text=text,
                template=name,
                status=status,
                fresh=fresh,
                problems=tuple(limits.problems(item.get("platform"), item.get("kind"), text)),
            )
        )
    return out


def check_rules(rules: Sequence[AutoApproveRule]) -> None:
    """Auto-approval is for praise only: a rule must name ratings, all of them 4 or 5."""
    for i, rule in enumerate(rules):
        where = f"workflow.auto_approve[{i}].ratings"
        if not rule.ratings:
            raise ConfigError(f"{where}: missing", "e.g. ratings: [5] with no_text: true")
        if any(r not in (4, 5) for r in rule.ratings):
            raise ConfigError(
                f"{where}: {list(rule.ratings)}: only 4 and 5 can be approved without a person",
                "complaints and questions always wait for a person's review",
            )


def auto_rule(rules: Sequence[AutoApproveRule], item: ItemRow, draft: Draft) -> int | None:
    """The index of the first rule that approves this fresh draft by itself, or None. Never a
    complaint, a question, an edited or older draft, or one the platform would refuse."""
    if not draft.fresh or draft.problems or item.get("negative") or item.get("kind") != "review":
        return None
    for i, rule in enumerate(rules):
        if item.get("rating") not in rule.ratings:
            continue
        if rule.no_text and _item_text(item).strip():
            continue
        if rule.templates and draft.template not in rule.templates:
            continue
        if rule.sources and item.get("source") not in rule.sources:
            continue
        if rule.langs and item.get("lang") not in rule.langs:
            continue
        return i
    return None


def held(draft: Draft) -> str | None:
    """Why `approve` leaves this draft alone even when kept, or None."""
    if draft.fresh:
        return "drafted just now: read it, then approve"
    if draft.problems:
        return "over the platform's limits"
    if draft.kind == "question" and draft.template:
        return "a question's draft needs the answer written in: `repcli reply ID --edit`"
    return None


def approve(
    store: Store, drafts: Sequence[Draft], now: datetime, actor: str, skip: Collection[int] = ()
) -> list[Draft]:
    """Approve the drafts a person kept: all but the items in `skip`, and never one drafted by
    this same run (nobody has read it yet), one the platform would refuse, or a question's
    template greeting with no answer in it. Call inside a transaction."""
    out = []
    for d in drafts:
        if d.item_id not in skip and d.status == "draft" and held(d) is None:
            store.approve_reply(d.reply_id, now, actor)
            out.append(dataclasses.replace(d, status="approved"))
        else:
            out.append(d)
    return out


def auto_approve(
    store: Store,
    rules: Sequence[AutoApproveRule],
    items: Mapping[int, ItemRow],
    drafts: Sequence[Draft],
    now: datetime,
    actor: str,
) -> list[Draft]:
    """Approve the fresh drafts a `workflow.auto_approve` rule covers. Inside a transaction."""
    out = []
    for d in drafts:
        if auto_rule(rules, items[d.item_id], d) is not None:
            store.approve_reply(d.reply_id, now, actor)
            out.append(dataclasses.replace(d, status="approved", auto=True))
        else:
            out.append(d)
    return out

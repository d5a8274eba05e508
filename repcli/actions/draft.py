"""draft: a draft answer for every item of the queue (or every unanswered one) that a filter
matches, the platform's limits checked on each; approval of the ones a person kept, and of the
narrow cases `workflow.auto_approve` allows. Nothing is posted (that is `post`)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from repcli.config.model import Config
    from repcli.store import ItemFilter, Store
    from repcli.workflow.bulk import Draft


@dataclasses.dataclass(frozen=True)
class DraftOptions:
    filter: ItemFilter | None = None
    """Which items (sources, kinds, topics, ratings, limit...), checked by the caller (the CLI's
    listing options, or `actions.items.item_filter`); None: all of them."""
    langs: tuple[str, ...] = ()
    """Only items in these languages."""
    unanswered: bool = False
    """Every unanswered item (new or open), not only the queue: also praise that needs no
    answer."""
    approve: bool = False
    """Approve the drafts shown, but the `skip` ones (never one drafted by this same run)."""
    skip: tuple[int, ...] = ()
    """With `approve`: the items whose drafts stay unapproved."""


@dataclasses.dataclass
class DraftResult:
    drafts: list[Draft]
    """One per item without a posted answer: its open reply, or the draft made now."""
    held: list[tuple[int, str]]
    """With `approve`: (item id, why) for each draft kept but left unapproved."""

    @property
    def fresh(self) -> int:
        """How many drafts this run made."""
        return sum(d.fresh for d in self.drafts)

    @property
    def approved(self) -> int:
        return sum(d.status == "approved" for d in self.drafts)

    @property
    def auto(self) -> int:
        """How many a `workflow.auto_approve` rule approved."""
        return sum(d.auto for d in self.drafts)

    @property
    def blocked(self) -> int:
        """How many the platform would refuse (over its limits)."""
        return sum(bool(d.problems) for d in self.drafts)


def checked(config: Config, options: DraftOptions) -> None:
    """Refuse what makes the run impossible before anything is read; the CLI asks before it
    opens the store. NotFoundError for a source the config does not have, ConfigError for a
    `workflow.auto_approve` rule that would approve a complaint."""
    from repcli.workflow import bulk

    for name in options.filter.sources if options.filter else ():
        config.source(name)
    bulk.check_rules(config.workflow.auto_approve)


def run(
    config: Config, store: Store, options: DraftOptions, now: datetime, actor: str
) -> DraftResult:
    """Draft the matching items (an existing draft is kept as it is, never overwritten), apply
    the auto-approval rules to the fresh drafts, then with `approve` approve the rest a person
    kept, all in one transaction. Raises as `checked` does, and UsageError when no template
    fits an item."""
    from repcli.actions.reply import draft_text
    from repcli.store import ItemFilter
    from repcli.workflow import bulk

    checked(config, options)
    flt = options.filter or ItemFilter()
    competitors = [s.name for s in config.sources if s.competitor]
    if options.unanswered:
        flt = dataclasses.replace(flt, statuses=("new", "open"))
        items = [
            i for i in store.list_items(flt)
            if not i.get("answer_text") and i["source"] not in competitors
        ]  # fmt: skip
    else:
        items = store.queue(now, flt, exclude_sources=competitors)
    if options.langs:
        items = [i for i in items if (i.get("lang") or "") in options.langs]
    rules = config.workflow.auto_approve
    with store.transaction():
        drafts = bulk.draft_items(
            store, items, lambda item: draft_text(config, store, item, None), now, actor
        )
        by_id = {i["id"]: i for i in items}
        drafts = bulk.auto_approve(store, rules, by_id, drafts, now, actor)
        if options.approve:
            drafts = bulk.approve(store, drafts, now, actor, set(options.skip))
    held = []
    if options.approve:
        for d in drafts:
            why = bulk.held(d) if d.status == "draft" and d.item_id not in options.skip else None
            if why:
                held.append((d.item_id, why))
    return DraftResult(drafts=drafts, held=held)

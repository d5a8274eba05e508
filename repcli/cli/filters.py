"""The item filters of listing commands (queue, list, search, export, draft): options ->
a checked `ItemFilter`. Shared by command modules, which never import one another."""

from __future__ import annotations

from typing import TYPE_CHECKING

from repcli.cli.context import State
from repcli.cli.options import Format

if TYPE_CHECKING:
    from repcli.store import ItemFilter


def parse_ratings(spec: str) -> tuple[int, ...]:
    """`--rating` values: 3, 1-2, 4,5, <=2, >=4 (on the 1-5 scale)."""
    from repcli.errors import UsageError

    ratings: set[int] = set()
    for part in spec.replace(" ", "").split(","):
        low, high = _rating_range(part)
        if low is None or high is None or not 1 <= low <= high <= 5:
            raise UsageError(
                f"--rating {spec!r} is not a rating range", "use e.g. 1, 1-2, 4,5, <=2 or >=4"
            )
        ratings.update(range(low, high + 1))
    return tuple(sorted(ratings))


def _rating_range(part: str) -> tuple[int | None, int | None]:
    def num(text: str) -> int | None:
        return int(text) if text.isdigit() else None

    if part.startswith("<="):
        return 1, num(part[2:])
    if part.startswith(">="):
        return num(part[2:]), 5
    low, dash, high = part.partition("-")
    return (num(low), num(high)) if dash else (num(part), num(part))


def narrow(
    state: State,
    flt: ItemFilter,
    topics: list[str] | None = None,
    rating: str | None = None,
    product: str | None = None,
    statuses: list[str] | None = None,
    assignees: list[str] | None = None,
) -> ItemFilter:
    """`flt` with the listing options beyond source, time, kind and limit (--topic, --rating,
    --product, --status, --assignee), checked."""
    import dataclasses

    from repcli.errors import UsageError
    from repcli.models import STATUSES

    wanted = tuple(t.lstrip("#") for t in topics or ())
    if wanted:
        from repcli.analysis.topics import tagger_for
        from repcli.config import read_yaml_file

        known = tagger_for(state.config.topics, read_yaml_file).labels
        unknown = [t for t in wanted if t not in known]
        if unknown:
            raise UsageError(
                f"--topic {unknown[0]!r} is unknown", f"topics: {', '.join(sorted(known))}"
            )
    for status in statuses or ():
        if status not in STATUSES:
            raise UsageError(
                f"--status {status!r} is unknown", f"use one of: {', '.join(STATUSES)}"
            )
    return dataclasses.replace(
        flt,
        topics=wanted,
        ratings=parse_ratings(rating) if rating else (),
        product=product or None,
        statuses=tuple(statuses or ()),
        assignees=tuple(assignees or ()) or flt.assignees,
    )


def item_filter(
    state: State,
    source: list[str] | None,
    since: str | None,
    limit: int | None,
    fmt: Format,
    negative: bool = False,
    kinds: list[str] | None = None,
) -> ItemFilter:
    """The store filter of a listing's --source, --since, --limit, --negative and --kind,
    checked (an unknown source or kind is an error, not an empty list)."""
    from repcli.actions.items import item_filter as checked_filter
    from repcli.cli.output import limit_of

    return checked_filter(
        state.config, state.now, tuple(source or ()), since, limit_of(state, limit, fmt),
        negative, tuple(kinds or ()),
    )  # fmt: skip

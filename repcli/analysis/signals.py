"""Signals across items: what no single review shows.

- near-duplicate bursts: several reviews of one product, close in time, saying nearly the same
  thing (Jaccard similarity of character 4-gram shingles), the mark of bought or coordinated
  reviews;
- one-star bursts: many 1★ reviews of one product in a short window, against its usual rate;
- one-star authors: authors whose only reviews (two or more) are all 1★;
- spikes: negatives per product or per topic in the last day against their own trailing daily
  average (a Poisson-style bound: count >= 3 and > mean + 3·sqrt(mean));
- topic clusters: several negatives on one complaint cause within a week.

The rules are pure functions over plain records (`signal_rules.py`, re-exported here), so they
run on anything the store reads. This module feeds them from the store's windows: `period`
(a report's days) and `fresh` (what a `check` brought, read near it, in pieces when it is a
whole history). Each signal has a stable `key`: alerting on it once stays once, however often
it is recomputed.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Collection, Container, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from repcli.analysis.names import is_placeholder
from repcli.analysis.signal_rules import (
    Record,
    Signal,
    _burst,
    _cluster,
    _dimension_values,
    _spike,
    _when,
    detect,
    jaccard,
    near_duplicate_bursts,
    one_star_authors,
    one_star_bursts,
    shingles,
    similar,
    spikes,
    topic_clusters,
)
from repcli.clock import to_iso
from repcli.config.model import SignalSettings

__all__ = [
    "SEEDS_AT_ONCE",
    "IdRunsLike",
    "PeriodWindow",
    "Record",
    "Signal",
    "Window",
    "detect",
    "fresh",
    "jaccard",
    "near_duplicate_bursts",
    "one_star_authors",
    "one_star_bursts",
    "period",
    "shingles",
    "similar",
    "spikes",
    "topic_clusters",
]


class Window(Protocol):
    """The recent items `detect` would be given, read near given items (the store's
    `signal_window`): records as in `detect`, ordered by id."""

    def items(self, ids: Sequence[int]) -> Sequence[Record]: ...

    def items_in(self, ranges: Sequence[tuple[int, int]]) -> Sequence[Record]: ...

    def product_texts(
        self,
        platform: Any,
        product_id: Any,
        low: str | None = None,
        high: str | None = None,
        *,
        first_id: int | None = None,
        last_id: int | None = None,
    ) -> Sequence[Record]: ...

    def first_text_id(self, platform: Any, product_id: Any) -> int: ...

    def one_star(self, platform: Any, product_id: Any) -> Sequence[Record]: ...

    def negative_counts(
        self, dimension: str, values: Sequence[str], low: str, high: str
    ) -> dict[str, int]: ...

    def negative_ids(
        self, dimension: str, values: Sequence[str] | None, low: str
    ) -> list[tuple[str, int, str]]: ...

    def product_names(self, products: Sequence[str]) -> dict[str, tuple[Any, Any]]: ...

    def one_star_authors(
        self, keys: Collection[tuple[Any, str]] | None
    ) -> dict[tuple[Any, str], int]: ...

    def by_authors(
        self, keys: Collection[tuple[Any, str]]
    ) -> Mapping[tuple[Any, str], Sequence[Record]]: ...


class PeriodWindow(Window, Protocol):
    """A `Window` that also reads the whole window piecemeal (the store's `signal_window`)."""

    def product_groups(self) -> Iterable[Sequence[Record]]: ...

    def one_star_since(self, low: str) -> Sequence[Record]: ...


def period(
    window: PeriodWindow,
    now: datetime,
    s: SignalSettings | None = None,
    recent: PeriodWindow | None = None,
) -> list[Signal]:
    """The signals `detect` finds in the whole window but topic clusters (what a report
    counts), in bounded memory: near-duplicates compared one product at a time, the rest from
    indexes and SQLite counts. Each kind in its own order, not `detect`'s. Near-duplicate
    bursts and one-star authors are looked for in `recent` when given (the same window
    starting later: a bound on the texts compared and the authors read)."""
    s = s or SignalSettings()
    recent = recent or window
    bursts: list[Signal] = []
    for group in recent.product_groups():
        bursts += near_duplicate_bursts(group, s)
    covered = [set(b.item_ids) for b in bursts]
    span = timedelta(hours=s.burst_hours)
    low = to_iso(now - span - timedelta(days=s.baseline_days)) or ""
    # Only a product with `one_star_min` 1★ reviews in the last `burst_hours` can have a
    # one-star burst: those are found among that span's 1★ items, then each one's 1★ items
    # since `low` are read (what one_star_since(low) holds of it), in that list's order.
    latest = Counter(
        (r.get("platform"), r["product_id"])
        for r in window.one_star_since(to_iso(now - span) or "")
        if r.get("product_id") and now - _when(r) <= span
    )
    found: list[tuple[int, Signal]] = []
    for platform, product in (key for key, n in latest.items() if n >= s.one_star_min):
        rows = [r for r in window.one_star(platform, product) if str(r["created_at"]) >= low]
        found += [(int(rows[0]["id"]), b) for b in one_star_bursts(rows, now, s)]
    one_star = [
        b
        for _, b in sorted(found, key=lambda f: f[0])
        if not any(set(b.item_ids) <= c for c in covered)
    ]
    # Only an author with `author_min` 1★ reviews can be a one-star author.
    counts = recent.one_star_authors(None)
    candidates = [key for key, n in counts.items() if n >= s.author_min]
    authors = [
        x for rows in recent.by_authors(candidates).values() for x in one_star_authors(rows, s)
    ]
    return [*bursts, *one_star, *authors, *_window_spikes(window, now, s)]


def _window_spikes(window: Window, now: datetime, s: SignalSettings) -> list[Signal]:
    """Every spike of the window: the last day's negatives read, their baselines counted."""
    day = timedelta(days=1)
    day_from = to_iso(now - day) or ""
    base_from = to_iso(now - day * (s.baseline_days + 1)) or ""
    out: list[Signal] = []
    for dimension in ("product", "topic"):
        recent: dict[str, list[int]] = defaultdict(list)
        for value, i, _ in window.negative_ids(dimension, None, day_from):
            if dimension == "product" or value != "extortion":
                recent[value].append(i)
        values = [v for v, ids in recent.items() if len(ids) >= s.spike_min]
        before = window.negative_counts(dimension, values, base_from, day_from)
        names = window.product_names(values) if dimension == "product" else {}
        for value in values:
            name, pid = names.get(value, (None, value))
            label = str(name or pid or "the shop") if dimension == "product" else f"#{value}"
            spike = _spike(dimension, value, recent[value], before.get(value, 0), label, now, s)
            out += [spike] if spike else []
    return out


SEEDS_AT_ONCE = 2000
"""Fresh items `fresh` reads at once, with their texts. A check that brings more (a shop's
first, which imports its whole history) reads them in pieces of this many and keeps only what
they point at (products, authors, topics): its memory is not that of its items."""


@runtime_checkable
class IdRunsLike(Protocol):
    """Ids held as runs of consecutive ids (the store's IdRuns): (first id, how many)."""

    def runs(self) -> Iterable[tuple[int, int]]: ...


class _Ranges:
    """Ids as ascending, disjoint ranges (first, last): `in` by binary search, and pieces of
    at most a given number of ids to read; a few ranges for the consecutive ids of new items,
    not a set of them."""

    def __init__(self, ids: Iterable[int]) -> None:
        if isinstance(ids, IdRunsLike):
            pairs = sorted((int(a), int(a) + int(n) - 1) for a, n in ids.runs() if n > 0)
        else:
            pairs = [(i, i) for i in sorted({int(i) for i in ids})]
        self._firsts, self._lasts = array("q"), array("q")
        for first, last in pairs:
            if self._lasts and first <= self._lasts[-1] + 1:
                self._lasts[-1] = max(self._lasts[-1], last)
            else:
                self._firsts.append(first)
                self._lasts.append(last)

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int):
            return False
        k = bisect_right(self._firsts, value) - 1
        return k >= 0 and value <= self._lasts[k]

    @property
    def span(self) -> tuple[int, int]:
        """The lowest and the highest id."""
        return (self._firsts[0], self._lasts[-1]) if self._firsts else (0, -1)

    def pieces(self, size: int, most: int = 200) -> Iterator[list[tuple[int, int]]]:
        """The ranges in ascending order, in lists of at most `most` ranges that cover at most
        `size` ids each."""
        size = max(size, 1)
        batch: list[tuple[int, int]] = []
        held = 0
        for first, last in zip(self._firsts, self._lasts, strict=True):
            start = first
            while start <= last:
                end = min(last, start + size - held - 1)
                batch.append((start, end))
                held += end - start + 1
                start = end + 1
                if held >= size or len(batch) >= most:
                    yield batch
                    batch, held = [], 0
        if batch:
            yield batch


class _Seeds:
    """What `fresh` keeps of the fresh items of the window (the seeds), read all at once or in
    pieces by id: the products, authors and topics they point at, each in the order it first
    appears; the seeds themselves only when read all at once."""

    def __init__(self, keep: bool) -> None:
        self.keep = keep
        self.found = False
        self.texts: dict[tuple[Any, Any], list[Record]] = {}
        """(platform, product) of the seeds near-duplicates compare, with those seeds (kept)."""
        self.one_star: dict[tuple[Any, Any], None] = {}
        self.authors: dict[tuple[Any, str], None] = {}
        self.products: dict[str, None] = {}
        self.spike_topics: dict[str, None] = {}
        self.cluster_topics: set[str] = set()

    def add(self, seeds: Sequence[Record], now: datetime, s: SignalSettings) -> None:
        span, day, week = (
            timedelta(hours=s.burst_hours),
            timedelta(days=1),
            timedelta(days=s.cluster_days),
        )
        for r in seeds:
            self.found = True
            age = now - _when(r)
            if _compared(r):
                group = self.texts.setdefault((r.get("platform"), r.get("product_id")), [])
                if self.keep:
                    group.append(r)
            if r.get("rating") == 1:
                if r.get("product_id") and age <= span:
                    self.one_star[(r.get("platform"), r["product_id"])] = None
                if not is_placeholder(r.get("author")):
                    self.authors[(r.get("platform"), str(r["author"]).strip().lower())] = None
            if r.get("negative"):
                if age <= day:
                    self.products.update(dict.fromkeys(_dimension_values(r, "product")))
                    self.spike_topics.update(dict.fromkeys(_dimension_values(r, "topic")))
                if age <= week:
                    self.cluster_topics.update(_dimension_values(r, "topic"))


def fresh(
    window: Window,
    fresh_ids: Iterable[int],
    now: datetime,
    s: SignalSettings | None = None,
    *,
    at_once: int = SEEDS_AT_ONCE,
) -> list[Signal]:
    """The signals `detect` finds in the window that take in one of `fresh_ids`, in `detect`'s
    order, from the items near the fresh ones only (their products, authors and topics) instead
    of the whole window: the daily `check` costs what its new items cost.

    More than `at_once` fresh ids (the store's IdRuns, or any collection) are read in pieces
    of that many; each product's fresh texts are then read on their own: memory is bounded by
    the window's share of one product, not by the fresh items."""
    s = s or SignalSettings()
    ids = fresh_ids if isinstance(fresh_ids, Collection) else list(fresh_ids)
    if len(ids) <= at_once:
        seeds = _Seeds(keep=True)
        read = window.items(sorted({int(i) for i in ids}))
        seeds.add(read, now, s)
        wanted: Container[int] = {int(r["id"]) for r in read}
        groups: Iterable[tuple[tuple[Any, Any], Sequence[Record]]] = seeds.texts.items()
    else:
        ranges = _Ranges(ids)
        seeds = _Seeds(keep=False)
        for piece in ranges.pieces(at_once):
            seeds.add(window.items_in(piece), now, s)
        wanted = ranges
        groups = _product_seeds(window, seeds.texts, ranges)
    if not seeds.found:
        return []
    bursts = _fresh_bursts(window, groups, s)
    covered = [set(b.item_ids) for b in bursts]
    one_star = [
        b
        for b in _fresh_one_star(window, seeds.one_star, now, s)
        if not any(set(b.item_ids) <= c for c in covered)
    ]
    found = [
        *bursts,
        *one_star,
        *_fresh_authors(window, seeds.authors, s),
        *_fresh_spikes_and_clusters(window, seeds, now, s),
    ]
    return [x for x in found if any(i in wanted for i in x.item_ids)]


def _product_seeds(
    window: Window, products: Iterable[tuple[Any, Any]], ranges: _Ranges
) -> Iterator[tuple[tuple[Any, Any], Sequence[Record]]]:
    """Each product's fresh texts (what near-duplicates compare), read one product at a time."""
    first, last = ranges.span
    for platform, product in products:
        texts = window.product_texts(platform, product, first_id=first, last_id=last)
        group = [r for r in texts if int(r["id"]) in ranges]
        if group:
            yield (platform, product), group


def _compared(record: Record) -> bool:
    """Near-duplicate bursts compare texts of 20 characters or more."""
    return bool(record.get("text")) and len(record["text"]) >= 20


def _fresh_bursts(
    window: Window,
    seed_groups: Iterable[tuple[tuple[Any, Any], Sequence[Record]]],
    s: SignalSettings,
) -> list[Signal]:
    """The near-duplicate groups of the seeds (given per product): from each seed, the
    product's texts within `burst_hours` are compared, and from each match found, its own
    neighbours, until the group is closed; the same groups `near_duplicate_bursts` makes of
    the whole window."""
    span = timedelta(hours=s.burst_hours)
    margin = span + timedelta(days=1)  # SQLite compares text; the exact test is below
    found: list[tuple[tuple[Any, ...], Signal]] = []
    for (platform, product), group in seed_groups:
        known = {int(r["id"]): r for r in group}
        when = {i: _when(r) for i, r in known.items()}
        sets: dict[int, frozenset[str]] = {}
        parent: dict[int, int] = {i: i for i in known}
        done: set[int] = set()
        frontier = sorted(known)
        while frontier:
            low = min(when[i] for i in frontier) - margin
            high = max(when[i] for i in frontier) + margin
            for r in window.product_texts(platform, product, to_iso(low), to_iso(high)):
                i = int(r["id"])
                if i not in known:
                    known[i], when[i], parent[i] = r, _when(r), i
            done.update(frontier)
            reached: dict[int, None] = {}
            for i in frontier:
                a = sets.get(i) or sets.setdefault(i, shingles(str(known[i]["text"])))
                for j in known:
                    if j == i or abs(when[j] - when[i]) > span:
                        continue
                    b = sets.get(j) or sets.setdefault(j, shingles(str(known[j]["text"])))
                    if similar(a, b, s.duplicate_similarity):
                        _union(parent, i, j)
                        if j not in done:
                            reached[j] = None
            frontier = sorted(reached)
        groups: dict[int, list[int]] = defaultdict(list)
        for i in known:
            groups[_find(parent, i)].append(i)
        first = 0
        for root in dict.fromkeys(_find(parent, int(r["id"])) for r in group):
            members = sorted(groups[root], key=lambda i: (when[i], i))
            if len(members) >= s.duplicate_min:
                first = first or window.first_text_id(platform, product)
                head = members[0]
                found.append(((first, when[head], head), _burst([known[i] for i in members])))
    return [sig for _, sig in sorted(found, key=lambda f: f[0])]


def _find(parent: dict[int, int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _union(parent: dict[int, int], i: int, j: int) -> None:
    parent[_find(parent, j)] = _find(parent, i)


def _fresh_one_star(
    window: Window, products: Iterable[tuple[Any, Any]], now: datetime, s: SignalSettings
) -> list[Signal]:
    """The one-star bursts of these products (those of a 1★ seed posted within
    `burst_hours`)."""
    found: list[tuple[int, Signal]] = []
    for platform, product in products:
        rows = window.one_star(platform, product)
        found += [(int(rows[0]["id"]), x) for x in one_star_bursts(rows, now, s)]
    return [x for _, x in sorted(found, key=lambda f: f[0])]


def _fresh_authors(
    window: Window, authors: Collection[tuple[Any, str]], s: SignalSettings
) -> list[Signal]:
    """One-star authors among the fresh items' authors. Only a 1★ seed can be in one (all of
    its author's reviews are 1★), and only an author with `author_min` 1★ reviews in the
    window: those are counted from the 1★ items first, the rest read for them alone."""
    counts = window.one_star_authors(list(authors))
    candidates = [key for key in authors if counts[key] >= s.author_min]
    found: list[tuple[int, Signal]] = []
    for rows in window.by_authors(candidates).values():
        found += [(int(rows[0]["id"]), x) for x in one_star_authors(rows, s) if rows]
    return [x for _, x in sorted(found, key=lambda f: f[0])]


def _fresh_spikes_and_clusters(
    window: Window, seeds: _Seeds, now: datetime, s: SignalSettings
) -> list[Signal]:
    """Spikes of the fresh negatives' products and topics, then their topics' clusters: the
    baselines counted by SQLite, only the last day's (and `cluster_days`') ids read."""
    day, week = timedelta(days=1), timedelta(days=s.cluster_days)
    products = list(seeds.products)
    spike_topics, cluster_topics = seeds.spike_topics, seeds.cluster_topics
    # Times are stored as fixed-width UTC text (clock.to_iso): text order is time order.
    day_from = to_iso(now - day) or ""
    week_from = to_iso(now - week) or ""
    base_from = to_iso(now - day * (s.baseline_days + 1)) or ""
    found: list[tuple[int, Signal]] = []
    if products:
        recent: dict[str, list[int]] = defaultdict(list)
        for value, i, _ in window.negative_ids("product", products, day_from):
            recent[value].append(i)
        before = window.negative_counts("product", products, base_from, day_from)
        names = window.product_names(products)
        for product in products:
            name, pid = names.get(product, (None, product))
            spike = _spike(
                "product", product, recent[product], before.get(product, 0),
                str(name or pid or "the shop"), now, s,
            )  # fmt: skip
            found += [(0, spike)] if spike else []
    clusters: list[Signal] = []
    topics = sorted({*spike_topics, *cluster_topics})
    if topics:
        today_ids: dict[str, list[int]] = defaultdict(list)
        week_ids: dict[str, list[int]] = defaultdict(list)
        for value, i, created in window.negative_ids("topic", topics, min(day_from, week_from)):
            if created >= day_from:
                today_ids[value].append(i)
            if created >= week_from:
                week_ids[value].append(i)
        before = window.negative_counts("topic", list(spike_topics), base_from, day_from)
        for topic in spike_topics:
            spike = _spike(
                "topic", topic, today_ids[topic], before.get(topic, 0), f"#{topic}", now, s
            )
            found += [(1, spike)] if spike else []
        clusters = [c for t in sorted(cluster_topics) if (c := _cluster(t, week_ids[t], s))]
    found.sort(key=lambda f: (-len(f[1].item_ids), f[0], f[1].item_ids[0]))
    clusters.sort(key=lambda c: (-len(c.item_ids), c.subject))
    return [*(x for _, x in found), *clusters]

"""Signals across items: what no single review shows.

- near-duplicate bursts: several reviews of one product, close in time, saying nearly the same
  thing (Jaccard similarity of character 4-gram shingles), the mark of bought or coordinated
  reviews;
- one-star bursts: many 1★ reviews of one product in a short window, against its usual rate;
- one-star authors: authors whose only reviews (two or more) are all 1★;
- spikes: negatives per product or per topic in the last day against their own trailing daily
  average (a Poisson-style bound: count >= 3 and > mean + 3·sqrt(mean));
- topic clusters: several negatives on one complaint cause within a week.

Pure functions over plain records (dicts with id, product_id, product_name, author, platform,
rating, negative, topics, text, created_at as ISO text), so they run on anything the store reads.
Each signal has a stable `key`: alerting on it once stays once, however often it is recomputed.
"""

from __future__ import annotations

import dataclasses
import math
import re
from array import array
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Collection, Container, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from repcli.analysis.names import is_placeholder
from repcli.clock import from_iso, to_iso
from repcli.config.model import SignalSettings

Record = Mapping[str, Any]
_WORDS = re.compile(r"[^\W_]+", re.UNICODE)


@dataclasses.dataclass(frozen=True, slots=True)
class Signal:
    kind: str
    """burst, one-star-burst, one-star-author, spike, topic-cluster."""
    key: str
    """Stable identity for de-duplicating alerts."""
    item_ids: tuple[int, ...]
    reason: str
    subject: str = ""
    """What it is about: a product, an author, a topic."""


def _when(record: Record) -> datetime:
    when = from_iso(record.get("created_at"))
    assert when is not None
    return when


def shingles(text: str, size: int = 4) -> frozenset[str]:
    """Character n-grams of the normalised words (case, ё/е and punctuation ignored)."""
    norm = " ".join(_WORDS.findall(text.lower().replace("ё", "е")))
    if len(norm) <= size:
        return frozenset([norm]) if norm else frozenset()
    return frozenset(norm[i : i + size] for i in range(len(norm) - size + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def similar(a: frozenset[str], b: frozenset[str], threshold: float) -> bool:
    """jaccard(a, b) >= threshold, without intersecting sets whose sizes alone rule it out
    (the shared part is at most the smaller set, the union at least the larger, and float
    division is monotonic: the same answer as computing it)."""
    small, large = sorted((len(a), len(b)))
    if large and small / large < threshold:
        return False
    return jaccard(a, b) >= threshold


def _subject(record: Record) -> str:
    return str(record.get("product_name") or record.get("product_id") or "the shop")


def _root(parent: list[int], i: int) -> int:
    """Union-find: the representative of `i`'s group (with path halving)."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def near_duplicate_bursts(records: Sequence[Record], s: SignalSettings) -> list[Signal]:
    """Groups of near-identical reviews of one product posted close together."""
    by_product: dict[Any, list[Record]] = defaultdict(list)
    for r in records:
        if r.get("text") and len(r["text"]) >= 20:
            by_product[(r.get("platform"), r.get("product_id"))].append(r)
    out = []
    window = timedelta(hours=s.burst_hours)
    for group in by_product.values():
        if len(group) < s.duplicate_min:
            continue
        group.sort(key=_when)
        times = [_when(r) for r in group]
        # Shingled when first compared: a review with no other within the window never is.
        sets: list[frozenset[str] | None] = [None] * len(group)
        parent = list(range(len(group)))
        for i in range(len(group)):
            for j in range(i + 1, len(group)):
                if times[j] - times[i] > window:
                    break
                a = sets[i] = sets[i] or shingles(str(group[i]["text"]))
                b = sets[j] = sets[j] or shingles(str(group[j]["text"]))
                if similar(a, b, s.duplicate_similarity):
                    parent[_root(parent, j)] = _root(parent, i)
        clusters: dict[int, list[Record]] = defaultdict(list)
        for i, r in enumerate(group):
            clusters[_root(parent, i)].append(r)
        out += [_burst(m) for m in clusters.values() if len(m) >= s.duplicate_min]
    return out


def _burst(members: Sequence[Record]) -> Signal:
    """The burst signal of a group of near-duplicates, in posting order."""
    ids = tuple(sorted(int(m["id"]) for m in members))
    hours = (_when(members[-1]) - _when(members[0])).total_seconds() / 3600
    ratings = sorted({int(m["rating"]) for m in members if m.get("rating")})
    stars = f", rated {'/'.join(f'{x}★' for x in ratings)}" if ratings else ""
    return Signal(
        "burst",
        f"burst:{ids[0]}",
        ids,
        f"{len(ids)} near-identical reviews within {hours:.0f}h{stars}",
        _subject(members[0]),
    )


def one_star_bursts(records: Sequence[Record], now: datetime, s: SignalSettings) -> list[Signal]:
    """Products with many 1★ reviews in the last `burst_hours`, against their usual rate."""
    window = timedelta(hours=s.burst_hours)
    baseline = timedelta(days=s.baseline_days)
    by_product: dict[Any, list[Record]] = defaultdict(list)
    for r in records:
        if r.get("rating") == 1 and r.get("product_id"):
            by_product[(r.get("platform"), r["product_id"])].append(r)
    out = []
    for group in by_product.values():
        recent = [r for r in group if now - _when(r) <= window]
        before = [r for r in group if window < now - _when(r) <= window + baseline]
        usual = len(before) * (window / baseline)  # expected in a window of this length
        if len(recent) >= s.one_star_min and len(recent) >= s.one_star_ratio * max(usual, 1.0):
            ids = tuple(sorted(int(r["id"]) for r in recent))
            out.append(
                Signal(
                    "one-star-burst",
                    f"one-star-burst:{ids[0]}",
                    ids,
                    f"{len(ids)} 1★ reviews in {s.burst_hours:g}h "
                    f"(usually {f'{usual:.1f}' if usual >= 0.05 else 'none'})",
                    _subject(recent[0]),
                )
            )
    return out


def one_star_authors(records: Sequence[Record], s: SignalSettings) -> list[Signal]:
    """Authors (per platform) with at least `author_min` reviews, every one of them 1★."""
    by_author: dict[tuple[Any, str], list[Record]] = defaultdict(list)
    for r in records:
        if r.get("rating") is not None and not is_placeholder(r.get("author")):
            by_author[(r.get("platform"), str(r["author"]).strip().lower())].append(r)
    out = []
    for (platform, _), group in by_author.items():
        products = {r.get("product_id") for r in group}
        if (
            len(group) >= s.author_min
            and len(products) >= 2
            and all(r["rating"] == 1 for r in group)
        ):
            ids = tuple(sorted(int(r["id"]) for r in group))
            name = str(group[0]["author"])
            out.append(
                Signal(
                    "one-star-author",
                    f"one-star-author:{platform}:{name.lower()}",
                    ids,
                    f"{name} left {len(ids)} reviews on {platform}, all 1★, "
                    f"on {len(products)} products",
                    name,
                )
            )
    return out


def _dimension_values(record: Record, dimension: str) -> Iterable[str]:
    if dimension == "product":
        if record.get("product_id"):
            yield str(record["product_id"])
    else:
        yield from (t for t in record.get("topics") or () if t != "extortion")


def spikes(records: Sequence[Record], now: datetime, s: SignalSettings) -> list[Signal]:
    """Negatives per product and per topic in the last 24 h against their trailing average."""
    day = timedelta(days=1)
    out = []
    for dimension in ("product", "topic"):
        recent: dict[str, list[Record]] = defaultdict(list)
        before: dict[str, int] = defaultdict(int)
        names: dict[str, str] = {}
        for r in records:
            if not r.get("negative"):
                continue
            age = now - _when(r)
            for value in _dimension_values(r, dimension):
                names.setdefault(value, _subject(r) if dimension == "product" else f"#{value}")
                if age <= day:
                    recent[value].append(r)
                elif age <= day * (s.baseline_days + 1):
                    before[value] += 1
        for value, rows in recent.items():
            ids = [int(r["id"]) for r in rows]
            found = _spike(dimension, value, ids, before[value], names[value], now, s)
            out += [found] if found else []
    return out


def _spike(
    dimension: str,
    value: str,
    ids: Sequence[int],
    before: int,
    name: str,
    now: datetime,
    s: SignalSettings,
) -> Signal | None:
    """The spike of `ids` (the value's negatives in the last day) against `before` (its
    negatives in the `baseline_days` before that), if they make one."""
    mean = before / s.baseline_days
    if len(ids) >= s.spike_min and len(ids) > mean + 3 * math.sqrt(max(mean, 0.25)):
        return Signal(
            "spike",
            f"spike:{dimension}:{value}:{now.date().isoformat()}",
            tuple(sorted(ids)),
            f"{len(ids)} negatives in 24h against {mean:.1f} a day before",
            name,
        )
    return None


def topic_clusters(records: Sequence[Record], now: datetime, s: SignalSettings) -> list[Signal]:
    """At least `cluster_min` negatives on one topic within the last `cluster_days`."""
    window = timedelta(days=s.cluster_days)
    by_topic: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        if r.get("negative") and now - _when(r) <= window:
            for topic in _dimension_values(r, "topic"):
                by_topic[topic].append(r)
    out = []
    for topic, rows in sorted(by_topic.items()):
        found = _cluster(topic, [int(r["id"]) for r in rows], s)
        out += [found] if found else []
    return out


def _cluster(topic: str, ids: Sequence[int], s: SignalSettings) -> Signal | None:
    """The topic cluster of `ids` (the topic's negatives within `cluster_days`), if any."""
    if len(ids) < s.cluster_min:
        return None
    ordered = tuple(sorted(ids))
    return Signal(
        "topic-cluster",
        f"topic-cluster:{topic}:{ordered[0]}",
        ordered,
        f"{len(ordered)} negatives about #{topic} in {s.cluster_days} days",
        f"#{topic}",
    )


def detect(
    records: Sequence[Record], now: datetime, s: SignalSettings | None = None
) -> list[Signal]:
    """Every signal in `records` (recent items: the last `baseline_days` + a few)."""
    s = s or SignalSettings()
    bursts = near_duplicate_bursts(records, s)
    covered = [set(b.item_ids) for b in bursts]
    one_star = [
        b
        for b in one_star_bursts(records, now, s)
        if not any(set(b.item_ids) <= c for c in covered)
    ]
    clusters = sorted(topic_clusters(records, now, s), key=lambda c: -len(c.item_ids))
    found_spikes = sorted(spikes(records, now, s), key=lambda x: -len(x.item_ids))
    return [*bursts, *one_star, *one_star_authors(records, s), *found_spikes, *clusters]


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

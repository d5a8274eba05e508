"""The signal rules: pure functions over plain records (dicts with id, product_id,
product_name, author, platform, rating, negative, topics, text, created_at as ISO text) that
find what no single review shows: near-duplicate bursts, one-star bursts and authors, spikes
and topic clusters (`signals.py` says what each is). `detect` runs them all over one list.
`signals.py` feeds them from the store's windows: a period (`report`) or what is fresh
(`check`).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from repcli.analysis.names import is_placeholder
from repcli.clock import from_iso
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

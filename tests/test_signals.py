"""Cross-item signals: hand-made data with known answers, the demo's bursts, and fuzzing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from repcli.analysis import signals
from repcli.clock import to_iso
from repcli.config import SignalSettings
from tests.conftest import Cli

NOW = datetime.fromisoformat("2026-11-23T09:00:00+00:00")
S = SignalSettings()


def rec(i: int, hours_ago: float, text: str = "", **kw: Any) -> dict[str, Any]:
    base = {
        "id": i, "platform": "wildberries", "product_id": "p1", "product_name": "Худи",
        "author": f"Автор{i}", "rating": 1, "negative": 1, "topics": [], "text": text,
        "created_at": to_iso(NOW - timedelta(hours=hours_ago)),
    }  # fmt: skip
    return base | kw


SAME = "Ужасное качество, развалилось после первой стирки, не покупайте!"


def test_near_duplicates_within_the_window_make_a_burst() -> None:
    records = [
        rec(1, 5, SAME),
        rec(2, 4, "ужасное качество!! развалилось после первой стирки. Не покупайте"),
        rec(3, 3, "Ужасное качество — всё развалилось после первой стирки, не покупайте 😡"),
        rec(4, 2, "Курьер опоздал на три дня, коробка мятая."),
        rec(5, 200, SAME),  # the same words, but a week earlier: not part of this burst
        rec(6, 1, SAME, product_id="p2"),  # another product
    ]
    (burst,) = signals.near_duplicate_bursts(records, S)
    assert burst.item_ids == (1, 2, 3)
    assert burst.reason.startswith("3 near-identical reviews within 2h, rated 1★")
    assert burst.key == "burst:1"


def test_one_star_burst_against_the_products_usual_rate() -> None:
    fresh = [rec(i, i, f"текст {i}") for i in (1, 2, 3)]
    assert [s.item_ids for s in signals.one_star_bursts(fresh, NOW, S)] == [(1, 2, 3)]
    # 20 one-star reviews in the 28 days before: ~2.1 expected in 72 h, 3 is not 3x that.
    usual = [rec(100 + d, 80 + d * 24, "старый") for d in range(20)]
    assert signals.one_star_bursts(fresh + usual, NOW, S) == []


def test_one_star_only_authors() -> None:
    records = [
        rec(1, 10, author="Мария П."),
        rec(2, 30, author="Мария П.", product_id="p2"),
        rec(3, 10, author="Покупатель"),
        rec(4, 30, author="Покупатель", product_id="p2"),
        rec(5, 10, author="Ivan"),
        rec(6, 30, author="Ivan", product_id="p2", rating=4),
    ]
    (author,) = signals.one_star_authors(records, S)
    assert author.item_ids == (1, 2) and author.subject == "Мария П."


def test_spikes_against_the_trailing_average() -> None:
    recent = [rec(i, 2 + i, topics=["delivery"]) for i in range(4)]
    quiet = signals.spikes(recent, NOW, S)
    assert {s.key for s in quiet} == {
        "spike:product:p1:2026-11-23",
        "spike:topic:delivery:2026-11-23",
    }
    # Four a day is normal for a product that had 4 negatives every day before: no spike.
    busy = [rec(100 + i, 30 + i * 6, topics=["delivery"]) for i in range(4 * 28)]
    assert signals.spikes(recent + busy, NOW, S) == []


def test_topic_clusters_and_extortion_is_its_own_rule() -> None:
    records = [rec(i, 24 * i, topics=["damaged", "extortion"]) for i in range(1, 4)]
    records.append(rec(9, 24 * 9, topics=["damaged"]))  # outside the 7 days
    (cluster,) = signals.topic_clusters(records, NOW, S)
    assert cluster.item_ids == (1, 2, 3) and cluster.subject == "#damaged"


def test_the_demos_bursts_are_found(cli: Cli) -> None:
    cli("check", "-q", "--format", "json")
    found = json.loads(cli("signals", "--format", "json").stdout)["signals"]
    bursts = sorted(len(s["items"]) for s in found if s["kind"] == "burst")
    assert bursts == [3, 7]
    # The one-star burst of the same seven reviews is not reported twice.
    assert not [s for s in found if s["kind"] == "one-star-burst" and len(s["items"]) == 7]


def test_check_lists_signals_and_fail_on_burst(cli: Cli) -> None:
    result = cli("check", "--format", "json", "--fail-on", "burst")
    assert result.exit_code == 10
    data = json.loads(result.stdout)
    assert data["summary"]["signals"] == len(data["signals"]) > 0
    assert "--fail-on matched: burst" in result.stderr


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(max_size=80),
            st.integers(0, 24 * 40),
            st.one_of(st.none(), st.integers(1, 5)),
            st.sampled_from(["p1", "p2", None]),
            st.one_of(st.none(), st.text(max_size=12)),
        ),
        max_size=30,
    )
)
def test_detect_never_crashes(
    rows: list[tuple[str, int, int | None, str | None, str | None]],
) -> None:
    records = [
        rec(
            i,
            h,
            text,
            rating=r,
            product_id=p,
            author=a,
            topics=["damaged"],
            negative=int(bool(r and r < 3)),
        )
        for i, (text, h, r, p, a) in enumerate(rows)
    ]
    for signal in signals.detect(records, NOW):
        assert signal.item_ids and signal.key and signal.reason


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="абвгде ёжз!.,", max_size=60),
    st.text(alphabet="абвгде ёжз!.,", max_size=60),
    st.sampled_from([0.0, 0.3, 0.5, 0.8, 1.0]),
)
def test_similar_is_jaccard_against_the_threshold(a: str, b: str, t: float) -> None:
    x, y = signals.shingles(a), signals.shingles(b)
    union = x | y
    exact = len(x & y) / len(union) if x and y else 0.0
    assert signals.similar(x, y, t) == (exact >= t) and signals.jaccard(x, y) == exact

from __future__ import annotations

from collections import Counter

from repcli.sources.demo import DATASETS, load_dataset


def test_demo_data_is_rich_enough() -> None:
    items = [i for name in DATASETS for i in load_dataset(name)["items"]]
    assert len(items) >= 400
    assert len({(name, i["id"]) for name in DATASETS for i in load_dataset(name)["items"]}) == len(
        items
    )
    langs = Counter(i["lang"] for i in items)
    assert set(langs) == {"ru", "uk", "en"} and min(langs.values()) >= 40
    kinds = Counter(i["kind"] for i in items)
    assert kinds["question"] >= 20 and kinds["comment"] >= 50
    assert all(i["rating"] is None for i in items if i["kind"] != "review")
    assert sum(bool(i["edits"]) for i in items) >= 10
    assert sum(bool(i["answer"]) for i in items) >= 50
    assert sum(i["age_hours"] < 0 for i in items) >= 10
    assert any(i["pros"] for i in items) and any(i["title"] for i in items)

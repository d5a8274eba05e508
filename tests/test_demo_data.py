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


def test_the_facebook_demo_dataset_through_check(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A Page's comments as the demo serves them: complaints and extortion flagged, a photo or
    video with no words waits for a reply, praise and a pre-sale question are not complaints,
    the Page's own answers count, and a post from the future has not appeared yet."""
    import json

    from tests.conftest import Cli

    config = tmp_path / "repcli.yaml"
    config.write_text(
        f"store: {tmp_path / 'fb.db'}\nsources:\n"
        "  - {name: fb-demo, type: demo, dataset: facebook, sla_hours: 6}\n",
        encoding="utf-8",
    )
    cli = Cli(config)
    checked = json.loads(cli("check", "--format", "json").stdout)
    assert checked["summary"]["new_items"] == 11  # fb-c-5012 is 30 h in the future
    negative = {r["external_id"] for r in checked["new_negative"]}
    assert {"fb-c-5003", "fb-c-5006", "fb-c-5008", "fb-c-5011"} <= negative
    assert not {"fb-c-5004", "fb-c-5005", "fb-c-5007"} & negative
    assert checked["summary"]["extortion"] >= 1
    queue = {
        r["external_id"]: r
        for r in map(json.loads, cli("queue", "--format", "jsonl").stdout.splitlines())
    }
    assert {"fb-c-5002", "fb-c-5009"} <= set(queue)  # a photo, a video: someone must look
    assert "fb-c-5008" not in queue  # answered by the Page
    assert queue["fb-c-5003"]["url"] == "https://www.facebook.com/demo.shop.page"

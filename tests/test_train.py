"""`repcli train`: the hashed n-gram model, its cross-validation, saving, and its use."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repcli.analysis import trained
from repcli.errors import InputError
from tests.conftest import Cli

BAD = ["пришла мятая коробка", "разбит корпус", "не работает зарядка", "брак, верните деньги",
       "зламався через день", "не рекомендую магазин", "arrived broken", "stopped working"]  # fmt: skip
GOOD = ["отличное качество", "всё понравилось", "быстрая доставка, спасибо", "чудова якість",
        "дуже задоволена", "great quality", "love it", "works perfectly"]  # fmt: skip


def corpus(n: int = 120, seed: int = 3) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        negative = i % 3 == 0
        words = rng.sample(BAD if negative else GOOD, 2)
        rows.append(
            {"text": f"{words[0]}. {words[1]}", "label": "negative" if negative else "positive"}
        )
    return rows


def test_fit_separates_and_round_trips(tmp_path: Path) -> None:
    rows = corpus()
    texts = [str(r["text"]) for r in rows]
    labels = [r["label"] == "negative" for r in rows]
    model = trained.fit(texts, labels)
    assert model.probability("коробка мятая, корпус разбит") > 0.8
    assert model.probability("отличное качество, спасибо") < 0.2
    path = tmp_path / "m.json"
    model.save(path)
    again = trained.TrainedModel.load(path)
    for text in ("пришла мятая", "love it", ""):
        assert again.probability(text) == pytest.approx(model.probability(text), abs=1e-3)
    assert trained.cross_validate(texts, labels) == trained.cross_validate(texts, labels)
    assert trained.cross_validate(texts, labels)[1.0].quality.f1 > 0.9


def test_one_class_and_bad_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="only one class"):
        trained.fit(["a", "b"], [True, True])
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "other"}', encoding="utf-8")
    with pytest.raises(InputError, match="not a repcli text model"):
        trained.TrainedModel.load(broken)


def test_train_from_file_then_analyze_with_it(cli: Cli, tmp_path: Path) -> None:
    data = tmp_path / "labelled.jsonl"
    data.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in corpus()), encoding="utf-8"
    )
    out = tmp_path / "model.json"
    result = cli("train", "--from-file", str(data), "--output", str(out), "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["trained_on"] == 120 and report["negatives"] == 40
    assert report["cv"]["f1"] > 0.9 and report["cv_folds"] == 5
    assert report["blend_weight"] in (0.3, 0.5, 0.7, 1.0) and report["cv_model_alone"]["f1"] > 0.9
    assert report["threshold"] in trained.THRESHOLDS
    texts = tmp_path / "t.txt"
    texts.write_text("зарядка не работает, корпус разбит\nвсё понравилось\n", encoding="utf-8")
    rows = [
        json.loads(x)
        for x in cli(
            "analyze", str(texts), "--model", str(out), "--format", "jsonl"
        ).stdout.splitlines()
    ]
    assert [r["label"] for r in rows] == ["negative", "positive"]
    assert any("model:" in reason for reason in rows[0]["reasons"][0].split(", "))


def test_train_on_the_store_and_check_uses_the_model(cli: Cli) -> None:
    cli("check", "-q", "--format", "json")
    result = cli("train", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["model"].endswith(".db.model.json") and report["trained_on"] > 200
    assert Path(report["model"]).exists()
    again = cli("check", "--format", "json")
    assert again.exit_code == 0


def test_bad_labels_name_the_line(cli: Cli, tmp_path: Path) -> None:
    data = tmp_path / "l.csv"
    data.write_text("text,label\nхорошо,positive\nплохо,meh\n", encoding="utf-8")
    result = cli("train", "--from-file", str(data))
    assert result.exit_code == 7
    assert f"{data}:3: label 'meh' is not a label" in result.stderr
    few = tmp_path / "few.csv"
    few.write_text("text,rating\nхорошо,5\nплохо,1\n", encoding="utf-8")
    assert "too few to train on" in cli("train", "--from-file", str(few)).stderr


MODEL = trained.fit(
    [str(r["text"]) for r in corpus()], [r["label"] == "negative" for r in corpus()]
)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_scores_in_range(text: str) -> None:
    score = MODEL.score(text, None)
    assert 0.0 <= score.score <= 1.0


def test_the_pipeline_blends_a_trained_model_when_there_is_one(cli: Cli) -> None:
    from repcli.clock import now
    from repcli.pipeline import Pipeline
    from repcli.sources.registry import load_config
    from repcli.store import open_store

    cli("check", "-q", "--format", "json")
    config = load_config(cli.config)
    with open_store(config.store) as store:
        assert Pipeline(config, store, now()).analyzer.model.name == "lexicon"
    cli("train", "--format", "json")
    with open_store(config.store) as store:
        assert Pipeline(config, store, now()).analyzer.model.name == "blend"


@given(st.floats(0, 1), st.floats(0, 1), st.sampled_from(trained.THRESHOLDS))
def test_calibration_puts_the_threshold_at_one_half_and_keeps_the_order(
    a: float, b: float, threshold: float
) -> None:
    low, high = sorted((a, b))
    assert 0.0 <= trained.calibrate(low, threshold) <= trained.calibrate(high, threshold) <= 1.0
    assert (trained.calibrate(a, threshold) >= 0.5) == (a >= threshold)
    assert trained.calibrate(threshold, threshold) == pytest.approx(0.5)


def test_the_blend_flags_from_the_threshold_train_chose() -> None:
    rows = corpus()
    model = trained.fit([str(r["text"]) for r in rows], [r["label"] == "negative" for r in rows])
    model.meta = {"blend_weight": 1.0, "threshold": 0.3}
    blend = trained.blend(model)
    assert (blend.weight, blend.threshold) == (1.0, 0.3)
    for text in ("коробка мятая", "всё понравилось", "доставка", "ok", ""):
        p = model.probability(text)
        assert (blend.score(text).score >= 0.5) == (p >= 0.3), text
    model.meta = {}  # a model file from before thresholds were chosen
    assert trained.blend(model).threshold == 0.5


def test_reanalyze_applies_a_new_model_topics_and_thresholds_to_what_is_stored(
    cli: Cli, tmp_path: Path
) -> None:
    """What is stored gets what a new item would get; nothing else changes; the next check
    shows the items that turned negative."""
    import sqlite3

    from repcli.sources.registry import load_config

    cli("check", "-q", "--format", "json")
    store = load_config(cli.config).store

    def snapshot() -> dict[int, tuple[object, ...]]:
        with sqlite3.connect(store) as conn:
            rows = conn.execute(
                "SELECT id, negative, topics, needs_reply, due_at, status, answer_text, text "
                "FROM items"
            )
            return {row[0]: row[1:] for row in rows}

    def reanalyze(*args: str) -> dict[str, int]:
        result = cli("reanalyze", "--format", "json", *args)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    before = snapshot()
    same = reanalyze()
    assert same["items"] == len(before) == same["same"] and snapshot() == before  # no drift

    # A new cause and a lower bar for unrated text, as a shop would edit its config.
    (tmp_path / "t.yaml").write_text(
        "topics:\n  lid:\n    label: {en: Lid}\n    cues: {ru: [крышк], en: [lid$]}\n",
        encoding="utf-8",
    )
    text = cli.config.read_text(encoding="utf-8")
    text = text.replace("text_negative: 0.5", "text_negative: 0.2")
    cli.config.write_text(f"topics: {tmp_path / 't.yaml'}\n{text}", encoding="utf-8")
    counts = reanalyze()
    after = snapshot()
    assert counts["newly negative"] > 0 and counts["changed"] > 0
    outcomes = ("same", "changed", "newly negative", "no longer negative")
    assert counts["items"] == sum(counts[k] for k in outcomes)
    turned = [i for i in after if after[i][0] and not before[i][0]]
    assert len(turned) == counts["newly negative"]
    assert any('"lid"' in str(after[i][1]) for i in after)
    # Only the analysis moved: statuses, answers and texts are as they were.
    assert all(after[i][4:] == before[i][4:] for i in after)
    shown = json.loads(cli("check", "--format", "json").stdout)
    assert {row["id"] for row in shown["new_negative"]} >= set(turned)
    assert reanalyze()["same"] == len(after)  # and it settles
    assert reanalyze("--source", "vk-demo")["items"] < len(after)


def test_train_reports_quality_per_kind_and_source_and_warns_what_it_will_not_read(
    cli: Cli,
) -> None:
    cli("check", "-q", "--format", "json")
    result = cli("train", "--format", "json")
    report = json.loads(result.stdout)
    assert report["kinds"] == ["review"] and list(report["cv_by_kind"]) == ["review"]
    review = report["cv_by_kind"]["review"]
    assert review["texts"] == report["trained_on"] and review["f1"] == report["cv"]["f1"]
    assert set(report["cv_by_source"]) == {
        "appstore-demo", "gplay-demo", "ozon-demo", "wb-demo", "ym-demo"
    }  # fmt: skip
    assert sum(q["texts"] for q in report["cv_by_source"].values()) == report["trained_on"]
    assert all(0 <= q["builtin_f1"] <= 1 for q in report["cv_by_source"].values())
    (warning,) = report["warnings"]
    assert warning.startswith("checked on rated reviews; the store also holds ")
    assert "comments" in warning and "questions" in warning
    assert "warning: checked on rated reviews" in result.stderr
    table = cli("train", "--format", "table").stdout
    assert "\nby kind: review F1 " in table and "\nby source: appstore-demo F1 " in table


def test_a_kind_the_model_does_worse_on_than_the_lexicon_is_left_to_the_lexicon() -> None:
    by_kind = {
        "comment": {"texts": 40, "negatives": 9, "f1": 0.55, "builtin_f1": 0.61},
        "question": {"texts": 12, "negatives": 0, "f1": 0.0, "builtin_f1": 0.0},
        "review": {"texts": 285, "negatives": 61, "f1": 0.82, "builtin_f1": 0.76},
    }
    assert trained.validated_kinds(by_kind) == ["review"]


def test_train_from_file_records_each_rows_kind(cli: Cli, tmp_path: Path) -> None:
    rows = [{**r, "kind": "comment" if i % 2 else "review"} for i, r in enumerate(corpus())]
    data = tmp_path / "kinds.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = cli("train", "--from-file", str(data), "-o", str(tmp_path / "m.json"), "-f", "json")
    report = json.loads(result.stdout)
    assert set(report["cv_by_kind"]) == {"comment", "review"} == set(report["kinds"])
    assert list(report["cv_by_source"]) == ["kinds.jsonl"]
    plain = tmp_path / "plain.jsonl"
    plain.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in corpus()), "utf-8")
    out = cli("train", "--from-file", str(plain), "--kind", "comment", "-o", str(tmp_path / "p"))
    assert json.loads(out.stdout)["kinds"] == ["comment"]


def test_reanalyze_says_what_changed_by_kind(cli: Cli) -> None:
    cli("check", "-q", "--format", "json")
    cli("train", "-q", "--format", "json")
    counts = json.loads(cli("reanalyze", "--format", "json").stdout)
    assert set(counts["by kind"]) == {"comment", "question", "review"}
    for outcome in ("items", "same", "changed", "newly negative", "no longer negative"):
        assert counts[outcome] == sum(c[outcome] for c in counts["by kind"].values())
    # Questions and comments are not read by a model checked on reviews: none turn negative.
    assert counts["by kind"]["question"]["newly negative"] == 0
    assert counts["by kind"]["comment"]["newly negative"] == 0
    table = cli("reanalyze", "--format", "table").stdout
    assert (
        "\n  questions: 30, 0 newly negative, 0 no longer negative, 0 changed, 30 same\n" in table
    )


def test_complaints_the_lexicon_finds_under_3_to_5_stars_stay_negative_after_train(
    cli: Cli,
) -> None:
    """Training labels come from stars, so the model learns that a 3-5★ text is no complaint;
    it must not clear the complaint the lexicon finds under a high rating (check -> train ->
    reanalyze, as the README tour does)."""
    import sqlite3

    from repcli.sources.registry import load_config

    cli("check", "-q", "--format", "json")
    store = load_config(cli.config).store

    def flagged() -> dict[int, str]:
        with sqlite3.connect(store) as conn:
            rows = conn.execute(
                "SELECT id, text FROM items WHERE rating >= 3 AND negative = 1 ORDER BY id"
            )
            return dict(rows.fetchall())

    before = flagged()
    texts = set(before.values())
    assert "5 за печь, но курьер нагрубил и бросил коробку у двери." in texts
    assert "Неплохое, но тормозит на старом Самсунге." in texts and len(before) >= 10
    cli("train", "-q", "--format", "json")
    counts = json.loads(cli("reanalyze", "--format", "json").stdout)
    after = flagged()
    assert {i: before[i] for i in before if i not in after} == {}
    assert counts["by kind"]["review"]["no longer negative"] == 0

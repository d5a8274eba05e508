"""`repcli analyze`: texts in, label + score + reasons out; needs no config."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from repcli.errors import ExitCode
from tests.conftest import Cli


def test_plain_lines_from_stdin_without_config() -> None:
    from repcli.cli.app import app

    result = Cli(None).runner.invoke(
        app,
        ["analyze", "--format", "jsonl"],
        input="Не рекомендую, сломалось через день\n\nОтличный товар, спасибо!\n",
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["line"], r["label"], r["negative"]) for r in rows] == [
        (1, "negative", True),
        (3, "positive", False),
    ]
    assert rows[0]["reasons"][0].startswith("text: ")


def test_jsonl_with_rating_and_csv_with_field(tmp_path: Path) -> None:
    jl = tmp_path / "in.jsonl"
    jl.write_text('{"body": "Arrived broken", "stars": "1"}\n{"body": "fine", "stars": 5}\n')
    rows = [
        json.loads(x)
        for x in Cli(None)(
            "analyze", str(jl), "--field", "body", "--rating-field", "stars", "-f", "jsonl"
        ).stdout.splitlines()
    ]
    assert rows[0]["reasons"] == ["rating 1★"] and not rows[1]["negative"]
    table = tmp_path / "in.csv"
    table.write_text('id,review\n1,"=cmd() Жахлива якість, не рекомендую"\n')
    out = Cli(None)("analyze", str(table), "--field", "review", "-f", "csv").stdout
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert row["label"] == "negative" and row["lang"] == "uk" and row["text"].startswith("'=")


def test_bad_input_names_file_line_and_field(tmp_path: Path) -> None:
    jl = tmp_path / "bad.jsonl"
    jl.write_text('{"text": "ok"}\n{"text": \n')
    result = Cli(None)("analyze", str(jl))
    assert result.exit_code == ExitCode.BAD_INPUT
    assert f"{jl}:2: not valid JSON (Expecting value, column 10)" in result.stderr
    table = tmp_path / "bad.csv"
    table.write_text("a,b\n1,2\n")
    result = Cli(None)("analyze", str(table))
    assert (
        result.exit_code == ExitCode.USAGE and "no column 'text' (columns: a, b)" in result.stderr
    )
    assert Cli(None)("analyze", str(tmp_path / "missing.txt")).exit_code == ExitCode.USAGE


def _trained_store_model(cli: Cli, tmp_path: Path) -> None:
    """`repcli train --from-file` saving where check finds it (next to the config's store)."""
    from tests.test_train import corpus

    data = tmp_path / "labelled.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in corpus()), "utf-8")
    assert cli("train", "--from-file", str(data), "-q", "--format", "json").exit_code == 0


def test_analyze_uses_the_stores_trained_model_and_says_which(cli: Cli, tmp_path: Path) -> None:
    texts = tmp_path / "t.txt"
    texts.write_text("зарядка не работает, корпус разбит\n", encoding="utf-8")
    before = cli("analyze", str(texts), "-f", "jsonl")
    assert before.stderr.startswith("model: the built-in lexicon (no model trained for ")
    _trained_store_model(cli, tmp_path)
    after = cli("analyze", str(texts), "-f", "jsonl")
    assert after.stderr.startswith("model: the trained model ") and "validated on review" in (
        after.stderr
    )
    assert "model:" in json.loads(after.stdout)["reasons"][0]  # the model's own words
    builtin = cli("analyze", str(texts), "-f", "jsonl", "--model", "builtin")
    assert builtin.stderr == "model: the built-in lexicon\n"
    assert "model:" not in json.loads(builtin.stdout)["reasons"][0]
    comment = cli("analyze", str(texts), "-f", "jsonl", "--kind", "comment")
    assert "it does not read comment texts, the built-in lexicon does" in comment.stderr
    assert cli("-q", "analyze", str(texts), "-f", "jsonl").stderr == ""
    no_config = Cli(None)("analyze", str(texts), "-f", "jsonl")
    assert (
        no_config.stderr == "model: the built-in lexicon (no config found, so no trained model)\n"
    )


def test_text_field_is_named_as_train_names_it_and_ratings_are_read_by_default(
    tmp_path: Path,
) -> None:
    jl = tmp_path / "in.jsonl"
    jl.write_text('{"body": "Arrived broken", "rating": 5}\n{"body": "fine", "rating": "1"}\n')
    rows = [
        json.loads(x)
        for x in Cli(None)(
            "analyze", str(jl), "--text-field", "body", "-f", "jsonl"
        ).stdout.splitlines()
    ]
    assert [r["reasons"] for r in rows] == [["complaint under 5★: broken"], ["rating 1★"]]
    text_only = Cli(None)(
        "analyze", str(jl), "--field", "body", "--rating-field", "", "-f", "jsonl"
    )
    assert [json.loads(x)["negative"] for x in text_only.stdout.splitlines()] == [True, False]


def test_evaluation_prints_precision_recall_f1_per_class_and_a_confusion_table(
    tmp_path: Path,
) -> None:
    data = tmp_path / "labelled.csv"
    data.write_text(
        "text,label,rating\n"
        "Курьер опоздал и нагрубил,negative,\n"
        "Отличный плед,positive,\n"
        "Do you ship to Kazakhstan?,neutral,\n"
        "Так себе,,3\n",  # no label: its rating is the label, hidden from the analysis
        encoding="utf-8",
    )
    result = Cli(None)("analyze", str(data), "--label-field", "label", "-f", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["version"], report["texts"], report["model"]) == (
        1,
        4,
        "the built-in lexicon (no config found, so no trained model)",
    )
    assert [c["class"] for c in report["classes"]] == ["negative", "neutral", "positive"]
    assert report["confusion"][0] == {
        "actual": "negative",
        "negative": 1,
        "neutral": 0,
        "positive": 0,
    }
    assert report["confusion"][1] == {
        "actual": "neutral",
        "negative": 1,
        "neutral": 1,
        "positive": 0,
    }
    assert report["classes"][0] == {
        "class": "negative",
        "precision": 0.5,
        "recall": 1.0,
        "f1": 0.6667,
        "support": 1,
    }
    table = Cli(None)(
        "analyze", str(data), "--label-field", "label", "-f", "table", "--model", "builtin"
    )
    assert table.stdout == (
        "class     precision  recall    F1  support\n"
        "negative       0.50    1.00  0.67        1\n"
        "neutral        1.00    0.50  0.67        2\n"
        "positive       1.00    1.00  1.00        1\n"
        "\n"
        "actual \\ predicted  negative  neutral  positive\n"
        "negative                   1        0         0\n"
        "neutral                    1        1         0\n"
        "positive                   0        0         1\n"
        "\n"
        "4 texts: accuracy 0.75, macro F1 0.78\n"
    )
    binary = tmp_path / "b.jsonl"
    binary.write_text('{"text": "сломалось", "label": 1}\n{"text": "супер", "label": 0}\n', "utf-8")
    report = json.loads(
        Cli(None)("analyze", str(binary), "--label-field", "label", "-f", "json").stdout
    )
    assert [c["class"] for c in report["classes"]] == ["negative", "not negative"]
    assert report["accuracy"] == 1.0

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
    assert result.exit_code == ExitCode.USAGE and f"{jl}:2: not a JSON object" in result.stderr
    table = tmp_path / "bad.csv"
    table.write_text("a,b\n1,2\n")
    result = Cli(None)("analyze", str(table))
    assert (
        result.exit_code == ExitCode.USAGE and "no column 'text' (columns: a, b)" in result.stderr
    )
    assert Cli(None)("analyze", str(tmp_path / "missing.txt")).exit_code == ExitCode.USAGE

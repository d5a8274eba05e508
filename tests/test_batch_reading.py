"""What `repcli analyze` and `repcli train --from-file` read: the same CSV and JSON Lines the
`file` source imports (a `;` or tab delimiter sniffed, Excel's `sep=` line, strict quoting), and
the same refusals naming file:line (a bad JSON line, bytes that are not UTF-8)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from repcli.analysis.batch import read_labelled_rows, read_texts
from repcli.errors import ExitCode, InputError
from tests.conftest import Cli


def _analyze(path: Path, *args: str) -> Any:
    return Cli(None)("analyze", str(path), "--format", "jsonl", *args)


def _rows(result: Any) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def _labelled(n: int = 60) -> list[tuple[str, str]]:
    return [
        ("сломалось, не работает", "negative") if i % 3 == 0 else ("отлично, спасибо", "positive")
        for i in range(n)
    ]


# --------------------------------------------------------------------------- accepted


@pytest.mark.parametrize(
    ("body", "first_line"),
    [
        ("text;rating\nСломалось, через день;1\nОтличный товар, спасибо;5\n", 2),
        ("sep=;\ntext;rating\nСломалось, через день;1\nОтличный товар, спасибо;5\n", 3),
        ("\ufefftext\trating\nСломалось, через день\t1\nОтличный товар, спасибо\t5\n", 2),
        ('text,rating\n"Сломалось, через день",1\n"Отличный товар, спасибо",5\n', 2),
    ],
    ids=["semicolon", "sep-line", "tab-bom", "comma"],
)
def test_analyze_reads_csv_with_the_delimiter_sniffed_or_named(
    tmp_path: Path, body: str, first_line: int
) -> None:
    path = tmp_path / "in.csv"
    path.write_text(body, encoding="utf-8")
    rows = _rows(_analyze(path))
    assert [(r["line"], r["text"]) for r in rows] == [
        (first_line, "Сломалось, через день"),
        (first_line + 1, "Отличный товар, спасибо"),
    ]
    assert rows[0]["reasons"] == ["rating 1★"] and not rows[1]["negative"]


def test_a_one_column_csv_keeps_its_cells_whole(tmp_path: Path) -> None:
    """Texts with a `;` in most rows of a file whose header has no `;`: one column, not split."""
    path = tmp_path / "texts.csv"
    texts = [f"плохо; сломалось {i}" for i in range(30)]
    path.write_text("text\n" + "\n".join(texts) + "\n", encoding="utf-8")
    assert [r["text"] for r in _rows(_analyze(path))] == texts
    assert [t for _, t, _ in read_texts(path.read_bytes(), str(path))] == texts


def test_train_from_file_reads_a_semicolon_csv_and_a_sep_line(tmp_path: Path) -> None:
    body = "text;label\n" + "".join(f"{t};{label}\n" for t, label in _labelled())
    path = tmp_path / "labelled.csv"
    path.write_text(body, encoding="utf-8")
    out = str(tmp_path / "m.json")
    result = Cli(None)("train", "--from-file", str(path), "-o", out, "-f", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["trained_on"] == 60
    rows = read_labelled_rows(b"sep=;\n" + body.encode(), "l.csv", "text", "label", "rating")
    assert [(r.line, r.text, r.label) for r in rows[:2]] == [
        (3, "сломалось, не работает", "negative"),
        (4, "отлично, спасибо", "positive"),
    ]


def test_a_multiline_cell_is_one_row_numbered_by_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text('text,rating\n"first line\nsecond line",1\nok,5\n', encoding="utf-8")
    assert [(r["line"], r["text"]) for r in _rows(_analyze(path))] == [
        (2, "first line\nsecond line"),
        (4, "ok"),
    ]


# --------------------------------------------------------------------------- refused


def test_a_bad_jsonl_line_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok", "label": "positive"}\n{"text": \n', encoding="utf-8")
    result = _analyze(path)
    assert result.exit_code == ExitCode.BAD_INPUT
    assert f"{path}:2: not valid JSON (Expecting value, column 10)" in result.stderr
    train = Cli(None)("train", "--from-file", str(path), "-o", str(tmp_path / "m.json"))
    assert train.exit_code == ExitCode.BAD_INPUT
    assert f"{path}:2: not valid JSON (Expecting value, column 10)" in train.stderr
    assert "each line of a .jsonl file must be one JSON object" in train.stderr


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".txt"])
def test_bytes_that_are_not_utf8_are_refused_naming_line_and_offset(
    tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"in{suffix}"
    lines = {".csv": b"text\nok\n", ".jsonl": b'{"text": "a"}\n{"text": "b"}\n'}
    path.write_bytes(lines.get(suffix, b"a\nb\n") + b"bad \xff here\n")
    where = f"{path}:3: not valid UTF-8 text (byte 0xff at offset {path.read_bytes().index(255)})"
    result = _analyze(path)
    assert result.exit_code == ExitCode.BAD_INPUT
    assert where in result.stderr
    train = Cli(None)("train", "--from-file", str(path), "-o", str(tmp_path / "m.json"))
    assert train.exit_code == ExitCode.BAD_INPUT and where in train.stderr
    with pytest.raises(InputError, match="save the file as UTF-8"):
        read_texts(path.read_bytes(), str(path))


def test_a_stray_quote_is_refused_where_it_opened(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text('text,rating\nok,5\n"never closed,1\nmore,2\n', encoding="utf-8")
    result = _analyze(path)
    assert result.exit_code == ExitCode.BAD_INPUT
    assert f"{path}:3:1: quote opened in column 'text' on line 3 is never closed" in result.stderr
    sep = tmp_path / "sep.csv"
    sep.write_text('sep=;\ntext;rating\nok;5\nfine;4\n"never closed;1\nmore;2\n', "utf-8")
    result = _analyze(sep)
    assert result.exit_code == ExitCode.BAD_INPUT
    assert f"{sep}:5:1: quote opened in column 'text' on line 5 is never closed" in result.stderr

"""Hostile inputs: files read exactly as their format says, and a config that cannot be a bomb.

Formats from their definitions: RFC 4180 (a field holding a line break or a quote is quoted
whole, inner quotes doubled), JSON Lines (jsonlines.org: lines end with \\n, \\r\\n allowed; a
JSON string may hold U+2028 and friends unescaped), POSIX shell parameter expansion
(`${VAR:-word}` when unset or empty, `${VAR-word}` only when unset), YAML 1.1 anchors and
aliases (the "billion laughs" expansion).
"""

from __future__ import annotations

from pathlib import Path

from repcli.errors import ExitCode
from tests.conftest import Cli

REVIEWS = "{text: Review, rating: Stars, created_at: Date}"


def _file_config(tmp_path: Path, csv_name: str) -> Path:
    path = tmp_path / "repcli.yaml"
    path.write_text(
        f"store: {tmp_path / 'x.db'}\nsources:\n  - name: f\n    type: file\n"
        f"    path: '{tmp_path / csv_name}'\n    columns: {REVIEWS}\n"
    )
    return path


def _rows(n: int, stray: int | None = None, order: str = "date-first") -> str:
    lines = ["Date,Stars,Review" if order == "date-first" else "Review,Stars,Date"]
    for i in range(1, n + 1):
        review = f"Review number {i} is fine"
        if i == stray:
            review = '"Best buy ever'
        date, stars = f"2026-05-{i % 28 + 1:02d}", str(i % 5 + 1)
        cells = [date, stars, review] if order == "date-first" else [review, stars, date]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- 1. CSV quoting


def test_a_stray_quote_is_refused_with_file_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text(_rows(50, stray=2))
    result = Cli(_file_config(tmp_path, "r.csv"))("check", "--format", "json")
    assert result.exit_code == ExitCode.SOURCES_FAILED, result.output
    where = f"{tmp_path / 'r.csv'}:3:14"
    assert f"{where}: quote opened in column 'Review' on line 3 is never closed" in result.output
    assert "2 fetched" not in result.output


def test_a_stray_quote_that_meets_another_quote_is_refused_too(tmp_path: Path) -> None:
    text = _rows(50, stray=2, order="review-first").replace(
        "Review number 40 is fine", '"Nice, really"'
    )
    (tmp_path / "r.csv").write_text(text)
    result = Cli(_file_config(tmp_path, "r.csv"))("check", "--format", "json")
    assert result.exit_code == ExitCode.SOURCES_FAILED, result.output
    assert (
        f"{tmp_path / 'r.csv'}:3:1: quote opened in column 'Review' on line 3 is never closed"
    ) in result.output


def test_a_stray_quote_closed_by_an_inch_mark_is_refused(tmp_path: Path) -> None:
    # The swallowed text ends validly (`12"` then a comma): the merged record has the wrong
    # number of cells, so it is refused rather than stored as one long review.
    text = _rows(10, stray=2).replace("Review number 6 is fine", 'Screen 12", bright')
    (tmp_path / "r.csv").write_text(text)
    result = Cli(_file_config(tmp_path, "r.csv"))("check", "--format", "json")
    assert result.exit_code == ExitCode.SOURCES_FAILED, result.output
    assert "quote opened in column 'Review' on line 3 is never closed" in result.output


def test_a_quoted_multi_line_field_still_works(tmp_path: Path) -> None:
    text = 'Date,Stars,Review\n2026-05-01,1,"Leaks.\nReturn took ""two"" weeks, sadly."\n'
    text += "2026-05-02,5,Fine\n"
    (tmp_path / "r.csv").write_text(text)
    result = Cli(_file_config(tmp_path, "r.csv"))("check", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    assert 'Leaks.\\nReturn took \\"two\\" weeks, sadly.' in result.stdout


def test_orders_import_names_the_unclosed_quote(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        'order_id,customer,ordered_at\n1,A,2026-05-01\n2,"B,2026-05-02\n3,C,2026-05-03\n'
    )
    result = cli("orders", "import", str(path))
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "object at 0x" not in result.output
    assert (
        f"{path}:3:3: quote opened in column 'customer' on line 3 is never closed" in result.stderr
    )


def test_orders_import_says_a_short_row_has_no_date(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("order_id,customer,ordered_at\n1,A,2026-05-01\n2,B\n")
    result = cli("orders", "import", str(path))
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "object at 0x" not in result.output
    assert f"{path}:3: column 'ordered_at': the order date is empty" in result.stderr

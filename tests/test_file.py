"""Review exports from local files (CSV / JSON Lines / JSON), through the real pipeline.

No HTTP: the files are copied into a temporary directory. Formats confirmed from: Python's csv
module docs (`csv.reader`, `Sniffer.sniff(sample, delimiters)`, `reader.line_num` counting
physical lines of quoted multi-line cells), the `utf-8-sig` codec (Excel's "CSV UTF-8" writes a
BOM), RFC 4180 (CRLF rows, doubled quotes), the JSON Lines format (jsonlines.org: one JSON value
per line, UTF-8), OWASP "CSV Injection" (cells starting with = + - @ are formulas to a
spreadsheet). Unconfirmed: Amazon offers sellers no documented review-export format; the
column names here (Review ID, ASIN, Stars "4.0 out of 5 stars", Title, Review, Name, Date) are
what review-export tools commonly write, and `columns` maps whatever a file has.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repcli.clock import from_iso
from repcli.errors import RepcliError, SourceError
from repcli.sources.file import FileSettings, Importer
from repcli.store import ItemFilter
from tests.httpkit import run_sources

FIXTURES = Path(__file__).parent / "fixtures" / "file"
NOW = "2026-05-20T09:00:00Z"
AMAZON = (
    "{text: Review, rating: Stars, created_at: Date, external_id: 'Review ID', author: Name, "
    "product_id: ASIN, product_name: Product, title: Title, answer_text: 'Seller response', "
    "answered_at: 'Response date'}"
)


def copy(tmp_path: Path, *names: str) -> Path:
    for name in names:
        shutil.copy(FIXTURES / name, tmp_path / name)
    return tmp_path


def source(name: str, path: Path | str, columns: str, extra: str = "") -> str:
    return f"  - name: {name}\n    type: file\n    path: '{path}'\n    columns: {columns}\n{extra}"


def config(tmp_path: Path, *sources: str) -> str:
    return f"store: {tmp_path / 'x.db'}\nsources:\n" + "".join(sources)


def run(tmp_path: Path, text: str, full: bool = False) -> tuple[Any, Any]:
    return run_sources(text, tmp_path / "x.db", NOW, None, full=full)


def test_amazon_export_with_bom_quotes_and_formula_text(tmp_path: Path) -> None:
    copy(tmp_path, "amazon_reviews.csv")
    text = config(
        tmp_path,
        source("amazon", tmp_path / "amazon_reviews.csv", AMAZON, "    platform: amazon\n"),
    )
    report, store = run(tmp_path, text)
    assert not report.failed, report.failed
    rows = {i["external_id"]: i for i in store.list_items(ItemFilter())}
    assert len(rows) == 4
    mark = rows["R2XK7Q9D1M4B8A"]
    assert (mark["rating"], mark["author"], mark["product_id"]) == (1, "Mark T.", "B0C7KT1700")
    assert mark["text"] == "Started leaking from the base after a week.\nThe return took two weeks."
    assert mark["created_at"] == "2026-05-14T00:00:00.000000Z" and mark["platform"] == "amazon"
    assert mark["kind"] == "review" and mark["negative"] and mark["needs_reply"]
    jenny = rows["R1PL3N8V6C2Z0Q"]  # formula-like text is data: stored verbatim, never evaluated
    assert jenny["title"] == '=HYPERLINK("http://evil.example","Great")'
    assert jenny["text"] == 'Boils fast, quiet, "looks great" on the counter.'
    assert (jenny["answer_text"], jenny["answered_at"]) == (
        "Thank you, Jenny!",
        "2026-05-16T00:00:00.000000Z",
    )
    assert jenny["status"] == "answered"
    assert rows["R3QW8E2R5T7Y1U"]["text"].startswith("+1 for the colour, -1")
    assert rows["R9ZX4C6V8B0N2M"]["title"] is None and rows["R9ZX4C6V8B0N2M"]["rating"] == 4
    raw = json.loads(
        store.conn.execute("SELECT raw FROM items WHERE external_id = 'R1PL3N8V6C2Z0Q'").fetchone()[
            0
        ]
    )
    assert raw["Verified"] == "Yes" and "Review ID" in raw  # the BOM is not part of the header


def test_incremental_skips_unchanged_files_and_upserts_the_rest(tmp_path: Path) -> None:
    path = copy(tmp_path, "amazon_reviews.csv") / "amazon_reviews.csv"
    text = config(tmp_path, source("amazon", path, AMAZON))
    run(tmp_path, text)
    report, store = run(tmp_path, text)
    assert report.results[0].fetched == 0  # same size and mtime: not even read
    key = str(path.resolve())
    first = store.cursor_for("amazon")["files"][key]
    assert first["rows"] == 4 and first["size"] == path.stat().st_size
    os.utime(
        path, ns=(first["mtime_ns"] + 10**9, first["mtime_ns"] + 10**9)
    )  # re-saved, same bytes
    report, store = run(tmp_path, text)
    assert report.results[0].fetched == 0
    assert store.cursor_for("amazon")["files"][key]["mtime_ns"] == first["mtime_ns"] + 10**9
    with path.open("ab") as f:
        f.write(
            b"R7NEW0000000AA,B0D2HD28GR,Trail backpack 28L,1.0 out of 5 stars,Broke,Zip broke.,Li,2026-05-19,Yes,,\r\n"
        )
    report, store = run(tmp_path, text)
    (result,) = report.results
    assert (result.fetched, result.new, result.changed) == (5, 1, 0)
    report, _ = run(tmp_path, text, full=True)
    assert report.results[0].fetched == 5 and report.results[0].new == 0


def test_cp1251_semicolons_ten_point_scale_and_dates(tmp_path: Path) -> None:
    path = copy(tmp_path, "reviews_cp1251.csv") / "reviews_cp1251.csv"
    columns = "{external_id: Номер, created_at: Дата, rating: 'Оценка (из 10)', author: Покупатель, product_name: Товар, text: Отзыв}"
    wrong = config(tmp_path, source("ru", path, columns))
    report, _ = run(tmp_path, wrong)
    error = report.failed[0].error
    assert f"{path}:1: not valid utf-8-sig text (byte 0xcd at offset 0)" in error
    right = config(
        tmp_path,
        source(
            "ru",
            path,
            columns,
            "    encoding: cp1251\n    rating_scale: 10\n    platform: rozetka\n",
        ),
    )
    report, store = run(tmp_path, right)
    assert not report.failed, report.failed
    rows = {i["external_id"]: i for i in store.list_items(ItemFilter())}
    assert (rows["5531"]["rating"], rows["5532"]["rating"]) == (1, 5)
    assert rows["5531"]["created_at"] == "2026-05-14T10:12:00.000000Z"
    assert (
        rows["5532"]["text"] == "Тёплый; брал в подарок." and rows["5531"]["author"] == "Светлана"
    )


def test_excel_sep_line_tabs_and_blank_lines(tmp_path: Path) -> None:
    (tmp_path / "sep.csv").write_bytes(
        "sep=;\r\n\r\nОтзыв;Дата\r\nНе пришло;14.05.2026\r\n".encode("utf-8-sig")
    )
    (tmp_path / "tabs.tsv").write_text('Review\tDate\n"tab\there"\t2026-05-15\n')
    text = config(
        tmp_path,
        source("sep", tmp_path / "sep.csv", "{text: Отзыв, created_at: Дата}"),
        source(
            "tabs",
            tmp_path / "tabs.tsv",
            "{text: Review, created_at: Date}",
            '    delimiter: "\\t"\n',
        ),
    )
    report, store = run(tmp_path, text)
    assert not report.failed, report.failed
    texts = {i["source"]: i["text"] for i in store.list_items(ItemFilter())}
    assert texts == {"sep": "Не пришло", "tabs": "tab\there"}


def test_jsonl_and_json_with_nested_keys(tmp_path: Path) -> None:
    copy(tmp_path, "widget.jsonl", "widget.json")
    columns = "{external_id: id, created_at: created, rating: stars, author: author.name, product_id: product.sku, text: body, answer_text: reply.text}"
    text = config(
        tmp_path,
        source("lines", tmp_path / "widget.jsonl", columns, "    kind: comment\n"),
        source("array", tmp_path / "widget.json", columns),
    )
    report, store = run(tmp_path, text)
    assert not report.failed, report.failed
    for name in ("lines", "array"):
        rows = {i["external_id"]: i for i in store.list_items(ItemFilter(sources=[name]))}
        assert rows["wdg-101"]["created_at"] == "2026-05-14T10:00:00.000000Z"  # unix seconds
        assert rows["wdg-101"]["author"] == "Kate" and rows["wdg-101"]["product_id"] == "PL-CHECK"
        assert rows["wdg-102"]["created_at"] == "2026-05-16T06:00:00.000000Z"
        assert rows["wdg-102"]["answer_text"] == "Thanks Tom!"
    lines = {i["external_id"]: i for i in store.list_items(ItemFilter(sources=["lines"]))}
    assert lines["wdg-101"]["kind"] == "comment"
    array = {i["external_id"]: i for i in store.list_items(ItemFilter(sources=["array"]))}
    assert (array["wdg-101"]["rating"], array["wdg-102"]["rating"]) == (3, 5)


def test_bad_files_say_file_line_column_and_what_to_do(tmp_path: Path) -> None:
    copy(tmp_path, "missing_column.csv", "bad_rows.csv", "invalid_utf8.csv", "amazon_reviews.csv")
    columns = (
        "{text: Review, rating: Stars, created_at: Date, external_id: 'Review ID', author: Name}"
    )
    text = config(
        tmp_path,
        source("missing", tmp_path / "missing_column.csv", columns),
        source("bad", tmp_path / "bad_rows.csv", columns),
        source("bytes", tmp_path / "invalid_utf8.csv", columns),
        source("nofile", tmp_path / "nope.csv", columns),
        source("typo", tmp_path / "amazon_reviews.csv", "{txt: Review, created_at: Date}"),
        "  - name: demo\n    type: demo\n",
    )
    report, store = run(tmp_path, text)
    errors = {r.source: r.error for r in report.failed}
    assert set(errors) == {"missing", "bad", "bytes", "nofile", "typo"}
    assert (
        f"{tmp_path / 'missing_column.csv'}:1: no column 'Stars' for rating (did you mean 'Star'?); "
        "the file's columns: 'Review ID', 'ASIN', 'Star', 'Review', 'Name', 'Date'"
    ) in errors["missing"]
    bad = str(tmp_path / "bad_rows.csv")
    assert errors["bad"] == (
        f"{bad}:3: column 'Stars': 'five' holds no rating; "
        f"{bad}:5: column 'Stars': '=1+4' looks like a spreadsheet formula, not a value "
        "(export values, not formulas); "
        f"{bad}:6: column 'Date': empty; every row needs a date (and 1 more rows)"
    )
    assert (
        f"{tmp_path / 'invalid_utf8.csv'}:3: not valid utf-8-sig text (byte 0xe9" in errors["bytes"]
    )
    assert "nope.csv: no such file" in errors["nofile"]
    assert "columns.txt: not a field repcli stores" in errors["typo"]
    assert not store.list_items(ItemFilter(sources=["bad", "bytes", "missing"]))  # all or nothing
    assert store.list_items(ItemFilter(sources=["demo"]))


def test_sources_test_and_the_hint_for_ambiguous_dates(tmp_path: Path) -> None:
    from tests.conftest import Cli

    copy(tmp_path, "amazon_reviews.csv")
    (tmp_path / "us.csv").write_text("Review,Date\nok,05/14/2026\n")
    path = tmp_path / "repcli.yaml"
    path.write_text(
        config(
            tmp_path,
            source("amazon", tmp_path / "amazon_reviews.csv", AMAZON),
            source("us", "us.csv", "{text: Review, created_at: Date}"),  # relative: from the cwd
        )
    )
    out = Cli(path)("sources", "test")
    assert "✓ amazon: ok: 4 rows readable in 1 file(s)" in out.stdout
    assert "us.csv:2: column 'Date': '05/14/2026' is not a date repcli understands" in out.stdout
    assert "date_format" in out.stdout and out.exit_code == 6


def test_a_pattern_reads_every_matching_file(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    shutil.copy(FIXTURES / "amazon_reviews.csv", exports / "2026-05.csv")
    (exports / "2026-06.csv").write_text("Review ID,Stars,Review,Date\nR-JUN-1,3,meh,2026-06-01\n")
    columns = "{external_id: 'Review ID', rating: Stars, text: Review, created_at: Date}"
    report, store = run(tmp_path, config(tmp_path, source("exports", f"{exports}/*.csv", columns)))
    assert not report.failed, report.failed
    assert len(store.list_items(ItemFilter())) == 5
    assert len(store.cursor_for("exports")["files"]) == 2


def _rows(first: int, count: int) -> str:
    return "".join(
        json.dumps({"Id": f"r{i}", "Review": "мятая коробка", "Stars": 1, "Date": "2026-05-01"})
        + "\n"
        for i in range(first, first + count)
    )


def test_a_file_is_stored_whole_across_batches_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from repcli.pipeline import Pipeline
    from repcli.sources.file import BATCH

    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "a.jsonl").write_text(_rows(0, 1200))  # three batches
    bad_line = BATCH * 2 + 1  # after two batches went to the store (uncommitted)
    b_good = _rows(5000, bad_line - 1) + '{"Id": "x", "Stars": 1, "Date": "someday"}\n'
    (exports / "b.jsonl").write_text(b_good + _rows(9000, 1))
    columns = "{external_id: Id, rating: Stars, text: Review, created_at: Date}"
    text = config(tmp_path, source("exports", f"{exports}/*.jsonl", columns))
    report, store = run(tmp_path, text)
    [result] = report.results
    assert f"b.jsonl:{bad_line}: column 'Date': 'someday'" in (result.error or "")
    assert (result.fetched, result.new) == (1200, 1200) and len(report.new_ids) == 1200
    assert len(store.list_items(ItemFilter())) == 1200  # a whole, nothing of b
    assert [Path(f).name for f in store.cursor_for("exports")["files"]] == ["a.jsonl"]

    (exports / "b.jsonl").write_text(_rows(5000, bad_line - 1) + _rows(9000, 1))
    report, store = run(tmp_path, text)
    assert not report.failed and report.results[0].new == bad_line  # a is unchanged: skipped
    assert len(store.list_items(ItemFilter())) == 1200 + bad_line

    # A run that dies half way through a file (here: the analysis fails on row 700) leaves
    # nothing of that file, and the next run stores it once.
    (tmp_path / "x.db").unlink()
    shutil.rmtree(exports)
    exports.mkdir()
    (exports / "a.jsonl").write_text(_rows(0, 1200))
    analyse = Pipeline.analyse
    calls = iter(range(10**6))

    def failing(self: Pipeline, item: Any, src: Any) -> Any:
        if next(calls) == 700:
            raise RuntimeError("power cut")
        return analyse(self, item, src)

    monkeypatch.setattr(Pipeline, "analyse", failing)
    report, store = run(tmp_path, text)
    assert report.results[0].error == "RuntimeError: power cut"
    assert not store.list_items(ItemFilter())
    assert store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    monkeypatch.setattr(Pipeline, "analyse", analyse)
    report, store = run(tmp_path, text)
    assert report.results[0].new == 1200 and len(store.list_items(ItemFilter())) == 1200


# --------------------------------------------------------------------------- properties
def sane(items: list[Any]) -> None:
    """What a parser returns is always storable: ids, aware times, ratings 1-5 or none."""
    for item in items:
        assert item.external_id and isinstance(item.text, str)
        assert item.created_at.tzinfo is not None
        assert item.rating is None or 1 <= item.rating <= 5
        json.dumps(item.raw, default=str)


WHEN = from_iso(NOW)


def importer(fmt: str, **extra: Any) -> Importer:
    assert WHEN is not None
    columns = {
        "text": "Review",
        "rating": "Stars",
        "created_at": "Date",
        "external_id": "Id",
        "author": "a.b",
    }
    return Importer(FileSettings(path="x", columns=columns, format=fmt, **extra), "s", WHEN)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["csv", "jsonl", "json"]))
def test_importer_raises_only_our_errors_on_any_bytes(data: bytes, fmt: str) -> None:
    with contextlib.suppress(RepcliError):
        sane(importer(fmt).parse(data, "f"))


_CELL = st.one_of(
    st.text(max_size=15),
    st.sampled_from(["5", "4,5", "=1+1", "@x", "+7", "-1", "1e999", "nan", "★★☆", "80%", "7/0",
                     "2026-05-14", "14.05.2026", "31.02.2026", "99999999999999", "0", ""]),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(_CELL, min_size=1, max_size=6), min_size=1, max_size=6),
    st.sampled_from([",", ";", "\t", None]),
    st.sampled_from([5.0, 10.0, 100.0]),
    st.sampled_from([None, "%d.%m.%Y", "%Y-%m-%d %z", "%"]),
)
def test_importer_raises_only_our_errors_on_csv_rows(
    rows: list[list[str]], delimiter: str | None, scale: float, date_format: str | None
) -> None:
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter or ",").writerows(
        [["Id", "Stars", "Review", "Date", "a.b"], *rows]
    )
    with contextlib.suppress(RepcliError):
        sane(
            importer("csv", delimiter=delimiter, rating_scale=scale, date_format=date_format).parse(
                buf.getvalue().encode(), "f.csv"
            )
        )


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10) | _CELL,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["Id", "Stars", "Review", "Date", "a", "b", "items"]), inner, max_size=5
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(_JSON, st.sampled_from(["json", "jsonl"]))
def test_importer_raises_only_our_errors_on_json_values(value: Any, fmt: str) -> None:
    data = (
        json.dumps(value)
        if fmt == "json"
        else "\n".join(json.dumps(v) for v in (value if isinstance(value, list) else [value]))
    )
    with contextlib.suppress(RepcliError):
        sane(importer(fmt).parse(data.encode(), "f"))


def test_jsonl_is_split_on_line_ends_only_and_read_from_a_stream() -> None:
    # U+2028 and U+0085 are legal unescaped inside a JSON string: they do not end a record.
    lines = [
        {
            "Id": "1",
            "Review": "one\u2028two\x85three",
            "Stars": 5,
            "Date": "2026-11-01",
            "a": {"b": "x"},
        },
        {"Id": "2", "Review": "плохо", "Stars": 1, "Date": "2026-11-02"},
    ]
    data = "\r\n".join(json.dumps(r, ensure_ascii=False) for r in lines).encode()
    imp = importer("jsonl")
    stream = io.BytesIO(data)
    items = list(imp.items(stream, "f.jsonl"))
    assert [i.text for i in items] == ["one\u2028two\x85three", "плохо"]
    assert not stream.closed


def test_nothing_is_yielded_after_a_bad_row_and_the_error_counts_the_rest() -> None:
    good = '{{"Id": "{}", "Review": "ok", "Stars": 5, "Date": "2026-11-01", "a": {{"b": "x"}}}}\n'
    bad = '{{"Id": "{}", "Review": "x", "Stars": 5, "Date": "yesterday-ish"}}\n'
    lines = [good.format(1), bad.format(2), good.format(3), *(bad.format(i) for i in range(4, 9))]
    taken: list[str] = []
    with pytest.raises(SourceError, match=r"f.jsonl:2: .*f.jsonl:4: .*\(and 3 more rows\)"):
        taken.extend(
            i.external_id for i in importer("jsonl").items("".join(lines).encode(), "f.jsonl")
        )
    assert taken == ["1"]


def test_a_decoding_error_names_the_line_of_a_streamed_file() -> None:
    data = (
        b"Id,Review,Stars,Date,a.b\n"
        + b"1,fine,5,2026-11-01,x\n" * 5000
        + b"2,\xff,1,2026-11-02,x\n"
    )
    with pytest.raises(SourceError, match=r"f.csv:5002: not valid utf-8-sig text \(byte 0xff"):
        importer("csv").parse(io.BytesIO(data), "f.csv")


# --------------------------------------------------------------------------- JSON arrays
class CountingStream(io.BytesIO):
    """Remembers how far the reader has read."""

    furthest = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.furthest = max(self.furthest, self.tell())
        return chunk

    def read1(self, size: int = -1) -> bytes:
        chunk = super().read1(size)
        self.furthest = max(self.furthest, self.tell())
        return chunk

    def readinto(self, buffer: Any) -> int:
        n = super().readinto(buffer)
        self.furthest = max(self.furthest, self.tell())
        return n


def _reviews(n: int) -> list[dict[str, Any]]:
    return [
        {"Id": str(i), "Review": f"отзыв {i}: " + "х" * (i % 50), "Stars": 1 + i % 5,
         "Date": "2026-11-01", "a": {"b": i}}
        for i in range(n)
    ]  # fmt: skip


def test_a_json_array_is_read_element_by_element(monkeypatch: pytest.MonkeyPatch) -> None:
    from repcli.sources.wire import json_array

    monkeypatch.setattr(json_array, "CHUNK", 4096)
    rows = _reviews(3000)
    stream = CountingStream(json.dumps(rows, ensure_ascii=False, indent=1).encode())
    items = importer("json").items(stream, "f.json")
    first = next(items)
    assert first.external_id == "0"
    assert stream.furthest < 64 * 1024  # of a 400 kB file
    assert [i.external_id for i in [first, *items]] == [str(i) for i in range(3000)]


@settings(max_examples=200, deadline=None)
@given(
    _JSON,
    st.sampled_from([None, 0, 2]),
    st.integers(min_value=1, max_value=40),
)
def test_streamed_json_reads_what_json_loads_reads(value: Any, indent: Any, chunk: int) -> None:
    """Any chunk size, any layout: the same values as `json.loads`, or a SourceError where it
    fails (never another error, never different values)."""
    from repcli.sources.wire import json_array

    text = json.dumps(value, indent=indent, ensure_ascii=False)
    wrapper = io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8")
    old = json_array.CHUNK
    json_array.CHUNK = chunk
    try:
        got = list(json_array.records(wrapper, "f.json"))
    except SourceError:
        assert not isinstance(value, list)
        assert not (isinstance(value, dict) and isinstance(value.get("items"), list))
        return
    finally:
        json_array.CHUNK = old
    expected = value if isinstance(value, list) else value["items"]
    assert json.dumps(got) == json.dumps(expected)  # (NaN is not equal to itself)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[\n{"Id": 1},\n{"Id": 2,,}\n]', r"f.json:3: not valid JSON \(Expecting property name"),
        ('[\n{"Id": 1}\n{"Id": 2}\n]', r"f.json:3: not valid JSON \(expected ',' or ']'"),
        ('[\n{"Id": 1},\n{"Id": 2}', r"f.json:3: not valid JSON \(cut short"),
        ('[{"Id": 1}] x', r"f.json:1: not valid JSON \(extra data after the array"),
        ('[{"Id": 1}, 7]', r"f.json: item 2: expected an object, got int"),
        ('{"rows": []}', r'expected a list of objects or \{"items": \[...\]\}'),
    ],
)
def test_a_broken_json_array_names_the_line(
    text: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from repcli.sources.wire import json_array

    monkeypatch.setattr(json_array, "CHUNK", 5)  # errors found across buffer refills
    with pytest.raises(SourceError, match=message):
        importer("json").parse(text.encode(), "f.json")

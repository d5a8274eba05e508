"""Hostile inputs: files read exactly as their format says, and a config that cannot be a bomb.

Formats from their definitions: RFC 4180 (a field holding a line break or a quote is quoted
whole, inner quotes doubled), JSON Lines (jsonlines.org: lines end with \\n, \\r\\n allowed; a
JSON string may hold U+2028 and friends unescaped), POSIX shell parameter expansion
(`${VAR:-word}` when unset or empty, `${VAR-word}` only when unset), YAML 1.1 anchors and
aliases (the "billion laughs" expansion).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    where = f"{tmp_path / 'r.csv'}:3:14"
    assert f"{where}: quote opened in column 'Review' on line 3 is never closed" in result.output
    assert "2 fetched" not in result.output


def test_a_stray_quote_that_meets_another_quote_is_refused_too(tmp_path: Path) -> None:
    text = _rows(50, stray=2, order="review-first").replace(
        "Review number 40 is fine", '"Nice, really"'
    )
    (tmp_path / "r.csv").write_text(text)
    result = Cli(_file_config(tmp_path, "r.csv"))("check", "--format", "json")
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert (
        f"{tmp_path / 'r.csv'}:3:1: quote opened in column 'Review' on line 3 is never closed"
    ) in result.output


def test_a_stray_quote_closed_by_an_inch_mark_is_refused(tmp_path: Path) -> None:
    # The swallowed text ends validly (`12"` then a comma): the merged record has the wrong
    # number of cells, so it is refused rather than stored as one long review.
    text = _rows(10, stray=2).replace("Review number 6 is fine", 'Screen 12", bright')
    (tmp_path / "r.csv").write_text(text)
    result = Cli(_file_config(tmp_path, "r.csv"))("check", "--format", "json")
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
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


# --------------------------------------------------------------------------- 2-3. analyze, train

# Characters str.splitlines() splits on that JSON Lines and CSV treat as ordinary text.
NOT_LINE_ENDS = "\u2028\u2029\u0085\x0b\x0c\x1c\x1d\x1e"


def _analyze(*args: str) -> Any:
    return Cli(None)("analyze", "--format", "jsonl", *args)


def test_jsonl_strings_may_hold_unicode_line_separators(tmp_path: Path) -> None:
    path = tmp_path / "imdb.jsonl"
    texts = [f"review {i}:\u2028first\u2029second\u0085third" for i in range(3)]
    body = "\r\n".join(json.dumps({"text": t}, ensure_ascii=False) for t in texts) + "\r\n"
    path.write_bytes(body.encode("utf-8"))
    result = _analyze(str(path))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.split("\n") if line]
    assert [(r["line"], r["text"]) for r in rows] == [(1, texts[0]), (2, texts[1]), (3, texts[2])]


def test_csv_and_plain_text_keep_every_character_that_is_not_a_line_end(tmp_path: Path) -> None:
    table = tmp_path / "in.csv"
    table.write_bytes(f'id,text\n1,"a{NOT_LINE_ENDS}b"\n2,c\u0085d\r\n'.encode())
    result = _analyze(str(table))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.split("\n") if line]
    assert [(r["line"], r["text"]) for r in rows] == [(2, f"a{NOT_LINE_ENDS}b"), (3, "c\u0085d")]
    plain = tmp_path / "in.txt"
    plain.write_bytes(f"one{NOT_LINE_ENDS}x\ntwo\r\n".encode())
    rows = [json.loads(line) for line in _analyze(str(plain)).stdout.split("\n") if line]
    assert [(r["line"], r["text"]) for r in rows] == [(1, f"one{NOT_LINE_ENDS}x"), (2, "two")]


def test_train_reads_jsonl_with_unicode_line_separators(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    rows = [
        {"text": f"awful, broken\u2028item {i}", "label": "negative"} if i % 3 == 0
        else {"text": f"great\u2029thing {i}", "label": "positive"}
        for i in range(60)
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = cli("train", "--from-file", str(path), "-o", str(tmp_path / "m.json"), "-f", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["trained_on"] == 60


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "bad.txt",
            b"fine\nbad \xff\xfe here\n",
            ":2: not valid UTF-8 text (byte 0xff at offset 9)",
        ),
        (
            "sur.jsonl",
            b'{"text": "ok", "rating": 5}\n{"text": "a \\ud800 b", "rating": 1}\n',
            ":2: 'text' holds a lone",
        ),
        ("deep.jsonl", b'{"text": "ok"}\n' + b"[" * 100_000 + b"]" * 100_000, ":2: JSON nested"),
        ("big.csv", b"text\nok\n" + b"a" * 140_000 + b"\n", ":3: not readable as CSV (field"),
        (
            "open.csv",
            b'text\nok\n"never closed\nmore\n',
            ":3:1: quote opened in column 'text' on line 3",
        ),
    ],
    ids=["invalid-utf8", "lone-surrogate", "deep-json", "huge-cell", "open-quote"],
)
def test_unreadable_input_is_an_input_error_naming_the_line(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    result = _analyze(str(path))
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert f"error: {path}{message}" in result.stderr
    if name != "open.csv":
        # --output: with no config there is nowhere else to save a model (exit 3 before reading)
        out = str(tmp_path / "model.json")
        train = Cli(None)("train", "--from-file", str(path), "--output", out)
        assert train.exit_code == ExitCode.BAD_INPUT, train.output
        assert f"error: {path}{message}" in train.stderr


def test_stdin_is_read_as_bytes_too() -> None:
    from repcli.cli.app import app

    result = Cli(None).runner.invoke(app, ["analyze", "-f", "jsonl"], input=b"ok\n\xff\n")
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "<stdin>:2: not valid UTF-8 text (byte 0xff at offset 3)" in result.stderr


# --------------------------------------------------------------------------- 4. secrets


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "repcli.yaml"
    path.write_text(f"store: {tmp_path / 'x.db'}\n{text}", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("source", "env", "problem"),
    [
        ("{name: wb, type: wildberries, token: '${WB_TOKEN}'}", "abcdef1234\n", "a newline"),
        ("{name: wb, type: wildberries, token: '${WB_TOKEN}'}", " abcdef1234", "whitespace"),
        (
            "{name: oz, type: ozon, client_id: '12345', api_key: '${WB_TOKEN}'}",
            "ab\tcd1234",
            "whitespace",
        ),
        (
            "{name: wb, type: wildberries, token: '${WB_TOKEN}'}",
            "abcd\x1b1234",
            "a control character",
        ),
    ],
    ids=["trailing-newline", "leading-space", "tab-in-api-key", "escape"],
)
def test_a_token_with_whitespace_is_refused_at_config_load(
    tmp_path: Path, source: str, env: str, problem: str
) -> None:
    path = _config(tmp_path, f"sources:\n  - {source}\n")
    result = Cli(path)("check", env={"WB_TOKEN": env})
    assert result.exit_code == ExitCode.CONFIG, result.output
    key = "api_key" if "ozon" in source else "token"
    assert f"{path}:3: sources[0].{key}: contains {problem};" in result.stderr
    assert "$WB_TOKEN" in result.stderr  # the hint names the variable it came from
    assert "abcd" not in result.output and "1234" not in result.output


def test_a_literal_token_with_a_space_is_refused_too(tmp_path: Path) -> None:
    path = _config(
        tmp_path, "sources:\n  - {name: wb, type: wildberries, token: 'Bearer xyz123'}\n"
    )
    result = Cli(path)("check")
    assert result.exit_code == ExitCode.CONFIG
    assert f"{path}:3: sources[0].token: contains whitespace;" in result.stderr
    assert "xyz123" not in result.output


def test_a_pem_key_may_span_lines(tmp_path: Path) -> None:
    from repcli.sources.registry import load_config

    pem = "-----BEGIN PRIVATE KEY-----\n      MIGTAgEAMBMG\n      -----END PRIVATE KEY-----"
    path = _config(
        tmp_path,
        "sources:\n  - name: ios\n    type: app_store\n    app_id: '1'\n    key_id: K\n"
        f"    issuer_id: I\n    private_key: |\n      {pem}\n",
    )
    (source,) = load_config(path).sources
    assert source.settings.private_key.startswith("-----BEGIN PRIVATE KEY-----\n")


# --------------------------------------------------------------------------- 5. YAML bombs


def _laughs(levels: int) -> str:
    lines = ["shop: &a0 lol"]
    for level in range(1, levels + 1):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"x{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused(tmp_path: Path) -> None:
    path = _config(tmp_path, _laughs(9))  # 10^9 strings once expanded
    result = Cli(path)("check")
    assert result.exit_code == ExitCode.CONFIG, result.output
    assert f"{path}:" in result.stderr and "aliases expand to more than" in result.stderr


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = _config(tmp_path, "sources: &s [*s]\n")
    result = Cli(path)("check")
    assert result.exit_code == ExitCode.CONFIG, result.output
    assert f"{path}:2: invalid YAML: an alias refers to itself" in result.stderr


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    path = _config(tmp_path, "sources: " + "[" * 100_000 + "]" * 100_000 + "\n")
    result = Cli(path)("check")
    assert result.exit_code == ExitCode.CONFIG, result.output
    assert f"{path}:2: invalid YAML: nested more than" in result.stderr


def test_a_huge_config_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = _config(tmp_path, "shop: x\n" + "# padding\n" * 200_000)
    result = Cli(path)("check")
    assert result.exit_code == ExitCode.CONFIG, result.output
    assert f"{path}: the config is 2,000,0" in result.stderr and "over 1 MiB" in result.stderr


def test_anchors_aliases_and_merge_keys_still_work(tmp_path: Path) -> None:
    from repcli.sources.registry import load_config

    path = _config(
        tmp_path,
        "sources:\n  - &base {name: one, type: demo, tags: [a, b]}\n  - <<: *base\n    name: two\n",
    )
    config = load_config(path)
    assert [(s.name, s.tags) for s in config.sources] == [("one", ("a", "b")), ("two", ("a", "b"))]


# --------------------------------------------------------------------------- 6. ${VAR}


def _shop(tmp_path: Path, value: str, env: dict[str, str]) -> Any:
    path = _config(tmp_path, f"shop: '{value}'\n")
    return Cli(path)("check", env=env)


@pytest.mark.parametrize(
    ("value", "env", "expected"),
    [
        ("${A:-${B}}", {"B": "bee"}, "bee"),
        ("${A:-${B}}", {"A": "", "B": "bee"}, "bee"),
        ("${A-x}", {"A": ""}, ""),
        ("${A-x}", {}, "x"),
        ("${A:-}", {}, ""),
        ("${A:-${B:-deep}}!", {}, "deep!"),
        ("$${A} costs $5 {}", {}, "${A} costs $5 {}"),
        ("${A:-unused ${B}}", {"A": "set"}, "set"),  # an unused word is never looked up
    ],
)
def test_interpolation_follows_the_shell(value: str, env: dict[str, str], expected: str) -> None:
    from repcli.config.loader import _Doc, expand

    assert expand(value, "shop", _Doc("", None), env) == expected


@pytest.mark.parametrize(
    ("value", "env", "problem"),
    [
        ("${}", {}, "${} is not a valid variable name"),
        ("${1VAR}", {}, "${1VAR} is not a valid variable name"),
        ("${A}", {"A": ""}, "environment variable A is set but empty"),
        ("${A:-x", {}, "${A is not closed with }"),
        ("${A:?x}", {"A": "1"}, "${A:...} is not supported"),
    ],
)
def test_what_the_shell_would_not_do_is_a_config_error_naming_the_key(
    tmp_path: Path, value: str, env: dict[str, str], problem: str
) -> None:
    result = _shop(tmp_path, value, {"A": None, "B": None, **env})  # type: ignore[dict-item]
    assert result.exit_code == ExitCode.CONFIG, result.output
    assert f"repcli.yaml:2: shop: {problem}" in result.stderr


_VARS = ("A", "B", "C")
_WORD = st.text(alphabet="abz019 .,/:=+_-@%^#", max_size=6)


def _expr(depth: int = 0) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Pieces of a string: (ours, bash's) spellings of the same thing."""
    literal = _WORD.map(lambda w: (w, w))
    if depth >= 2:
        plain = st.sampled_from(_VARS).map(lambda v: (f"${{{v}}}", f"${{{v}:?}}"))
        return st.lists(st.one_of(literal, plain), max_size=3)
    inner = _expr(depth + 1)

    def ref(var: str, op: str, word: list[tuple[str, str]]) -> tuple[str, str]:
        if op == "":
            return f"${{{var}}}", f"${{{var}:?}}"  # ours: empty is missing, as :? says
        ours = "".join(o for o, _ in word)  # literals hold no "}": references nest whole
        bash = "".join(b for _, b in word)
        return f"${{{var}{op}{ours}}}", f"${{{var}{op}{bash}}}"

    refs = st.builds(ref, st.sampled_from(_VARS), st.sampled_from(["", ":-", "-"]), inner)
    return st.lists(st.one_of(literal, refs), max_size=4)


@settings(max_examples=150, deadline=None)
@given(
    pieces=_expr(),
    env=st.fixed_dictionaries(
        {}, optional={v: st.sampled_from(["", "v1", "two words"]) for v in _VARS}
    ),
)
def test_interpolation_matches_bash(pieces: list[tuple[str, str]], env: dict[str, str]) -> None:
    """Each generated string expands as `bash -c 'set -u; printf %s "..."'` expands it, with
    our plain `${V}` spelled `${V:?}` for bash (empty or unset is an error in both)."""
    from repcli.config.loader import _Doc, expand
    from repcli.errors import ConfigError

    ours = "".join(o for o, _ in pieces)
    theirs = "".join(b for _, b in pieces)
    done = subprocess.run(
        ["bash", "-c", f'set -u; printf %s "{theirs}"'],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        got: str | None = expand(ours, "shop", _Doc("", None), env)
    except ConfigError:
        got = None
    assert got == (done.stdout if done.returncode == 0 else None), (ours, theirs, env, done)


def test_a_templates_file_cannot_be_a_yaml_bomb(tmp_path: Path) -> None:
    """`workflow.templates` is read within the config's limits: an alias bomb is refused at
    once (exit 3, naming the file), not expanded."""
    from tests.conftest import Cli

    # 10^6 nodes: the old reader expanded them (seconds, and a "no name" error after);
    # nine levels would have taken minutes and gigabytes.
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 6)]
    (tmp_path / "replies.yaml").write_text("\n".join(levels) + "\ntemplates: [*a5]\n")
    config = tmp_path / "repcli.yaml"
    config.write_text(
        f"store: {tmp_path / 'r.db'}\nworkflow: {{templates: replies.yaml}}\n"
        "sources:\n  - {name: d, type: demo}\n"
    )
    out = Cli(config)("templates")
    assert out.exit_code == 3, out.output
    assert "replies.yaml" in out.stderr and "alias" in out.stderr

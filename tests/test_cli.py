"""Every command, every format, the exit codes: through the real CLI (CliRunner)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from repcli.errors import ExitCode
from tests.conftest import Cli

LISTINGS = [("list",), ("queue",), ("search", "качество"), ("status",), ("sources", "list")]


def test_check_then_nothing_new(cli: Cli) -> None:
    first = cli("check", "--format", "json")
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert data["version"] == 1
    assert data["summary"]["new_items"] >= 370
    negatives = data["new_negative"]
    assert len(negatives) == data["summary"]["new_negative"] > 50
    assert all(item["negative"] and item["reasons"] for item in negatives)
    created = [item["created_at"] for item in negatives]
    assert created == sorted(created, reverse=True), "newest first"
    assert data["summary"]["extortion"] >= 5
    second = json.loads(cli("check", "--format", "json").stdout)
    assert second["summary"]["new_items"] == 0
    assert second["new_negative"] == []
    assert "Nothing new to act on" in cli("check", "--format", "table").stderr


def test_rerun_never_duplicates_and_edits_are_versioned(cli: Cli, demo_config: Path) -> None:
    cli("fetch", "--format", "json")
    listed = json.loads(cli("list", "--format", "json", "--limit", "0").stdout)["items"]
    cli("fetch", "--full", "--format", "json")
    again = json.loads(cli("list", "--format", "json", "--limit", "0").stdout)["items"]
    assert len(again) == len(listed)
    # Three days later customers have edited reviews and new items have arrived.
    later = cli("check", "--format", "json", env={"REPCLI_NOW": "2026-11-26T09:00:00Z"})
    data = json.loads(later.stdout)
    assert data["summary"]["changed"] >= 10
    assert data["summary"]["new_items"] > 0
    edited = next(c for c in data["changed"] if c["external_id"] == "wb-r-1004")
    assert (edited["previous_rating"], edited["rating"]) == (1, 4)
    shown = json.loads(cli("show", str(edited["id"]), "--format", "json").stdout)
    assert shown["item"]["versions"][0]["rating"] == 1
    assert shown["item"]["rating"] == 4


def test_item_answered_on_platform_leaves_queue(cli: Cli) -> None:
    cli("fetch", "--format", "json")
    queue = json.loads(cli("queue", "--format", "json", "--limit", "0").stdout)["items"]
    assert queue and all(item["answer_text"] is None for item in queue)
    statuses = {
        i["external_id"]: i
        for i in json.loads(cli("list", "-f", "json", "-n", "0").stdout)["items"]
    }
    answered = [i for i in statuses.values() if i["answer_text"]]
    assert answered and all(i["status"] == "answered" for i in answered)


@pytest.mark.parametrize("command", LISTINGS)
@pytest.mark.parametrize("fmt", ["table", "json", "jsonl", "csv", "md"])
def test_listing_formats(cli: Cli, command: tuple[str, ...], fmt: str) -> None:
    cli("fetch", "--format", "json")
    result = cli(*command, "--format", fmt)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.strip()
    if fmt == "json":
        assert json.loads(out)["version"] == 1
    elif fmt == "jsonl":
        rows = [json.loads(line) for line in out.splitlines()]
        assert rows
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(out)))
        assert len(rows) >= 2 and len({len(r) for r in rows}) == 1
    elif fmt == "md":
        assert out.lstrip("# \n").count("|") > 4
    else:
        assert "\x1b[" not in out


def test_piped_default_is_jsonl(cli: Cli) -> None:
    out = cli("fetch").stdout
    assert all(json.loads(line)["source"] for line in out.splitlines())


def test_filters_source_since_limit(cli: Cli) -> None:
    cli("fetch", "-f", "json")
    rows = [
        json.loads(x)
        for x in cli("list", "-s", "vk-demo", "--since", "24h", "-n", "0").stdout.splitlines()
    ]
    assert rows and {r["source"] for r in rows} == {"vk-demo"}
    assert all(r["created_at"] >= "2026-11-22T09:00:00" for r in rows)
    assert len(cli("list", "-n", "5").stdout.splitlines()) == 5
    dated = cli("list", "--since", "2026-11-23", "-n", "0").stdout.splitlines()
    assert dated and all(json.loads(x)["created_at"] >= "2026-11-23" for x in dated)
    kinds = {
        json.loads(x)["kind"]
        for x in cli("list", "--kind", "question", "-n", "0").stdout.splitlines()
    }
    assert kinds == {"question"}
    negatives = [json.loads(x) for x in cli("list", "--negative", "-n", "0").stdout.splitlines()]
    assert negatives and all(r["negative"] for r in negatives)


def test_bad_filters_are_usage_errors(cli: Cli) -> None:
    cli("fetch", "-f", "json")
    result = cli("list", "--since", "yesterday")
    assert result.exit_code == ExitCode.USAGE
    assert "--since 'yesterday' is neither a duration nor a date" in result.stderr
    result = cli("list", "--source", "nope")
    assert result.exit_code == ExitCode.NOT_FOUND
    assert "no source named 'nope'" in result.stderr
    assert cli("list", "--kind", "tweet").exit_code == ExitCode.USAGE
    assert cli("list", "--format", "xml").exit_code == ExitCode.USAGE
    assert cli("show", "1", "--format", "csv").exit_code == ExitCode.USAGE


def test_show_item_and_unknown_id(cli: Cli) -> None:
    cli("fetch", "-f", "json")
    table = cli("show", "1", "--format", "table")
    assert table.exit_code == 0 and "#1 " in table.stdout
    missing = cli("show", "99999")
    assert missing.exit_code == ExitCode.NOT_FOUND
    assert "no item with ID 99999" in missing.stderr
    assert cli("show", "abc").exit_code == ExitCode.USAGE


def test_search_finds_words_and_survives_fts_syntax(cli: Cli) -> None:
    cli("fetch", "-f", "json")
    rows = [json.loads(x) for x in cli("search", "стирки").stdout.splitlines()]
    assert len(rows) >= 7
    for hostile in ['"unbalanced', "AND OR NOT", "*", "col:val", "(", "-x"]:
        result = cli("search", "--", hostile)
        assert result.exit_code == 0, (hostile, result.output)


@pytest.mark.parametrize(
    ("query", "form"),
    [("стирка", "стирки"), ("возврат", "возврата"), ("возврата", "возврат"),
     ("доставку", "доставка"), ("тёплая", "тёплые"), ("delivered", "delivery"), ("Курьера", "курьер")],
)  # fmt: skip
def test_search_matches_word_forms(cli: Cli, query: str, form: str) -> None:
    """A support lead types the word as it comes to mind; the customer wrote another form."""
    cli("fetch", "-f", "json")
    found = {json.loads(x)["id"] for x in cli("search", query).stdout.splitlines()}
    other = {json.loads(x)["id"] for x in cli("search", form).stdout.splitlines()}
    assert other and other <= found


def test_fail_on_new_negative_exit_code(cli: Cli) -> None:
    result = cli("check", "--fail-on", "new-negative", "-f", "json")
    assert result.exit_code == ExitCode.FOUND
    again = cli("check", "--fail-on", "new-negative", "-f", "json")
    assert again.exit_code == ExitCode.OK
    assert cli("check", "--fail-on", "overdue", "-f", "json").exit_code == ExitCode.FOUND


def test_status_after_runs(cli: Cli) -> None:
    assert "never run" in cli("status", "-f", "table").stdout
    cli("fetch", "-f", "json")
    rows = {r["source"]: r for r in json.loads(cli("status", "-f", "json").stdout)["sources"]}
    assert set(rows) == {
        "wb-demo",
        "ozon-demo",
        "ym-demo",
        "appstore-demo",
        "gplay-demo",
        "vk-demo",
        "tg-demo",
    }
    assert rows["wb-demo"]["items"] >= 100
    assert rows["wb-demo"]["last_run_status"] == "ok"


def test_export_csv_file_atomic_and_safe(cli: Cli, tmp_path: Path) -> None:
    cli("fetch", "-f", "json")
    target = tmp_path / "out.csv"
    result = cli("export", "--format", "csv", "--output", str(target))
    assert result.exit_code == 0
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert len(rows) >= 370
    assert list(rows[0])[:4] == ["id", "source", "platform", "kind"]
    assert not list(tmp_path.glob(".out.csv.*"))
    bad = cli("export", "--output", str(tmp_path / "missing" / "x.csv"))
    assert bad.exit_code == ExitCode.USAGE and "cannot write the export" in bad.stderr
    assert cli("export", "--format", "table").exit_code == ExitCode.USAGE


def test_init_writes_starter_config(tmp_path: Path) -> None:
    cli = Cli(None)
    target = tmp_path / "new.yaml"
    result = cli("init", str(target))
    assert result.exit_code == 0 and target.exists()
    assert cli("init", str(target)).exit_code == ExitCode.USAGE
    assert cli("init", str(target), "--force").exit_code == 0
    rows = cli("--config", str(target), "sources", "list", "-f", "json")
    assert json.loads(rows.stdout)["sources"][0]["type"] == "demo"
    default = cli("init")
    assert default.exit_code == 0 and "config.yaml" in default.stderr
    assert cli("sources", "list").exit_code == 0  # found in the user config dir


def test_no_config_is_a_config_error(tmp_path: Path) -> None:
    result = Cli(None)("list")
    assert result.exit_code == ExitCode.CONFIG
    assert "no config file found" in result.stderr and "repcli init" in result.stderr


def test_config_errors_exit_3(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - name: x\n    type: wildbery\n")
    result = Cli(bad)("check")
    assert result.exit_code == ExitCode.CONFIG
    assert "bad.yaml:3: sources[0].type: unknown source type 'wildbery'" in result.stderr


def test_global_options_anywhere_and_version(cli: Cli) -> None:
    assert cli("--version").stdout.startswith("repcli ")
    assert cli("fetch", "-q", "-f", "json").stderr == ""
    assert Cli(None)("-h").exit_code == 0
    assert Cli(None)().exit_code in (0, 2)  # no args: help


def test_sources_types_lists_demo(cli: Cli) -> None:
    assert "demo" in cli("sources", "types").stdout


def test_failing_source_others_still_stored(
    cli: Cli, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from repcli.sources import demo

    original = demo.load_dataset.__wrapped__

    def broken(name: str):  # type: ignore[no-untyped-def]
        if name == "vk":
            raise OSError("disk on fire")
        return original(name)

    monkeypatch.setattr(demo, "load_dataset", broken)
    result = cli("check", "-f", "json")
    assert result.exit_code == ExitCode.SOURCES_FAILED
    data = json.loads(result.stdout)
    assert data["summary"]["failed_sources"] == ["vk-demo"]
    assert "vk-demo" in result.stderr and "disk on fire" in result.stderr
    rows = {r["source"]: r for r in json.loads(cli("status", "-f", "json").stdout)["sources"]}
    assert (
        rows["vk-demo"]["consecutive_failures"] == 1
        and "disk on fire" in rows["vk-demo"]["last_error"]
    )
    assert rows["wb-demo"]["items"] > 0


@pytest.mark.parametrize("fmt", ["table", "json", "jsonl", "csv", "md"])
def test_check_and_fetch_every_format(cli: Cli, fmt: str) -> None:
    check = cli("check", "--format", fmt, "--limit", "3")
    assert check.exit_code == 0, check.output
    assert check.stdout.strip()
    if fmt == "csv":
        assert len(list(csv.reader(io.StringIO(check.stdout)))) == 4
    if fmt == "jsonl":
        assert len(check.stdout.splitlines()) == 3
    fetch = cli("fetch", "--format", fmt)
    assert fetch.exit_code == 0 and "wb-demo" in fetch.stdout


def test_show_jsonl_and_table_of_answered_item(cli: Cli) -> None:
    cli("fetch", "-f", "json")
    row = json.loads(cli("show", "1", "--format", "jsonl").stdout)
    assert row["id"] == 1 and "versions" in row and "replies" in row


def test_corrupt_store_exit_4(cli: Cli, demo_config: Path) -> None:
    (demo_config.parent / "repcli-demo.db").write_bytes(b"garbage" * 1000)
    result = cli("list")
    assert result.exit_code == ExitCode.STORE
    assert "not a repcli store, or the file is corrupt" in result.stderr


def test_empty_store_file_is_migrated(cli: Cli, demo_config: Path) -> None:
    (demo_config.parent / "repcli-demo.db").write_bytes(b"")
    assert cli("list").exit_code == 0


def test_traceback_flag_shows_stack(cli: Cli) -> None:
    from typer.testing import CliRunner

    from repcli.cli.app import app
    from repcli.errors import NotFoundError

    with pytest.raises(NotFoundError):
        CliRunner().invoke(
            app, ["--config", str(cli.config), "--traceback", "show", "999"], catch_exceptions=False
        )


def test_broken_plugin_does_not_break_cli(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from repcli.sources import registry

    class BrokenEntryPoint:
        name = "broken"

        def load(self) -> None:
            raise ImportError("no module named broken_plugin")

    monkeypatch.setattr(registry, "_plugin_cache", {"broken": BrokenEntryPoint()})
    types = cli("sources", "types")
    assert types.exit_code == 0
    assert "broken" in types.stdout and "failed to load" in types.stdout
    bad = tmp_path / "plugin.yaml"
    bad.write_text("sources:\n  - name: x\n    type: broken\n")
    result = Cli(bad)("list")
    assert result.exit_code == ExitCode.CONFIG
    assert "plugin" in result.stderr and "failed to load" in result.stderr


def test_hostile_text_never_reaches_terminal_raw(cli: Cli) -> None:
    from repcli.render.human import safe, strip_controls

    hostile = "ok\x1b[31mRED\x1b]0;title\x07\u202eevil"
    assert "\x1b" not in safe(hostile) and "\u202e" not in safe(hostile)
    assert "\x1b" not in strip_controls(hostile)


def test_csv_defuses_formulas() -> None:
    from repcli.render.formats import to_csv

    out = to_csv(
        [{"a": '=HYPERLINK("x")', "b": "-1", "c": "+7 999", "d": "@cmd"}], ["a", "b", "c", "d"]
    )
    assert next(csv.reader(io.StringIO(out.splitlines()[1]))) == [
        '\'=HYPERLINK("x")',
        "-1",
        "'+7 999",
        "'@cmd",
    ]


def test_sources_list_json_with_nested_settings(tmp_path: Path) -> None:
    path = tmp_path / "repcli.yaml"
    path.write_text(
        "sources:\n"
        "  - name: export\n    type: file\n    path: reviews.csv\n"
        "    columns: {text: Review, rating: Stars, created_at: Date}\n"
        "  - name: page\n    type: html\n    urls: [https://shop.example/reviews]\n"
        "    item: article.review\n    text: .body\n    rating: {css: .stars, attr: data-score}\n"
    )
    result = Cli(path)("sources", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.stdout)["sources"]}
    assert rows["export"]["settings"]["columns"]["text"] == "Review"
    assert rows["page"]["settings"]["rating"]["attr"] == "data-score"
    assert Cli(path)("sources", "list", "--format", "csv").exit_code == 0


def test_social_comment_travels_from_check_to_queue_like_a_review(cli: Cli) -> None:
    """An unrated VK comment is flagged by its text, shown by check, and queued with the
    social source's short SLA (6 h), like any review."""
    data = json.loads(cli("check", "--format", "json").stdout)
    social = [i for i in data["new_negative"] if i["source"] == "vk-demo" and i["rating"] is None]
    assert social and all(
        i["kind"] == "comment" and i["reasons"][0].startswith("text:") for i in social
    )
    queued = {i["id"]: i for i in json.loads(cli("queue", "--format", "json").stdout)["items"]}
    waiting = [i for i in social if not i["answer_text"]]
    assert waiting and all(i["id"] in queued for i in waiting)
    first = queued[waiting[0]["id"]]
    from repcli.clock import from_iso

    due, created = from_iso(first["due_at"]), from_iso(first["created_at"])
    assert due is not None and created is not None and (due - created).total_seconds() == 6 * 3600


def _ids(cli: Cli, *args: str) -> list[dict[str, Any]]:
    result = cli(*args, "--format", "jsonl", "--limit", "0")
    assert result.exit_code == 0, result.output
    return [json.loads(x) for x in result.stdout.splitlines()]


def test_list_filters_combine(cli: Cli) -> None:
    """The filters a support lead reaches for, each checked against the unfiltered list."""
    cli("fetch", "-f", "json")
    every = _ids(cli, "list")
    delivery = _ids(cli, "list", "--topic", "delivery")
    assert delivery and all("delivery" in r["topics"] for r in delivery)
    assert {r["id"] for r in delivery} == {r["id"] for r in every if "delivery" in r["topics"]}
    low = _ids(cli, "list", "--rating", "<=2", "--topic", "#delivery")
    assert low and {r["id"] for r in low} == {
        r["id"] for r in delivery if r["rating"] is not None and r["rating"] <= 2
    }
    assert {r["rating"] for r in _ids(cli, "list", "--rating", "4,5")} == {4, 5}
    assert {r["rating"] for r in _ids(cli, "list", "--rating", "2-3")} == {2, 3}
    name = next(r["product_name"] for r in every if r["product_name"])
    word = name.split()[-1].upper()
    by_name = _ids(cli, "list", "--product", word)
    assert by_name and all(word.casefold() in r["product_name"].casefold() for r in by_name)
    assert {r["kind"] for r in _ids(cli, "list", "--kind", "question")} == {"question"}
    assert cli("assign", "oleg", str(every[0]["id"])).exit_code == 0
    assert [r["id"] for r in _ids(cli, "list", "--assignee", "oleg")] == [every[0]["id"]]
    assert [r["status"] for r in _ids(cli, "list", "--status", "open")] == ["open"]
    assert _ids(cli, "list", "--product", "100%_no such") == []
    for bad in (("--rating", "6"), ("--rating", "x"), ("--topic", "nosuch"), ("--status", "x")):
        result = cli("list", *bad)
        assert result.exit_code == ExitCode.USAGE, (bad, result.output)
        assert bad[0] in result.stderr


def test_signals_take_a_limit(cli: Cli) -> None:
    cli("fetch", "-f", "json")
    every = _ids(cli, "signals")
    assert len(every) >= 2
    one = cli("signals", "--format", "jsonl", "--limit", "1")
    assert len(one.stdout.splitlines()) == 1

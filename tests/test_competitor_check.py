"""`check` never shows a competitor's negatives, and counts them as seen: a source that later
stops being `competitor: true` brings only what is new from then on, not its whole history."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Cli

CONFIG = (
    "store: {home}/r.db\nsources:\n"
    "  - {{name: shop, type: demo, dataset: wildberries}}\n"
    "  - {{name: rival, type: demo, dataset: ozon, competitor: {competitor}}}\n"
)


def _check(cli: Cli, *args: str) -> dict[str, object]:
    result = cli("check", "-q", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_a_former_competitor_brings_no_old_negatives(tmp_path: Path) -> None:
    config = tmp_path / "repcli.yaml"
    config.write_text(CONFIG.format(home=tmp_path, competitor="true"), encoding="utf-8")
    cli = Cli(config)
    first = _check(cli)
    assert {r["source"] for r in first["new_negative"]} == {"shop"}  # type: ignore[attr-defined]
    rival = cli("list", "--source", "rival", "--negative", "--format", "jsonl", "-n", "0")
    assert len(rival.stdout.splitlines()) > 10  # stored, for reports

    config.write_text(CONFIG.format(home=tmp_path, competitor="false"), encoding="utf-8")
    after = _check(cli, "--fail-on", "new-negative")
    assert after["new_negative"] == []
    assert after["summary"]["new_negative"] == 0  # type: ignore[index]


def test_competitor_negatives_are_seen_whatever_source_check_runs(tmp_path: Path) -> None:
    config = tmp_path / "repcli.yaml"
    config.write_text(CONFIG.format(home=tmp_path, competitor="true"), encoding="utf-8")
    cli = Cli(config)
    assert cli("fetch", "-q", "--format", "json").exit_code == 0
    _check(cli, "--source", "shop")  # the rival's negatives came with fetch, not this check
    config.write_text(CONFIG.format(home=tmp_path, competitor="false"), encoding="utf-8")
    assert _check(cli)["new_negative"] == []

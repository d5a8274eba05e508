"""The commands give the same answers on a PostgreSQL store as on a SQLite file: the demo
config is fetched into each, and every listing, search, export and report is compared."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, Cli

STEPS = [
    ("fetch", "-f", "json"),
    ("check", "-f", "json"),
    ("list", "-f", "json"),
    ("list", "--product", "полотенц", "-f", "json"),
    ("list", "--topic", "quality", "-f", "json"),
    ("queue", "-f", "json"),
    ("status", "-f", "json"),
    ("signals", "-f", "json"),
    ("search", "стирка"),
    ("search", "возврата"),
    ("search", "delivered"),
    ("search", "тёплая"),
    ("search", "--", '"unbalanced'),
    ("export", "--since", "last-run", "--name", "n1", "-f", "jsonl"),
    ("export", "--since", "last-run", "--name", "n1", "-f", "jsonl"),
    ("export", "--what", "events", "-f", "jsonl"),
    ("export", "--what", "versions", "--since", "last-run", "-f", "jsonl"),
    ("report", "-f", "json"),
    ("report", "--since", "180d", "-f", "json"),
    ("report", "--source", "wb-demo", "--source", "ozon-demo", "-f", "csv"),
    ("report", "--product", "161018334", "-f", "json"),
    ("replies", "-f", "json"),
    ("alerts", "list", "-f", "json"),
    ("orders", "list", "-f", "json"),
]


def _comparable(step: tuple[str, ...], out: str) -> object:
    """What must be equal: fetch's run ids are random; searches rank by each engine's own
    measure and exports follow the commit order of concurrent sources: their sets count."""
    if step[0] == "fetch":
        data = json.loads(out)
        return {k: v for k, v in data.items() if k != "run"} if isinstance(data, dict) else data
    if step[0] in ("search", "export"):
        return sorted(out.splitlines())
    return out


def _run(config: Path) -> list[tuple[tuple[str, ...], int, object]]:
    cli = Cli(config)
    done = []
    for step in STEPS:
        result = cli(*step)
        done.append((step, result.exit_code, _comparable(step, result.stdout)))
    return done


@pytest.mark.slow
def test_every_command_answers_the_same_on_both_engines(tmp_path: Path, pg_url: str) -> None:
    example = (ROOT / "config.example.yaml").read_text()
    assert "\nstore: repcli-demo.db\n" in example
    sqlite_dir, pg_dir = tmp_path / "sqlite", tmp_path / "pg"
    sqlite_dir.mkdir()
    pg_dir.mkdir()
    shutil.copy(ROOT / "config.example.yaml", sqlite_dir / "config.yaml")
    (pg_dir / "config.yaml").write_text(
        example.replace("\nstore: repcli-demo.db\n", f"\nstore: {pg_url}\n")
    )
    on_sqlite = _run(sqlite_dir / "config.yaml")
    on_pg = _run(pg_dir / "config.yaml")
    assert (pg_dir / "repcli-demo.db").exists() is False
    for (step, code, out), (_, pg_code, pg_out) in zip(on_sqlite, on_pg, strict=True):
        assert code == 0, step
        assert (pg_code, pg_out) == (code, out), step

"""A team on one PostgreSQL store: each member's config names its user; what one assigns, the
other's `queue --mine` shows; two `check`s at once store each item once. The README's team
example, run as the README runs it: the real CLI, one process per command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TEAM_CONFIG = """\
store: {store}
workflow:
  user: {user}
sources:
  - name: wb-demo
    type: demo
    dataset: wildberries
  - name: vk-demo
    type: demo
    dataset: vk
"""


def member(folder: Path, user: str, store: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{user}.yaml"
    path.write_text(TEAM_CONFIG.format(store=store, user=user), encoding="utf-8")
    return path


def start(config: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "repcli", "--config", str(config), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )


def run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = start(config, *args)
    out, err = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def jsonl(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def team(tmp_path: Path, pg_url: str) -> tuple[Path, Path]:
    return member(tmp_path, "anna", pg_url), member(tmp_path, "boris", pg_url)


def in_database(url: str, sql: str) -> object:
    """One value, read straight from the server (not through repcli)."""
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_what_anna_assigns_is_in_boris_queue(
    team: tuple[Path, Path], pg_url: str, tmp_path: Path
) -> None:
    anna, boris = team
    checked = run(anna, "check", "--format", "jsonl")
    assert checked.returncode == 0, checked.stderr
    listed = jsonl(run(boris, "list", "--limit", "0", "--format", "jsonl").stdout)
    assert in_database(pg_url, "SELECT count(*) FROM items") == len(listed) > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["anna.yaml", "boris.yaml", "home"]
    queue = jsonl(run(anna, "queue", "--format", "jsonl").stdout)
    assert queue, "the demo data has negatives waiting for an answer"
    assert jsonl(run(boris, "queue", "--format", "jsonl").stdout) == queue  # one store

    item = str(queue[0]["id"])
    assigned = run(anna, "assign", "boris", item)
    assert assigned.returncode == 0, assigned.stderr
    assert assigned.stderr.strip() == "1 item(s) assigned to boris"

    mine = jsonl(run(boris, "queue", "--mine", "--format", "jsonl").stdout)
    assert [str(row["id"]) for row in mine] == [item]
    assert mine[0]["assignee"] == "boris"
    assert jsonl(run(anna, "queue", "--mine", "--format", "jsonl").stdout) == []
    assert in_database(pg_url, f"SELECT actor FROM events WHERE item_id = {int(item)}") == "anna"


def test_two_checks_at_once_store_each_item_once(team: tuple[Path, Path], tmp_path: Path) -> None:
    anna, boris = team
    # Both start on an empty database: both migrate it, then fetch the same items at once.
    runs = [start(config, "check", "--format", "jsonl") for config in (anna, boris)]
    results = [proc.communicate(timeout=300) for proc in runs]
    assert [proc.returncode for proc in runs] == [0, 0], [err for _, err in results]

    listed = jsonl(run(anna, "list", "--limit", "0", "--format", "jsonl").stdout)
    keys = [(row["source"], row["external_id"]) for row in listed]
    assert len(keys) == len(set(keys))
    # The same items one check stores in a SQLite file of its own.
    alone = member(tmp_path / "alone", "anna", str(tmp_path / "alone" / "alone.db"))
    assert run(alone, "check", "--format", "jsonl").returncode == 0
    expected = jsonl(run(alone, "list", "--limit", "0", "--format", "jsonl").stdout)
    assert sorted(keys) == sorted((row["source"], row["external_id"]) for row in expected)


def test_train_on_a_postgresql_store_keeps_its_password_out_of_the_model(
    tmp_path: Path, pg_url: str
) -> None:
    """`train` names where its texts came from in the model file (`origin`) and saves the
    model beside the store: for a URL store that is `<database>.postgresql.model.json` in the
    config's folder, and the URL's password is in neither the file nor the output."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(pg_url)
    password = parts.password or "pw-train-5521"  # CI's server checks it; a trusting one not
    if parts.password is None:
        user, _, host = parts.netloc.rpartition("@")
        pg_url = urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}"))
    anna = member(tmp_path, "anna", pg_url)
    assert run(anna, "check", "--format", "jsonl").returncode == 0
    trained = run(anna, "train", "--format", "json")
    assert trained.returncode == 0, trained.stderr
    database = parts.path.strip("/")
    model = tmp_path / f"{database}.postgresql.model.json"
    assert json.loads(trained.stdout)["model"] == str(model)
    saved = model.read_text(encoding="utf-8")
    assert password not in saved + trained.stdout + trained.stderr
    assert json.loads(saved)["meta"]["origin"].startswith("postgresql://")

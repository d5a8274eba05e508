"""Reliability: killed and interrupted runs, overlapping runs, a full disk, secrets in every
output, hostile text on a terminal. Real subprocesses against real files and a loopback server;
synchronised on what the server sees, never on sleeps."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import ROOT

TOKEN = "wb-reliability-token-9f8e7d6c5b4a"
TOTAL, PAGE = 30, 3


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPCLI_")}
    env.update({"HOME": str(home), "REPCLI_NOW": "2026-05-20T09:00:00Z", "WB_TOKEN": TOKEN})
    env.update(extra)
    return env


def _repcli(*args: str) -> list[str]:
    return [sys.executable, "-m", "repcli", *args]


def _feedback(i: int) -> dict[str, object]:
    return {
        "id": f"fb{i:03d}", "text": f"Отзыв {i}: пришла мятая коробка", "pros": "", "cons": "",
        "productValuation": 1 + i % 5, "createdDate": f"2026-05-{1 + i % 18:02d}T10:00:00+03:00",
        "answer": None, "state": "none", "userName": "Анна",
        "productDetails": {"nmId": 1000 + i % 4, "productName": "Чайник", "imtId": 1,
                           "supplierArticle": "A", "supplierName": "ИП", "brandName": "B", "size": "0"},
    }  # fmt: skip


class SlowWildberries:
    """Serves TOTAL feedbacks PAGE at a time; the request for page `stall_at` waits for the
    test's signal (the run is killed meanwhile)."""

    def __init__(self, httpserver: HTTPServer, stall_at: int | None) -> None:
        self.stall_at = stall_at
        self.pages = 0
        self.stalled = threading.Event()
        self.release = threading.Event()
        httpserver.expect_request("/api/v1/feedbacks").respond_with_handler(self.handle)

    def handle(self, request: Request) -> Response:
        if request.args["isAnswered"] == "true":
            rows: list[dict[str, object]] = []
        else:
            self.pages += 1
            if self.pages == self.stall_at:
                self.stalled.set()
                self.release.wait(timeout=60)
                return Response("gone", status=503)
            skip = int(request.args["skip"])
            rows = [_feedback(i) for i in range(skip, min(skip + int(request.args["take"]), TOTAL))]
        data = {"countUnanswered": TOTAL, "countArchive": 0, "feedbacks": rows}
        body = {"data": data, "error": False, "errorText": "", "additionalErrors": None}
        return Response(json.dumps(body, ensure_ascii=False), content_type="application/json")


def _config(tmp_path: Path, httpserver: HTTPServer, store: Path | None = None) -> Path:
    config = tmp_path / "repcli.yaml"
    config.write_text(
        f"store: {store or tmp_path / 'r.db'}\nsources:\n  - name: wb\n    type: wildberries\n"
        f"    token: ${{WB_TOKEN}}\n    base_url: {httpserver.url_for('')}\n    questions: false\n"
        f"    page_size: {PAGE}\n    rate_limit: 1000\n",
        encoding="utf-8",
    )
    return config


def _counts(db: Path) -> tuple[str, int, int]:
    conn = sqlite3.connect(db)
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
        n, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT source || '/' || external_id) FROM items"
        ).fetchone()
        return ok, n, distinct
    finally:
        conn.close()


@pytest.mark.parametrize("how", ["kill", "interrupt"])
def test_a_run_stopped_half_way_keeps_what_it_stored(
    how: str, httpserver: HTTPServer, tmp_path: Path
) -> None:
    server = SlowWildberries(httpserver, stall_at=5)
    config = _config(tmp_path, httpserver)
    proc = subprocess.Popen(
        _repcli("--config", str(config), "fetch", "-q"), env=_env(tmp_path),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stalled.wait(timeout=60), "the run never reached page 5"
        proc.send_signal(signal.SIGKILL if how == "kill" else signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        server.release.set()
        if proc.poll() is None:
            proc.kill()
    ok, stored, distinct = _counts(tmp_path / "r.db")
    assert ok == "ok"
    assert stored == distinct == 4 * PAGE  # the four pages stored before the stop
    if how == "interrupt":
        assert proc.returncode == 130, err
        status = subprocess.run(_repcli("--config", str(config), "status", "--format", "json"),
                                env=_env(tmp_path), capture_output=True, text=True)  # fmt: skip
        assert json.loads(status.stdout)["sources"][0]["last_run_status"] == "interrupted"
    else:
        assert proc.returncode == -signal.SIGKILL
    # The next run completes, without duplicates.
    server.stall_at = None
    again = subprocess.run(_repcli("--config", str(config), "fetch", "-q"), env=_env(tmp_path),
                           capture_output=True, text=True)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert _counts(tmp_path / "r.db") == ("ok", TOTAL, TOTAL)


@pytest.mark.parametrize("pressed_in", ["holder", "waiter"])
def test_ctrl_c_while_one_source_holds_a_unit_open(
    pressed_in: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One source has stored half of an all-or-nothing unit (uncommitted) and waits on the
    network; the other waits for it. Ctrl-C: the half unit is undone, and both runs are marked
    interrupted, whichever source asyncio cancels first (the one running when the signal comes
    is cancelled last)."""
    import asyncio
    from datetime import UTC, datetime

    from repcli import pipeline
    from repcli.models import Item
    from repcli.sources.base import Batch
    from repcli.sources.registry import parse_config
    from repcli.store import open_store

    now = datetime(2026, 5, 20, 9, tzinfo=UTC)
    started, holding = asyncio.Event(), asyncio.Event()

    class Paused:
        def __init__(self, src: Any, ctx: Any) -> None:
            self.name = src.name
            self.rejects: list[Any] = []  # rows it could not read (none here)

        def item(self, n: int) -> Item:
            return Item(self.name, "demo", "review", f"{self.name}{n}", now, "пришла мятая коробка")

        async def fetch(self, cursor: dict[str, Any], full: bool = False) -> Any:
            if self.name == "holder":
                await started.wait()  # both runs are open before the unit is
                yield Batch([self.item(1)], {"n": 1}, hold=True)
                holding.set()
                if pressed_in == "holder":
                    signal.raise_signal(signal.SIGINT)  # as the user presses Ctrl-C
                await asyncio.Event().wait()  # the rest of the unit never comes
            else:
                started.set()
                await holding.wait()
                if pressed_in == "waiter":
                    signal.raise_signal(signal.SIGINT)
                yield Batch([self.item(1)], {"n": 1})  # waits for the store

    monkeypatch.setattr(pipeline, "source_class", lambda _type: Paused)
    sources = "".join(f"  - {{name: {name}, type: demo}}\n" for name in ("holder", "waiter"))
    config = parse_config(f"store: {tmp_path / 'r.db'}\nsources:\n{sources}", tmp_path / "c.yaml")
    store = open_store(config.store)
    with pytest.raises(KeyboardInterrupt):
        pipeline.Pipeline(config, store, now).run(config.sources, "fetch")
    assert not store.conn.in_transaction
    assert store.conn.execute("SELECT count(*) FROM items").fetchone() == (0,)
    runs = store.conn.execute("SELECT source, status FROM runs ORDER BY source").fetchall()
    assert runs == [("holder", "interrupted"), ("waiter", "interrupted")]
    assert store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_overlapping_checks_on_one_store(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text((ROOT / "config.example.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    env = _env(tmp_path, REPCLI_NOW="2026-11-23T09:00:00Z")
    procs = [
        subprocess.Popen(_repcli("--config", str(config), "check", "-q", "--format", "json"),
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]  # fmt: skip
    outputs = [p.communicate(timeout=120) for p in procs]  # read while they run: no full pipe
    results = [(p.returncode, out) for p, out in zip(procs, outputs, strict=True)]
    for code, (_, err) in results:
        assert code == 0 or (code == 4 and "locked by another repcli run" in err), err
    assert any(code == 0 for code, _ in results)
    ok, stored, distinct = _counts(tmp_path / "repcli-demo.db")
    assert ok == "ok" and stored == distinct == 377


@contextlib.contextmanager
def _disk(tmp_path: Path, size: str) -> Iterator[tuple[Path, Path]]:
    """A real tmpfs of `size` holding the demo config's store: (the store, the config)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)],
                             capture_output=True, check=False)  # fmt: skip
    if mounted.returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        config = tmp_path / "config.yaml"
        text = (ROOT / "config.example.yaml").read_text(encoding="utf-8")
        config.write_text(
            text.replace("store: repcli-demo.db", f"store: {disk / 'r.db'}"), encoding="utf-8"
        )
        yield disk / "r.db", config
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def _run(tmp_path: Path, config: Path, *command: str) -> subprocess.CompletedProcess[str]:
    env = _env(tmp_path, REPCLI_NOW="2026-11-23T09:00:00Z")
    return subprocess.run(_repcli("--config", str(config), *command), env=env,
                          capture_output=True, text=True)  # fmt: skip


@pytest.mark.parametrize("size", ["400k", "1200k"])  # full while migrating; full mid-run
def test_a_full_disk_is_a_clear_store_error_and_nothing_half_written(
    size: str, tmp_path: Path
) -> None:
    with _disk(tmp_path, size) as (store, config):
        result = _run(tmp_path, config, "check", "-q")
        assert result.returncode == 4, result.stderr
        assert "full" in result.stderr.lower() or "disk" in result.stderr.lower(), result.stderr
        assert "Traceback" not in result.stderr
        if store.exists():  # whatever landed is whole: the failed transaction is gone
            conn = sqlite3.connect(store)
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            conn.close()


def test_a_read_only_store_is_a_clear_error_and_left_as_it_was(tmp_path: Path) -> None:
    with _disk(tmp_path, "20m") as (store, config):
        first = _run(tmp_path, config, "check", "-q")
        assert first.returncode == 0, first.stderr
        before = store.read_bytes()
        subprocess.run(["mount", "-o", "remount,ro", str(store.parent)], check=True)
        for command in (["check", "-q"], ["list"], ["mark", "resolved", "1"]):
            result = _run(tmp_path, config, *command)
            assert result.returncode == 4, (command, result.stderr)
            assert "read-only file system" in result.stderr, result.stderr
            assert "remount it read-write" in result.stderr
            assert "Traceback" not in result.stderr
        assert store.read_bytes() == before


def test_no_secret_in_any_output_store_or_export(httpserver: HTTPServer, tmp_path: Path) -> None:
    """A platform that echoes the token back in its error, every command with -vv."""

    def echo(request: Request) -> Response:
        detail = f"bad token {request.headers.get('Authorization')}"
        return Response(json.dumps({"title": "unauthorized", "detail": detail}), status=401)

    httpserver.expect_request("/api/v1/feedbacks").respond_with_handler(echo)
    config = _config(tmp_path, httpserver)
    out = tmp_path / "export.csv"
    commands = [
        ("fetch",), ("check", "--format", "json"), ("status", "--format", "json"),
        ("sources", "list", "--format", "json"), ("sources", "test"), ("list", "--format", "json"),
        ("export", "--format", "csv", "--output", str(out)), ("report", "--format", "json"),
    ]  # fmt: skip
    for args in commands:
        result = subprocess.run(_repcli("--config", str(config), "-vv", *args), env=_env(tmp_path),
                                capture_output=True, text=True)  # fmt: skip
        assert TOKEN not in result.stdout + result.stderr, args
    assert TOKEN.encode() not in (tmp_path / "r.db").read_bytes()
    assert TOKEN not in out.read_text(encoding="utf-8")
    failed = subprocess.run(_repcli("--config", str(config), "fetch"), env=_env(tmp_path),
                            capture_output=True, text=True)  # fmt: skip
    assert failed.returncode == 6 and "HTTP 401" in failed.stderr and "***" in failed.stderr


def test_hostile_text_never_reaches_the_terminal_raw(tmp_path: Path) -> None:
    evil = 'Ок\x1b[31mRED\x1b[0m \x1b]8;;http://evil.example\x07link\x1b]8;;\x07 \u202etxt.exe\x07\r=HYPERLINK("x")'
    data = tmp_path / "reviews.jsonl"
    data.write_text(
        json.dumps({"id": "1", "text": evil, "rating": 1, "date": "2026-11-20"}) + "\n",
        encoding="utf-8",
    )
    config = tmp_path / "c.yaml"
    config.write_text(
        f"store: {tmp_path / 'r.db'}\nsources:\n  - name: f\n    type: file\n    path: {data}\n"
        "    columns: {external_id: id, text: text, rating: rating, created_at: date}\n",
        encoding="utf-8",
    )
    env = _env(
        tmp_path, REPCLI_NOW="2026-11-23T09:00:00Z", TTY_COMPATIBLE="1", NO_COLOR="1", TERM="dumb"
    )
    for args in (("check", "--format", "table"), ("show", "1", "--format", "table"),
                 ("list", "--format", "md"), ("report", "--format", "table")):  # fmt: skip
        result = subprocess.run(_repcli("--config", str(config), *args), env=env,
                                capture_output=True, text=True)  # fmt: skip
        assert result.returncode == 0, result.stderr
        for raw in ("\x1b", "\x07", "\u202e", "\r"):
            assert raw not in result.stdout, (args, raw)
    csv_out = subprocess.run(_repcli("--config", str(config), "export", "--format", "csv"),
                             env=env, capture_output=True, text=True).stdout  # fmt: skip
    assert ",=HYPERLINK" not in csv_out

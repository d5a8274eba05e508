"""Alerts through apprise to a real HTTP receiver on 127.0.0.1 (apprise's json:// service).

apprise's JSON notification POSTs `{"version", "title", "message", "type", ...}` to the URL's
host and path (apprise/plugins/custom_json.py). Checked: digest vs one message per event,
de-duplication across runs, the throttle, a failing receiver retried on the next run and given
up after max_attempts, and the token in the URL never shown or stored.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import ROOT, Cli

TOKEN = "hook-token-5f2a9c0d7e41"


class Receiver:
    def __init__(self, httpserver: HTTPServer) -> None:
        self.messages: list[dict[str, Any]] = []
        self.status = 200
        httpserver.expect_request(f"/hooks/{TOKEN}", method="POST").respond_with_handler(
            self.handle
        )

    def handle(self, request: Request) -> Response:
        if self.status != 200:
            return Response("overloaded", status=self.status)
        self.messages.append(json.loads(request.get_data()))
        return Response("ok")


def _config(tmp_path: Path, httpserver: HTTPServer, rules: str, extra: str = "") -> Cli:
    config = tmp_path / "config.yaml"
    shutil.copy(ROOT / "config.example.yaml", config)
    port = httpserver.port
    with config.open("a", encoding="utf-8") as fh:
        fh.write(
            "\nalerts:\n  destinations:\n"
            f"    team: json://127.0.0.1:{port}/hooks/${{HOOK_TOKEN}}\n"
            f"  rules:\n{rules}{extra}"
        )
    return Cli(config)


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_TOKEN", TOKEN)


def test_digest_once_then_never_again(httpserver: HTTPServer, tmp_path: Path) -> None:
    receiver = Receiver(httpserver)
    cli = _config(
        tmp_path, httpserver,
        "    - {rule: new-negative, to: [team]}\n    - {rule: extortion, to: [team], digest: false}\n",
    )  # fmt: skip
    first = cli("check", "--format", "json", "-v")
    assert first.exit_code == 0, first.output
    titles = [m["title"] for m in receiver.messages]
    assert titles[0] == "Уютный дом: 110 new negative"
    assert titles[1:] == ["Уютный дом: extortion"] * 12
    digest = receiver.messages[0]["message"].splitlines()
    assert len(digest) == 11 and digest[-1] == "… and 100 more: repcli list --negative"
    assert digest[0].startswith("• #") and "«" in digest[0]
    summary = json.loads(first.stdout)["summary"]["alerts"]
    assert summary["sent"] == 13 and summary["events"] == 110 + 12 and not summary["failed"]

    again = cli("check", "--format", "json")
    assert again.exit_code == 0
    assert len(receiver.messages) == 13  # nothing is alerted twice
    log = json.loads(cli("alerts", "list", "--format", "json").stdout)["alerts"]
    assert len(log) == 122 and {a["status"] for a in log} == {"sent"}
    for result in (first, again):
        assert TOKEN not in result.output
    assert TOKEN.encode() not in (tmp_path / "repcli-demo.db").read_bytes()


def test_failed_send_is_retried_next_run_then_given_up(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    receiver = Receiver(httpserver)
    receiver.status = 500
    cli = _config(
        tmp_path, httpserver, "    - {rule: extortion, to: [team]}\n", "  max_attempts: 2\n"
    )
    failed = cli("check", "--format", "json", "--fail-on", "alert-failed")
    assert failed.exit_code == 10
    assert "alert failed extortion -> team" in failed.stderr
    assert TOKEN not in failed.output
    assert json.loads(failed.stdout)["summary"]["alerts"]["failed"]

    receiver.status = 200
    retried = cli("alerts", "send")
    assert retried.exit_code == 0, retried.output
    assert [m["title"] for m in receiver.messages] == ["Уютный дом: 12 extortion"]
    log = json.loads(cli("alerts", "list", "--format", "json").stdout)["alerts"]
    assert {(a["status"], a["attempts"]) for a in log} == {("sent", 2)}

    # A destination that keeps failing is given up after max_attempts, and says so.
    receiver.status = 503
    (tmp_path / "b").mkdir()
    cli2 = _config(
        tmp_path / "b", httpserver, "    - {rule: sla-breach, to: [team]}\n", "  max_attempts: 2\n"
    )
    cli2("check", "-q")
    cli2("alerts", "send")
    states = {
        a["status"] for a in json.loads(cli2("alerts", "list", "--format", "json").stdout)["alerts"]
    }
    assert states == {"given-up"}
    assert cli2("alerts", "send").exit_code == 0  # given up: not tried again


def test_throttle_holds_events_for_the_next_run(httpserver: HTTPServer, tmp_path: Path) -> None:
    receiver = Receiver(httpserver)
    cli = _config(
        tmp_path, httpserver, "    - {rule: extortion, to: [team], digest: false}\n",
        "  throttle: 5\n",
    )  # fmt: skip
    result = cli("check", "--format", "json")
    assert len(receiver.messages) == 5
    assert json.loads(result.stdout)["summary"]["alerts"]["deferred"] == 7
    cli("alerts", "send")
    cli("alerts", "send")
    assert len(receiver.messages) == 12
    assert len({m["message"] for m in receiver.messages}) == 12


def test_alerts_test_and_config_errors(httpserver: HTTPServer, tmp_path: Path) -> None:
    receiver = Receiver(httpserver)
    cli = _config(tmp_path, httpserver, "    - {rule: extortion, to: [team]}\n")
    result = cli("alerts", "test")
    assert result.exit_code == 0 and "✓ team" in result.stderr
    assert receiver.messages[0]["title"] == "repcli: test"
    (tmp_path / "c").mkdir()
    bad = _config(tmp_path / "c", httpserver, "    - {rule: extortion, to: [ops]}\n")
    error = bad("alerts", "list")
    assert error.exit_code == 3
    assert "alerts.rules[0].to: no destination named 'ops' (known: team)" in error.stderr

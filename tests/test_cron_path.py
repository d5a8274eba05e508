"""The cron path, run as cron runs it: `repcli` in a subprocess whose stdout and stderr are
pipes (no TTY), stdin from /dev/null, a bare environment; the README's cron recipes run in
`sh` with a fake `mail` / `sendmail` on PATH that records its arguments and stdin.

Checked: `check --format md` carries every section (new negative, extortion, signals, edits,
failed sources, rejected rows, failed alerts), prints nothing at all when there is nothing (so
cron mails nothing), says which --fail-on rule matched on stderr even with -q, shows local
times per `output.timezone`, links items to their platform page, and keeps data from becoming
Markdown or terminal control. Competitor sources stay out of check's queue, --fail-on and alerts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

NOW = "2026-11-23T09:00:00Z"
DAY_LATER = "2026-11-24T09:00:00Z"
BIN = Path(sys.executable).parent  # where pip put the `repcli` script
TG_BOT = "123456789:AAcronPathTelegramTokenAbCdEfGhIj"
HOOK = "hook-token-cron-7d1e0a"

# The README's recipes, verbatim (crontab lines; cron runs each with /bin/sh).
DAILY_MAIL = (
    'repcli check -q --format md > "$HOME/repcli-check.md"; '
    '[ -s "$HOME/repcli-check.md" ] && mail -s "repcli: reviews to act on" '
    'support@example.com < "$HOME/repcli-check.md"'
)
WEEKLY_HTML = (
    'repcli report -q --since 7d --format html --output "$HOME/repcli-week.html" && '
    "{ printf 'To: team@example.com\\nSubject: repcli: the week\\nMIME-Version: 1.0\\n"
    "Content-Type: text/html; charset=utf-8\\n\\n'; "
    'cat "$HOME/repcli-week.html"; } | sendmail -t'
)
TELEGRAM = "repcli fetch -q > /dev/null; repcli alerts send -q"
TELEGRAM_CONFIG = """
alerts:
  destinations:
    team: tgram://${TG_BOT_TOKEN}/${TG_CHAT_ID}
  rules:
    - {rule: new-negative, to: [team]}
    - {rule: extortion, to: [team], digest: false}
"""

FAKE = """#!/bin/sh
# A fake {name}: records its arguments and what it was given on stdin.
n=$(find "{outbox}" -name '*.args' | wc -l)
printf '%s\\n' "$@" > "{outbox}/$n.args"
cat > "{outbox}/$n.body"
"""
# Points apprise's Telegram plugin at the test's server inside the repcli subprocess.
SITECUSTOMIZE = """import os
if os.environ.get("TEST_TELEGRAM_URL"):
    from apprise.plugins.telegram import NotifyTelegram
    NotifyTelegram.notify_url = os.environ["TEST_TELEGRAM_URL"]
"""


class Box:
    """A home for cron: its own HOME, a bin/ with fake mail and sendmail, an outbox."""

    def __init__(self, root: Path, config: str) -> None:
        self.home = root / "cronhome"
        self.outbox = root / "outbox"
        bin_dir = self.home / "bin"
        for path in (bin_dir, self.outbox):
            path.mkdir(parents=True)
        for name in ("mail", "sendmail"):
            fake = bin_dir / name
            fake.write_text(
                FAKE.replace("{name}", name).replace("{outbox}", str(self.outbox)),
                encoding="utf-8",
            )
            fake.chmod(0o755)
        (root / "site").mkdir()
        (root / "site" / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
        self.config = self.home / ".config" / "repcli" / "config.yaml"
        self.config.parent.mkdir(parents=True)
        self.config.write_text(config.replace("{home}", str(self.home)), encoding="utf-8")
        self.env = {
            "PATH": f"{bin_dir}:{BIN}:/usr/bin:/bin",
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "REPCLI_CONFIG": str(self.config),
            "REPCLI_NOW": NOW,
            "PYTHONPATH": str(root / "site"),
            # Nothing may leave this machine: a request that escapes goes to a closed port.
            "HTTP_PROXY": "http://127.0.0.1:9",
            "HTTPS_PROXY": "http://127.0.0.1:9",
            "NO_PROXY": "127.0.0.1,localhost",
        }

    def run(self, *args: str, now: str = NOW, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "repcli"), *args],
            env={**self.env, "REPCLI_NOW": now, **env},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def sh(self, line: str, now: str = NOW, **env: str) -> subprocess.CompletedProcess[str]:
        """One crontab line, as cron runs it."""
        return subprocess.run(
            ["/bin/sh", "-c", line],
            env={**self.env, "REPCLI_NOW": now, **env},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.home,
        )

    def sent(self) -> list[tuple[list[str], str]]:
        """(arguments, stdin) of each fake mail/sendmail call, in order."""
        count = len(list(self.outbox.glob("*.args")))
        return [
            (
                (self.outbox / f"{n}.args").read_text(encoding="utf-8").splitlines(),
                (self.outbox / f"{n}.body").read_text(encoding="utf-8"),
            )
            for n in range(count)
        ]


def _demo(extra: str = "") -> str:
    return (
        "store: {home}/repcli.db\nshop: Уютный дом\n"
        "sources:\n"
        "  - {name: wb-demo, type: demo, dataset: wildberries, sla_hours: 24}\n"
        "  - {name: appstore-demo, type: demo, dataset: app_store, sla_hours: 48}\n" + extra
    )


def _json(box: Box, *args: str, now: str = NOW) -> dict[str, Any]:
    result = box.run("check", "-q", "--format", "json", "--no-alerts", *args, now=now)
    data: dict[str, Any] = json.loads(result.stdout)
    return data


# ----------------------------------------------------------------------------- the md mail


def test_md_mail_carries_every_section(tmp_path: Path) -> None:
    dead = "  - {name: dead, type: file, path: {home}/gone.jsonl, " + (
        "columns: {external_id: id, text: text, created_at: date}}\n"
    )
    box = Box(tmp_path, _demo(dead))
    first = box.run("check", "-q", "--format", "md", "--limit", "30")
    assert first.returncode == 6, first.stderr  # a source failed
    mail = first.stdout
    headings = [line for line in mail.splitlines() if line.startswith("#")]
    assert headings == [
        "# repcli check: Уютный дом, 2026-11-23 09:00 UTC",
        "## New negative (43)",
        "## Extortion (3)",
        "## Signals (15)",
        "## Failed sources (1)",
    ]
    summary = mail.splitlines()[2]
    assert summary.startswith("147 new items · **43 new negative** · 3 extortion · 15 signals · ")
    assert summary.endswith(" · 1 source failed → `repcli queue`"), summary
    assert "… and 13 more: `repcli list --negative`" in mail  # --limit 30
    assert "… and 8 more signals: `repcli signals`" in mail  # 3 of each kind shown
    assert f"- **dead**: {box.home}/gone.jsonl: no such file\n" in mail
    assert first.stderr == f"✗ dead: {box.home}/gone.jsonl: no such file\n"

    # A day later the demo's customers edit reviews: the mail says so, and nothing else.
    later = box.run("check", "-q", "--format", "md", now=DAY_LATER)
    headings = [line for line in later.stdout.splitlines() if line.startswith("#")]
    assert headings[1:] == [
        "## New negative (1)",
        "## Signals (1)",
        "## Edited by customers (3)",
        "## Failed sources (1)",
    ]
    assert "| ID | Source | Rating change | Product | Author | Text now |" in later.stdout


def test_md_mail_lists_rejected_rows_and_failed_alerts() -> None:
    from repcli.render import check_md

    mail = check_md.render(
        check_md.CheckMail(
            now=datetime(2026, 11, 23, 9, tzinfo=UTC),
            zone=ZoneInfo("UTC"),
            shop=None,
            summary={"new_items": 3, "new_negative": 0, "waiting_for_answer": 0, "rejected": 2},
            sources=[{"source": "wb", "rejected": 2, "error": None}],
            alert_failures=["new-negative -> team: HTTP 500 <b>"],
        )
    )
    assert mail == (
        "# repcli check: 2026-11-23 09:00 UTC\n\n"
        "3 new items · **0 new negative** · 0 waiting for an answer → `repcli queue`\n\n"
        "## Rejected rows (2)\n\n"
        "- **wb**: 2 rows set aside this run (`repcli status` shows why)\n\n"
        "## Alerts not sent (1)\n\n"
        "- new-negative -&gt; team: HTTP 500 &lt;b&gt; (retried next run)\n"
    )


def test_nothing_new_prints_nothing_and_exits_0(tmp_path: Path) -> None:
    box = Box(tmp_path, _demo())
    assert box.run("check", "-q", "--format", "md").returncode == 0
    again = box.run("check", "-q", "--fail-on", "new-negative", "--format", "md")
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")


def test_fail_on_says_which_rule_matched_on_stderr_even_with_q(tmp_path: Path) -> None:
    box = Box(tmp_path, _demo())
    overdue = _json(box)["summary"]["overdue"]
    assert overdue > 1
    result = box.run("check", "-q", "--fail-on", "overdue", "--fail-on", "new", "--format", "md")
    assert result.returncode == 10
    assert result.stderr == f"--fail-on matched: overdue ({overdue} items)\n"
    # Nothing new, but a rule matched: the mail says what, so a recipe mailing it is not empty.
    assert result.stdout.splitlines()[-1] == f"--fail-on matched: overdue ({overdue} items)"


def test_md_is_a_readable_mail(tmp_path: Path) -> None:
    review = {
        "id": "1",
        "rating": 1,
        "date": "2026-11-22T10:00:00Z",
        "author": "Анна\x1b]0;pwned\x07 *bold* _x_\x07",
        "product": "Набор [3 шт](http://evil.example) `code` <b> | ~x~",
        "text": "Ужасно, сломалось сразу, верните деньги",
        "url": "https://shop.example/r/1?a=b&c=(d) e",
    }
    other = {**review, "id": "2", "url": "javascript:alert(1)", "author": "Олег"}
    data = tmp_path / "reviews.jsonl"
    data.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in (review, other)),
        encoding="utf-8",
    )
    box = Box(
        tmp_path,
        "store: {home}/r.db\nshop: '*Nord* [wind]'\noutput: {timezone: Europe/Moscow}\n"
        f"sources:\n  - name: f\n    type: file\n    path: {data}\n"
        "    columns: {external_id: id, text: text, rating: rating, created_at: date,"
        " author: author, product_name: product, url: url}\n",
    )
    result = box.run("check", "-q", "--format", "md")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == r"# repcli check: \*Nord\* \[wind\], 2026-11-23 12:00 MSK"
    assert (
        "| ID | Posted (Europe/Moscow) | Source | Rating | Product | Author | Text | Why |" in lines
    )
    product = r"Набор \[3 шт\](http://evil.example) \`code\` &lt;b&gt; \| \~x\~"
    assert (
        "| [1](https://shop.example/r/1?a=b&c=%28d%29%20e) | 2026-11-22 13:00 | f | ★☆☆☆☆ | "
        rf"{product} | Анна \*bold\* \_x\_ | Ужасно, сломалось сразу, верните деньги | "
    ) in result.stdout
    assert "| 2 | 2026-11-22 13:00 | f | ★☆☆☆☆ |" in result.stdout  # no javascript: link
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "pwned" not in result.stdout


def test_an_unknown_time_zone_is_a_config_error(tmp_path: Path) -> None:
    box = Box(tmp_path, _demo("output:\n  timezone: Mars/Olympus\n"))
    result = box.run("check", "-q", "--format", "md")
    assert result.returncode == 3
    assert "output.timezone: unknown time zone 'Mars/Olympus'" in result.stderr
    assert result.stdout == ""


# ------------------------------------------------------------------------------ competitors


def test_competitor_negatives_stay_out_of_queue_fail_on_and_alerts(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    received: list[dict[str, Any]] = []

    def hook(request: Request) -> Response:
        received.append(json.loads(request.get_data()))
        return Response("ok")

    httpserver.expect_request(f"/hooks/{HOOK}", method="POST").respond_with_handler(hook)
    box = Box(
        tmp_path,
        "store: {home}/r.db\nsources:\n"
        "  - {name: shop, type: demo, dataset: wildberries, sla_hours: 24}\n"
        "  - {name: rival, type: demo, dataset: ozon, competitor: true}\n"
        f"alerts:\n  destinations:\n    team: json://127.0.0.1:{httpserver.port}/hooks/{HOOK}\n"
        "  rules:\n    - {rule: new-negative, to: [team]}\n",
    )
    own = box.run("check", "-q", "--source", "shop", "--format", "json")
    assert own.returncode == 0, own.stderr
    assert len(received) == 1  # the shop's own negatives, in one digest

    # The rival's negatives are fetched now: not new negative for us, no exit 10, no alert.
    rival = box.run(
        "check", "-q", "--fail-on", "new-negative", "--fail-on", "new", "--format", "json"
    )
    assert (rival.returncode, rival.stderr) == (0, "")
    data = json.loads(rival.stdout)
    assert data["new_negative"] == [] and data["summary"]["new_negative"] == 0
    assert data["summary"]["new_items"] == 0
    assert data["summary"]["competitor_new_items"] == 64
    assert len(received) == 1
    # ...and they are in the store, for reports.
    listing = box.run("list", "--source", "rival", "--negative", "--format", "jsonl")
    assert len(listing.stdout.splitlines()) > 10
    quiet = box.run("check", "-q", "--fail-on", "new-negative", "--format", "md")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")


# ---------------------------------------------------------------------------------- recipes


def test_recipe_daily_mail_only_when_there_is_something(tmp_path: Path) -> None:
    box = Box(tmp_path, _demo())
    first = box.sh(DAILY_MAIL)
    assert (first.returncode, first.stderr) == (0, "")
    [(args, body)] = box.sent()
    assert args == ["-s", "repcli: reviews to act on", "support@example.com"]
    assert body.startswith("# repcli check: Уютный дом, 2026-11-23 09:00 UTC\n")
    assert "## New negative (43)" in body

    again = box.sh(DAILY_MAIL)  # nothing new: no mail
    assert (again.returncode, again.stdout, again.stderr) == (1, "", "")
    assert len(box.sent()) == 1

    box.sh(DAILY_MAIL, now=DAY_LATER)  # customers edited reviews: a mail that says so
    assert len(box.sent()) == 2
    assert "## Edited by customers (3)" in box.sent()[1][1]


def test_recipe_weekly_html_report(tmp_path: Path) -> None:
    box = Box(tmp_path, _demo())
    assert box.run("fetch", "-q").returncode == 0
    result = box.sh(WEEKLY_HTML)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    [(args, body)] = box.sent()
    assert args == ["-t"]
    head, html = body.split("\n\n", 1)
    assert head.splitlines() == [
        "To: team@example.com",
        "Subject: repcli: the week",
        "MIME-Version: 1.0",
        "Content-Type: text/html; charset=utf-8",
    ]
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert html == (box.home / "repcli-week.html").read_text(encoding="utf-8")


def test_recipe_telegram_alert(httpserver: HTTPServer, tmp_path: Path) -> None:
    messages: list[dict[str, Any]] = []

    def telegram(request: Request) -> Response:
        messages.append(json.loads(request.get_data()))
        return Response(json.dumps({"ok": True, "result": {}}), content_type="application/json")

    httpserver.expect_request(f"/bot{TG_BOT}/sendMessage", method="POST").respond_with_handler(
        telegram
    )
    box = Box(tmp_path, _demo(TELEGRAM_CONFIG))
    env = {
        "TG_BOT_TOKEN": TG_BOT,
        "TG_CHAT_ID": "-100123",
        "TEST_TELEGRAM_URL": httpserver.url_for("/bot"),
    }
    result = box.sh(TELEGRAM, **env)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert [str(m["chat_id"]) for m in messages] == ["-100123"] * 4  # a digest + 3 extortion
    assert "43 new negative" in messages[0]["text"]
    assert TG_BOT not in json.dumps(messages)
    again = box.sh(TELEGRAM, **env)  # each event once
    assert again.returncode == 0 and len(messages) == 4
    # The daily mail still has everything: fetch and alerts do not use up check's items.
    daily = box.run("check", "-q", "--format", "md", **env)
    assert "## New negative (43)" in daily.stdout
    assert len(messages) == 4  # and check alerts nothing twice

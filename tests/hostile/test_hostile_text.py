"""Text from a platform never reaches a terminal, a markup parser or a chat raw.

A platform's error body, a review's author or product name can hold terminal escape sequences
(OSC 8 hyperlinks, title setting, CSI), other C0/C1 control characters, rich markup (`[/]`,
`[link=...]`), Slack markup (`<!channel>`, `<url|label>`), HTML for Telegram, and template
braces (`{shop}`, `{3 шт}`, `{shop:>100000000}`). Each is checked where it would be shown: the
error handler, the per-source ✗ lines of check, WARNING logs, `sources test`, reply posting,
alerts to Slack and Telegram (apprise, pointed at a receiver on 127.0.0.1), and templates.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import Cli
from tests.httpkit import json_fixtures

WB = json_fixtures(Path(__file__).parent.parent / "fixtures" / "wildberries")
TOKEN = "wb-hostile-token-0123456789abcdef"
NOW = "2026-05-20T09:00:00Z"

MARKUP = "[/] [bold]b [link=http://x]a[/link] :warning:"
EVIL = (
    "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\ "
    "\x1b]0;pwned\x07\x1b[2J\x1b[1;31mred\x1b[0m \x9b31m\x9d0;c1title\x9c"
    "\x07\x08\x0b\x0c\x0e\x7f\x85\u202e\r " + MARKUP
)
RAW = ("\x1b", "\x07", "\x08", "\x0b", "\x0c", "\x0e", "\x7f", "\x85", "\x9b", "\x9c", "\x9d",
       "\u202e", "\r", "pwned", "c1title", "evil.example", "⚠")  # fmt: skip


def assert_clean(text: str, *, whole: bool = True) -> None:
    """Nothing raw from EVIL; with `whole`, its visible words and markup shown literally."""
    for raw in RAW:
        assert raw not in text, (raw, text)
    if whole:
        assert "click" in text and "red" in text, text
        assert MARKUP in text, text


class HostileWildberries:
    """The Wildberries feedbacks API whose error bodies (title, detail) carry EVIL."""

    def __init__(self, httpserver: HTTPServer) -> None:
        self.feedbacks: list[dict[str, Any]] = copy.deepcopy(
            WB("feedbacks_unanswered_page1.json")["data"]["feedbacks"]
        )
        self.list_fails = False
        for path in ("/api/v1/feedbacks", "/api/v1/questions"):
            httpserver.expect_request(path, method="GET").respond_with_handler(self.list)
        httpserver.expect_request("/api/v1/feedbacks/answer", method="POST").respond_with_handler(
            self.answer
        )

    @staticmethod
    def _json(body: Any, status: int = 200) -> Response:
        return Response(
            json.dumps(body, ensure_ascii=False), status, content_type="application/json"
        )

    def _refusal(self) -> Response:
        return self._json({"title": "bad request", "detail": EVIL, "origin": "fbapi"}, 400)

    def list(self, request: Request) -> Response:
        if self.list_fails:
            return self._refusal()
        key = request.path.rsplit("/", 1)[-1]
        answered = request.args["isAnswered"] == "true"
        rows = [f for f in self.feedbacks if bool(f["answer"]) == answered]
        rows = rows if key == "feedbacks" and request.args["skip"] == "0" else []
        data = {"countUnanswered": 0, "countArchive": 0, key: rows}
        return self._json({"data": data, "error": False, "errorText": "", "additionalErrors": None})

    def answer(self, request: Request) -> Response:
        return self._refusal()


@pytest.fixture
def wb(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Cli, HostileWildberries]:
    monkeypatch.setenv("WB_TOKEN", TOKEN)
    monkeypatch.setenv("REPCLI_NOW", NOW)
    platform = HostileWildberries(httpserver)
    config = tmp_path / "repcli.yaml"
    config.write_text(
        f"store: {tmp_path / 'hostile.db'}\nshop: Nordwind\n"
        "sources:\n  - name: wb\n    type: wildberries\n    token: ${WB_TOKEN}\n"
        f"    base_url: {httpserver.url_for('')}\n    questions: false\n",
        encoding="utf-8",
    )
    return Cli(config), platform


def test_platform_error_is_clean_in_cross_lines_logs_and_sources_test(
    wb: tuple[Cli, HostileWildberries],
) -> None:
    cli, platform = wb
    platform.list_fails = True
    checked = cli("-v", "check")  # the failure once as a ✗ line; with -v in the log too
    assert checked.exit_code == 6, checked.output
    lines = checked.stderr.splitlines()
    assert any(line.startswith("✗ wb: ") for line in lines), checked.stderr
    assert any(line.startswith("INFO repcli.pipeline: wb: ") for line in lines)
    assert_clean(checked.stderr)
    for line in lines:
        if line.startswith(("✗ wb", "INFO repcli.pipeline")):
            assert MARKUP in line  # still one line each

    tested = cli("sources", "test")
    assert tested.exit_code == 6, tested.output
    assert tested.stdout.startswith("✗ wb: ")
    assert_clean(tested.stdout)


def test_refusal_with_markup_and_escapes_is_exit_6_and_shown_literally(
    wb: tuple[Cli, HostileWildberries],
) -> None:
    cli, _ = wb
    fetched = cli("check", "--format", "json")
    assert fetched.exit_code == 0, fetched.output
    item = json.loads(fetched.stdout)["new_negative"][0]["id"]

    refused = cli("reply", str(item), "--text", "Спасибо, разберёмся", "--approve", "--post")
    assert refused.exit_code == 6, refused.output
    assert "✗ failed reply 1" in refused.stderr
    assert_clean(refused.stderr)

    shown = cli("reply", str(item))  # the panel with what the platform said
    assert shown.exit_code == 0, shown.output
    assert "[platform said]" in shown.stdout
    assert_clean(shown.stdout)

    retried = cli("post", "--retry-failed")
    assert retried.exit_code == 6, retried.output
    assert_clean(retried.stderr)

    for args in (("replies", "--format", "table"), ("show", str(item), "--format", "table")):
        result = cli(*args)
        assert result.exit_code == 0, (args, result.output)
        assert_clean(result.stdout, whole=False)


def test_the_error_handler_cleans_its_message(tmp_path: Path) -> None:
    templates = tmp_path / "templates.yaml"
    templates.write_text(
        json.dumps({"templates": [{"name": "t", "text": "Hi {x" + EVIL + "}"}]}),
        encoding="utf-8",
    )
    config = tmp_path / "c.yaml"
    config.write_text(
        f"store: {tmp_path / 'r.db'}\nsources:\n  - name: d\n    type: demo\n"
        f"workflow:\n  templates: {templates}\n",
        encoding="utf-8",
    )
    result = Cli(config)("templates")
    assert result.exit_code == 3, result.output
    assert result.stderr.startswith("error: ")
    assert "unknown variable" in result.stderr
    assert_clean(result.stderr)


# ------------------------------------------------------------------------------------ alerts

SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"
TG_BOT = "123456789:AAHostileAlertsTestTokenAbCdEfGh"


def _file_source(tmp_path: Path, review: dict[str, Any], extra: str = "") -> Cli:
    data = tmp_path / "reviews.jsonl"
    data.write_text(json.dumps(review, ensure_ascii=False) + "\n", encoding="utf-8")
    config = tmp_path / "c.yaml"
    config.write_text(
        f"store: {tmp_path / 'r.db'}\nshop: Nordwind\n"
        f"sources:\n  - name: f\n    type: file\n    path: {data}\n"
        "    columns: {external_id: id, text: text, rating: rating, created_at: date,"
        " author: author, product_name: product}\n" + extra,
        encoding="utf-8",
    )
    return Cli(config)


def test_alerts_to_slack_and_telegram_carry_no_live_markup(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from apprise.plugins.slack import NotifySlack
    from apprise.plugins.telegram import NotifyTelegram

    monkeypatch.setattr(NotifySlack, "webhook_url", httpserver.url_for("/services"))
    monkeypatch.setattr(NotifyTelegram, "notify_url", httpserver.url_for("/bot"))
    received: dict[str, dict[str, Any]] = {}

    def slack(request: Request) -> Response:
        received["slack"] = json.loads(request.get_data())
        return Response("ok")

    def telegram(request: Request) -> Response:
        received["telegram"] = json.loads(request.get_data())
        return Response(json.dumps({"ok": True, "result": {}}), content_type="application/json")

    httpserver.expect_request(
        "/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", method="POST"
    ).respond_with_handler(slack)
    httpserver.expect_request(f"/bot{TG_BOT}/sendMessage", method="POST").respond_with_handler(
        telegram
    )
    review = {
        "id": "1",
        "rating": 1,
        "date": "2026-05-19",
        "author": "Анна\x1b]0;pwned\x07 <b>",
        "product": "Набор <3 шт> & {shop}",
        "text": "Ужасно, сломалось сразу <!channel> <http://evil.example|жми> </i> <b>брак",
    }
    cli = _file_source(
        tmp_path,
        review,
        f"alerts:\n  destinations:\n    slack: {SLACK}\n    tg: tgram://{TG_BOT}/-100123/\n"
        "  rules:\n    - {rule: new-negative, to: [slack, tg], digest: false}\n",
    )
    result = cli("check", "-q")
    assert result.exit_code == 0, result.output
    assert set(received) == {"slack", "telegram"}, result.output

    slack_text = json.dumps(received["slack"], ensure_ascii=False)
    assert "<" not in slack_text and ">" not in slack_text
    assert "&lt;!channel&gt;" in slack_text and "&lt;http://evil.example|жми&gt;" in slack_text
    assert "Анна &lt;b&gt;" in slack_text  # the author, cleaned and escaped

    tg = received["telegram"]
    assert tg["parse_mode"] == "HTML"
    tags = re.findall(r"<[^>]*>", tg["text"])
    assert set(tags) <= {"<b>", "</b>"} and len(tags) <= 2, tags  # only apprise's bold title
    assert "&lt;b&gt;брак" in tg["text"] and "&lt;/i&gt;" in tg["text"]
    assert "Анна &lt;b&gt;" in tg["text"]
    for body in (slack_text, tg["text"]):
        assert "\x1b" not in body and "\x07" not in body and "pwned" not in body


# --------------------------------------------------------------------------------- templates

PRODUCT = "Набор {3 шт} {shop:>100000000} {shop} {{x}} [[{order}]] {0}"


def test_braces_in_data_are_substituted_verbatim_through_the_cli(tmp_path: Path) -> None:
    templates = tmp_path / "templates.yaml"
    templates.write_text(
        "templates:\n  - name: mine\n    lang: ru\n"
        "    text: 'Здравствуйте[[, {customer}]]! Про[[ {product}]]:  разберёмся. {shop}'\n",
        encoding="utf-8",
    )
    review = {"id": "1", "rating": 1, "date": "2026-05-19", "author": "Анна {shop}",
              "product": PRODUCT, "text": "Ужасно, сломалось сразу, верните деньги"}  # fmt: skip
    cli = _file_source(
        tmp_path, review, f"workflow:\n  templates: {templates}\n  builtin_templates: false\n"
    )
    assert cli("check", "-q").exit_code == 0
    preview = cli("reply", "1", "--template", "mine", "--preview")
    assert preview.exit_code == 0, preview.output
    assert preview.stdout == f"Здравствуйте, Анна! Про {PRODUCT}: разберёмся. Nordwind\n"
    fit = cli("templates", "--item", "1")
    assert fit.exit_code == 0, fit.output
    assert fit.stdout == preview.stdout


def test_a_format_spec_in_a_template_is_refused_naming_the_template(tmp_path: Path) -> None:
    from repcli.errors import ConfigError
    from repcli.workflow import templates as tpl

    for text, why in (("{shop:>10}", "format spec"), ("{shop!r}", "format spec"),
                      ("{shop.x}", "unknown variable"), ("{shop", "brace"), ("a}", "brace")):  # fmt: skip
        with pytest.raises(ConfigError) as info:
            tpl.parse_templates(f"templates:\n  - name: wide\n    text: '{text}'\n", "mine.yaml")
        assert info.value.message.startswith("mine.yaml:2: template 'wide': "), info.value
        assert why in info.value.message, info.value


_DATA = st.text(st.characters(codec="utf-8"), max_size=40)


@settings(max_examples=300, deadline=None)
@given(product=_DATA, customer=_DATA, shop=_DATA)
def test_any_data_is_substituted_verbatim(product: str, customer: str, shop: str) -> None:
    from repcli.workflow import templates as tpl

    text = "<{product}> [[<{customer}>]] {{literal}} <{shop}>"
    tpl.check_text(text, "t")
    values = {v: "" for v in tpl.VARIABLES} | {
        "product": product,
        "customer": customer,
        "shop": shop,
    }
    filled = tpl.render(text, values)
    middle = f" <{customer}> " if customer else " "
    assert filled == f"<{product}>{middle}{{literal}} <{shop}>"


_TOKEN = st.one_of(
    st.sampled_from(["{product}", "{customer}", "{shop}", "{{", "}}", " ", ", ", "!"]),
    st.text(st.characters(codec="utf-8", exclude_characters="{}[]"), max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TOKEN, max_size=12), st.lists(_DATA.filter(bool), min_size=3, max_size=3))
def test_data_never_changes_what_the_template_means(tokens: list[str], data: list[str]) -> None:
    """Whatever the template, each variable's value appears whole: data is never re-read."""
    from repcli.workflow import templates as tpl

    text = "".join(tokens)
    tpl.check_text(text, "t")
    values = {v: "" for v in tpl.VARIABLES} | dict(
        zip(("product", "customer", "shop"), data, strict=True)
    )
    filled = tpl.render(text, values)
    for name in ("product", "customer", "shop"):
        if "{" + name + "}" in tokens:
            assert values[name] in filled


def test_tables_show_markup_in_data_literally(tmp_path: Path) -> None:
    templates = tmp_path / "templates.yaml"
    templates.write_text(
        "templates:\n  - name: '[/]mine'\n    lang: ru\n    text: 'Спасибо [/] [bold]x {shop}'\n",
        encoding="utf-8",
    )
    review = {"id": "1", "rating": 1, "date": "2026-05-19", "author": "[/]Анна\x1b]0;pwned\x07",
              "product": "[/][link=http://x]a[/link]", "text": "Ужасно, сломалось [/]"}  # fmt: skip
    cli = _file_source(tmp_path, review, f"workflow:\n  templates: {templates}\n")
    assert cli("check", "-q").exit_code == 0
    listing = cli("templates", "--format", "table")
    assert listing.exit_code == 0, listing.output
    assert "[/]mine" in listing.stdout and "Спасибо [/] [bold]x" in listing.stdout
    review["rating"] = 2  # edited by the customer: the "changed" table shows the author
    _file_source(tmp_path, review, f"workflow:\n  templates: {templates}\n")
    changed = cli("check", "--format", "table")
    assert changed.exit_code == 0, changed.output
    assert "Edited by customers (1)" in changed.stdout
    assert "[/]Анна" in changed.stdout and "pwned" not in changed.stdout

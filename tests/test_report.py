"""`repcli report`: every figure on a small hand-made store with known answers; formats;
escaping of hostile review text; locales."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from repcli.models import Item, Verdict
from repcli.report import fives_needed, percentile
from repcli.store import open_store
from repcli.store.writes import Analysis
from tests.conftest import Cli

NOW = datetime.fromisoformat("2026-11-23T09:00:00+00:00")
HOSTILE = '<script>alert(1)</script> =HYPERLINK("http://evil","x")'


def test_percentile_and_forecast_by_hand() -> None:
    assert percentile([1, 2, 3, 4, 10], 50) == 3
    assert percentile([1, 2, 3, 4, 10], 90) == pytest.approx(7.6)
    assert percentile([], 90) is None
    assert fives_needed(4.5, 100, 4.7) == 67  # (450 + 5*67) / 167 = 4.7006
    assert fives_needed(4.8, 10, 4.7) == 0
    assert fives_needed(4.0, 10, 5.0) is None


def _item(n: int, hours_ago: float, rating: int | None, **kw: object) -> Item:
    return Item(
        source=str(kw.pop("source", "shop")), platform="wildberries", kind="review",
        external_id=f"r{n}", created_at=NOW - timedelta(hours=hours_ago), rating=rating,
        text=str(kw.pop("text", f"отзыв {n}")), product_id=str(kw.pop("product", "p1")),
        product_name="Чайник", **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def _analysis(item: Item) -> Analysis:
    negative = item.rating is not None and item.rating <= 2
    topics = ("damaged",) if negative else ()
    verdict = Verdict(
        "negative" if negative else "positive", 0.9 if negative else 0.1, negative, (), topics
    )
    due = item.created_at + timedelta(hours=24) if negative and not item.answer_text else None
    return Analysis(verdict, negative and not item.answer_text, due)


@pytest.fixture
def shop(tmp_path: Path) -> Cli:
    config = tmp_path / "repcli.yaml"
    config.write_text(
        f"store: {tmp_path / 'r.db'}\nsources:\n  - {{name: shop, type: demo, sla_hours: 24}}\n"
        "  - {name: rival, type: demo, competitor: true}\n",
        encoding="utf-8",
    )
    answered = {"answer_text": "Простите!", "answered_at": NOW - timedelta(hours=90)}
    items = [
        # This period (the last 30 days): p1 gets worse.
        _item(
            1, 100, 1, **{"answer_text": "Простите!", "answered_at": NOW - timedelta(hours=96)}
        ),  # 4 h
        _item(2, 100, 2, **answered),  # answered after 10 h
        _item(3, 50, 1, text=HOSTILE),  # unanswered, due 26 h ago: an SLA breach
        _item(4, 40, 5),
        _item(5, 30, 5, source="rival"),
        # The previous 30 days: p1 was fine.
        _item(6, 24 * 40, 5),
        _item(7, 24 * 41, 4),
    ]
    with open_store(config.parent / "r.db") as store, store.transaction():
        store.upsert_items(items, _analysis, NOW)
        # Review 1 was answered (96 h ago), then the customer raised 1★ to 4★ (an hour later).
        edited = _item(
            1, 100, 4, **{"answer_text": "Простите!", "answered_at": NOW - timedelta(hours=96)}
        )
        store.upsert_items([edited], _analysis, NOW - timedelta(hours=95))
    return Cli(config)


def _report(cli: Cli, *args: str) -> dict:  # type: ignore[type-arg]
    result = cli("report", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["report"]


def test_every_figure_by_hand(shop: Cli) -> None:
    r = _report(shop, "--target", "4.7")
    assert r["schema"] == "repcli.report/1"
    assert r["totals"] == {
        "items": 4,
        "reviews": 4,
        "negatives": 2,
        "previous_items": 2,
        "previous_negatives": 0,
    }
    # Ratings now: 4 (edited), 2, 1, 5 -> 3.0; before: 5, 4 -> 4.5.
    assert r["rating"]["average"] == 3.0 and r["rating"]["previous_average"] == 4.5
    assert r["rating"]["distribution"] == {"1": 1, "2": 1, "3": 0, "4": 1, "5": 1}
    # Items 2 and 3 call for an answer (negative); 2 answered after 10 h; 3 is overdue.
    a = r["answers"]
    assert (a["needing_reply"], a["answered"], a["response_rate"]) == (2, 1, 0.5)
    assert a["median_hours"] == 10.0 and a["p90_hours"] == 10.0 and a["sla_breaches"] == 1
    assert r["topics"] == [{"topic": "damaged", "count": 2, "previous": 0, "change": 2}]
    assert r["worst_products"] == [
        {
            "product_id": "p1",
            "product_name": "Чайник",
            "rating": 3.0,
            "previous": 4.5,
            "change": -1.5,
        }
    ]
    assert r["reply_effect"] == {"answered": 2, "changed": 1, "improved": 1, "average_change": 3.0}
    # All-time p1: 4, 2, 1, 5, 5, 4 -> 3.5 over 6; to 4.7: ceil(6 * 1.2 / 0.3) = 24.
    assert r["forecast"] == [{"product_id": "p1", "product_name": "Чайник", "rating": 3.5,
                              "reviews": 6, "target": 4.7, "five_star_needed": 24}]  # fmt: skip
    rival = next(c for c in r["comparison"] if c["source"] == "rival")
    assert rival == {
        "source": "rival",
        "competitor": True,
        "items": 1,
        "rating": 5.0,
        "negative_share": 0.0,
    }
    # Own reviews were posted 100 h (two), 50 h and 40 h ago: two days with reviews.
    trend = [(p["bucket"], p["items"], p["rating"]) for p in r["trend"]["points"]]
    assert trend == [("2026-11-19", 2, 3.0), ("2026-11-21", 2, 3.0)]


def test_only_products_that_got_worse_are_listed_as_worse(shop: Cli, tmp_path: Path) -> None:
    """p1 fell 4.5 -> 3.0; p2 rose 2.0 -> 4.5; p3 stayed at 4.0: only p1 got worse."""
    rows = [
        _item(20, 24 * 40, 2, product="p2"), _item(21, 24 * 41, 2, product="p2"),
        _item(22, 10, 4, product="p2"), _item(23, 11, 5, product="p2"),
        _item(24, 24 * 40, 4, product="p3"), _item(25, 24 * 41, 4, product="p3"),
        _item(26, 10, 4, product="p3"), _item(27, 11, 4, product="p3"),
    ]  # fmt: skip
    with open_store(tmp_path / "r.db") as store, store.transaction():
        store.upsert_items(rows, _analysis, NOW)
    worse = _report(shop)["worst_products"]
    assert [(w["product_id"], w["change"]) for w in worse] == [("p1", -1.5)]


def test_formats_escape_hostile_text_and_keep_keys_across_locales(
    shop: Cli, tmp_path: Path
) -> None:
    shop("show", "3")  # the hostile review is in the store
    html = shop("report", "--format", "html", "--locale", "ru").stdout
    assert (
        "<script>" not in html and "&lt;script&gt;" not in html
    )  # review text is not in the report
    assert html.count("<svg") == 3 and "Отчёт о репутации: 24.10.2026 – 23.11.2026" in html
    assert "Повреждение" in html or "Поврежд" in html  # the topic's Russian label
    md = shop("report", "--format", "md", "--locale", "en").stdout
    assert md.startswith("# Reputation report: 2026-10-24 – 2026-11-23")
    csv_en = shop("report", "--format", "csv", "--locale", "en").stdout
    csv_ru = shop("report", "--format", "csv", "--locale", "ru").stdout
    assert csv_en == csv_ru
    rows = list(csv.DictReader(io.StringIO(csv_en)))
    assert {"section": "answers", "key": "p90_hours", "value": "10.0"} in rows
    out = tmp_path / "r.html"
    assert shop("report", "--format", "html", "--output", str(out)).exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_hostile_text_in_reports_that_show_it() -> None:
    from repcli.render import formats, report_view

    r = {"schema": "repcli.report/1", "period": {"since": "2026-11-01T00:00:00Z", "until": "2026-11-02T00:00:00Z"},
         "totals": {"items": 1, "negatives": 1, "previous_items": 0, "previous_negatives": 0},
         "rating": {"average": 1.0, "previous_average": None, "distribution": {"1": 1}},
         "answers": {"response_rate": None, "median_hours": None, "p90_hours": None, "sla_breaches": 0},
         "topics": [], "worst_products": [{"product_id": "x", "product_name": HOSTILE, "rating": 1.0, "previous": 5.0, "change": -4.0}],
         "reply_effect": {"answered": 0, "changed": 0, "improved": 0, "average_change": None},
         "forecast": [], "comparison": [], "suspicious": {"extortion": 0, "bursts": 0, "one_star_authors": 0},
         "trend": {"points": []}}  # fmt: skip
    page = report_view.to_html(r, "en")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in report_view.to_markdown(r, "en")
    evil = dict(r, worst_products=[dict(r["worst_products"][0], product_name='=HYPERLINK("x")')])
    cells = report_view.to_csv(evil)
    assert "'=HYPERLINK" in cells and ",=HYPERLINK" not in cells
    assert formats.csv_cell('=HYPERLINK("http://evil")').startswith("'=")


def test_report_on_the_demo_and_bad_options(cli: Cli) -> None:
    cli("check", "-q", "--format", "json")
    r = _report(cli, "--since", "7d")
    assert r["totals"]["items"] > 100 and r["suspicious"]["extortion"] == 12
    assert cli("report", "--locale", "de").exit_code == 2
    assert cli("report", "--since", "2d", "--until", "3d").exit_code == 2


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_the_html_report_renders_its_charts_in_chromium(shop: Cli, tmp_path: Path) -> None:
    import subprocess

    page = tmp_path / "report.html"
    shop("report", "--format", "html", "--output", str(page))
    dom = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    assert dom.count("<svg") == 3 and 'id="trend"' in dom and "<path" in dom
    shot = tmp_path / "report.png"
    subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
         "--window-size=800,1400", page.as_uri()],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    assert shot.stat().st_size > 10_000


def test_export_delta_mode_and_other_tables(cli: Cli) -> None:
    def rows(*args: str, now: str = "2026-11-23T09:00:00Z") -> list[dict]:  # type: ignore[type-arg]
        result = cli("export", *args, "--format", "jsonl", env={"REPCLI_NOW": now})
        assert result.exit_code == 0, result.output
        return [json.loads(x) for x in result.stdout.splitlines()]

    cli("check", "-q", "--format", "json")
    first = rows("--since", "last-run")
    assert len(first) == 377  # the first run of a bookmark exports everything
    assert rows("--since", "last-run") == []  # nothing changed since
    cli("mark", "resolved", "5", env={"REPCLI_NOW": "2026-11-23T10:00:00Z"})
    cli("reply", "7", "--text", "Спасибо!", env={"REPCLI_NOW": "2026-11-23T10:00:00Z"})
    later = rows("--since", "last-run", now="2026-11-23T11:00:00Z")
    assert sorted(r["id"] for r in later) == [5, 7]
    assert [r["status"] for r in later if r["id"] == 5] == ["resolved"]
    events = rows("--what", "events", "--since", "last-run", now="2026-11-23T11:00:00Z")
    assert [(e["item_id"], e["action"]) for e in events] == [
        (5, "status resolved"),
        (7, "reply drafted"),
    ]
    replies = rows("--what", "replies")
    assert list(replies[0]) == ["id", "item_id", "source", "status", "template", "text", "author",
                                "created_at", "updated_at", "approved_at", "posted_at", "attempts",
                                "platform_error", "external_id"]  # fmt: skip
    # A named bookmark is separate from the default one.
    assert len(rows("--since", "last-run", "--name", "crm")) == 377


SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.mark.parametrize(
    ("fmt", "locale"), [("md", "ru"), ("md", "en"), ("csv", "en"), ("json", "uk")]
)
def test_report_snapshots(shop: Cli, fmt: str, locale: str) -> None:
    """The whole report of the hand-made store, byte for byte. After an intended change:
    REPCLI_UPDATE_SNAPSHOTS=1 pytest tests/test_report.py, then read the diff."""
    import os

    text = shop("report", "--format", fmt, "--locale", locale).stdout
    snapshot = SNAPSHOTS / f"report_{locale}.{fmt}"
    if os.environ.get("REPCLI_UPDATE_SNAPSHOTS"):
        snapshot.write_text(text, encoding="utf-8")
    assert text == snapshot.read_text(encoding="utf-8")

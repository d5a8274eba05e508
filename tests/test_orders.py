"""Orders: import (idempotent, refused whole on a bad row), linking reviews, invitations."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repcli.errors import InputError
from repcli.orders import names_fit, read_orders
from tests.conftest import ROOT, Cli

DEMO_ORDERS = ROOT / "examples" / "orders-demo.csv"


def _jsonl(text: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def checked(cli: Cli, tmp_path: Path) -> Cli:
    assert cli("check", "-q", "--format", "json").exit_code == 0
    shutil.copy(DEMO_ORDERS, tmp_path / "orders.csv")
    return cli


def test_import_is_idempotent_links_reviews_and_updates_corrections(
    checked: Cli, tmp_path: Path
) -> None:
    first = checked("orders", "import", str(tmp_path / "orders.csv"), "--platform", "wildberries")
    assert first.exit_code == 0, first.output
    assert "16 order rows read: 16 new, 0 updated, 0 unchanged; 10 review(s) linked" in first.stderr
    again = checked("orders", "import", str(tmp_path / "orders.csv"), "--platform", "wildberries")
    assert "0 new, 0 updated, 16 unchanged; 0 review(s) linked" in again.stderr

    text = (
        (tmp_path / "orders.csv")
        .read_text(encoding="utf-8")
        .replace("Павел Громов", "Павел Громов-Ильин")
    )
    (tmp_path / "orders.csv").write_text(text, encoding="utf-8")
    fixed = checked("orders", "import", str(tmp_path / "orders.csv"), "--platform", "wildberries")
    assert "0 new, 1 updated, 15 unchanged" in fixed.stderr

    shown = json.loads(checked("show", "1", "--format", "json").stdout)
    assert shown["item"]["verified_buyer"] is True
    assert shown["item"]["order"]["order_id"] == "WB-77310001"
    assert shown["item"]["order"]["customer"] == "Анна Котова"
    assert shown["item"]["order"]["ordered_at"] == "2026-11-14T04:30:00.000000Z"
    assert shown["item"]["history"][-1]["action"] == "order linked"
    assert "Анна Котова bought this product 2026-11-14" in shown["item"]["history"][-1]["detail"]


def test_a_reply_names_the_linked_order(checked: Cli, tmp_path: Path) -> None:
    checked("orders", "import", str(tmp_path / "orders.csv"))
    templates = tmp_path / "t.yaml"
    templates.write_text(
        "templates:\n  - name: thanks\n    text: '{customer}, заказ {order} от {date}: спасибо!'\n",
        encoding="utf-8",
    )
    with checked.config.open("a", encoding="utf-8") as fh:  # type: ignore[union-attr]
        fh.write(f"\nworkflow:\n  templates: {templates}\n")
    result = checked("reply", "1", "--template", "thanks", "--preview")
    assert result.stdout.strip() == "Анна, заказ WB-77310001 от 23.11.2026: спасибо!"


def test_invitations_are_buyers_without_a_review(checked: Cli, tmp_path: Path) -> None:
    checked("orders", "import", str(tmp_path / "orders.csv"))
    rows = list(csv.DictReader(io.StringIO(checked("orders", "invite", "--format", "csv").stdout)))
    # Bought 16-21 days ago (delivered two days later, so 14-19 days ago): all six unreviewed.
    assert [r["order_id"] for r in rows] == [f"WB-773100{n}" for n in (16, 15, 14, 13, 12, 11)]
    assert list(rows[0]) == ["order_id", "customer", "email", "phone", "product_id",
                             "product_name", "ordered_at", "delivered_at"]  # fmt: skip
    narrow = checked("orders", "invite", "--days", "15", "--window", "2", "--format", "jsonl")
    assert [r["order_id"] for r in _jsonl(narrow.stdout)] == ["WB-77310013", "WB-77310012"]


def test_a_bad_row_refuses_the_whole_file(checked: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "Номер заказа;Покупатель;Дата заказа\nA-1;Анна;14.11.2026\nA-2;Олег;вчера\n;Ира;15.11.2026\n",
        encoding="utf-8",
    )
    result = checked("orders", "import", str(bad))
    assert result.exit_code == 7
    assert f"{bad}:3: column 'Дата заказа'" in result.stderr and "'вчера'" in result.stderr
    assert f"{bad}:4: column 'Номер заказа': the order number is empty" in result.stderr
    assert _jsonl(checked("orders", "list", "--format", "jsonl").stdout) == []


def test_unknown_headers_need_a_map(checked: Cli, tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("Ref,When,Who\nX-1,2026-11-10,Анна Котова\n", encoding="utf-8")
    result = checked("orders", "import", str(odd))
    assert result.exit_code == 7
    assert "no column for order_id and ordered_at" in result.stderr and "'Ref'" in result.stderr
    ok = checked("orders", "import", str(odd), "--map", "order_id=Ref", "--map", "ordered_at=When",
                 "--map", "customer=Who")  # fmt: skip
    assert ok.exit_code == 0 and "1 new" in ok.stderr


def test_ambiguous_matches_stay_unlinked(checked: Cli, tmp_path: Path) -> None:
    two = tmp_path / "two.csv"
    two.write_text(
        "order_id,customer,product_id,ordered_at\n"
        "Z-1,Анна Котова,148203377,2026-11-10\nZ-2,Анна Смирнова,148203377,2026-11-12\n",
        encoding="utf-8",
    )
    result = checked("orders", "import", str(two))
    assert "0 review(s) linked" in result.stderr  # review 1 by "Анна" fits both


def test_invite_csv_is_formula_safe(checked: Cli, tmp_path: Path) -> None:
    evil = tmp_path / "evil.csv"
    evil.write_text(
        'order_id,customer,ordered_at\nE-1,"=HYPERLINK(""http://x"",""y"")",2026-11-05\n',
        encoding="utf-8",
    )
    checked("orders", "import", str(evil))
    out = checked("orders", "invite", "--format", "csv").stdout
    assert "'=HYPERLINK" in out and ",=HYPERLINK" not in out


@pytest.mark.parametrize(
    ("author", "customer", "fits"),
    [
        ("Анна К.", "Анна Котова", True),
        ("Анна", "Котова Анна", True),
        ("Алёна", "Алена Смирнова", True),
        ("Анна К.", "Анна Смирнова", False),
        ("Покупатель", "Покупатель Иванов", False),
        ("Oleg", None, False),
    ],
)
def test_names_fit(author: str, customer: str | None, fits: bool) -> None:
    assert names_fit(author, customer) is fits


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_any_file_gives_orders_or_an_input_error(data: bytes) -> None:
    try:
        rows = read_orders(data, "x.csv", {})
    except InputError as exc:
        assert exc.message
    else:
        assert all(r["order_id"] and r["ordered_at"] for r in rows)

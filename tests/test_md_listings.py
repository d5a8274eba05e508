"""`list`, `queue` and `search --format md` show an item as `check --format md` does: times in
`output.timezone`, the ID linked to the item's page, every cell escaped (render/item_md.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Cli

REVIEWS = [
    {
        "id": "1",
        "date": "2026-11-22T10:00:00Z",
        "rating": 1,
        "author": "Анна *bold* _x_",
        "product": "Набор [3 шт](http://evil.example) | ~x~",
        "text": "Ужасно, сломалось сразу, верните деньги",
        "url": "https://shop.example/r/1?a=b&c=(d) e",
    },
    {
        "id": "2",
        "date": "2026-11-21T23:30:00Z",
        "rating": 2,
        "author": "Олег",
        "product": "Плед",
        "text": "Сломалось через неделю, верните деньги",
        "url": "javascript:alert(1)",
    },
]
HEADER = "| ID | Posted (Europe/Moscow) | Source | Rating | Product | Author | Text | Why |"
ANNA = (
    "| [1](https://shop.example/r/1?a=b&c=%28d%29%20e) | 2026-11-22 13:00 | f | ★☆☆☆☆ | "
    r"Набор \[3 шт\](http://evil.example) \| \~x\~ | Анна \*bold\* \_x\_ | "
    "Ужасно, сломалось сразу, верните деньги |"
)
OLEG = "| 2 | 2026-11-22 02:30 | f | ★★☆☆☆ | Плед | Олег | Сломалось через неделю, верните деньги |"


@pytest.fixture
def shop(tmp_path: Path) -> Cli:
    data = tmp_path / "reviews.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in REVIEWS), "utf-8")
    config = tmp_path / "repcli.yaml"
    config.write_text(
        f"store: {tmp_path / 'r.db'}\noutput: {{timezone: Europe/Moscow}}\n"
        f"sources:\n  - name: f\n    type: file\n    path: {data}\n"
        "    columns: {external_id: id, text: text, rating: rating, created_at: date,"
        " author: author, product_name: product, url: url}\n",
        encoding="utf-8",
    )
    cli = Cli(config)
    assert cli("fetch", "-q", "--format", "json").exit_code == 0
    return cli


def _rows(markdown: str) -> list[str]:
    """Each table row up to its Why cell (which says what analysis found)."""
    return [line.rsplit(" | ", 1)[0] + " |" for line in markdown.splitlines()[4:]]


@pytest.mark.parametrize(
    ("command", "title"),
    [
        (("list",), "### Items (2)"),
        (("queue",), "### Reply queue (2)"),
        (("search", "сломалось"), "### Search 'сломалось' (2)"),
    ],
)
def test_listings_in_md_use_the_zone_and_links(
    shop: Cli, command: tuple[str, ...], title: str
) -> None:
    out = shop(*command, "--format", "md").stdout
    assert out.splitlines()[:4] == [title, "", HEADER, "|---|---|---|---|---|---|---|---|"]
    assert sorted(_rows(out)) == sorted([ANNA, OLEG])  # no javascript: link for #2


def test_a_listing_row_is_the_row_of_checks_mail(shop: Cli) -> None:
    mail = shop("check", "-q", "--format", "md", "--limit", "10").stdout
    listed = shop("list", "--negative", "--format", "md").stdout
    table = [line for line in mail.splitlines() if line.startswith("| ")]
    assert table[0] == HEADER and sorted(table[1:]) == sorted(listed.splitlines()[4:])


def test_a_markdown_title_is_escaped(shop: Cli) -> None:
    out = shop("search", "*_|", "--format", "md").stdout
    assert out.splitlines()[0] == r"### Search '\*\_\|' (0)"

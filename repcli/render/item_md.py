"""Items as Markdown table rows: the one way every md listing shows an item.

`list`, `queue` and `search --format md` and the "New negative" table of `check --format md` all
use it: the time in `output.timezone` (the zone named in the header), the ID linked to the item's
page on its platform (http and https addresses only), product and author shortened, the text cut
at 200 characters with attachments named, and every cell cleaned and escaped (`formats.md_cell`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import TYPE_CHECKING

from repcli.render import human
from repcli.render.formats import md_cell, md_link, md_table

if TYPE_CHECKING:
    from repcli.store.rows import ItemRow


def zone_name(zone: tzinfo) -> str:
    """'Europe/Moscow' for a ZoneInfo, else the zone's own name ('UTC')."""
    return str(getattr(zone, "key", None) or zone)


def headers(zone: tzinfo) -> tuple[str, ...]:
    return (
        "ID",
        f"Posted ({zone_name(zone)})",
        "Source",
        "Rating",
        "Product",
        "Author",
        "Text",
        "Why",
    )


def row(record: ItemRow, zone: tzinfo) -> tuple[str, ...]:
    """One item's cells, escaped (the ID's link is made before escaping could spoil it)."""
    rating = record.get("rating")
    return (
        md_link(record["id"], record.get("url")),
        md_cell(human.zoned_time(record.get("created_at"), zone)),
        md_cell(record.get("source")),
        md_cell(human.stars(rating) if rating else record.get("kind")),
        md_cell(human.shorten(record.get("product_name"), 60)),
        md_cell(human.shorten(record.get("author"), 40)),
        md_cell(human.item_text(record, 200)),
        md_cell(human.why(record)),
    )


def table(records: Sequence[ItemRow], zone: tzinfo) -> list[str]:
    """The table's lines: header, separator, one row per item."""
    return md_table(headers(zone), [row(r, zone) for r in records])

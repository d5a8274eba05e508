"""`check --format md`: the daily check as a mail, with every section the terminal shows.

A heading and a one-line summary, then only the sections that have something: new negative
items, extortion, signals, items customers edited, failed sources, rejected rows, alerts not
sent, and the --fail-on rules that matched. With nothing in any of them the mail is empty (the
empty string): cron mails only output that is not empty. Times are in `output.timezone`; an ID
links to the item's page on its platform; data is cleaned and escaped (`formats.md_text`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from repcli.render import human, item_md
from repcli.render.formats import md_cell, md_link, md_table, md_text

if TYPE_CHECKING:
    from repcli.store.rows import ChangedItemRow, ItemRow

SIGNALS_PER_KIND = 3
"""Signals of one kind in the mail; `repcli signals` lists them all."""


@dataclasses.dataclass(frozen=True)
class CheckMail:
    now: datetime
    zone: tzinfo
    shop: str | None
    summary: Mapping[str, Any]
    """check's summary (the JSON output's `summary`)."""
    negatives: Sequence[ItemRow] = ()
    """The new negative items shown (after --limit)."""
    extortion: Sequence[ItemRow] = ()
    changed: Sequence[ChangedItemRow] = ()
    signals: Sequence[dict[str, Any]] = ()
    sources: Sequence[Mapping[str, Any]] = ()
    """Per source: `source`, `rejected`, `error`."""
    alert_failures: Sequence[str] = ()
    matched: str = ""
    """'--fail-on matched: ...' when a rule matched."""

    def has_news(self) -> bool:
        failed = any(s.get("error") for s in self.sources)
        rejected = any(s.get("rejected") for s in self.sources)
        return bool(
            self.summary.get("new_negative")
            or self.changed
            or self.signals
            or failed
            or rejected
            or self.alert_failures
            or self.matched
        )


def render(mail: CheckMail) -> str:
    """The mail's Markdown, or "" when there is nothing to tell."""
    if not mail.has_news():
        return ""
    title = human.zoned_time(mail.now, mail.zone, with_zone=True)
    if mail.shop:
        title = f"{md_text(mail.shop)}, {title}"
    out = [f"# repcli check: {title}", "", _summary(mail.summary)]
    out += _negatives(mail)
    out += _extortion(mail.extortion)
    out += _signals(mail.signals)
    out += _changed(mail.changed)
    failed = [s for s in mail.sources if s.get("error")]
    if failed:
        out += [f"\n## Failed sources ({len(failed)})\n"]
        out += [f"- **{md_text(s['source'])}**: {_inline(s['error'])}" for s in failed]
    rejected = [s for s in mail.sources if s.get("rejected")]
    if rejected:
        total = sum(int(s["rejected"]) for s in rejected)
        out += [f"\n## Rejected rows ({total})\n"]
        out += [
            f"- **{md_text(s['source'])}**: {_count(int(s['rejected']), 'row')} set aside this "
            "run (`repcli status` shows why)"
            for s in rejected
        ]
    if mail.alert_failures:
        out += [f"\n## Alerts not sent ({len(mail.alert_failures)})\n"]
        out += [f"- {_inline(f)} (retried next run)" for f in mail.alert_failures]
    if mail.matched:
        out += ["", md_text(mail.matched)]
    return "\n".join(out) + "\n"


def _summary(s: Mapping[str, Any]) -> str:
    parts = [
        _count(int(s.get("new_items") or 0), "new item"),
        f"**{s.get('new_negative') or 0} new negative**",
    ]
    if s.get("extortion"):
        parts.append(f"{s['extortion']} extortion")
    if s.get("changed"):
        parts.append(f"{s['changed']} edited")
    if s.get("signals"):
        parts.append(_count(int(s["signals"]), "signal"))
    waiting = f"{s.get('waiting_for_answer') or 0} waiting for an answer"
    if s.get("overdue"):
        waiting += f" ({s['overdue']} overdue)"
    parts.append(waiting)
    if s.get("failed_sources"):
        parts.append(f"{_count(len(s['failed_sources']), 'source')} failed")
    return " · ".join(parts) + " → `repcli queue`"


def _negatives(mail: CheckMail) -> list[str]:
    total = int(mail.summary.get("new_negative") or 0)
    if not total:
        return []
    out = [f"\n## New negative ({total})\n"]
    out += item_md.table(mail.negatives, mail.zone)  # as `list --format md` shows items
    if total > len(mail.negatives):
        out += ["", f"… and {total - len(mail.negatives)} more: `repcli list --negative`"]
    return out


def _extortion(items: Sequence[ItemRow]) -> list[str]:
    if not items:
        return []
    out = [f"\n## Extortion ({len(items)})\n", "Threats for money or a rating: answer first.\n"]
    for r in items:
        who = f" · {md_text(human.shorten(r['author'], 40))}" if r.get("author") else ""
        out.append(
            f"- {md_link('#' + str(r['id']), r.get('url'))} {md_text(r['source'])}{who}: "
            f"{md_text(human.item_text(r, 140))}"
        )
    return out


def _signals(rows: Sequence[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    per_kind: dict[str, int] = {}
    shown = []
    for row in rows:
        per_kind[row["kind"]] = per_kind.get(row["kind"], 0) + 1
        if per_kind[row["kind"]] <= SIGNALS_PER_KIND:
            shown.append(row)
    out = [f"\n## Signals ({len(rows)})\n"]
    out += _table(
        ("Signal", "About", "What", "Items"),
        [
            (
                md_cell(human.SIGNAL_LABELS.get(r["kind"], r["kind"])),
                md_cell(r["subject"]),
                md_cell(r["reason"]),
                md_cell(_ids(r["items"])),
            )
            for r in shown
        ],
    )
    if len(shown) < len(rows):
        out += ["", f"… and {len(rows) - len(shown)} more signals: `repcli signals`"]
    return out


def _changed(rows: Sequence[ChangedItemRow]) -> list[str]:
    if not rows:
        return []
    out = [f"\n## Edited by customers ({len(rows)})\n"]
    out += _table(
        ("ID", "Source", "Rating change", "Product", "Author", "Text now"),
        [
            (
                md_link(r["id"], r.get("url")),
                md_cell(r["source"]),
                md_cell(
                    f"{human.stars(r.get('previous_rating'))} → {human.stars(r.get('rating'))}"
                ),
                md_cell(human.shorten(r.get("product_name"), 60)),
                md_cell(human.shorten(r.get("author"), 40)),
                md_cell(human.item_text(r, 200)),
            )
            for r in rows
        ],
    )
    return out


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Cells already escaped (links are made before escaping would spoil them)."""
    return md_table(headers, rows)


def _ids(ids: Sequence[int]) -> str:
    return " ".join(f"#{i}" for i in ids[:6]) + (f" +{len(ids) - 6}" if len(ids) > 6 else "")


def _inline(value: Any) -> str:
    """Text for one list line: whitespace (line breaks too) folded to single spaces."""
    return md_text(" ".join(str(value).split()))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"

"""Rich tables and panels for people at a terminal. Data in, renderables out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from repcli.render import human

if TYPE_CHECKING:
    from repcli.store.rows import (
        AlertRow,
        ChangedItemRow,
        EventRow,
        ItemReplyRow,
        ItemRow,
        OrderRow,
        ReplyListRow,
        VersionRow,
    )

_RATING_STYLE = {1: "bold red", 2: "red", 3: "yellow", 4: "green", 5: "green"}


def _plain(*cells: RenderableType) -> list[RenderableType]:
    """A row's cells with every string as Text: names, errors and review text from the store are
    never read as rich markup (a `[/]` in a template or an author crashed the table)."""
    return [Text(human.safe(c)) if isinstance(c, str) else c for c in cells]


def _rating(record: ItemRow) -> Text:
    rating = record.get("rating")
    if rating is None:
        label = {"question": "question", "comment": "comment"}.get(record.get("kind", ""), "–")
        return Text(label, style="cyan" if record.get("kind") == "question" else "dim")
    return Text(human.stars(rating), style=_RATING_STYLE.get(rating, ""))


def _who(record: ItemRow) -> Text:
    text = Text(human.shorten(record.get("product_name"), 40))
    author = record.get("author")
    if author:
        text.append(("\n" if text else "") + human.shorten(author, 22), style="dim")
    return text


def _why(record: ItemRow) -> Text:
    text = Text()
    for reason in record.get("reasons") or []:
        style = "bold magenta" if "extortion" in reason else "yellow"
        text.append(("; " if text else "") + human.shorten(reason, 60), style=style)
    topics = [t for t in record.get("topics") or [] if t != "extortion"]
    if topics:
        text.append((" " if text else "") + " ".join(f"#{t}" for t in topics), style="blue")
    return text


def _due(record: ItemRow, now: datetime) -> Text:
    if record.get("answer_text"):
        return Text("answered", style="green")
    if not record.get("needs_reply"):
        return Text("")
    label, overdue = human.due(record.get("due_at"), now)
    return Text(label, style="bold red" if overdue else "yellow")


def _body(record: ItemRow) -> Text:
    """The text, then a dim line with product and author, then why it was flagged."""
    body = Text(human.item_text(record))
    who = " · ".join(
        human.shorten(v, 40) for v in (record.get("product_name"), record.get("author")) if v
    )
    if record.get("assignee"):
        who += (" · " if who else "") + f"→ {human.safe(record['assignee'])}"
    if who:
        body.append("\n" + who, style="dim")
    why = _why(record)
    if why.plain:
        body.append("\n")
        body.append_text(why)
    return body


def items_table(records: Sequence[ItemRow], now: datetime, title: str | None = None) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("ID", justify="right", style="bold", no_wrap=True)
    table.add_column("Posted", no_wrap=True)
    table.add_column("Rating", no_wrap=True)
    table.add_column("Reply due", no_wrap=True)
    table.add_column("Text  [dim](product · author)[/dim]  why", min_width=30)
    for r in records:
        posted = Text(human.age(r.get("created_at"), now))
        posted.append("\n" + r["source"], style="dim")
        table.add_row(str(r["id"]), posted, _rating(r), _due(r, now), _body(r))
    return table


def changed_table(records: Sequence[ChangedItemRow], now: datetime, title: str) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("ID", justify="right", style="bold")
    table.add_column("Source", no_wrap=True)
    table.add_column("Rating change", no_wrap=True)
    table.add_column("Author", max_width=20)
    table.add_column("Text now", ratio=1, min_width=30)
    for r in records:
        before, after = r.get("previous_rating"), r.get("rating")
        change = Text(human.stars(before), style=_RATING_STYLE.get(before or 0, ""))
        change.append(" → ")
        change.append(human.stars(after), style=_RATING_STYLE.get(after or 0, ""))
        table.add_row(
            *_plain(str(r["id"]), r["source"], change, r.get("author") or "", human.item_text(r))
        )
    return table


def _buyer(order: OrderRow | None) -> Text:
    if not order:
        return Text("")
    text = Text("verified", style="green")
    bought = (order.get("ordered_at") or "")[:10]
    who = human.safe(order.get("customer") or "")
    text.append(f": {who}, bought {bought}" if who else f": bought {bought}")
    return text


def item_detail(
    record: ItemRow,
    versions: Sequence[VersionRow],
    replies: Sequence[ItemReplyRow],
    now: datetime,
    history: Sequence[EventRow] = (),
    order: OrderRow | None = None,
) -> RenderableType:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    heading = Text(f"#{record['id']} ", style="bold")
    heading.append(f"{record['kind']} on {record['source']} ({record['platform']})")
    rows: list[tuple[str, RenderableType]] = [
        ("Rating", _rating(record)),
        (
            "Posted",
            Text(
                f"{human.local_time(record['created_at'])} ({human.age(record['created_at'], now)})"
            ),
        ),
        ("Product", Text(human.safe(record.get("product_name") or ""))),
        ("Author", Text(human.safe(record.get("author") or ""))),
        ("Order", Text(human.safe(record.get("order_id") or (order and order["order_id"]) or ""))),
        ("Buyer", _buyer(order)),
        ("Language", Text(record.get("lang") or "")),
        ("Status", Text(record.get("status") or "")),
        ("Assignee", Text(record.get("assignee") or "")),
        ("Reply due", _due(record, now)),
        (
            "Negative",
            Text(f"yes (score {record['sentiment_score']})" if record.get("negative") else "no"),
        ),
        ("Why", _why(record)),
        ("Link", Text(record.get("url") or "", style="blue")),
    ]
    for label, value in rows:
        if value.plain if isinstance(value, Text) else value:
            grid.add_row(label, value)
    parts: list[RenderableType] = [heading, grid]
    texts: tuple[tuple[str, Literal["title", "text", "pros", "cons"]], ...] = (
        ("Title", "title"), ("Text", "text"), ("Pros", "pros"), ("Cons", "cons"),
    )  # fmt: skip
    for label, key in texts:
        if record.get(key):
            parts.append(Text(f"\n{label}:", style="bold"))
            parts.append(Text(human.safe(record[key])))
    if record.get("answer_text"):
        parts.append(
            Text(
                f"\nAnswer on the platform ({human.local_time(record.get('answered_at'))}):",
                style="bold green",
            )
        )
        parts.append(Text(human.safe(record["answer_text"])))
    if versions:
        parts.append(Text("\nEarlier versions:", style="bold"))
        for v in versions:
            line = Text(f"until {human.local_time(v['replaced_at'])}  ")
            line.append(
                human.stars(v.get("rating")), style=_RATING_STYLE.get(v.get("rating") or 0, "")
            )
            line.append("  " + human.shorten(v.get("text"), 200))
            parts.append(line)
    if replies:
        parts.append(Text("\nReplies:", style="bold"))
        for rep in replies:
            line = Text(f"{rep['id']} ")
            line.append(rep["status"], style=_REPLY_STYLE.get(rep["status"], ""))
            line.append(f"  {human.shorten(rep['text'], 200)}")
            if rep.get("platform_error"):
                line.append(
                    f"\n   platform said: {human.shorten(rep['platform_error'], 200)}", style="red"
                )
            parts.append(line)
    if history:
        parts.append(Text("\nHistory:", style="bold"))
        parts.extend(history_lines(history))
    return Group(*parts)


def status_table(rows: Sequence[Mapping[str, Any]], now: datetime) -> RenderableType:
    """The table of sources, then each failed source's last error in full under it (an error
    squeezed into a cell was cut to `f…` at 80 columns and at 120)."""
    table = Table(box=box.SIMPLE_HEAD)
    for name, justify in (
        ("Source", "left"), ("Last run", "left"), ("Result", "left"), ("Items", "right"),
        ("Negative", "right"), ("Open", "right"), ("Newest item", "left"), ("Cursor age", "left"),
    ):  # fmt: skip
        wraps = name in ("Result", "Newest item", "Cursor age")
        table.add_column(name, justify=justify, no_wrap=not wraps, min_width=9 if wraps else None)  # type: ignore[arg-type]
    errors: list[Text] = []
    for r in rows:
        if r.get("last_error"):
            failed = f"failed ×{r['consecutive_failures']}"
            result = Text(failed, style="bold red")
            error = Text(human.safe(r["source"]), style="bold")
            error.append(f" {failed}: ", style="bold red")
            error.append(human.safe(r["last_error"]), style="red")
            errors.append(error)
        elif not r.get("last_run_at"):
            result = Text("never run", style="dim")
        elif r.get("last_run_status") == "running":
            result = Text("running, or killed", style="yellow")
        elif r.get("last_run_status") == "interrupted":
            result = Text("interrupted", style="yellow")
        else:
            result = Text(
                f"ok, {r.get('last_fetched') or 0} fetched, {r.get('last_new') or 0} new",
                style="green",
            )
        if r.get("last_rejected"):  # rows the last run set aside (the `rejects` table)
            result.append(f", {r['last_rejected']} rejected", style="yellow")
        table.add_row(
            Text(human.safe(r["source"])),
            human.age(r.get("last_run_at"), now),
            result,
            str(r["items"]),
            str(r["negative_items"]),
            str(r["open_items"]),
            human.age(r.get("newest_item_at"), now),
            human.age(r.get("cursor_updated_at"), now),
        )
    if not errors:
        return table
    return Group(table, *errors)


def _sla(hours: dict[str, float]) -> str:
    """`24h` when every kind shares a deadline, else `review 24h, question 12h, comment 6h`."""
    if len(set(hours.values())) == 1:
        return f"{next(iter(hours.values())):g}h"
    return ", ".join(f"{kind} {h:g}h" for kind, h in hours.items())


def sources_table(rows: Sequence[dict[str, Any]]) -> Table:
    table = Table(box=box.SIMPLE_HEAD)
    for name in ("Name", "Type", "SLA", "Competitor", "Enabled", "Tags", "Settings"):
        table.add_column(name)
    for r in rows:
        table.add_row(
            *_plain(
                r["name"],
                r["type"],
                _sla(r["sla_hours"]),
                "yes" if r["competitor"] else "",
                "yes" if r["enabled"] else Text("no", style="dim"),
                ", ".join(r["tags"]),
                human.shorten(", ".join(f"{k}={v}" for k, v in r["settings"].items()), 50),
            )
        )
    return table


def run_table(results: Sequence[dict[str, Any]]) -> Table:
    table = Table(box=box.SIMPLE_HEAD)
    for name, justify in (
        ("Source", "left"),
        ("Fetched", "right"),
        ("New", "right"),
        ("Changed", "right"),
        ("Result", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in results:
        result = (
            Text(human.shorten(r["error"], 80), style="red")
            if r["error"]
            else Text("ok", style="green")
        )
        table.add_row(
            *_plain(r["source"], str(r["fetched"]), str(r["new"]), str(r["changed"]), result)
        )
    return table


def analysis_table(rows: Sequence[dict[str, Any]]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Line", justify="right")
    table.add_column("Label", no_wrap=True)
    table.add_column("Score", justify="right")
    table.add_column("Text  [dim]why[/dim]", min_width=30)
    styles = {"negative": "bold red", "neutral": "yellow", "positive": "green"}
    for r in rows:
        body = Text(human.shorten(r["text"], 200))
        why = "; ".join([*r["reasons"], *(f"#{t}" for t in r["topics"])])
        if why:
            body.append("\n" + why, style="dim")
        table.add_row(
            str(r["line"]),
            Text(r["label"], style=styles.get(r["label"], "")),
            f"{r['score']:.2f}",
            body,
        )
    return table


_REPLY_STYLE = {"approved": "green", "posted": "bold green", "failed": "bold red",
                "posting": "yellow", "unknown": "bold yellow", "draft": ""}  # fmt: skip


def replies_table(rows: Sequence[ReplyListRow], now: datetime) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name in ("Reply", "Item", "State", "Updated", "Text"):
        table.add_column(name, no_wrap=name != "Text", ratio=1 if name == "Text" else None)
    for r in rows:
        when = r.get("posted_at") or r.get("approved_at") or r.get("created_at")
        text = Text(human.shorten(r.get("text"), 160))
        if r.get("platform_error"):
            text.append("\n" + human.shorten(r["platform_error"], 160), style="red")
        table.add_row(
            str(r["id"]),
            Text(human.safe(f"#{r['item_id']} {r['source']}")),
            Text(r["status"], style=_REPLY_STYLE.get(r["status"], "")),
            human.age(when, now),
            text,
        )
    return table


def drafts_table(rows: Sequence[dict[str, Any]]) -> Table:
    """`repcli draft`: each item beside the answer drafted for it, to read on one screen."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_lines=True)
    for name in ("Item", "Said", "Draft", "State"):
        table.add_column(
            name, no_wrap=name in ("Item", "State"), ratio=1 if name in ("Said", "Draft") else None
        )
    for r in rows:
        stars = f" {r['rating']}★" if r.get("rating") else ""
        item = Text(human.safe(f"#{r['item_id']}{stars}\n{r['source']}\n{r['kind']} {r['lang']}"))
        draft = Text(human.shorten(r["text"], 400))
        if r.get("template"):
            draft.append(f"\n({r['template']})", style="dim")
        for problem in r.get("problems") or ():
            draft.append(f"\n✗ {problem}", style="red")
        state = Text(r["status"], style=_REPLY_STYLE.get(r["status"], ""))
        if r.get("auto"):
            state.append("\nauto", style="dim")
        elif r.get("fresh"):
            state.append("\nnew", style="dim")
        table.add_row(item, Text(human.shorten(r.get("item_text") or "—", 300)), draft, state)
    return table


def templates_table(rows: Sequence[dict[str, Any]]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name in ("Template", "Lang", "Applies to", "Text"):
        table.add_column(name, no_wrap=name != "Text", ratio=1 if name == "Text" else None)
    for r in rows:
        table.add_row(*_plain(r["name"], r["lang"], r["applies_to"], human.shorten(r["text"], 90)))
    return table


def history_lines(events: Sequence[EventRow]) -> list[Text]:
    lines = []
    for e in events:
        line = Text(f"{human.local_time(e['at'])}  ")
        line.append(e.get("actor") or "", style="bold")
        line.append(f"  {e['action']}")
        if e.get("detail"):
            line.append(f": {human.shorten(e['detail'], 160)}", style="dim")
        lines.append(line)
    return lines


_SIGNAL_LABEL = {
    "burst": "near-duplicates", "one-star-burst": "1★ burst", "one-star-author": "1★-only author",
    "spike": "spike", "topic-cluster": "cluster",
}  # fmt: skip


def signals_table(rows: Sequence[dict[str, Any]], title: str | None = None) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Signal", no_wrap=True, style="bold magenta")
    table.add_column("About", max_width=36)
    table.add_column("What", ratio=1)
    table.add_column("Items", max_width=30)
    for r in rows:
        ids = r["items"]
        items = " ".join(f"#{i}" for i in ids[:6]) + (f" +{len(ids) - 6}" if len(ids) > 6 else "")
        table.add_row(
            *_plain(_SIGNAL_LABEL.get(r["kind"], r["kind"]), r["subject"], r["reason"], items)
        )
    return table


def alerts_table(rows: Sequence[AlertRow], now: datetime) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name in ("Rule", "About", "To", "State", "When", "Error"):
        table.add_column(name, no_wrap=name not in ("Error", "About"))
    for r in rows:
        state = Text(r["status"], style={"sent": "green", "failed": "red"}.get(r["status"], "dim"))
        if r["attempts"] and r["attempts"] > 1:
            state.append(f" ×{r['attempts']}")
        about = f"#{r['item_id']}" if r.get("item_id") else str(r.get("key") or "")
        table.add_row(*_plain(
            r["rule"], about, r["destination"], state, human.age(r.get("sent_at"), now),
            human.shorten(r.get("error"), 80),
        ))  # fmt: skip
    return table


def orders_table(rows: Sequence[Mapping[str, Any]], now: datetime) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    names = ["Order", "Customer", "Contact", "Product", "Bought"]
    if any("review_ids" in r for r in rows):
        names.append("Reviews")
    for name in names:
        table.add_column(name, no_wrap=name in ("Order", "Bought"), max_width=40)
    for r in rows:
        contact = " ".join(v for v in (r.get("email"), r.get("phone")) if v)
        bought = (r.get("ordered_at") or "")[:10]
        if r.get("delivered_at"):
            bought += f"\ndelivered {r['delivered_at'][:10]}"
        reviews = " ".join(f"#{i}" for i in str(r.get("review_ids") or "").split(",") if i)
        cells = [
            human.safe(r.get("order_id")), human.safe(r.get("customer")), human.safe(contact),
            human.safe(r.get("product_name") or r.get("product_id")), bought, reviews,
        ]  # fmt: skip
        table.add_row(*_plain(*cells[: len(names)]))
    return table

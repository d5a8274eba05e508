"""Alerts: turn what a run found into messages for people, through apprise URLs.

Rules (config `alerts.rules`) pick events: new negative items, extortion, near-duplicate and
one-star bursts, spikes, topic clusters, SLA breaches. Each event has a key; the store's alert
log makes a second send of one (rule, key, destination) impossible, keeps failed sends for the
next run, and gives up after `max_attempts`. A digest rule sends one message per destination per
run; otherwise each event is its own message. `throttle` caps messages per destination per run.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from repcli import secrets

if TYPE_CHECKING:
    from repcli.analysis.signals import Signal
    from repcli.config import AlertRule, Config
    from repcli.store import Store
    from repcli.store.rows import ItemRow

log = logging.getLogger(__name__)

DIGEST_LINES = 10
"""Events listed in one digest message; the rest are counted."""
SIGNAL_KINDS = {
    "burst": ("burst", "one-star-burst", "one-star-author"),
    "spike": ("spike",),
    "topic-cluster": ("topic-cluster",),
}
TITLES = {
    "new-negative": "new negative",
    "extortion": "extortion",
    "burst": "suspicious bursts",
    "spike": "negative spikes",
    "topic-cluster": "complaint clusters",
    "sla-breach": "overdue answers",
}

Notify = Callable[[str, str, str], str | None]
"""(apprise URL, title, body) -> None when sent, else what went wrong."""


@dataclasses.dataclass(frozen=True, slots=True)
class Event:
    rule: str
    key: str
    item_id: int | None
    source: str | None
    line: str


@dataclasses.dataclass(slots=True)
class AlertReport:
    sent: int = 0
    """Messages sent."""
    events: int = 0
    """Events those messages carried."""
    failed: list[str] = dataclasses.field(default_factory=list)
    """'rule -> destination: why' for each failed send (retried next run)."""
    given_up: int = 0
    deferred: int = 0
    """Events held back by the throttle, for the next run."""

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _item_line(item: ItemRow, now: datetime) -> str:
    from repcli.render import human

    stars = human.stars(item.get("rating")) if item.get("rating") else item["kind"]
    who = f" · {human.shorten(item['author'], 60)}" if item.get("author") else ""
    due = ""
    if item.get("due_at") and not item.get("answer_text"):
        label, _ = human.due(item["due_at"], now)
        due = f" (answer {label})"
    text = human.item_text(item, 140)
    return f"#{item['id']} {stars} {item['source']}{who}: «{text}»{due}"


def _signal_line(signal: Signal) -> str:
    ids = ", ".join(f"#{i}" for i in signal.item_ids[:8])
    more = f" +{len(signal.item_ids) - 8}" if len(signal.item_ids) > 8 else ""
    return f"{signal.subject}: {signal.reason} ({ids}{more})"


def collect(
    config: Config,
    store: Store,
    now: datetime,
    fresh_ids: Collection[int] | None = None,
    fresh_signals: Sequence[Signal] | None = None,
) -> dict[str, list[Event]]:
    """The events each configured rule would alert on now (before de-duplication).

    With `fresh_ids` (what `check` just fetched, new or changed), the signals are those these
    items take part in (`signals.fresh`, read near them: the day's cost; `fresh_signals` when
    the caller has found them already); without, every signal of the window
    (`signals.detect`)."""
    from repcli.store import ItemFilter

    wanted = {rule.rule for rule in config.alerts.rules}
    competitors = [s.name for s in config.sources if s.competitor]
    events: dict[str, list[Event]] = {}
    if wanted & {"new-negative", "extortion"}:
        since = now - timedelta(hours=config.alerts.lookback_hours)
        negatives = store.recently_seen_negatives(since, competitors)
        events["new-negative"] = [
            Event("new-negative", str(r["id"]), r["id"], r["source"], _item_line(r, now))
            for r in negatives
        ]
        events["extortion"] = [
            Event("extortion", str(r["id"]), r["id"], r["source"], _item_line(r, now))
            for r in negatives
            if "extortion" in (r.get("topics") or ())
        ]
    if "sla-breach" in wanted:
        events["sla-breach"] = [
            Event("sla-breach", str(r["id"]), r["id"], r["source"], _item_line(r, now))
            for r in store.overdue(now, ItemFilter(), exclude_sources=competitors)
        ]
    if wanted & set(SIGNAL_KINDS):
        from repcli.analysis import signals

        since = now - timedelta(days=config.signals.baseline_days + 2)
        if fresh_ids is not None and fresh_signals is not None:
            found = list(fresh_signals)
        elif fresh_ids is None:
            records = store.recent_for_signals(since, competitors)
            found = signals.detect(records, now, config.signals)
        else:
            window = store.signal_window(since, competitors)
            found = signals.fresh(window, fresh_ids, now, config.signals)
        for rule, kinds in SIGNAL_KINDS.items():
            events[rule] = [
                Event(rule, s.key, None, None, _signal_line(s)) for s in found if s.kind in kinds
            ]
    return events


def apprise_notify(url: str, title: str, body: str) -> str | None:
    """Send through apprise; None when sent, else apprise's own complaint (redacted).

    Title and body are declared plain text: apprise escapes them for each service's own format
    (Slack's `&`, `<`, `>`, so `<!channel>` or `<url|label>` from a review is shown, not acted
    on; Telegram's HTML, so a stray `<` cannot make Telegram refuse the message)."""
    import apprise

    from repcli.render import human

    messages: list[str] = []

    class _Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                messages.append(record.getMessage())

    handler = _Catch()
    apprise_log = logging.getLogger("apprise")
    apprise_log.addHandler(handler)
    try:
        sender = apprise.Apprise()
        if not sender.add(url):
            return "apprise does not understand this URL (see its list of services)"
        ok = sender.notify(
            body=human.strip_controls(body),
            title=human.strip_controls(title),
            body_format=apprise.NotifyFormat.TEXT,
        )
    finally:
        apprise_log.removeHandler(handler)
    if ok:
        return None
    return secrets.redact("; ".join(messages[-2:]) or "the service refused the message")


def _message(rule: AlertRule, events: Sequence[Event], shop: str | None) -> tuple[str, str]:
    name = TITLES[rule.rule]
    prefix = f"{shop}: " if shop else "repcli: "
    if len(events) == 1:
        return f"{prefix}{name}", events[0].line
    lines = [f"• {e.line}" for e in events[:DIGEST_LINES]]
    if len(events) > DIGEST_LINES:
        lines.append(f"… and {len(events) - DIGEST_LINES} more: repcli list --negative")
    return f"{prefix}{len(events)} {name}", "\n".join(lines)


def send(
    config: Config,
    store: Store,
    now: datetime,
    notify: Notify = apprise_notify,
    fresh_ids: Collection[int] | None = None,
    fresh_signals: Sequence[Signal] | None = None,
) -> AlertReport:
    """Alert on everything new since the last run, once per destination (signals: see
    `collect`'s `fresh_ids` and `fresh_signals`)."""
    report = AlertReport()
    settings = config.alerts
    if not settings.rules:
        return report
    events = collect(config, store, now, fresh_ids, fresh_signals)
    budget = dict.fromkeys(settings.destinations, settings.throttle)
    down: set[str] = set()  # failed once this run: its other events wait for the next run
    for rule in settings.rules:
        candidates = [
            e
            for e in events.get(rule.rule, [])
            if not rule.sources or e.source is None or e.source in rule.sources
        ]
        for dest in rule.to:
            states = store.alert_states(rule.rule, dest)
            pending = [
                e
                for e in candidates
                if (states[e.key]["status"] if e.key in states else None) in (None, "failed")
            ]
            if not pending:
                continue
            batches = [pending] if rule.digest else [[e] for e in pending]
            for batch in batches:
                if dest in down:
                    break
                if budget[dest] <= 0:
                    report.deferred += len(batch)
                    continue
                budget[dest] -= 1
                title, body = _message(rule, batch, config.shop)
                error = notify(settings.destinations[dest], title, body)
                rows = [(e.key, e.item_id, e.line) for e in batch]
                with store.transaction():
                    store.record_alerts(rule.rule, dest, rows, now, error, settings.max_attempts)
                if error is None:
                    report.sent += 1
                    report.events += len(batch)
                else:
                    down.add(dest)
                    report.failed.append(f"{rule.rule} -> {dest}: {error}")
                    log.info("alert %s -> %s failed: %s", rule.rule, dest, error)
    report.given_up = len(store.alert_log(statuses=("given-up",)))
    return report

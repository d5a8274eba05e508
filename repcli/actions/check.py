"""check: the daily run. Fetch, then what is new and negative, edited, waiting and overdue; the
fresh signals; the alerts; `--fail-on`; and the negatives marked reported so that each is shown
once."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from repcli.errors import ExitCode

if TYPE_CHECKING:
    from repcli.actions.fetch import Progress
    from repcli.alerts import AlertReport
    from repcli.config.model import Config
    from repcli.pipeline import RunReport
    from repcli.store import Store
    from repcli.store.rows import ChangedItemRow, ItemRow


class FailOn(enum.StrEnum):
    new_negative = "new-negative"
    extortion = "extortion"
    overdue = "overdue"
    new = "new"
    signal = "signal"
    burst = "burst"
    spike = "spike"
    alert_failed = "alert-failed"
    rejects = "rejects"


@dataclasses.dataclass(frozen=True)
class CheckOptions:
    sources: tuple[str, ...] = ()
    """Only these sources (default: every enabled one)."""
    full: bool = False
    """Backfill: fetch everything, not only what is new."""
    fail_on: tuple[FailOn, ...] = ()
    """The rules that make `exit_code` FOUND (10) when they match."""
    alerts: bool = True
    """Send the configured alerts."""
    shown: int = 0
    """At most this many new negatives in `CheckResult.negatives` (0: every one): the rest are
    counted (`summary`), not read."""


@dataclasses.dataclass
class CheckResult:
    run: RunReport
    negatives: list[ItemRow]
    """New negative items not reported before (competitors left out), newest first: the first
    `CheckOptions.shown` of them; `summary["new_negative"]` counts them all."""
    changed: list[ChangedItemRow]
    """Items this run saw edited by their customers."""
    extortion: list[ItemRow]
    """The negatives tagged `extortion`."""
    signals: list[dict[str, Any]]
    """The signals this run's new or changed items are part of (rows: kind, subject, ...)."""
    summary: dict[str, Any]
    """The counts (`summary` in the JSON output)."""
    alerts: AlertReport | None
    """What the alerts sent; None when none were sent (no rules, or `alerts=False`)."""
    matched: list[tuple[str, int]]
    """(rule, how many things it matched) for each `--fail-on` rule that matched."""

    @property
    def sources(self) -> list[dict[str, Any]]:
        """Per source: fetched, new, changed, rejected, error."""
        return source_rows(self.run)

    @property
    def exit_code(self) -> ExitCode:
        """FOUND when a rule matched, else the run's failure code, else OK."""
        if self.matched:
            return ExitCode.FOUND
        return self.run.failure_code or ExitCode.OK


def run(
    config: Config,
    store: Store,
    options: CheckOptions,
    now: datetime,
    *,
    progress: Progress | None = None,
    deliver: Callable[[CheckResult], None] | None = None,
) -> CheckResult:
    """Run the check. `deliver` is given the result before the negatives are marked reported:
    when it raises (a closed pipe), they stay unreported and the next check shows them."""
    from repcli.actions import fetch, signals
    from repcli.store import ItemFilter

    report = fetch.run(
        config, store, now, options.sources, full=options.full, command="check",
        progress=progress,
    )  # fmt: skip
    # A competitor's items are for reports only: never in this queue, --fail-on or alerts.
    competitors = signals.competitors(config)
    # Counted, and only the rows shown read: a first check of a whole history has its every
    # negative new. `last` bounds the marking below to the items stored by now.
    count, last = store.count_unreported_negatives(options.sources, exclude_sources=competitors)
    negatives = store.unreported_negatives(
        options.sources, exclude_sources=competitors, limit=options.shown
    )
    changed = [
        r
        for r in store.changed_items(now, options.sources)
        if r["id"] in report.changed_ids and r["source"] not in competitors
    ]
    waiting, overdue = store.queue_counts(now, ItemFilter(), exclude_sources=competitors)
    extortion = store.unreported_negatives(
        options.sources, exclude_sources=competitors, topics=["extortion"]
    )
    # Each id once, as runs of consecutive ids (IdRuns): not a set of every new item's id.
    fresh = report.new_ids | report.changed_ids
    found = signals.fresh(config, store, now, fresh)
    signal_rows = [signals.row(s) for s in found]
    summary: dict[str, Any] = {
        "new_items": sum(r.new for r in report.results if r.source not in competitors),
        "competitor_new_items": sum(r.new for r in report.results if r.source in competitors),
        "new_negative": count,
        "changed": len(changed),
        "extortion": len(extortion),
        "waiting_for_answer": waiting,
        "overdue": overdue,
        "signals": len(signal_rows),
        "rejected": sum(r.rejected for r in report.results),
        "failed_sources": [r.source for r in report.failed],
    }
    sent = None
    if config.alerts.rules and options.alerts:
        from repcli import alerts

        # Signals near this run's new and changed items only: the day's cost, not the history's;
        # those found above, not looked for a second time.
        sent = alerts.send(config, store, now, fresh_ids=fresh, fresh_signals=found)
        summary["alerts"] = sent.as_dict()
    result = CheckResult(
        run=report, negatives=negatives, changed=changed, extortion=extortion,
        signals=signal_rows, summary=summary, alerts=sent,
        matched=matched(options.fail_on, summary, signal_rows),
    )  # fmt: skip
    if deliver is not None:
        deliver(result)
    # A competitor's negatives are seen too, though never shown: a source that stops being a
    # competitor brings only its new negatives into the queue, not its whole history at once.
    # One statement by the condition that counted them, not a list of every id.
    store.mark_negatives_reported(
        now, last, options.sources, exclude_sources=competitors, also_sources=competitors
    )
    return result


def source_rows(report: RunReport) -> list[dict[str, Any]]:
    """A run's results, one row per source."""
    return [
        {
            "source": r.source,
            "fetched": r.fetched,
            "new": r.new,
            "changed": r.changed,
            "rejected": r.rejected,
            "error": r.error,
        }
        for r in report.results
    ]


def matched(
    rules: tuple[FailOn, ...], summary: dict[str, Any], signal_rows: list[dict[str, Any]]
) -> list[tuple[str, int]]:
    """(rule, how many things it matched) for each rule that matched, in the order given."""
    kinds = [r["kind"] for r in signal_rows]
    counts = {
        FailOn.new_negative: summary["new_negative"],
        FailOn.extortion: summary["extortion"],
        FailOn.overdue: summary["overdue"],
        FailOn.new: summary["new_items"],
        FailOn.signal: summary["signals"],
        FailOn.burst: sum(k in ("burst", "one-star-burst", "one-star-author") for k in kinds),
        FailOn.spike: kinds.count("spike"),
        FailOn.alert_failed: len(summary.get("alerts", {}).get("failed", [])),
        FailOn.rejects: summary["rejected"],
    }
    return [(rule.value, int(counts[rule])) for rule in dict.fromkeys(rules) if counts[rule]]

"""report: a period's ratings, complaints, answer times, reply effect and forecast, as numbers
(`repcli.report/1`, laid out by `render/report_view.py`)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from repcli.config.model import Config
    from repcli.store import Store


@dataclasses.dataclass(frozen=True)
class ReportOptions:
    since: str | None = None
    """Start of the period: 30d (the default), a date, ..."""
    until: str | None = None
    """End of the period (default: now)."""
    sources: tuple[str, ...] = ()
    product: str | None = None
    target: float = 4.7
    """Target rating for the forecast."""
    locale: str | None = None
    """en, ru or uk (default: `locale` in the config)."""


@dataclasses.dataclass
class ReportResult:
    data: dict[str, Any]
    """The report (schema repcli.report/1)."""
    locale: str
    """The locale to lay it out in."""


def run(config: Config, store: Store, options: ReportOptions, now: datetime) -> ReportResult:
    """The report over the period. NotFoundError for an unknown source, UsageError for an
    unknown locale or a period that ends before it starts."""
    from repcli import report

    lang, start, end = checked(config, options, now)
    data = report.build(
        config, store, now, start, end, options.sources, options.product, options.target
    )
    return ReportResult(data=data, locale=lang)


def checked(
    config: Config, options: ReportOptions, now: datetime
) -> tuple[str, datetime, datetime]:
    """(locale, start, end) of the report the options ask for; the CLI asks before it opens the
    store. NotFoundError for an unknown source, UsageError for an unknown locale or a period that
    ends before it starts."""
    from repcli.errors import UsageError
    from repcli.render import report_view
    from repcli.timespec import parse_since

    for name in options.sources:
        config.source(name)
    lang = options.locale or config.locale
    if lang not in report_view.LOCALES:
        raise UsageError(f"--locale {lang!r} is not one repcli has", "use en, ru or uk")
    start = parse_since(options.since or "30d", now)
    end = parse_since(options.until, now) if options.until else now
    if end <= start:
        raise UsageError("--until must be after --since")
    return lang, start, end

"""The settings model: frozen dataclasses that a loaded `repcli.yaml` becomes.

Plain data: nothing here reads files or the environment (`repcli.config.loader` does), and
nothing here knows a source type or the analysis (their settings are built by the loader with
the registry's classes; the topic tagger is built in `repcli.analysis.topics`).
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from repcli.errors import ConfigError

FORMATS = ("auto", "table", "json", "jsonl", "csv", "md")


@dataclasses.dataclass(frozen=True)
class Thresholds:
    negative_rating: int = 2
    """A rating at or below this is negative (1-5)."""
    neutral_rating: int = 3
    """A rating at or below this (and above negative_rating) is neutral/mixed."""
    text_negative: float = 0.5
    """Text negativity score (0-1) at or above which unrated text is negative."""
    text_flags_high_rating: float = 0.75
    """Score at or above which a complaint in a rated review's text flags it despite its stars."""


@dataclasses.dataclass(frozen=True)
class OutputSettings:
    format: Literal["auto", "table", "json", "jsonl", "csv", "md"] = "auto"
    """Default listing format; auto = table on a terminal, jsonl when piped."""
    limit: int = 50
    """Default number of rows in listings (0 = no limit)."""
    timezone: str = "UTC"
    """Time zone of the times people read in mails (`check --format md`): an IANA name such
    as Europe/Moscow. Machine formats keep UTC."""


@dataclasses.dataclass(frozen=True)
class SlaHours:
    """Answer deadlines in hours, per kind of item (unset: the next level decides)."""

    review: float | None = None
    question: float | None = None
    comment: float | None = None


DEFAULT_SLA = SlaHours(review=24.0, question=24.0, comment=6.0)


@dataclasses.dataclass(frozen=True)
class AutoApproveRule:
    """A narrow rule for drafts approved without a person: 4-5★ reviews with no complaint."""

    ratings: tuple[int, ...] = ()
    """Only these ratings: 4 and/or 5."""
    no_text: bool = False
    """Only reviews without text (a bare rating)."""
    templates: tuple[str, ...] = ()
    """Only drafts from these templates."""
    sources: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class WorkflowSettings:
    """The response workflow: who acts, and where reply templates live."""

    user: str | None = None
    """Your name in item history (default: $REPCLI_USER, then the login name)."""
    templates: str | None = None
    """A YAML file of reply templates (relative to this config); added before the built-in ones."""
    signature: str | None = None
    """Appended to every reply as {signature}; default: the shop's name."""
    builtin_templates: bool = True
    """Also use the built-in RU/UK/EN templates."""
    auto_approve: tuple[AutoApproveRule, ...] = ()
    """Drafts `repcli draft` approves without a person (off by default; praise only)."""


@dataclasses.dataclass(frozen=True)
class SignalSettings:
    """Thresholds of the cross-item signals (repcli/analysis/signals.py)."""

    duplicate_similarity: float = 0.5
    """Shingle similarity (0-1) at which two texts count as near-duplicates."""
    duplicate_min: int = 3
    """Reviews in a near-duplicate group before it is a burst."""
    burst_hours: float = 72.0
    """A burst's reviews all fall within this many hours."""
    one_star_min: int = 3
    """1★ reviews of one product within `burst_hours` that make a one-star burst..."""
    one_star_ratio: float = 3.0
    """...when that is also this many times the product's usual rate."""
    author_min: int = 2
    """Reviews by one author, all 1★, that make a one-star author."""
    spike_min: int = 3
    """Negatives in the last day (per product or topic) before a spike can be called."""
    baseline_days: int = 28
    """Days before the last one that make the spike baseline."""
    cluster_min: int = 3
    """Negatives on one topic within `cluster_days` that make a topic cluster."""
    cluster_days: int = 7


ALERT_RULES = ("new-negative", "extortion", "burst", "spike", "topic-cluster", "sla-breach")
AlertRuleName = Literal[
    "new-negative", "extortion", "burst", "spike", "topic-cluster", "sla-breach"
]


@dataclasses.dataclass(frozen=True)
class AlertRule:
    rule: AlertRuleName
    """What to alert on."""
    to: tuple[str, ...]
    """Destination names (keys of `alerts.destinations`)."""
    digest: bool = True
    """One message per destination per run listing everything, or one message per event."""
    sources: tuple[str, ...] = ()
    """Only events from these sources (default: all but competitors)."""


@dataclasses.dataclass(frozen=True)
class AlertSettings:
    destinations: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Name -> apprise URL (tgram://, slack://, mailto://, json://...); use ${VAR} for tokens."""
    rules: tuple[AlertRule, ...] = ()
    throttle: int = 20
    """At most this many messages to one destination per run; the rest wait for the next."""
    max_attempts: int = 5
    """A failing send is retried on later runs this many times, then given up (and said so)."""
    lookback_hours: float = 48.0
    """Items first seen this recently can still alert (new-negative, extortion)."""


@dataclasses.dataclass(frozen=True)
class AnalysisSettings:
    """How text without a rating is read."""

    comments: Literal["builtin", "accurate"] = "builtin"
    """Unrated comments (VK, Telegram, YouTube, ...): `builtin` (the lexicon and the shipped
    word table, fast) or `accurate` (a multilingual sentence encoder beside them, ~30 ms a
    comment; `pip install 'repcli[accurate]'`)."""


@dataclasses.dataclass(frozen=True)
class OrdersSettings:
    """`repcli orders import` defaults and how reviews are linked to orders."""

    columns: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Order field -> the export's column, for columns the usual headers don't name."""
    date_format: str | None = None
    """strptime format of the export's dates; default: ISO and common shapes (14.05.2026)."""
    encoding: str = "utf-8-sig"
    link_days: int = 60
    """A review links to an order of the same product bought at most this many days before."""


@dataclasses.dataclass(frozen=True)
class SourceConfig:
    name: str
    type: str
    sla_hours: float | None = None
    """Hours within which an item needing an answer must be answered (every kind)."""
    sla: SlaHours = dataclasses.field(default_factory=SlaHours)
    """Per-kind deadlines for this source; override `sla_hours`."""
    competitor: bool = False
    """A competitor's source: stored and reported, never queued for replies."""
    tags: tuple[str, ...] = ()
    enabled: bool = True
    timeout: float | None = 600.0
    """Seconds one run may spend on this source (`timeout:`; null for no limit). Past it the
    source stops with an error; what it stored is kept, the other sources go on, and the next
    run resumes from the cursor. Each request has its own, shorter caps (repcli.http)."""
    settings: Any = None
    """The source type's own settings object (validated by the type's settings dataclass)."""
    unresolved: Mapping[str, ConfigError] = dataclasses.field(
        default_factory=lambda: types.MappingProxyType({}), repr=False, compare=False
    )
    """Credentials (secret settings) that could not be read, by setting: a missing ${VAR}, a
    malformed token. They are None in `settings`; `require_secrets` raises the error."""

    def require_secrets(self) -> None:
        """The ConfigError of a credential that could not be read (file, line, key and
        variable; never the value). Called when the source is built to fetch, post or test:
        offline commands (queue, show, reply drafts, status, sources list) never need one."""
        for error in self.unresolved.values():
            raise ConfigError(error.message, error.hint)


STORE_URL_SCHEMES = ("postgresql", "postgres")
"""The URL schemes `store:` may name (a database server); anything else is a SQLite file path."""


def is_store_url(store: Path | str) -> bool:
    """Whether `store` names a database server (a `postgresql://` URL), not a SQLite file."""
    return isinstance(store, str) and store.partition("://")[0].lower() in STORE_URL_SCHEMES


@dataclasses.dataclass(frozen=True)
class Config:
    path: Path | None
    store: Path | str
    """The SQLite file (a Path), or a PostgreSQL server's URL (a str, `postgresql://...`; its
    password is registered as a secret). Show it through `secrets.redact`."""
    shop: str | None = None
    thresholds: Thresholds = dataclasses.field(default_factory=Thresholds)
    analysis: AnalysisSettings = dataclasses.field(default_factory=AnalysisSettings)
    output: OutputSettings = dataclasses.field(default_factory=OutputSettings)
    sources: tuple[SourceConfig, ...] = ()
    sla: SlaHours = DEFAULT_SLA
    workflow: WorkflowSettings = dataclasses.field(default_factory=WorkflowSettings)
    signals: SignalSettings = dataclasses.field(default_factory=SignalSettings)
    alerts: AlertSettings = dataclasses.field(default_factory=AlertSettings)
    orders: OrdersSettings = dataclasses.field(default_factory=OrdersSettings)
    locale: Literal["en", "ru", "uk"] = "en"
    """Language of reports (headings, labels, dates); machine formats never change."""
    topics: Path | None = None
    """A YAML file of complaint topics that extends or overrides the built-in taxonomy."""

    @property
    def store_label(self) -> str:
        """The store as it may be shown or written down: the file's path, or the URL with its
        user and password masked (`postgresql://***@host/db`)."""
        from repcli.secrets import redact

        return redact(str(self.store))

    @property
    def store_file(self) -> Path:
        """Where files that go with the store are named from (`train`'s model, beside it): the
        SQLite file; for a PostgreSQL store, `<database>.postgresql` in the config's folder."""
        if isinstance(self.store, Path):
            return self.store
        from urllib.parse import urlsplit

        database = urlsplit(self.store).path.strip("/") or "repcli"
        folder = self.path.parent if self.path else Path.cwd()
        return folder / f"{database.replace('/', '_')}.postgresql"

    def sla_hours(self, source: SourceConfig, kind: str) -> float:
        """The answer deadline for `kind` items of `source`: the source's per-kind value, its
        `sla_hours`, the config's `sla:` per kind, then the built-in default."""
        for value in (
            getattr(source.sla, kind, None),
            source.sla_hours,
            getattr(self.sla, kind, None),
            getattr(DEFAULT_SLA, kind, None),
        ):
            if value is not None:
                return float(value)
        return 24.0

    def source(self, name: str) -> SourceConfig:
        for src in self.sources:
            if src.name == name:
                return src
        from repcli.errors import NotFoundError

        known = ", ".join(s.name for s in self.sources) or "none configured"
        raise NotFoundError(f"no source named {name!r} (known: {known})")

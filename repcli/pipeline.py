"""One run: sources -> analyse -> store, each source concurrently and independently.

A failing source never stops the others: its error is recorded in `runs` and `source_state`,
and what the others fetched is stored. Items and the cursor that covers them are written in one
transaction per batch, so a run killed half way loses nothing stored and resumes from there.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from repcli import secrets
from repcli.analysis import Analyzer
from repcli.config import Config, SourceConfig
from repcli.errors import ConfigError, ExitCode, InputRefused, RepcliError, StoreError
from repcli.idruns import IdRuns
from repcli.models import Item, SourceRunResult
from repcli.sources.base import FetchContext, Source
from repcli.sources.registry import source_class
from repcli.sources.wire.parse import attachments_only
from repcli.store import Store
from repcli.store.base import as_store_error
from repcli.store.writes import Analysis, UpsertResult

if TYPE_CHECKING:
    from repcli.http import Http

log = logging.getLogger(__name__)

Progress = Callable[[str, int], None]
"""Called with (source name, items fetched so far) as batches arrive."""


@dataclasses.dataclass
class RunReport:
    group: str
    started_at: datetime
    results: list[SourceRunResult] = dataclasses.field(default_factory=list)
    new_ids: IdRuns = dataclasses.field(default_factory=IdRuns)
    """The ids of the items this run stored new (committed), as runs of consecutive ids."""
    changed_ids: IdRuns = dataclasses.field(default_factory=IdRuns)
    """The ids of the items this run saw edited (committed), in the order seen."""

    @property
    def failed(self) -> list[SourceRunResult]:
        return [r for r in self.results if r.error]

    @property
    def failure_code(self) -> ExitCode | None:
        """The exit code the failures call for: 7 when every failure is a refused input file
        (a `file` source's bad row), 6 when any source failed otherwise, None when none did."""
        if not self.failed:
            return None
        if all(r.refused for r in self.failed):
            return ExitCode.BAD_INPUT
        return ExitCode.SOURCES_FAILED


@dataclasses.dataclass
class _Tally:
    """What a source's committed batches came to: counts only (its SourceRunResult)."""

    fetched: int = 0
    new: int = 0
    changed: int = 0
    rejected: int = 0

    def add(self, other: _Tally) -> None:
        self.fetched += other.fetched
        self.new += other.new
        self.changed += other.changed
        self.rejected += other.rejected


@dataclasses.dataclass
class _Unit(_Tally):
    """Batches stored in the open transaction, not yet committed: their counts, and the ids
    of their new and changed items (the run report's, once committed)."""

    new_ids: IdRuns = dataclasses.field(default_factory=IdRuns)
    changed_ids: IdRuns = dataclasses.field(default_factory=IdRuns)

    def add_batch(self, fetched: int, result: UpsertResult, rejected: int) -> None:
        self.fetched += fetched
        self.new += len(result.new_ids)
        self.changed += len(result.changed_ids)
        self.rejected += rejected
        self.new_ids.extend(result.new_ids)
        self.changed_ids.extend(result.changed_ids)


def select_sources(config: Config, names: Sequence[str]) -> list[SourceConfig]:
    """The enabled sources, or exactly the named ones (unknown names are an error)."""
    if names:
        return [config.source(name) for name in names]
    return [s for s in config.sources if s.enabled]


class Pipeline:
    _writing: asyncio.Lock
    """Held from BEGIN to COMMIT, which for an all-or-nothing unit spans awaits: other
    sources' writes wait for it (they share one connection)."""

    def __init__(
        self, config: Config, store: Store, now: datetime, http: Http | None = None
    ) -> None:
        self.http = http
        """The HTTP layer to use (tests pass one with a fake clock); default: a fresh one."""
        self.config = config
        self.store = store
        self.now = now
        from repcli.analysis.topics import tagger_for
        from repcli.analysis.trained import load_for_store
        from repcli.config import read_yaml_file

        model = load_for_store(config.store_file)
        tagger = tagger_for(config.topics, read_yaml_file)
        try:
            self.analyzer = Analyzer(
                config.thresholds, model=model, tagger=tagger, comments=config.analysis.comments
            )
        except ConfigError as exc:  # the setting needs what is not installed: name the file
            raise ConfigError(f"{config.path or 'the config'}: {exc.message}", exc.hint) from None

    def analyse(self, item: Item, source: SourceConfig) -> Analysis:
        verdict = self.analyzer.analyse(item)
        if item.lang is None:
            item.lang = verdict.lang
        needs_reply = (
            not source.competitor
            and not item.answer_text
            and (verdict.negative or item.kind == "question" or attachments_only(item.text))
        )
        due_at = None
        if needs_reply:
            due_at = item.created_at + timedelta(hours=self.config.sla_hours(source, item.kind))
        return Analysis(verdict=verdict, needs_reply=needs_reply, due_at=due_at)

    def reanalyse(self, sources: Sequence[SourceConfig]) -> dict[str, Any]:
        """Analyse the stored items of these sources again, with today's model, topics,
        thresholds and SLA hours, in one transaction: counts of "same", "changed", "newly
        negative", "no longer negative", and the same counts per kind ("by kind")."""
        by_name = {src.name: src for src in sources}
        outcomes = ("items", "same", "changed", "newly negative", "no longer negative")
        counts: dict[str, Any] = dict.fromkeys(outcomes, 0)
        by_kind: dict[str, dict[str, int]] = {}
        with self.store.transaction():
            for item_id, item, old in self.store.stored_items(list(by_name)):
                outcome = self.store.save_analysis(
                    item_id, old, self.analyse(item, by_name[item.source])
                )
                kind = by_kind.setdefault(item.kind, dict.fromkeys(outcomes, 0))
                for tally in (counts, kind):
                    tally["items"] += 1
                    tally[outcome] += 1
        counts["by kind"] = dict(sorted(by_kind.items()))
        return counts

    def run(
        self,
        sources: Sequence[SourceConfig],
        command: str,
        full: bool = False,
        progress: Progress | None = None,
    ) -> RunReport:
        for src in sources:  # before anything runs: a missing token is a config error (exit 3)
            src.require_secrets()
        report = RunReport(group=uuid.uuid4().hex[:12], started_at=self.now)
        asyncio.run(self._run_all(sources, command, full, report, progress))
        if self.store.has_orders():  # new reviews may name or fit an imported order
            from repcli import orders

            with self.store.transaction():
                orders.link(self.store, self.now, self.config.orders.link_days)
        return report

    async def _run_all(
        self,
        sources: Sequence[SourceConfig],
        command: str,
        full: bool,
        report: RunReport,
        progress: Progress | None,
    ) -> None:
        self._writing = asyncio.Lock()  # of this run's event loop
        self._interrupted: list[tuple[int, str]] = []
        ctx = FetchContext(self.now, self.http)
        tasks = [
            asyncio.ensure_future(self._run_one(src, ctx, command, full, report, progress))
            for src in sources
        ]
        try:
            results = await asyncio.gather(*tasks)
        finally:
            if tasks:
                await asyncio.wait(tasks)
            self._mark_interrupted()
            await ctx.aclose()
        report.results.extend(results)

    def _mark_interrupted(self) -> None:
        """Mark the runs Ctrl-C stopped, once every source has stopped: a mark written while
        another source still held a unit open would land in it and be undone with it."""
        for run_id, name in self._interrupted:
            # Best effort: an unmarked run shows as "running, or killed", which is also true.
            with contextlib.suppress(RepcliError):
                self.store.finish_run(run_id, name, self.now, "interrupted", interrupted=True)

    async def _run_one(
        self,
        src: SourceConfig,
        ctx: FetchContext,
        command: str,
        full: bool,
        report: RunReport,
        progress: Progress | None,
    ) -> SourceRunResult:
        async with self._writing:
            run_id = self.store.start_run(report.group, command, src.name, self.now)
        done = _Tally()  # committed
        error: str | None = None
        refused = False
        try:
            source = source_class(src.type)(src, ctx)
            async with _deadline(src):
                await self._store_all(source, src, full, run_id, done, report, progress)
        except (asyncio.CancelledError, KeyboardInterrupt):
            # Ctrl-C: what is stored stays stored; the run is marked (_run_all), then we stop.
            self._interrupted.append((run_id, src.name))
            raise
        except StoreError:
            raise  # the store, not the source: a store error for the whole command
        except RepcliError as exc:
            error = secrets.redact(exc.message)
            refused = isinstance(exc, InputRefused)
        except Exception as exc:  # one broken source must not stop the others
            if (store_error := as_store_error(self.store.path, exc)) is not None:
                raise store_error from None  # corrupt, locked or full while writing this source
            log.debug("source %s failed", src.name, exc_info=True)
            error = secrets.redact(f"{type(exc).__name__}: {exc}")
        if error:  # the CLI says it once (✗ line); the log has it with -v
            log.info("%s: %s", src.name, error)
        async with self._writing:
            self.store.finish_run(run_id, src.name, self.now, error)
        return SourceRunResult(
            src.name,
            fetched=done.fetched,
            new=done.new,
            changed=done.changed,
            error=error,
            rejected=done.rejected,
            refused=refused,
        )

    async def _store_all(
        self,
        source: Source,
        src: SourceConfig,
        full: bool,
        run_id: int,
        done: _Tally,
        report: RunReport,
        progress: Progress | None,
    ) -> None:
        """Fetch and store every batch, committing each (or each held unit) with its cursor."""
        cursor = self.store.cursor_for(src.name)
        unit: _Unit | None = None
        try:
            async for batch in source.fetch(cursor, full=full):
                if batch.dropped:
                    if unit is not None:
                        self._undo()
                        unit = None
                    continue
                if unit is None:
                    # Other sources' writes wait while a unit is open across batches.
                    await self._writing.acquire()
                    try:
                        self.store.begin()
                    except BaseException:
                        self._writing.release()
                        raise
                    unit = _Unit()
                result = self.store.upsert_items(
                    batch.items, lambda item: self.analyse(item, src), self.now
                )
                # Rows the source could not read, and items the store could not take: kept
                # aside with this batch, whose cursor moves past them.
                unread = [*batch.rejects, *source.rejects]
                source.rejects.clear()
                rejects = [*unread, *result.rejects]
                fetched = len(batch.items) + len(unread)
                if rejects:
                    self.store.record_rejects(src.name, rejects, self.now, run_id)
                self.store.add_to_run(
                    run_id, fetched, len(result.new_ids), len(result.changed_ids), len(rejects)
                )
                self.store.save_cursor(src.name, batch.cursor, self.now)
                unit.add_batch(fetched, result, len(rejects))
                if progress:
                    progress(src.name, done.fetched + unit.fetched)
                if batch.hold:
                    continue
                self.store.commit()
                self._writing.release()
                done.add(unit)
                report.new_ids.extend(unit.new_ids)
                report.changed_ids.extend(unit.changed_ids)
                unit = None
        finally:
            if unit is not None:  # failed, interrupted, or a unit that never ended
                self._undo()

    def _undo(self) -> None:
        """Drop the open unit: roll back its transaction and let other sources write."""
        self.store.rollback()
        self._writing.release()


@contextlib.asynccontextmanager
async def _deadline(src: SourceConfig) -> AsyncIterator[None]:
    """Stop a source at its `timeout:` with a SourceError (its committed batches stay)."""
    from repcli.errors import SourceError

    cap = asyncio.timeout(src.timeout)
    try:
        async with cap:
            yield
    except TimeoutError:
        if not cap.expired():
            raise
        raise SourceError(
            f"stopped after {src.timeout:g} s (timeout: {src.timeout:g}); what was stored is "
            "kept, the next run resumes from the cursor"
        ) from None


def test_sources(
    sources: Sequence[SourceConfig], now: datetime, http: Http | None = None
) -> list[tuple[str, bool, str]]:
    """(name, ok, what was seen or what is wrong) for each source; nothing is stored."""
    for src in sources:  # a missing token is a config error (exit 3), not a failed test
        src.require_secrets()

    async def one(src: SourceConfig, ctx: FetchContext) -> tuple[str, bool, str]:
        try:
            return src.name, True, await source_class(src.type)(src, ctx).test()
        except RepcliError as exc:
            return src.name, False, secrets.redact(str(exc))
        except Exception as exc:  # a broken source is a failed test, not a crash
            return src.name, False, secrets.redact(f"{type(exc).__name__}: {exc}")

    async def run_all() -> list[tuple[str, bool, str]]:
        ctx = FetchContext(now, http)
        try:
            return list(await asyncio.gather(*(one(src, ctx) for src in sources)))
        finally:
            await ctx.aclose()

    return asyncio.run(run_all())

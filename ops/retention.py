"""The retention worker: ``ia worker retention``, the retention rules applied for good.

It follows the event store's notification log like the idle finisher
(``streams/idle_finisher.py``), reading only the events the rules depend on: ``Started``
(tenant, first activity), ``ChunkReceived`` and ``Finished`` (activity), ``RetentionApplied``
(what was done) and ``Erased`` (nothing more to do). From them alone it knows, for every
meeting, its last activity and what was applied; so it keeps no state of its own, a restart
reads the log again, and what was applied before is never applied twice. An ``Erased``
meeting whose keys or blobs are not all gone (a crash in the middle of an erasure) is
erased again, which completes it. On each pass it asks
``domain.retention.RetentionRules`` what is due at ``clock()`` (a parameter, so a test can
move time) and hands it to the ``Eraser`` (``ops/erasure.py``): ``audio`` and ``raw_text``
shred a key (and the audio blobs) and record ``RetentionApplied``; ``erase`` erases the
meeting (reason ``retention``). Every action is recorded by actor ``ia-retention``.

``apply_read_model_ttls`` sets the ClickHouse TTLs of ``security_audit_log``, ``event_log``
and ``dead_letters`` from the RETENTION_*_DAYS settings (``ia setup``, and the processes
that migrate the read store).

Must not: decide what is due (the domain rules do), or record anything but through the
``Eraser``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from eventsourcing.utils import get_topic
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from interview_analytics.domain.errors import DomainError
from interview_analytics.domain.events import EventMeta
from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.retention import ERASE, RetentionPolicy, RetentionRules
from interview_analytics.ops.blobs import FileBlobStore
from interview_analytics.ops.erasure import Eraser
from interview_analytics.ops.settings import Settings
from interview_analytics.ops.wiring import build_data_keys, build_meetings
from interview_analytics.projections.store import ReadStore
from interview_analytics.streams.contract.groups import RETENTION, RETENTION_ACTOR
from interview_analytics.streams.followed_log import followed_events

log = logging.getLogger(__name__)
T = TypeVar("T")

FOLLOWED = (
    Meeting.Started,
    Meeting.ChunkReceived,
    Meeting.Finished,
    Meeting.RetentionApplied,
    Meeting.Erased,
)
TOPICS = tuple(get_topic(event_class) for event_class in FOLLOWED)

RETENTION_REASON = "retention"
"""The reason of an erasure by RETENTION_MEETING_DAYS."""

TTL_COLUMNS = {
    "security_audit_log": "occurred_at",
    "event_log": "occurred_at",
    "dead_letters": "failed_at",
}
"""The tables ClickHouse TTLs bound, and the time column each is aged by."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def retention_rules(settings: Settings) -> RetentionRules:
    """The rules of the settings (older names where the new ones are 0) and the
    tenants' overrides."""
    default = RetentionPolicy(
        audio_days=settings.retention_audio_days or settings.retention_days_audio,
        raw_text_days=settings.retention_raw_text_days or settings.retention_days_text,
        meeting_days=settings.retention_meeting_days,
    )
    raw = settings.retention_tenant_overrides.strip()
    return RetentionRules.with_overrides(default, json.loads(raw) if raw else {})


@dataclass
class _Tracked:
    tenant: str | None
    last_activity: datetime
    applied: set[str] = field(default_factory=set)


@dataclass
class RetentionStats:
    position: int = 0
    """The last notification id read (of the followed topics)."""
    tracked_meetings: int = 0
    applied_total: int = 0
    erased_total: int = 0
    errors_total: int = 0
    last_error: str | None = None


@dataclass(eq=False)
class RetentionWorker:
    eraser: Eraser
    rules: RetentionRules
    clock: Callable[[], datetime] = utc_now
    meta: EventMeta = EventMeta(actor=RETENTION_ACTOR)
    poll_interval_sec: float = 60.0
    batch_size: int = 500
    stats: RetentionStats = field(default_factory=RetentionStats, init=False)
    _meetings: dict[str, _Tracked] = field(default_factory=dict, init=False)
    _erased: dict[str, str] = field(default_factory=dict, init=False)
    """Meetings whose ``Erased`` was read and not checked yet: id → the erasure's reason."""

    def __post_init__(self) -> None:
        # Blocking store drivers, kept on one thread (as in the idle finisher).
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="retention-store")

    # ------------------------------------------------------------------ reading the log

    def catch_up(self) -> int:
        """Read the followed events stored after the position; how many were read."""
        total = 0
        read = followed_events(self.eraser.meetings, self.stats.position, TOPICS, self.batch_size)
        for position, event in read:
            self._note(event)
            self.stats.position = position
            total += 1
        self.stats.tracked_meetings = len(self._meetings)
        return total

    def _note(self, event: Any) -> None:
        meeting_id = event.meeting_id
        if isinstance(event, Meeting.Started):
            self._meetings[meeting_id] = _Tracked(event.tenant, event.timestamp)
            return
        tracked = self._meetings.get(meeting_id)
        if tracked is None:
            return
        if isinstance(event, Meeting.Erased):
            del self._meetings[meeting_id]
            self._erased[meeting_id] = event.reason
        elif isinstance(event, Meeting.RetentionApplied):
            tracked.applied.add(event.scope)
        else:  # a chunk or the finish: activity
            tracked.last_activity = max(tracked.last_activity, event.timestamp)

    # ------------------------------------------------------------------ applying

    def apply_due(self) -> list[tuple[str, str]]:
        """Apply every rule due at ``clock()``; the (meeting id, action) pairs applied."""
        done = self.complete_erasures()
        if self.rules.keeps_everything:
            return done
        now = self.clock()
        for meeting_id, tracked in list(self._meetings.items()):
            due = self.rules.due(tracked.tenant, tracked.last_activity, now, tracked.applied)
            for item in due:
                try:
                    applied = self._apply(meeting_id, item.action, item.days)
                except (DomainError, OSError) as error:  # store down, say: next pass
                    self.stats.errors_total += 1
                    self.stats.last_error = f"{type(error).__name__}: {error}"
                    log.warning("retention: %s %s failed: %s", meeting_id, item.action, error)
                    break
                if item.action == ERASE:
                    self._meetings.pop(meeting_id, None)
                else:
                    tracked.applied.add(item.action)
                if applied:
                    done.append((meeting_id, item.action))
        self.stats.tracked_meetings = len(self._meetings)
        return done

    def complete_erasures(self) -> list[tuple[str, str]]:
        """Erase again each erased meeting an erasure left incomplete; those ids."""
        repaired: list[tuple[str, str]] = []
        for meeting_id, reason in list(self._erased.items()):
            try:
                if not self.eraser.is_complete(meeting_id):
                    self.eraser.erase(meeting_id, reason, self.meta)
                    repaired.append((meeting_id, "erasure_completed"))
                    log.info("retention: completed the interrupted erasure of %s", meeting_id)
            except (DomainError, OSError) as error:  # next pass
                self.stats.errors_total += 1
                self.stats.last_error = f"{type(error).__name__}: {error}"
                continue
            del self._erased[meeting_id]
        return repaired

    def _apply(self, meeting_id: str, action: str, days: int) -> bool:
        if action == ERASE:
            outcome = self.eraser.erase(meeting_id, RETENTION_REASON, self.meta)
            if not outcome.duplicate:
                self.stats.erased_total += 1
                log.info("retention: %s erased after %s days", meeting_id, days)
            return not outcome.duplicate
        recorded = self.eraser.shred(meeting_id, action, days, self.meta)
        if recorded:
            self.stats.applied_total += 1
            log.info("retention: %s %s shredded after %s days", meeting_id, action, days)
        return recorded

    def run_once(self) -> list[tuple[str, str]]:
        self.catch_up()
        return self.apply_due()

    # ------------------------------------------------------------------ running

    async def run(self, stop: asyncio.Event) -> None:
        """Follow the log and apply what is due until ``stop`` is set."""
        while not stop.is_set():
            try:
                await self._in_db(self.run_once)
            except Exception as error:  # logged, counted, retried on the next turn
                self.stats.errors_total += 1
                self.stats.last_error = f"{type(error).__name__}: {error}"
                log.warning("retention: pass failed, will retry: %s", self.stats.last_error)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.poll_interval_sec)

    def close(self) -> None:
        self._db.shutdown(wait=True)

    async def _in_db(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._db, fn)


class RetentionCollector(Collector):
    """The retention worker's figures, read from its ``RetentionStats``."""

    def __init__(self, worker: RetentionWorker) -> None:
        self.worker = worker

    def collect(self) -> Iterator[Metric]:
        stats = self.worker.stats
        yield GaugeMetricFamily(
            "ia_retention_position", "Last notification id the retention worker read.",
            value=stats.position,
        )  # fmt: skip
        yield GaugeMetricFamily(
            "ia_retention_tracked_meetings", "Meetings the retention rules still apply to.",
            value=stats.tracked_meetings,
        )  # fmt: skip
        yield CounterMetricFamily(
            "ia_retention_shredded", "Audio or raw-text scopes shredded (RetentionApplied).",
            value=stats.applied_total,
        )  # fmt: skip
        yield CounterMetricFamily(
            "ia_retention_erasures", "Meetings erased by RETENTION_MEETING_DAYS.",
            value=stats.erased_total,
        )  # fmt: skip
        yield CounterMetricFamily(
            "ia_retention_errors", "Failed passes or actions (retried).", value=stats.errors_total
        )


def serve_retention_metrics(worker: RetentionWorker, port: int) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(RetentionCollector(worker))
    start_http_server(port, addr="0.0.0.0", registry=registry)  # noqa: S104
    return registry


def apply_read_model_ttls(store: ReadStore, settings: Settings) -> None:
    """Set (days > 0) or remove (0) the TTL of each bounded table from the settings."""
    days = {
        "security_audit_log": settings.retention_security_audit_days,
        "event_log": settings.retention_event_log_days,
        "dead_letters": settings.retention_dead_letters_days,
    }
    rows = store.query_rows(
        "SELECT name, create_table_query FROM system.tables WHERE database = {db:String}",
        {"db": store.database},
    )
    ddl = {str(row["name"]): str(row["create_table_query"]) for row in rows}
    for table, column in TTL_COLUMNS.items():
        if table not in ddl:
            continue
        if days[table]:
            store.command(
                f"ALTER TABLE {store.table(table)} MODIFY TTL "
                f"toDateTime({column}) + INTERVAL {int(days[table])} DAY"
            )
        elif " TTL " in ddl[table]:
            store.command(f"ALTER TABLE {store.table(table)} REMOVE TTL")


def build_retention_worker(
    settings: Settings, read_store: ReadStore | None = None
) -> RetentionWorker:
    """The worker on the configured stores. Without a read store (chDB belongs to the API
    process in the embedded stack) the projector deletes an erased meeting's rows."""
    keys = build_data_keys(settings)
    meetings = build_meetings(settings, data_keys=keys)
    eraser = Eraser(meetings, keys, FileBlobStore(settings.blob_dir), read_store)
    return RetentionWorker(
        eraser, retention_rules(settings), poll_interval_sec=settings.retention_poll_interval_sec
    )


def run_retention(settings: Settings) -> None:
    """Run the retention worker until it is told to stop (blocks)."""
    asyncio.run(_run(settings))


async def _run(settings: Settings) -> None:
    read_store = None
    if not settings.embedded_read_store:
        read_store = ReadStore.connect(settings.resolved_clickhouse_url)
    worker = build_retention_worker(settings, read_store)
    if settings.retention_metrics_port:
        try:
            serve_retention_metrics(worker, settings.retention_metrics_port)
        except OSError as error:  # retention matters more than its metrics
            log.warning(
                "retention: no metrics on port %s: %s", settings.retention_metrics_port, error
            )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    policy = worker.rules.default
    print(
        f"[{RETENTION}] audio {policy.audio_days} d, raw text {policy.raw_text_days} d, "
        f"meeting {policy.meeting_days} d (0 = keep), {len(worker.rules.tenants)} tenant "
        f"override(s), as {RETENTION_ACTOR}",
        flush=True,
    )
    try:
        await worker.run(stop)
    finally:
        worker.close()
        worker.eraser.meetings.close()
        if read_store is not None:
            read_store.close()
        log.info(
            "retention stopped at notification %s (%s applied, %s erased this run)",
            worker.stats.position,
            worker.stats.applied_total,
            worker.stats.erased_total,
        )

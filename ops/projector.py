"""The projector: Faust agents that keep the ClickHouse read models up to date.

Consumer group ``ia-projector``. Agents (``projections/agent.py``): ``meeting-events`` →
meetings, transcript_segments, reports, event_log; ``dead-letters`` → dead_letters;
``security-audit`` → security_audit_log. A
timer samples queue health: for every consumer group, the event store's head against the
position the group recorded in the tracking table (``consumer:ia-<role>``), the relay's
position for the broker cluster it publishes to, and open dead letters per stage.

Two layouts (docs/adr/0003):
- production: its own process, ``ia worker projector`` (:func:`run_projector`);
- embedded (``CLICKHOUSE_URL=chdb://…``): chDB allows one process per data directory, so
  the projector runs inside the process that serves reads — the API — started and stopped
  with it (:meth:`ProjectorService.start` / :meth:`ProjectorService.stop`).

Must not: run beside another owner of the same chDB directory (the embedded layout runs it
in the API).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from interview_analytics.domain.application import Meetings
from interview_analytics.ops.positions import PositionRecorder, consumer_position_name
from interview_analytics.ops.retention import apply_read_model_ttls
from interview_analytics.ops.settings import Settings
from interview_analytics.ops.wiring import build_meetings, event_codec
from interview_analytics.ops.workers import faust_settings, run_faust_app
from interview_analytics.projections import queue_health
from interview_analytics.projections.agent import (
    BatchingAgent,
    BatchSettings,
    BatchWritten,
    DeadLettersProjection,
    MeetingEventsProjection,
    SecurityAuditProjection,
    install_projection_agent,
)
from interview_analytics.projections.folding import events_from
from interview_analytics.projections.projector import ProjectionWriter, Projector
from interview_analytics.projections.queries import Queries
from interview_analytics.projections.store import ReadStore
from interview_analytics.streams.app import create_app
from interview_analytics.streams.contract.groups import (
    PROJECTOR,
    PROJECTOR_GROUP,
    ROLES_WITH_POSITIONS,
    STAGE_GROUPS,
    group_of,
)
from interview_analytics.streams.contract.topics import DEAD_LETTERS, MEETING_EVENTS, SECURITY_AUDIT
from interview_analytics.streams.relay import relay_position_name

log = logging.getLogger(__name__)


class ProjectorMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.events = Counter(
            "ia_projector_events",
            "Messages projected, by projection.",
            ["projection"],
            registry=registry,
        )
        self.rows = Counter(
            "ia_projector_rows", "Rows inserted, by projection.", ["projection"], registry=registry
        )
        self.batch_seconds = Histogram(
            "ia_projector_batch_seconds",
            "Fold + insert time of one batch, seconds.",
            ["projection"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        )
        # Names kept from the older service's dashboards (api-contract.md).
        self.pending = Gauge(
            "agent_queue_pending",
            "Events stored but not yet processed by a consumer group (store positions).",
            ["queue", "group"],
            registry=registry,
        )
        self.depth = Gauge(
            "agent_queue_depth",
            "Events stored but not yet published to the topic by the relay.",
            ["queue"],
            registry=registry,
        )
        self.dlq_depth = Gauge(
            "agent_dlq_depth",
            "Open (unresolved) dead letters, by stage's queue.",
            ["queue"],
            registry=registry,
        )

    def observe_batch(self, batch: BatchWritten) -> None:
        self.events.labels(batch.projection).inc(batch.events)
        self.rows.labels(batch.projection).inc(batch.rows)
        self.batch_seconds.labels(batch.projection).observe(batch.seconds)

    def observe_samples(self, samples: list[queue_health.QueueSample]) -> None:
        for sample in samples:
            self.pending.labels(sample.topic, sample.group).set(sample.lag)
            self.dlq_depth.labels(sample.group).set(sample.dead_letters)
        if samples:
            self.depth.labels(MEETING_EVENTS).set(samples[0].relay_backlog)


class ProjectorService:
    """The projector's Faust app, its agents and its queue-health sampler."""

    def __init__(
        self,
        settings: Settings,
        bootstrap_servers: str,
        store: ReadStore,
        meetings: Meetings,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.settings = settings
        self.bootstrap_servers = bootstrap_servers
        self.store = store
        self.meetings = meetings
        self.tracking = meetings.factory.tracking_recorder()
        self.queries = Queries(store)
        self.metrics = ProjectorMetrics(registry or CollectorRegistry())
        self.app = create_app(PROJECTOR, faust_settings(settings, bootstrap_servers))
        batches = BatchSettings(
            max_events=settings.projector_batch_size,
            max_wait_sec=settings.projector_flush_interval_sec,
        )
        writer = ProjectionWriter(store)
        self.meeting_events = MeetingEventsProjection(
            Projector(load=events_from(meetings)), codec=event_codec(meetings)
        )
        observe = self.metrics.observe_batch
        self.agents = [
            BatchingAgent(self.meeting_events, writer, batches, observe),
            BatchingAgent(DeadLettersProjection(), writer, batches, observe),
            BatchingAgent(SecurityAuditProjection(), writer, batches, observe),
        ]
        for agent in self.agents:
            install_projection_agent(self.app, agent)
        self.app.timer(interval=settings.queue_health_interval_sec, name="queue_health")(
            self.sample_queue_health
        )
        self.position = PositionRecorder(self.tracking, PROJECTOR)
        self._cluster_id = ""
        self._cluster_checked = 0.0

    # ------------------------------------------------------------------ embedded layout

    async def start(self) -> None:
        """Run the agents inside the current event loop (the API process)."""
        await self.app.start()

    async def stop(self) -> None:
        # Pending batches are not flushed here: they are unacknowledged, so the next
        # start consumes them again.
        await self.app.stop()

    # ------------------------------------------------------------------ queue health

    async def sample_queue_health(self) -> list[queue_health.QueueSample]:
        """Record the projector's position, then one queue_health row per consumer group."""
        try:
            samples = await self._samples()
            await asyncio.to_thread(
                self.store.insert,
                queue_health.TABLE,
                [queue_health.sample_row(sample) for sample in samples],
            )
        except Exception as error:  # a missed sample is retried on the next tick
            log.warning("projector: queue-health sample failed: %s", error)
            return []
        self.metrics.observe_samples(samples)
        return samples

    async def _samples(self) -> list[queue_health.QueueSample]:
        await self.position.record(self.meeting_events.last_notification_id)
        head = await asyncio.to_thread(self.meetings.recorder.max_notification_id) or 0
        relay_position = await self._relay_position()
        open_letters = await asyncio.to_thread(self.queries.dead_letter_counts)
        letters_by_group = {
            STAGE_GROUPS[stage]: count
            for stage, count in open_letters.items()
            if stage in STAGE_GROUPS
        }
        now = datetime.now(UTC)
        samples = []
        for role in ROLES_WITH_POSITIONS:
            group = group_of(role)
            recorded = await asyncio.to_thread(
                self.tracking.max_tracking_id, consumer_position_name(role)
            )
            samples.append(
                queue_health.QueueSample(
                    sampled_at=now,
                    group=group,
                    head=head,
                    position=recorded or 0,
                    relay_position=relay_position,
                    dead_letters=letters_by_group.get(group, 0),
                )
            )
        return samples

    async def _relay_position(self) -> int:
        """The relay keeps its position per broker cluster id: ask the broker which one."""
        if not self._cluster_id or time.monotonic() - self._cluster_checked > 30:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap_servers)
            await admin.start()
            try:
                description = await admin.describe_cluster()
            finally:
                await admin.close()
            self._cluster_id = str(description["cluster_id"])
            self._cluster_checked = time.monotonic()
        name = relay_position_name(MEETING_EVENTS, self._cluster_id)
        return await asyncio.to_thread(self.tracking.max_tracking_id, name) or 0


def open_read_store(settings: Settings) -> ReadStore:
    store = ReadStore.connect(settings.resolved_clickhouse_url)
    store.migrate()
    apply_read_model_ttls(store, settings)
    return store


def run_projector(settings: Settings, bootstrap_servers: str) -> None:
    """Production layout: the projector as its own process (blocks until stopped)."""
    meetings = build_meetings(settings)
    store = open_read_store(settings)
    registry = CollectorRegistry()
    service = ProjectorService(settings, bootstrap_servers, store, meetings, registry)
    if settings.projector_metrics_port:
        start_http_server(settings.projector_metrics_port, registry=registry)
    announce = (
        f"[{PROJECTOR}] projecting {MEETING_EVENTS}, {DEAD_LETTERS} and {SECURITY_AUDIT}"
        f" as {PROJECTOR_GROUP}"
    )
    run_faust_app(service.app, settings, announce, store.close, meetings.close)

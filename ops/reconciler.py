"""The reconciliation worker: the SberJazz connector's Faust agent and timers.

- agent on ``meeting-events``: a ``ConnectorRequested`` event (auto-join on start) is
  joined as it arrives, in stream order;
- timer every ``SBERJAZZ_PULL_INTERVAL_SEC``: pull live audio of connected sessions;
- timer every ``RECONCILIATION_INTERVAL_SEC``: reconcile (stale or dropped sessions are
  reconnected, abandoned joins taken over, finished meetings left, old sessions expired).

Replicas: each acts only on the meetings whose ``meeting-events`` partition the consumer
group assigned to it (``streams.contract.ordering.meeting_partition``), so two replicas never work
the same session; the join claim on the meeting's stream guards the moments of a
rebalance when two may both think they own it.

Layouts, as for the projector (docs/adr/0003): production — ``ia worker reconciler``, its
own app and group ``ia-reconciler``, reading sessions from the ClickHouse server;
embedded — installed on the projector's app inside the API process (chDB has one owner).

Must not: act on a meeting whose partition this worker was not assigned.
"""

from __future__ import annotations

import logging
from typing import Any

import faust
from prometheus_client import CollectorRegistry, start_http_server

from interview_analytics.connectors.sberjazz.sessions import SessionManager
from interview_analytics.ops.connector import build_session_manager
from interview_analytics.ops.projector import open_read_store
from interview_analytics.ops.settings import Settings
from interview_analytics.ops.wiring import build_meetings
from interview_analytics.ops.workers import faust_settings, run_faust_app
from interview_analytics.projections.queries import Queries
from interview_analytics.streams.app import create_app, meeting_events_topic
from interview_analytics.streams.contract.codec import EVENT_TYPE_HEADER, header
from interview_analytics.streams.contract.events import CONNECTOR_REQUESTED
from interview_analytics.streams.contract.groups import RECONCILER, RECONCILER_GROUP
from interview_analytics.streams.contract.ordering import meeting_partition
from interview_analytics.streams.contract.topics import MEETING_EVENTS

log = logging.getLogger(__name__)


class Reconciler:
    """The connector's agent and timers, installed on a Faust app."""

    def __init__(self, app: faust.App, manager: SessionManager, settings: Settings) -> None:
        self.app = app
        self.manager = manager
        self.partitions = settings.kafka_meeting_events_partitions
        self.limit = settings.reconciliation_limit
        app.agent(meeting_events_topic(app), name="sberjazz_session_requests")(self.on_events)
        app.timer(interval=settings.sberjazz_pull_interval_sec, name="sberjazz_pull")(self.pull)
        app.timer(interval=settings.reconciliation_interval_sec, name="sberjazz_reconcile")(
            self.reconcile
        )

    def owns(self, meeting_id: str) -> bool:
        """Whether the meeting's partition is assigned to this worker now."""
        assigned = {
            tp.partition
            for tp in self.app.assignor.assigned_actives()
            if tp.topic == MEETING_EVENTS
        }
        return meeting_partition(meeting_id, self.partitions) in assigned

    async def on_events(self, stream: Any) -> None:
        async for event in stream.events():
            message = event.message
            if header(message.headers, EVENT_TYPE_HEADER) != CONNECTOR_REQUESTED:
                continue
            meeting_id = bytes(message.key).decode()
            try:
                await self.manager.join_requested(meeting_id)
            except Exception:  # the reconcile timer retries what this could not do
                log.exception("reconciler: %s: join on request failed", meeting_id)

    async def pull(self) -> None:
        try:
            await self.manager.pull_all(self.owns)
        except Exception:
            log.exception("reconciler: live pull pass failed")

    async def reconcile(self) -> None:
        try:
            # Keeps the connector-health and breaker gauges current for the alerts.
            await self.manager.health()
            result = await self.manager.reconcile(self.limit, self.owns)
        except Exception:
            log.exception("reconciler: reconcile pass failed")
            return
        if result.stale or result.reconnected or result.failed:
            log.info(
                "reconciler: scanned %d, stale %d, reconnected %d, failed %d",
                result.scanned,
                result.stale,
                result.reconnected,
                result.failed,
            )


def reconciler_wanted(settings: Settings) -> bool:
    return settings.reconciliation_enabled and settings.meeting_connector_provider != "none"


def run_reconciler(settings: Settings, bootstrap_servers: str) -> None:
    """Production layout: the reconciliation worker as its own process (blocks)."""
    meetings = build_meetings(settings)
    store = open_read_store(settings)
    registry = CollectorRegistry()
    manager = build_session_manager(settings, meetings, Queries(store), registry)
    app = create_app(RECONCILER, faust_settings(settings, bootstrap_servers))
    Reconciler(app, manager, settings)
    if settings.reconciler_metrics_port:
        start_http_server(settings.reconciler_metrics_port, registry=registry)
    state = "configured" if manager.configured else "NOT configured (SBERJAZZ_API_BASE)"
    announce = f"[{RECONCILER}] SberJazz sessions as {RECONCILER_GROUP}; platform {state}"
    run_faust_app(app, settings, announce, store.close, meetings.close)

"""Wiring of the HTTP/WebSocket API: its dependencies from Settings, and serving it.

- :class:`MeetingCommandsAdapter` is ``http.ports.MeetingCommands`` over
  ``domain.application.Meetings``: every call runs in a worker thread; chunks go through
  ``GroupCommitter`` so that concurrent requests share one transaction; container codecs
  (wav, ogg, …) are decoded once to probe their duration (``streams.audio``), and audio
  that does not decode is refused with ``InvalidAudioError`` before anything is stored;
  event-store failures become ``DependencyUnavailableError`` (503), never a 500.
- :class:`ReadsAdapter` is ``http.ports.MeetingReads`` over ``projections.queries.Queries``,
  translating ``ReadStoreError`` (503) and ``InvalidCursorError`` (400).
- :func:`readiness_checks`: event store, broker, ClickHouse, speech model.
- :func:`build_api_dependencies` puts them together from already-open parts (the embedded
  stack shares ``Meetings``, the chDB ``ReadStore`` and the metrics registry with the
  projector in the same process); :func:`open_api_dependencies` opens and closes the
  parts itself.
- :func:`serve_api` runs an app on uvicorn until stopped (graceful shutdown), and
  :func:`run_api` is the whole standalone API process.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread
import uvicorn
from aiokafka.admin import AIOKafkaAdminClient
from anyio import CapacityLimiter
from eventsourcing.persistence import PersistenceError
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette

from interview_analytics.connectors.sberjazz.sessions import SessionManager
from interview_analytics.domain.application import Meetings, ReceiveChunk, StartMeeting
from interview_analytics.domain.audio import PCM, AudioFormat
from interview_analytics.domain.events import EventMeta
from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.results import ChunkOutcome, FinishOutcome, StartOutcome
from interview_analytics.http.app import create_app
from interview_analytics.http.audit import AuditSink
from interview_analytics.http.deps import ApiDependencies, ApiLimits
from interview_analytics.http.identity import Authenticator
from interview_analytics.http.ports import (
    DependencyUnavailableError,
    ReadinessChecks,
)
from interview_analytics.ops.auth import build_audit_sinks, build_authenticator
from interview_analytics.ops.connector import (
    ConnectorAdminAdapter,
    build_session_manager,
    connector_enabled,
)
from interview_analytics.ops.group_commit import GroupCommitter
from interview_analytics.ops.projector import ProjectorService
from interview_analytics.ops.read_errors import read_errors
from interview_analytics.ops.reconciler import Reconciler, reconciler_wanted
from interview_analytics.ops.settings import Settings
from interview_analytics.ops.wiring import build_meetings, probe_duration
from interview_analytics.projections import queries as read_queries
from interview_analytics.projections.queries import Page, Queries
from interview_analytics.projections.store import ReadStore
from interview_analytics.streams.contract import MEETING_EVENTS
from interview_analytics.streams.speech import resolve_model

log = logging.getLogger(__name__)

T = TypeVar("T")

COMMAND_THREADS = 64
"""Worker threads for write-side calls: each chunk request waits in one for its group commit."""

BROKER_CHECK_TIMEOUT_MS = 2_000


# ---------------------------------------------------------------------- write side


class MeetingCommandsAdapter:
    """``http.ports.MeetingCommands`` on a ``Meetings`` application (thread-safe calls)."""

    def __init__(
        self,
        meetings: Meetings,
        committer: GroupCommitter,
        *,
        probe: Callable[[bytes, AudioFormat], float] = probe_duration,
        threads: int = COMMAND_THREADS,
    ) -> None:
        self.meetings = meetings
        self.committer = committer
        self.probe = probe
        self._limiter = CapacityLimiter(threads)

    async def start(self, command: StartMeeting, meta: EventMeta) -> StartOutcome:
        return await self._call(self.meetings.start, command, meta)

    async def receive_chunk(self, command: ReceiveChunk, meta: EventMeta) -> ChunkOutcome:
        return await self._call(self._receive_chunk, command, meta)

    async def finish(self, meeting_id: str, *, reason: str, meta: EventMeta) -> FinishOutcome:
        return await self._call(lambda: self.meetings.finish(meeting_id, reason=reason, meta=meta))

    async def load(self, meeting_id: str) -> Meeting:
        return await self._call(self.meetings.get, meeting_id)

    def _receive_chunk(self, command: ReceiveChunk, meta: EventMeta) -> ChunkOutcome:
        if command.audio_format.codec != PCM and command.duration_sec is None:
            duration = self.probe(command.audio, command.audio_format)
            command = dataclasses.replace(command, duration_sec=duration)
        return self.committer.receive_chunk(command, meta)

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        try:
            return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)
        except PersistenceError as error:
            log.warning("event store failed: %s", error)
            raise DependencyUnavailableError("event_store", "the event store failed") from error
        except OSError as error:
            log.warning("audio blob store failed: %s", error)
            raise DependencyUnavailableError("blob_store", "the audio store failed") from error


# ---------------------------------------------------------------------- read side


class ReadsAdapter:
    """``http.ports.MeetingReads`` on ``Queries``: read-store errors become 503s."""

    def __init__(self, queries: Queries) -> None:
        self.queries = queries

    def get_meeting(self, meeting_id: str) -> read_queries.MeetingView | None:
        with read_errors():
            return self.queries.get_meeting(meeting_id)

    def list_meetings(
        self,
        status: str | None = None,
        language: str | None = None,
        started_from: datetime | None = None,
        started_to: datetime | None = None,
        limit: int = 50,
        cursor: str | None = None,
        tenant: str | None = None,
    ) -> Page:
        with read_errors():
            return self.queries.list_meetings(
                status=status,
                language=language,
                started_from=started_from,
                started_to=started_to,
                limit=limit,
                cursor=cursor,
                tenant=tenant,
            )

    def wait_for_version(self, meeting_id: str, version: int, timeout_sec: float = 5.0) -> bool:
        with read_errors():
            return self.queries.wait_for_version(meeting_id, version, timeout_sec)

    def queue_health(self) -> list[dict[str, Any]]:
        with read_errors():
            return self.queries.queue_health()

    def dead_letters(
        self,
        *,
        meeting_id: str | None = None,
        stage: str | None = None,
        include_resolved: bool = True,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        with read_errors():
            return self.queries.dead_letters(
                meeting_id=meeting_id, stage=stage, include_resolved=include_resolved, limit=limit
            )

    def security_audit(
        self,
        *,
        allowed: bool | None = None,
        subject: str | None = None,
        endpoint: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        with read_errors():
            return self.queries.security_audit(
                allowed=allowed,
                subject=subject,
                endpoint=endpoint,
                since=since,
                until=until,
                limit=limit,
            )


# ---------------------------------------------------------------------- readiness


def readiness_checks(
    settings: Settings, meetings: Meetings, store: ReadStore, bootstrap_servers: str | None
) -> ReadinessChecks:
    """One check per dependency; each raises with a message when it is not usable."""

    async def event_store() -> None:
        await asyncio.to_thread(meetings.recorder.max_notification_id)

    async def clickhouse() -> None:
        await asyncio.to_thread(store.query_rows, "SELECT 1 AS ok")

    async def broker() -> None:
        if not bootstrap_servers:
            raise RuntimeError("no broker configured")
        admin = AIOKafkaAdminClient(
            bootstrap_servers=bootstrap_servers, request_timeout_ms=BROKER_CHECK_TIMEOUT_MS
        )
        await admin.start()
        try:
            topics = await admin.list_topics()
        finally:
            await admin.close()
        if MEETING_EVENTS not in topics:
            raise RuntimeError(f"topic {MEETING_EVENTS} does not exist yet")

    async def speech_model() -> None:
        await asyncio.to_thread(_check_speech_model, settings.whisper_model_size)

    return {
        "event_store": event_store,
        "broker": broker,
        "clickhouse": clickhouse,
        "speech_model": speech_model,
    }


def _check_speech_model(name_or_path: str) -> None:
    """The model's files are here (the API never loads it; the transcriber does)."""
    path = Path(resolve_model(name_or_path))
    if not (path / "model.bin").is_file():
        raise RuntimeError(f"speech model {name_or_path!r} has no model.bin at {path}")


# ---------------------------------------------------------------------- assembly


def api_limits(settings: Settings) -> ApiLimits:
    return ApiLimits(
        max_request_body_bytes=settings.max_request_body_bytes,
        max_chunk_bytes=settings.max_chunk_bytes,
        read_your_writes_max_wait_ms=settings.read_your_writes_max_wait_ms,
        max_ws_message_bytes=settings.max_request_body_bytes,
    )


def build_api_dependencies(
    settings: Settings,
    *,
    meetings: Meetings,
    committer: GroupCommitter,
    read_store: ReadStore,
    authenticator: Authenticator,
    audit: AuditSink,
    bootstrap_servers: str | None,
    registry: CollectorRegistry | None = None,
    connector: SessionManager | None = None,
) -> ApiDependencies:
    """The API's dependencies from open parts (the caller closes them). ``connector``:
    the process's connector session manager; None = built here when the connector is on
    (MEETING_CONNECTOR_PROVIDER), on the same registry."""
    registry = registry if registry is not None else CollectorRegistry()
    queries = Queries(read_store)
    if connector is None and connector_enabled(settings):
        connector = build_session_manager(settings, meetings, queries, registry)
    return ApiDependencies(
        commands=MeetingCommandsAdapter(meetings, committer),
        reads=ReadsAdapter(queries),
        authenticator=authenticator,
        audit=audit,
        readiness=readiness_checks(settings, meetings, read_store, bootstrap_servers),
        limits=api_limits(settings),
        registry=registry,
        live_bootstrap_servers=bootstrap_servers,
        cors_allowed_origins=settings.cors_allowed_origins,
        connector=None if connector is None else ConnectorAdminAdapter(connector, queries),
        connector_provider=settings.meeting_connector_provider,
        auto_join_connector=settings.meeting_auto_join_on_start,
    )


@contextlib.contextmanager
def open_api_dependencies(
    settings: Settings,
    *,
    bootstrap_servers: str | None,
    authenticator: Authenticator | None = None,
    audit: AuditSink | None = None,
    meetings: Meetings | None = None,
    read_store: ReadStore | None = None,
    registry: CollectorRegistry | None = None,
    connector: SessionManager | None = None,
) -> Iterator[ApiDependencies]:
    """Opens what is not given — the authenticator and audit sinks of the auth settings
    (``ops/auth.py``), the event store, the group committer, the migrated read store —
    and closes what it opened when the block ends. The app's lifespan starts and stops
    the audit sinks."""
    with contextlib.ExitStack() as stack:
        if meetings is None:
            meetings = build_meetings(settings)
            stack.callback(meetings.close)
        committer = GroupCommitter(meetings)
        stack.callback(committer.close)
        if read_store is None:
            read_store = ReadStore.connect(settings.resolved_clickhouse_url)
            stack.callback(read_store.close)
            read_store.migrate()
        yield build_api_dependencies(
            settings,
            meetings=meetings,
            committer=committer,
            read_store=read_store,
            authenticator=authenticator or build_authenticator(settings),
            audit=audit or build_audit_sinks(settings, bootstrap_servers),
            bootstrap_servers=bootstrap_servers,
            registry=registry,
            connector=connector,
        )


async def serve_api(
    app: Starlette,
    host: str,
    port: int,
    *,
    stop: asyncio.Event | None = None,
    ws_max_size: int = ApiLimits().max_ws_message_bytes,
    graceful_shutdown_sec: float = 10.0,
) -> None:
    """Serve ``app`` on ``host:port`` until ``stop`` is set (or SIGINT/SIGTERM when run in
    the main thread); open requests get ``graceful_shutdown_sec`` to finish."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="on",
        log_config=None,
        access_log=False,
        ws_max_size=ws_max_size,
        timeout_graceful_shutdown=int(graceful_shutdown_sec),
        server_header=False,
    )
    server = uvicorn.Server(config)

    async def watch() -> None:
        if stop is not None:
            await stop.wait()
            server.should_exit = True

    watcher = asyncio.create_task(watch())
    try:
        await server.serve()
    finally:
        watcher.cancel()


def run_api(
    settings: Settings, *, bootstrap_servers: str | None, with_projector: bool = False
) -> None:
    """The API process until SIGINT/SIGTERM, on ``API_HOST:API_PORT``.

    ``with_projector``: the embedded layout (docs/adr/0003): chDB hosts one process per
    directory, so this process also runs the projector, sharing the event store, the read
    store and the metrics registry with the routes. Otherwise the projector runs elsewhere.
    The reconciliation worker goes with the projector (it reads sessions from the same
    read store), on the projector's Faust app, sharing the connector with the admin routes.
    """
    registry = CollectorRegistry()
    meetings = build_meetings(settings)
    read_store = ReadStore.connect(settings.resolved_clickhouse_url)
    try:
        read_store.migrate()
        connector = None
        if connector_enabled(settings):
            connector = build_session_manager(settings, meetings, Queries(read_store), registry)
        with (
            open_api_dependencies(
                settings,
                bootstrap_servers=bootstrap_servers,
                meetings=meetings,
                read_store=read_store,
                registry=registry,
                connector=connector,
            ) as deps,
            # uvicorn re-raises the SIGINT it shut down for; the shutdown is complete by then.
            contextlib.suppress(KeyboardInterrupt),
        ):
            projector = None
            if with_projector and bootstrap_servers:
                projector = ProjectorService(
                    settings, bootstrap_servers, read_store, meetings, registry
                )
                if connector is not None and reconciler_wanted(settings):
                    Reconciler(projector.app, connector, settings)
            asyncio.run(_serve_with(projector, create_app(deps), settings, deps))
    finally:
        read_store.close()
        meetings.close()


async def _serve_with(
    projector: ProjectorService | None, app: Starlette, settings: Settings, deps: ApiDependencies
) -> None:
    if projector is not None:
        await projector.start()
    try:
        await serve_api(
            app, settings.api_host, settings.api_port, ws_max_size=deps.limits.max_ws_message_bytes
        )
    finally:
        if projector is not None:
            await projector.stop()

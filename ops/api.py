"""Composition of the HTTP/WebSocket API process: its dependencies from Settings, and serving.

- :func:`build_api_dependencies` puts ``http.deps.ApiDependencies`` together from
  already-open parts (the embedded stack shares ``Meetings``, the chDB ``ReadStore`` and
  the metrics registry with the projector in the same process): the write model through
  ``ops/meeting_commands.py``, the read model as ``projections.queries.Queries`` itself
  (its store's errors become the ports' through ``ops/read_errors.py``), the connector
  (``ops/connector.py``), the readiness checks (``ops/readiness.py``), and the services
  whose lifetime is the app's: the audit sinks (``ops/auth.py``) and the live feed
  (``streams.live_feed.KafkaLiveFeed``) when there is a broker.
  :func:`open_api_dependencies` opens and closes the parts itself.
- :func:`serve_api` runs an app on uvicorn until stopped (graceful shutdown), and
  :func:`run_api` is the whole standalone API process (it assembles the bundled speech
  model at start, so its readiness check finds it ready).

Must not: hold adapters (each has its own module), or be imported by another layer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import uvicorn
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette

from interview_analytics.connectors.sberjazz.sessions import SessionManager
from interview_analytics.domain.application import Meetings
from interview_analytics.http.app import create_app
from interview_analytics.http.audit import AuditSink
from interview_analytics.http.deps import ApiDependencies, ApiLimits
from interview_analytics.http.identity import Authenticator
from interview_analytics.http.ports import Service
from interview_analytics.ops.auth import build_audit_sinks, build_authenticator
from interview_analytics.ops.blobs import FileBlobStore
from interview_analytics.ops.connector import (
    ConnectorAdminAdapter,
    build_session_manager,
    connector_enabled,
)
from interview_analytics.ops.erasure import Eraser, MeetingErasureAdapter
from interview_analytics.ops.group_commit import GroupCommitter
from interview_analytics.ops.meeting_commands import MeetingCommandsAdapter
from interview_analytics.ops.projector import ProjectorService
from interview_analytics.ops.read_errors import read_errors
from interview_analytics.ops.readiness import readiness_checks
from interview_analytics.ops.reconciler import Reconciler, reconciler_wanted
from interview_analytics.ops.retention import apply_read_model_ttls
from interview_analytics.ops.settings import Settings
from interview_analytics.ops.webhook_registry import WebhookRegistryAdapter
from interview_analytics.ops.wiring import (
    build_data_keys,
    build_meetings,
    data_keys_of,
    event_codec,
    prepare_speech_model,
)
from interview_analytics.projections.queries import Queries
from interview_analytics.projections.report_page import ReportPageRenderer
from interview_analytics.projections.store import ReadStore
from interview_analytics.streams.live_feed import KafkaLiveFeed
from interview_analytics.streams.speech_models import SpeechModelError

log = logging.getLogger(__name__)


def api_limits(settings: Settings) -> ApiLimits:
    return settings.section(
        ApiLimits,
        keep_defaults=("readiness_timeout_sec", "live_queue_frames"),
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
    (MEETING_CONNECTOR_PROVIDER), on the same registry. The app's lifespan starts and
    stops the audit sink (when it has a lifetime) and the live feed."""
    registry = registry if registry is not None else CollectorRegistry()
    queries = Queries(read_store)
    if connector is None and connector_enabled(settings):
        connector = build_session_manager(settings, meetings, queries, registry)
    feed = (
        KafkaLiveFeed(bootstrap_servers, codec=event_codec(meetings)) if bootstrap_servers else None
    )
    return ApiDependencies(
        commands=MeetingCommandsAdapter(meetings, committer),
        reads=queries,
        read_errors=read_errors,
        authenticator=authenticator,
        audit=audit,
        readiness=readiness_checks(settings, meetings, read_store, bootstrap_servers),
        limits=api_limits(settings),
        registry=registry,
        live_feed=feed,
        services=tuple(part for part in (audit, feed) if isinstance(part, Service)),
        cors_allowed_origins=settings.cors_allowed_origins,
        connector=None if connector is None else ConnectorAdminAdapter(connector, queries),
        connector_provider=settings.meeting_connector_provider,
        auto_join_connector=settings.meeting_auto_join_on_start,
        webhooks=WebhookRegistryAdapter(meetings),
        report_pages=ReportPageRenderer(),
        erasure=MeetingErasureAdapter(
            Eraser(
                meetings,
                # The keys the meetings seal with: one instance forgets a destroyed key at once.
                data_keys_of(meetings) or build_data_keys(settings),
                FileBlobStore(settings.blob_dir),
                read_store,
            )
        ),
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
    and closes what it opened when the block ends."""
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
    _prepare_speech_model(settings)
    meetings = build_meetings(settings)
    read_store = ReadStore.connect(settings.resolved_clickhouse_url)
    try:
        read_store.migrate()
        apply_read_model_ttls(read_store, settings)
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


def _prepare_speech_model(settings: Settings) -> None:
    """The bundled model assembled at start rather than by the first ``/ready`` (which
    checks it); a model that cannot be is logged here and reported by ``/ready``."""
    try:
        prepare_speech_model(settings, lambda line: print(f"[api] {line}", flush=True))
    except SpeechModelError as error:
        log.error("speech model %r is not usable: %s", settings.speech_model, error)


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

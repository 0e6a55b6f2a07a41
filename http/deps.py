"""Everything the front door is given: ports, auth, audit, services, limits, registry.

``ops/api.py`` builds one :class:`ApiDependencies` from the settings and passes it to
``create_app``; tests build one from real components and test doubles. Routes reach it as
``request.app.state.deps`` through :func:`deps_of`, and call the read model through
:meth:`ApiDependencies.read` (a worker thread; the store's own errors become the ports'
through ``read_errors``).

Must not: build adapters or read the environment.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from interview_analytics.domain.ids import new_meeting_id
from interview_analytics.http.audit import AuditSink
from interview_analytics.http.identity import Authenticator
from interview_analytics.http.ports import (
    ConnectorAdmin,
    LiveFeed,
    MeetingCommands,
    MeetingErasure,
    MeetingReads,
    ReadinessChecks,
    ReportPages,
    Service,
    WebhookRegistry,
)

T = TypeVar("T")
MIB = 1024 * 1024


@dataclass(frozen=True)
class ApiLimits:
    max_request_body_bytes: int = 8 * MIB
    """Largest request body (413 payload_too_large), enforced while reading it."""
    max_chunk_bytes: int = 5 * MIB
    """Largest decoded audio chunk, REST or WebSocket (413 chunk_too_large)."""
    read_your_writes_max_wait_ms: int = 5_000
    """Longest a GET waits for ``min_version`` before answering from the write model."""
    readiness_timeout_sec: float = 3.0
    """Longest one readiness check may take before it counts as failed."""
    live_queue_frames: int = 256
    """Live frames buffered per WebSocket before it counts as too slow and is dropped."""
    max_ws_message_bytes: int = 8 * MIB
    """Largest WebSocket frame a client may send (JSON or binary)."""


def generate_meeting_id() -> str:
    return new_meeting_id(datetime.now(UTC), secrets.token_hex(5))


@dataclass(frozen=True)
class ApiDependencies:
    commands: MeetingCommands
    reads: MeetingReads
    authenticator: Authenticator
    audit: AuditSink
    readiness: ReadinessChecks = field(default_factory=dict)
    limits: ApiLimits = field(default_factory=ApiLimits)
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    """Where the API's metrics live; ``GET /metrics`` serves exactly this registry."""
    read_errors: Callable[[], contextlib.AbstractContextManager[None]] = contextlib.nullcontext
    """Wraps every read: turns the read store's own errors into the ports'
    (``DependencyUnavailableError``, ``InvalidCursorError``)."""
    live_feed: LiveFeed | None = None
    """Every meeting's events for the live WebSocket updates and the meeting cache; None =
    no feed (the live hub still works, fed by nothing; nothing is cached)."""
    services: Sequence[Service] = ()
    """Started in order before the first request, stopped in reverse after the last (the
    live feed, an audit sink that sends to Kafka)."""
    cors_allowed_origins: tuple[str, ...] = ()
    """Origins allowed by CORS; empty = no CORS headers at all."""
    connector: ConnectorAdmin | None = None
    """The meeting-platform connector; None = turned off (its admin routes answer 503)."""
    connector_provider: str = "sberjazz"
    auto_join_connector: bool = False
    """MEETING_AUTO_JOIN_ON_START: realtime starts join the connector unless they say no."""
    service_name: str = "ia-api"
    """The ``service`` label of the request metrics."""
    meeting_ids: Callable[[], str] = generate_meeting_id
    """Makes ids for starts without one: ``mtg_<UTC yyyymmddHHMMSS>_<10 hex>``."""
    webhooks: WebhookRegistry | None = None
    """Webhook endpoints per tenant (``/v1/webhooks``); None = those routes answer 503."""
    report_pages: ReportPages | None = None
    """Renders ``…/report.html`` and ``…/report.md``; None = those routes answer 503."""
    erasure: MeetingErasure | None = None
    """Erases meetings (``DELETE /v1/meetings/{id}``); None = that route answers 503."""

    async def read(self, method: Callable[..., T], *args: Any) -> T:
        """``method(*args)`` of the read model, in a worker thread, under ``read_errors``."""

        def call() -> T:
            with self.read_errors():
                return method(*args)

        return await run_in_threadpool(call)


def deps_of(connection: HTTPConnection) -> ApiDependencies:
    deps = connection.app.state.deps
    assert isinstance(deps, ApiDependencies)
    return deps

"""The front door on real components, for the HTTP and WebSocket tests.

``ApiHarness`` wires ``http.app.create_app`` the way ``ops/api.py`` does: meetings on a
SQLite event store with file blobs, chunk ingest through the real ``GroupCommitter`` and
``ops.meeting_commands.MeetingCommandsAdapter``, reads from ``projections.queries.Queries``
on chDB (its errors through ``ops.read_errors``), and, given a broker, the live feed
``streams.live_feed.KafkaLiveFeed`` as the app's one service. ``project()`` runs the real
``Projector`` and
``ProjectionWriter`` over the events stored since the last call, which is what the
projector process does from the topic.

Test doubles, named as such: :class:`TokenTableAuthenticatorDouble` (bearer tokens from a
fixed table instead of JWT/API-key checks) and :class:`RecordingAuditSink`.
``ServerThread`` runs an app on a real uvicorn server on a free port.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette

from interview_analytics.connectors.sberjazz.metrics import ConnectorMetrics
from interview_analytics.connectors.sberjazz.sessions import SessionManager
from interview_analytics.domain.application import Meetings
from interview_analytics.http.app import create_app
from interview_analytics.http.audit import AuditDecision
from interview_analytics.http.deps import ApiDependencies, ApiLimits
from interview_analytics.http.identity import AuthError, Identity
from interview_analytics.http.ports import ReadinessChecks
from interview_analytics.ops import event_store
from interview_analytics.ops.blobs import FileBlobStore
from interview_analytics.ops.connector import ConnectorAdminAdapter
from interview_analytics.ops.data_keys import DataKeys
from interview_analytics.ops.embedded import free_port
from interview_analytics.ops.erasure import Eraser, MeetingErasureAdapter
from interview_analytics.ops.group_commit import GroupCommitter
from interview_analytics.ops.meeting_commands import MeetingCommandsAdapter
from interview_analytics.ops.read_errors import read_errors
from interview_analytics.ops.settings import Settings
from interview_analytics.ops.webhook_registry import WebhookRegistryAdapter
from interview_analytics.ops.wiring import build_meetings, data_keys_of
from interview_analytics.projections.folding import events_from
from interview_analytics.projections.projector import ProjectionWriter, Projector
from interview_analytics.projections.queries import Queries
from interview_analytics.projections.replay import stored_events
from interview_analytics.projections.report_page import ReportPageRenderer
from interview_analytics.projections.store import ReadStore
from interview_analytics.streams.live_feed import KafkaLiveFeed

USER = "user-token"
SERVICE = "service-token"
TENANT_A = "tenant-a-token"
TENANT_B = "tenant-b-token"
PII_READER = "pii-reader-token"

IDENTITIES = {
    USER: Identity("alice", "user", "jwt"),
    SERVICE: Identity("pipeline", "service", "jwt"),
    TENANT_A: Identity("ann", "user", "jwt", tenant="a"),
    TENANT_B: Identity("bob", "user", "jwt", tenant="b"),
    PII_READER: Identity("petra", "user", "jwt", scopes=frozenset({"pii:read"})),
}

TEST_LIMITS = ApiLimits(
    max_request_body_bytes=64 * 1024,
    max_chunk_bytes=16 * 1024,
    read_your_writes_max_wait_ms=3_000,
    max_ws_message_bytes=64 * 1024,
    live_queue_frames=8,
)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class TokenTableAuthenticatorDouble:
    """TEST DOUBLE of ``http.identity.Authenticator``: ``Authorization: Bearer <token>``
    looked up in a fixed table; no header → 401 ``missing_credentials``, an unknown token
    → 401 ``invalid_token``. ``no_auth=True`` behaves like ``AUTH_MODE=none``."""

    def __init__(self, table: Mapping[str, Identity] = IDENTITIES, *, no_auth: bool = False):
        self.table = dict(table)
        self.no_auth = no_auth

    async def authenticate(self, headers: Mapping[str, str]) -> Identity:
        if self.no_auth:
            return Identity("anonymous", "user", "none")
        value = headers.get("authorization")
        if value is None:
            raise AuthError(401, "missing_credentials", "credentials are required")
        token = value.removeprefix("Bearer ").strip()
        if token not in self.table:
            raise AuthError(401, "invalid_token", "the token is not valid")
        return self.table[token]


@dataclass
class RecordingAuditSink:
    """TEST DOUBLE of ``http.audit.AuditSink``: keeps every decision in a list."""

    decisions: list[AuditDecision] = field(default_factory=list)

    def record(self, decision: AuditDecision) -> None:
        self.decisions.append(decision)


class ApiHarness:
    def __init__(
        self,
        tmp_path: Path,
        store: ReadStore,
        *,
        limits: ApiLimits = TEST_LIMITS,
        readiness: ReadinessChecks | None = None,
        live_bootstrap_servers: str | None = None,
        no_auth: bool = False,
        unconfigured_connector: bool = False,
        sealed: bool = False,
        event_store_url: str | None = None,
    ) -> None:
        url = event_store_url or f"sqlite:///{tmp_path / 'events.sqlite3'}"
        event_store.prepare(url)
        self.blob_dir = tmp_path / "blobs"
        self.settings = Settings.from_env({"DATA_DIR": str(tmp_path), "EVENT_STORE_URL": url})
        if sealed:  # crypto-shredding on, exactly as ops/wiring builds the write side
            self.meetings = build_meetings(self.settings)
            keys = data_keys_of(self.meetings)
            assert keys is not None
            self.data_keys = keys
        else:
            self.meetings = Meetings(
                env=event_store.eventsourcing_env(url), blobs=FileBlobStore(self.blob_dir)
            )
            self.data_keys = DataKeys(url, b"k" * 32)
        self.committer = GroupCommitter(self.meetings)
        self.store = store
        self.eraser = Eraser(self.meetings, self.data_keys, FileBlobStore(self.blob_dir), store)
        self.audit = RecordingAuditSink()
        self.registry = CollectorRegistry()
        connector = None
        if unconfigured_connector:  # the SberJazz routes, with SBERJAZZ_API_BASE empty
            manager = SessionManager(
                self.meetings, None, Queries(store), ConnectorMetrics(self.registry)
            )
            connector = ConnectorAdminAdapter(manager, Queries(store))
        self.live_feed = KafkaLiveFeed(live_bootstrap_servers) if live_bootstrap_servers else None
        self.deps = ApiDependencies(
            commands=MeetingCommandsAdapter(self.meetings, self.committer),
            reads=Queries(store),
            read_errors=read_errors,
            authenticator=TokenTableAuthenticatorDouble(no_auth=no_auth),
            audit=self.audit,
            readiness=readiness or {},
            limits=limits,
            registry=self.registry,
            live_feed=self.live_feed,
            services=() if self.live_feed is None else (self.live_feed,),
            connector=connector,
            webhooks=WebhookRegistryAdapter(self.meetings),
            report_pages=ReportPageRenderer(),
            erasure=MeetingErasureAdapter(self.eraser),
        )
        self.app: Starlette = create_app(self.deps)
        # As the projector process: gaps and reprojections load from the event store.
        self._projector = Projector(load=events_from(self.meetings))
        self._writer = ProjectionWriter(store)
        self._position = 0

    def project(self) -> int:
        """Project every event stored since the last call; returns how many."""
        batch = list(stored_events(self.meetings, start=self._position + 1))
        if batch:
            self._writer.write(self._projector.project(batch))
            self._position = max(n for n, _ in batch if n is not None)
        return len(batch)

    def close(self) -> None:
        self.committer.close()
        self.meetings.close()


class ServerThread:
    """A real uvicorn server for ``app`` on 127.0.0.1:<free port>, in a thread."""

    def __init__(self, app: Starlette, **options: Any) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, lifespan="on", log_config=None, **options
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)

"""Wiring of the SberJazz connector: the platform client from the settings, and the
session manager that the admin API and the reconciliation worker share in a process.

Must not: build clients at import time or make platform calls itself (the session manager
does).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Sequence
from typing import Any

from prometheus_client import CollectorRegistry

from interview_analytics.connectors.sberjazz.client import SberJazzClient, SberJazzConfig
from interview_analytics.connectors.sberjazz.metrics import ConnectorMetrics
from interview_analytics.connectors.sberjazz.sessions import (
    ConnectorError,
    SessionDirectory,
    SessionManager,
    SessionPolicy,
)
from interview_analytics.domain.application import Meetings
from interview_analytics.domain.connector import ConnectorSession
from interview_analytics.domain.read_filters import ConnectorSessionsFilter
from interview_analytics.http.ports import ConnectorUnavailableError
from interview_analytics.ops.read_errors import read_errors
from interview_analytics.ops.settings import Settings
from interview_analytics.ops.wiring import probe_duration
from interview_analytics.projections.queries import Queries


def connector_enabled(settings: Settings) -> bool:
    return settings.meeting_connector_provider == "sberjazz"


def build_client(settings: Settings) -> SberJazzClient | None:
    """The platform client, or None when SBERJAZZ_API_BASE is empty (not configured)."""
    if not connector_enabled(settings) or not settings.sberjazz_api_base:
        return None
    config = settings.section(
        SberJazzConfig,
        "sberjazz_",
        base_url=settings.sberjazz_api_base,
        token=str(settings.sberjazz_api_token),
        breaker_failure_threshold=settings.sberjazz_breaker_failures,
    )
    return SberJazzClient(config)


def build_session_manager(
    settings: Settings,
    meetings: Meetings,
    directory: SessionDirectory,
    registry: CollectorRegistry,
) -> SessionManager:
    return SessionManager(
        meetings,
        build_client(settings),
        directory,
        ConnectorMetrics(registry),
        SessionPolicy(
            stale_after_sec=settings.sberjazz_reconcile_stale_sec,
            session_ttl_sec=settings.sberjazz_session_ttl_sec,
            pull_limit=settings.sberjazz_pull_limit,
        ),
        probe=probe_duration,
    )


def session_record(session: ConnectorSession, meeting_id: str) -> dict[str, Any]:
    """A session from the event store in the read model's record shape."""
    return {
        "meeting_id": meeting_id,
        **dataclasses.asdict(session),
        "participants": list(session.participants),
        "connected": session.connected,
        "last_seen_at": session.last_seen_at,
        "source": "write_model",
    }


class ConnectorAdminAdapter:
    """``http.ports.ConnectorAdmin`` on the session manager and the read model."""

    def __init__(self, manager: SessionManager, queries: Queries) -> None:
        self.manager = manager
        self.queries = queries

    @contextlib.asynccontextmanager
    async def _platform_errors(self) -> AsyncIterator[None]:
        try:
            yield
        except ConnectorError as error:
            raise ConnectorUnavailableError(error.code, error.message, error.details) from None

    async def join(
        self, meeting_id: str, *, participants: Sequence[str], language: str | None, actor: str
    ) -> dict[str, Any]:
        async with self._platform_errors():
            session = await self.manager.join(
                meeting_id, participants=participants, language=language, actor=actor
            )
        return session_record(session, meeting_id)

    async def leave(self, meeting_id: str, *, actor: str) -> dict[str, Any]:
        async with self._platform_errors():
            session = await self.manager.leave(meeting_id, actor=actor)
        return session_record(session, meeting_id)

    async def reconnect(self, meeting_id: str, *, actor: str) -> dict[str, Any]:
        async with self._platform_errors():
            session = await self.manager.reconnect(meeting_id, actor=actor)
        return session_record(session, meeting_id)

    async def status(self, meeting_id: str) -> dict[str, Any]:
        with read_errors():
            record = await asyncio.to_thread(self.queries.connector_session, meeting_id)
        if record is not None:
            return {**record, "source": "read_model"}
        return session_record(await self.manager.status(meeting_id), meeting_id)

    async def sessions(self, selection: ConnectorSessionsFilter) -> list[dict[str, Any]]:
        with read_errors():
            return await asyncio.to_thread(self.queries.connector_sessions, selection)

    async def health(self) -> dict[str, Any]:
        return await self.manager.health()

    async def reconcile(self, limit: int) -> dict[str, Any]:
        async with self._platform_errors():
            with read_errors():
                result = await self.manager.reconcile(limit)
        return dataclasses.asdict(result)

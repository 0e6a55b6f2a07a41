"""The API's readiness checks (``GET /ready``): event store, broker, ClickHouse, speech model.

Each check returns when its dependency is usable and raises, with a message, when it is
not; the front door runs them at once, each under its own time limit. The broker check
asks for the topic list (``meeting-events`` must exist); the speech-model check only
looks for the model's files (the API never loads it; the transcriber does).

Must not: change anything it checks.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from interview_analytics.domain.application import Meetings
from interview_analytics.http.ports import ReadinessChecks
from interview_analytics.ops.settings import Settings
from interview_analytics.projections.store import ReadStore
from interview_analytics.streams.contract import MEETING_EVENTS
from interview_analytics.streams.speech import resolve_model

BROKER_CHECK_TIMEOUT_MS = 2_000


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

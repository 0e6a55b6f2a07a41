"""The API's readiness checks (``GET /ready``): event store, broker, ClickHouse, speech model.

Each check returns when its dependency is usable (with a note when there is something to
say) and raises, with a message, when it is not; the front door runs them at once, each
under its own time limit. The broker check asks for the topic list (``meeting-events``
must exist); the speech-model check looks at the model's files without loading it (the
transcriber does): a bundled model is verified (and assembled first if it is not yet, in
a thread), a directory must hold ``model.bin``, and any other name is faster-whisper's to
fetch or find in its cache.

Must not: change anything it checks (beyond assembling a bundled model that is not
assembled yet), or block the event loop.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from interview_analytics.domain.application import Meetings
from interview_analytics.http.ports import ReadinessCheck, ReadinessChecks
from interview_analytics.ops.settings import Settings
from interview_analytics.projections.store import ReadStore
from interview_analytics.streams.contract import MEETING_EVENTS
from interview_analytics.streams.speech_models import BUNDLED_MODELS, is_model_path, resolve_model

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

    return {
        "event_store": event_store,
        "broker": broker,
        "clickhouse": clickhouse,
        "speech_model": speech_model_check(settings),
    }


def speech_model_check(settings: Settings) -> ReadinessCheck:
    """The configured speech model's readiness (files only; nothing is loaded)."""

    async def speech_model() -> str | None:
        return await asyncio.to_thread(
            check_speech_model, settings.speech_model, settings.speech_model_cache_dir
        )

    return speech_model


def check_speech_model(name_or_path: str, cache_dir: Path) -> str | None:
    """A note when the model is usable as far as can be told here; raises when it is not."""
    if name_or_path in BUNDLED_MODELS:
        path = Path(resolve_model(name_or_path, cache_dir))  # assembles base the first time
        if not (path / "model.bin").is_file():
            raise RuntimeError(f"bundled speech model {name_or_path!r} has no model.bin at {path}")
        return f"bundled model {name_or_path!r} at {path}"
    if is_model_path(name_or_path):
        path = Path(name_or_path)
        if not path.is_dir():
            raise RuntimeError(f"speech model directory {name_or_path!r} does not exist")
        if not (path / "model.bin").is_file():
            raise RuntimeError(f"speech model directory {name_or_path!r} has no model.bin")
        return f"model directory {path}"
    return (
        f"{name_or_path!r} is not bundled: faster-whisper fetches it on first load "
        "or finds it in its cache"
    )

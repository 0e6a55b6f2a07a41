"""Faust apps: one app (= one consumer group, ``ia-<role>``) per pipeline stage.

Each role runs in its own process (``ia worker transcriber|enhancer|reporter``), so the
stages scale and restart independently. An agent consumes ``meeting-events`` one message
at a time, in partition order, so a meeting's events are handled in stream order; its
body is decode → stage → record (``StageRunner``). Offsets are committed by Faust after
messages are acknowledged; anything redelivered after a crash is harmless because the
aggregate refuses a second result for the same input.

Durable state lives in the event store, not in Faust tables: the embedded broker's
offsets and changelogs cannot be trusted (see docs/adr).

Must not: create topics (``topic_allow_declare=False``: ``streams/topics.py`` creates them
with their partition counts), keep state in Faust tables, or discover agents by import.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faust

from interview_analytics.streams.contract.groups import group_of
from interview_analytics.streams.contract.topics import DEAD_LETTERS, MEETING_EVENTS
from interview_analytics.streams.dead_letters import DeadLetter, OriginalMessage
from interview_analytics.streams.pipeline import StageRunner


@dataclass(frozen=True)
class FaustSettings:
    bootstrap_servers: str
    data_dir: Path
    session_timeout_sec: float
    rebalance_timeout_sec: float
    heartbeat_interval_sec: float
    commit_interval_sec: float


def create_app(role: str, settings: FaustSettings) -> faust.App:
    """A Faust app for one role, with no web server, tables or leader election."""
    datadir = settings.data_dir / "faust" / role
    datadir.mkdir(parents=True, exist_ok=True)
    return faust.App(
        group_of(role),
        broker=f"kafka://{settings.bootstrap_servers}",
        store="memory://",
        datadir=str(datadir),
        web_enabled=False,
        autodiscover=False,
        topic_allow_declare=False,
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=settings.session_timeout_sec,
        broker_rebalance_timeout=settings.rebalance_timeout_sec,
        broker_heartbeat_interval=settings.heartbeat_interval_sec,
        broker_commit_interval=settings.commit_interval_sec,
        producer_acks=-1,
    )


def meeting_events_topic(app: faust.App) -> Any:
    return app.topic(MEETING_EVENTS, key_serializer="raw", value_serializer="raw")


class FaustDeadLetterSink:
    """Publishes dead letters through the app's producer, waiting for the broker's ack."""

    def __init__(self, app: faust.App) -> None:
        self.topic = app.topic(DEAD_LETTERS, key_serializer="raw", value_serializer="raw")

    async def publish(self, letter: DeadLetter) -> None:
        sent = await self.topic.send(
            key=letter.meeting_id.encode(),
            value=letter.to_json(),
            headers=[("stage", letter.stage.encode()), ("kind", letter.kind.encode())],
        )
        await sent


def install_stage_agent(app: faust.App, runner: StageRunner) -> None:
    """The agent: every message of meeting-events, in order, through the stage runner."""

    async def process(stream: Any) -> None:
        async for event in stream.events():
            await runner.process(OriginalMessage.of(event.message))

    app.agent(meeting_events_topic(app), name=f"{runner.stage.name}_meeting_events")(process)

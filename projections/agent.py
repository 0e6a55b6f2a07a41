"""Projection agents: Kafka topics into ClickHouse tables, in batches, acked after insert.

One :class:`TopicProjection` per topic turns a batch of raw message values into rows by
table (``meeting-events`` through :class:`~projections.projector.Projector`, the
``dead-letters`` letters, the ``security-audit`` decisions).
:func:`install_projection_agent` wires one into a Faust app: the agent collects messages
without acknowledging them, and a batch is written when it is full or ``max_wait_sec``
old; only after the insert succeeded are its messages acked, so Faust never commits an
offset past a row that is not in the table. A failed insert is retried with backoff (the
same rows: folding is not repeated) until it succeeds or the process stops; a stop or a
crash in between leaves the messages unacknowledged, and their redelivery is harmless
because every row is idempotent (ReplacingMergeTree, FINAL reads).

Adding a table fed by another topic is local: a ``TopicProjection`` for it, one
``install_projection_agent`` call in ``ops/projector.py``.

Must not: read the environment or the clock for anything but backoff and batch age.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from interview_analytics.projections import dead_letters, security_audit
from interview_analytics.projections.projector import (
    Notified,
    ProjectionWriter,
    Projector,
    Row,
    notified,
)
from interview_analytics.streams.contract import (
    DEAD_LETTERS,
    MEETING_EVENTS,
    SECURITY_AUDIT,
    ContractError,
    EventCodec,
)

log = logging.getLogger(__name__)

RowsByTable = dict[str, list[Row]]


class TopicProjection(Protocol):
    topic: str
    name: str

    def rows(self, values: Sequence[bytes]) -> RowsByTable:
        """Rows for a batch of message values, in topic order. Called once per batch."""
        ...


@dataclass
class MeetingEventsProjection:
    """``meeting-events`` → meetings, transcript_segments, reports, event_log."""

    projector: Projector
    codec: EventCodec = field(default_factory=EventCodec)
    topic: str = MEETING_EVENTS
    name: str = "meeting_events"
    last_notification_id: int = 0
    """The highest store position projected so far: the projector's lag is head minus this."""
    undecodable: int = 0

    def rows(self, values: Sequence[bytes]) -> RowsByTable:
        batch: list[Notified] = []
        for value in values:
            try:
                notification_id, event = notified(self.codec, self.codec.decode(value))
            except (ContractError, EOFError, KeyError, TypeError, ValueError) as error:
                # Only the relay writes this topic; anything else is logged, not fatal.
                self.undecodable += 1
                log.error("projector: skipping an undecodable meeting event: %s", error)
                continue
            batch.append((notification_id, event))
            if notification_id is not None:
                self.last_notification_id = max(self.last_notification_id, notification_id)
        return self.projector.project(batch)


@dataclass
class DeadLettersProjection:
    """``dead-letters`` → dead_letters."""

    topic: str = DEAD_LETTERS
    name: str = "dead_letters"
    undecodable: int = 0

    def rows(self, values: Sequence[bytes]) -> RowsByTable:
        rows: list[Row] = []
        for value in values:
            try:
                rows.append(dead_letters.dead_letter_row_from_json(value))
            except (KeyError, TypeError, ValueError) as error:
                self.undecodable += 1
                log.error("projector: skipping an undecodable dead letter: %s", error)
        return {dead_letters.TABLE: rows}


@dataclass
class SecurityAuditProjection:
    """``security-audit`` → security_audit_log."""

    topic: str = SECURITY_AUDIT
    name: str = "security_audit"

    def rows(self, values: Sequence[bytes]) -> RowsByTable:
        return {security_audit.TABLE: security_audit.rows_from_messages(values)}


@dataclass(frozen=True)
class BatchSettings:
    max_events: int = 2_000
    max_wait_sec: float = 0.25
    retry_backoff_sec: float = 0.5
    max_retry_backoff_sec: float = 10.0


@dataclass(frozen=True)
class BatchWritten:
    projection: str
    events: int
    rows: int
    seconds: float


OnWritten = Callable[[BatchWritten], None]


class BatchingAgent:
    """The body of one projection agent: buffer, write when due, ack what was written."""

    def __init__(
        self,
        projection: TopicProjection,
        writer: ProjectionWriter,
        settings: BatchSettings = BatchSettings(),
        on_written: OnWritten | None = None,
    ) -> None:
        self.projection = projection
        self.writer = writer
        self.settings = settings
        self.on_written = on_written
        self._stream: Any = None
        self._events: list[Any] = []
        self._oldest = 0.0
        self._lock = asyncio.Lock()
        self.failures = 0

    async def consume(self, stream: Any) -> None:
        """Faust agent body: every message of the topic, acked only once written."""
        self._stream = stream.noack()
        async for event in self._stream.events():
            if not self._events:
                self._oldest = time.monotonic()
            self._events.append(event)
            if len(self._events) >= self.settings.max_events:
                await self.flush()

    async def flush_if_due(self) -> None:
        """Timer body: write a partial batch once its oldest message waited long enough."""
        if self._events and time.monotonic() - self._oldest >= self.settings.max_wait_sec:
            await self.flush()

    async def flush(self) -> None:
        async with self._lock:
            events, self._events = self._events, []
            if not events:
                return
            started = time.perf_counter()
            # Folding a batch takes a while: off the event loop, which in the embedded
            # layout also serves the API. The lock keeps one batch at a time.
            values = [bytes(e.message.value) for e in events]
            rows = await asyncio.to_thread(self.projection.rows, values)
            written = await self._write_until_done(rows)
            for event in events:
                await self._stream.ack(event)
            if self.on_written is not None:
                self.on_written(
                    BatchWritten(
                        self.projection.name, len(events), written, time.perf_counter() - started
                    )
                )

    async def _write_until_done(self, rows: Mapping[str, Sequence[Row]]) -> int:
        backoff = self.settings.retry_backoff_sec
        while True:
            try:
                return await asyncio.to_thread(self.writer.write, rows)
            except Exception as error:  # any store failure: retry, never ack
                self.failures += 1
                log.warning(
                    "projector: insert for %s failed (%s); retrying in %.1f s",
                    self.projection.name,
                    error,
                    backoff,
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.settings.max_retry_backoff_sec)


def install_projection_agent(app: Any, agent: BatchingAgent) -> None:
    """Register ``agent`` on a Faust app: one consumer of its topic plus a flush timer."""
    topic = app.topic(agent.projection.topic, key_serializer="raw", value_serializer="raw")
    app.agent(topic, name=f"project_{agent.projection.name}")(agent.consume)
    app.timer(interval=agent.settings.max_wait_sec, name=f"flush_{agent.projection.name}")(
        agent.flush_if_due
    )

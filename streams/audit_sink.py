"""The ``security-audit`` topic: the front door's allow/deny decisions as JSON messages.

:class:`KafkaAuditSink` is one of the API's audit sinks (``ops/auth.py`` puts it beside the
log line): each decision as one JSON object (:func:`encode`; key: the subject; header
``event_type``: ``security_audit_allow`` / ``security_audit_deny``), sent by a background
task from a bounded queue. ``record`` never waits: when the queue is full the decision is
dropped, counted (``dropped``) and a warning is logged (at most one every few seconds).
``start``/``stop`` are the API's lifespan; ``stop`` sends what is queued before it returns.

It takes any :class:`AuditRecord` (``http.audit.AuditDecision`` is one), so the front
door's record type stays the front door's: this module knows only its three members.

Must not: block the caller, import ``http/``, or read the environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiokafka import AIOKafkaProducer

from interview_analytics.streams.contract import SECURITY_AUDIT
from interview_analytics.streams.contract.codec import CONTENT_TYPE_HEADER, EVENT_TYPE_HEADER

CONTENT_TYPE = "application/json"

log = logging.getLogger(__name__)


class AuditRecord(Protocol):
    """One decision: who asked (the message key), its event name, all its fields."""

    @property
    def subject(self) -> str: ...

    @property
    def event(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


def encode(decision: AuditRecord) -> bytes:
    """The message value on ``security-audit``: the decision as one JSON object."""
    return json.dumps(decision.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(eq=False)
class KafkaAuditSink:
    """Decisions as JSON messages on the ``security-audit`` topic, sent in the background."""

    bootstrap_servers: str
    topic: str = field(default=SECURITY_AUDIT, kw_only=True)
    max_queue: int = field(default=10_000, kw_only=True)
    batch_size: int = field(default=500, kw_only=True)
    request_timeout_ms: int = field(default=10_000, kw_only=True)
    stop_timeout_sec: float = field(default=10.0, kw_only=True)
    drop_warning_interval_sec: float = field(default=10.0, kw_only=True)
    sent: int = field(default=0, init=False)
    """Decisions the broker acknowledged."""
    dropped: int = field(default=0, init=False)
    """Decisions never sent because the queue was full or the sink had stopped."""
    failed: int = field(default=0, init=False)
    """Decisions the broker refused or did not acknowledge in time."""
    _producer: AIOKafkaProducer | None = field(default=None, init=False)
    _task: asyncio.Task[None] | None = field(default=None, init=False)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, init=False)
    _loop_thread: int | None = field(default=None, init=False)
    _stopped: bool = field(default=False, init=False)
    _last_drop_warning: float = field(default=-float("inf"), init=False)

    def __post_init__(self) -> None:
        self._queue: asyncio.Queue[AuditRecord] = asyncio.Queue(maxsize=self.max_queue)

    async def start(self) -> None:
        """Connect the producer and start sending (decisions queued before are sent too)."""
        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap_servers,
            acks="all",
            linger_ms=5,
            request_timeout_ms=self.request_timeout_ms,
        )
        try:
            await producer.start()
        except BaseException:
            await producer.stop()  # releases the client's connections and tasks
            raise
        self._producer = producer
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._task = self._loop.create_task(self._send_forever(), name="security-audit-sender")

    async def stop(self) -> None:
        """Send what is queued (up to ``stop_timeout_sec``), then close the producer."""
        self._stopped = True
        if self._task is not None:
            try:
                await asyncio.wait_for(self._queue.join(), self.stop_timeout_sec)
            except TimeoutError:
                lost = self._queue.qsize()
                self.dropped += lost
                log.warning("security audit: %d decision(s) not sent before stop", lost)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        elif not self._queue.empty():
            self.dropped += self._queue.qsize()
            log.warning("security audit: %d decision(s) queued, never sent", self._queue.qsize())
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    def record(self, decision: AuditRecord) -> None:
        if self._stopped:
            self._drop("the audit sink has stopped")
        elif self._loop is not None and threading.get_ident() != self._loop_thread:
            # A sync route runs in a worker thread; asyncio queues belong to their loop.
            self._loop.call_soon_threadsafe(self._enqueue, decision)
        else:
            self._enqueue(decision)

    def _enqueue(self, decision: AuditRecord) -> None:
        try:
            self._queue.put_nowait(decision)
        except asyncio.QueueFull:
            self._drop("the audit queue is full")

    def _drop(self, why: str) -> None:
        self.dropped += 1
        now = time.monotonic()
        if now - self._last_drop_warning >= self.drop_warning_interval_sec:
            self._last_drop_warning = now
            log.warning(
                "security audit: decision dropped (%s); %d dropped so far", why, self.dropped
            )

    async def _send_forever(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.batch_size and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._send(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _send(self, batch: list[AuditRecord]) -> None:
        assert self._producer is not None
        pending: list[asyncio.Future[Any]] = []
        errors: list[BaseException] = []
        for decision in batch:
            try:
                pending.append(
                    await self._producer.send(
                        self.topic,
                        value=encode(decision),
                        key=decision.subject.encode(),
                        headers=[
                            (EVENT_TYPE_HEADER, decision.event.encode()),
                            (CONTENT_TYPE_HEADER, CONTENT_TYPE.encode()),
                        ],
                    )
                )
            except Exception as error:  # a KafkaError, or the producer closing
                errors.append(error)
        results = await asyncio.gather(*pending, return_exceptions=True)
        errors += [result for result in results if isinstance(result, BaseException)]
        self.sent += len(batch) - len(errors)
        if errors:
            self.failed += len(errors)
            log.warning(
                "security audit: %d of %d decision(s) not sent to %s: %s",
                len(errors),
                len(batch),
                self.topic,
                errors[0],
            )

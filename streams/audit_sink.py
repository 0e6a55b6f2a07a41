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
from typing import Any, Protocol

from aiokafka import AIOKafkaProducer

from interview_analytics.streams.contract import SECURITY_AUDIT

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


class KafkaAuditSink:
    """Decisions as JSON messages on the ``security-audit`` topic, sent in the background."""

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        topic: str = SECURITY_AUDIT,
        max_queue: int = 10_000,
        batch_size: int = 500,
        request_timeout_ms: int = 10_000,
        stop_timeout_sec: float = 10.0,
        drop_warning_interval_sec: float = 10.0,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.topic = topic
        self.batch_size = batch_size
        self.request_timeout_ms = request_timeout_ms
        self.stop_timeout_sec = stop_timeout_sec
        self.drop_warning_interval_sec = drop_warning_interval_sec
        self.sent = 0
        """Decisions the broker acknowledged."""
        self.dropped = 0
        """Decisions never sent because the queue was full or the sink had stopped."""
        self.failed = 0
        """Decisions the broker refused or did not acknowledge in time."""
        self._queue: asyncio.Queue[AuditRecord] = asyncio.Queue(maxsize=max_queue)
        self._producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._stopped = False
        self._last_drop_warning = -float("inf")

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
                            ("event_type", decision.event.encode()),
                            ("content-type", CONTENT_TYPE.encode()),
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

"""Where audit decisions go: a structured log line, the ``security-audit`` topic, or both.

- :class:`LoggingAuditSink`: one line per decision on the ``interview_analytics.security``
  logger, message ``security_audit_allow`` / ``security_audit_deny`` followed by the key
  fields, and every field of :meth:`AuditDecision.to_dict` as a log-record attribute (so
  ``LOG_FORMAT=json`` writes them as JSON keys). Allows at INFO, denies at WARNING.
- :class:`KafkaAuditSink`: the same record as JSON on ``security-audit`` (key: the
  subject; header ``event_type``: the event name), sent by a background task from a
  bounded queue. ``record`` never waits: when the queue is full the decision is dropped,
  counted (``dropped``) and a warning is logged (at most one every few seconds). ``stop``
  sends what is queued before it returns.
- :class:`FanOutAuditSink`: hands each decision to several sinks; one failing sink does
  not keep the others from recording, nor fails the request.

Must not: block the request, read the environment, or know about routes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

from aiokafka import AIOKafkaProducer

from interview_analytics.http.audit import AuditDecision, AuditSink
from interview_analytics.streams.contract import SECURITY_AUDIT

SECURITY_LOGGER = "interview_analytics.security"
CONTENT_TYPE = "application/json"

log = logging.getLogger(__name__)


def encode(decision: AuditDecision) -> bytes:
    """The message value on ``security-audit``: the decision as one JSON object."""
    return json.dumps(decision.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()


@runtime_checkable
class ManagedAuditSink(Protocol):
    """A sink with a lifetime: started before the first request, stopped after the last."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class LoggingAuditSink:
    """One structured log line per decision."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger(SECURITY_LOGGER)

    def record(self, decision: AuditDecision) -> None:
        fields = decision.to_dict()
        # The text format shows only the message, so it carries the fields people look for.
        message = (
            f"{decision.event} {decision.method} {decision.endpoint} "
            f"subject={decision.subject} auth_type={decision.auth_type} "
            f"client_ip={decision.client_ip}"
        )
        if not decision.allowed:
            message += f" status={decision.status_code} code={decision.error_code}"
        message += f" reason={decision.reason!r}"
        level = logging.INFO if decision.allowed else logging.WARNING
        self.logger.log(level, message, extra=fields)


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
        self._queue: asyncio.Queue[AuditDecision] = asyncio.Queue(maxsize=max_queue)
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

    def record(self, decision: AuditDecision) -> None:
        if self._stopped:
            self._drop("the audit sink has stopped")
        elif self._loop is not None and threading.get_ident() != self._loop_thread:
            # A sync route runs in a worker thread; asyncio queues belong to their loop.
            self._loop.call_soon_threadsafe(self._enqueue, decision)
        else:
            self._enqueue(decision)

    def _enqueue(self, decision: AuditDecision) -> None:
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

    async def _send(self, batch: list[AuditDecision]) -> None:
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


class FanOutAuditSink:
    """Every decision to every sink; ``start``/``stop`` reach the sinks that have them."""

    def __init__(self, sinks: Iterable[AuditSink]) -> None:
        self.sinks = list(sinks)

    def record(self, decision: AuditDecision) -> None:
        for sink in self.sinks:
            try:
                sink.record(decision)
            except Exception:
                # An audit sink must not turn an answered request into a 500.
                log.exception("security audit sink %s failed", type(sink).__name__)

    async def start(self) -> None:
        for sink in self.sinks:
            if isinstance(sink, ManagedAuditSink):
                await sink.start()

    async def stop(self) -> None:
        for sink in reversed(self.sinks):
            if isinstance(sink, ManagedAuditSink):
                await sink.stop()

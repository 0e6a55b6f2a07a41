"""The relay (transactional outbox): event store notification log → ``meeting-events``.

It reads stored events in notification order, publishes each, keyed by meeting id, with
acks=all, waits until the broker acknowledged the whole batch, and only then advances its
position, which it keeps in the event store's tracking table. At-least-once: a crash
between acknowledgement and the position update republishes a batch, and consumers drop
what they have seen by (meeting_id, version).

The position is kept per broker cluster id (``relay:<topic>@<cluster id>``). A
memory-only broker that restarts comes back with a new cluster id (see
``ops/embedded.py``), so the relay finds no position for it, recreates the topics and
republishes everything from the start of the store. The same holds for a move to a new
Kafka cluster.

Only meeting events are published: events of the other aggregate in the store (a tenant's
``WebhookEndpoints``, whose registrations carry signing secrets) are skipped, and the
position moves past them.

Must not: advance its position before the broker acknowledged the batch, delete a topic
on a cluster it did not see being replaced, or publish an event that is not a meeting's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from eventsourcing.persistence import (
    ApplicationRecorder,
    Mapper,
    Notification,
    Tracking,
    TrackingRecorder,
)

from interview_analytics.domain.meeting import Meeting
from interview_analytics.streams.contract import MEETING_EVENTS, EventCodec, KafkaMessage
from interview_analytics.streams.topics import TopicSpec, ensure_topics

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class RelayStats:
    """What an operator wants to know about the relay (exported as metrics by ops/)."""

    cluster_id: str = ""
    position: int = 0
    head: int = 0
    published_total: int = 0
    broker_resets: int = 0
    errors_total: int = 0
    last_error: str | None = None
    batches_total: int = 0
    batch_seconds_total: float = 0.0
    """Time from reading a batch to the broker's acknowledgement and the position update."""

    @property
    def backlog(self) -> int:
        """Events stored but not yet acknowledged by the broker."""
        return max(self.head - self.position, 0)


@dataclass(frozen=True)
class RelayConfig:
    bootstrap_servers: str
    topics: Sequence[TopicSpec]
    topic: str = MEETING_EVENTS
    batch_size: int = 500
    poll_interval_sec: float = 0.1
    broker_check_interval_sec: float = 2.0
    enable_idempotence: bool = False
    request_timeout_ms: int = 15_000


@dataclass(eq=False, kw_only=True)
class Relay:
    store: ApplicationRecorder
    tracking: TrackingRecorder
    mapper: Mapper[Any]
    codec: EventCodec
    config: RelayConfig
    stats: RelayStats = field(default_factory=RelayStats, init=False)
    _producer: AIOKafkaProducer | None = field(default=None, init=False)
    _admin: AIOKafkaAdminClient | None = field(default=None, init=False)
    _last_broker_check: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        # The store drivers are blocking; one dedicated thread keeps them off the event
        # loop and keeps each connection on the thread that made it.
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relay-store")

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._admin = AIOKafkaAdminClient(bootstrap_servers=self.config.bootstrap_servers)
        await self._admin.start()
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.config.bootstrap_servers,
            acks="all",
            enable_idempotence=self.config.enable_idempotence,
            request_timeout_ms=self.config.request_timeout_ms,
            linger_ms=2,
        )
        await self._producer.start()
        await self._check_broker(force=True)

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
        if self._admin is not None:
            await self._admin.close()
            self._admin = None
        self._db.shutdown(wait=True)

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until ``stop`` is set; errors are logged, counted and retried."""
        backoff = self.config.poll_interval_sec
        while not stop.is_set():
            try:
                published = await self.publish_available()
                backoff = self.config.poll_interval_sec
            except (TimeoutError, KafkaError, OSError) as error:
                self.stats.errors_total += 1
                self.stats.last_error = f"{type(error).__name__}: {error}"
                log.warning("relay: publish failed, will retry: %s", self.stats.last_error)
                self._last_broker_check = 0.0  # re-check the broker before the next try
                published = 0
                backoff = min(backoff * 2, 5.0)
            if not published:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=backoff)

    # ------------------------------------------------------------------ work

    async def publish_available(self) -> int:
        """Publish everything stored after the position; returns how many were published."""
        await self._check_broker()
        self.stats.head = await self._in_db(self.store.max_notification_id) or 0
        total = 0
        while True:
            notifications = await self._in_db(
                self.store.select_notifications,
                self.stats.position + 1,
                self.config.batch_size,
            )
            if notifications:
                await self._publish_batch(notifications)
                total += len(notifications)
            if len(notifications) < self.config.batch_size:
                return total

    async def _publish_batch(self, notifications: Sequence[Notification]) -> None:
        assert self._producer is not None
        started = time.perf_counter()
        # Events of other aggregates in the same store (webhook endpoints, which carry
        # signing secrets) are not meeting events: skipped, but the position moves past them.
        messages = [m for m in map(self._message, notifications) if m is not None]
        pending = [
            await self._producer.send(m.topic, value=m.value, key=m.key, headers=m.headers)
            for m in messages
        ]
        await asyncio.gather(*pending)  # every record acknowledged (acks=all)
        last = notifications[-1].id
        await self._in_db(self.tracking.insert_tracking, Tracking(self._position_name(), last))
        self.stats.position = last
        self.stats.head = max(self.stats.head, last)
        self.stats.published_total += len(messages)
        self.stats.batches_total += 1
        self.stats.batch_seconds_total += time.perf_counter() - started

    def _message(self, notification: Notification) -> KafkaMessage | None:
        event = self.mapper.to_domain_event(notification)
        if not isinstance(event, Meeting.Event):
            return None
        return self.codec.message(event, notification.id, topic=self.config.topic)

    # ------------------------------------------------------------------ broker identity

    def _position_name(self) -> str:
        return relay_position_name(self.config.topic, self.stats.cluster_id)

    async def _check_broker(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_broker_check < self.config.broker_check_interval_sec:
            return
        assert self._admin is not None
        description = await self._admin.describe_cluster()
        self._last_broker_check = now
        cluster_id = str(description["cluster_id"])
        if cluster_id == self.stats.cluster_id:
            return
        reset = bool(self.stats.cluster_id)
        if reset:
            self.stats.broker_resets += 1
            log.warning(
                "relay: broker cluster changed (%s -> %s); republishing from the store",
                self.stats.cluster_id,
                cluster_id,
            )
        self.stats.cluster_id = cluster_id
        # Only a broker we saw being replaced is ours to repair: deleting a topic with an
        # unexpected partition count on a live cluster would throw its data away.
        await ensure_topics(self.config.bootstrap_servers, self.config.topics, repair=reset)
        position = await self._in_db(self.tracking.max_tracking_id, self._position_name())
        self.stats.position = position or 0
        log.info("relay: cluster %s, resuming after notification %s", cluster_id, position or 0)

    async def _in_db(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._db, fn, *args)


def relay_position_name(topic: str, cluster_id: str) -> str:
    """The tracking-table name of the relay's position for one topic on one broker cluster."""
    return f"relay:{topic}@{cluster_id}"

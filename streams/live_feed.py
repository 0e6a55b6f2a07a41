"""The API's live feed: ``meeting-events`` followed from its end, decoded, handed on.

:class:`KafkaLiveFeed` is the ONE consumer of ``meeting-events`` per API process: no
consumer group (every API process sees every event), all partitions assigned, starting
at the end (after a reconnect, where it stopped), waiting without creating the topic
until it exists. Each message is decoded with ``streams.contract.EventCodec`` and given,
with its event type, to every listener (``listen``: the API's live hub and meeting
cache); a message it cannot decode is skipped with a warning. Listeners are also told
when the feed starts following the stream and when it lost it. ``start``/``stop`` run it
as a background task (the API's lifespan calls them).

Must not: import ``http/``, commit offsets, or block the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, TopicPartition

from interview_analytics.domain.meeting import Meeting
from interview_analytics.streams.contract import MEETING_EVENTS, ContractError, EventCodec

log = logging.getLogger(__name__)

EventListener = Callable[[str, Meeting.Event], None]
StateListener = Callable[[bool], None]


class KafkaLiveFeed:
    """Follows ``meeting-events`` from its end to its listeners, reconnecting."""

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        topic: str = MEETING_EVENTS,
        codec: EventCodec | None = None,
        retry_sec: float = 2.0,
        stop_timeout_sec: float = 10.0,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.topic = topic
        self.codec = codec or EventCodec()
        self.retry_sec = retry_sec
        self.stop_timeout_sec = stop_timeout_sec
        self.ready = asyncio.Event()
        """Set once every partition is assigned and positioned (tests wait for it)."""
        self.positions: dict[int, int] = {}
        """Next offset to read per partition, kept across reconnects."""
        self._event_listeners: list[EventListener] = []
        self._state_listeners: list[StateListener] = []
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def listen(self, on_event: EventListener, on_state: StateListener) -> None:
        """``on_event(event_type, event)`` for every decoded event; ``on_state(True)`` once
        following the stream, ``on_state(False)`` when it was lost."""
        self._event_listeners.append(on_event)
        self._state_listeners.append(on_state)

    async def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self.run(self._stop), name="live-feed")

    async def stop(self) -> None:
        """Stop following (waits up to ``stop_timeout_sec``, then cancels)."""
        self._stop.set()
        task, self._task = self._task, None
        if task is None:
            return
        try:
            await asyncio.wait_for(task, self.stop_timeout_sec)
        except TimeoutError:
            log.warning("live feed did not stop within %s s", self.stop_timeout_sec)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._follow(stop)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("live feed lost %s; retrying", self.bootstrap_servers, exc_info=True)
                self._set_ready(False)
                await _wait(stop, self.retry_sec)
        self._set_ready(False)

    def _set_ready(self, ready: bool) -> None:
        if ready:
            self.ready.set()
        else:
            self.ready.clear()
        for listener in self._state_listeners:
            listener(ready)

    async def _follow(self, stop: asyncio.Event) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="latest",
        )
        await consumer.start()
        try:
            partitions = await self._partitions(consumer, stop)
            if partitions is None:
                return
            assigned = [TopicPartition(self.topic, p) for p in sorted(partitions)]
            consumer.assign(assigned)
            for tp in assigned:
                if tp.partition in self.positions:
                    consumer.seek(tp, self.positions[tp.partition])
                else:
                    await consumer.seek_to_end(tp)
                    self.positions[tp.partition] = await consumer.position(tp)
            self._set_ready(True)
            while not stop.is_set():
                batches = await consumer.getmany(timeout_ms=250)
                for tp, records in batches.items():
                    for record in records:
                        self._deliver(record.value)
                        self.positions[tp.partition] = record.offset + 1
        finally:
            await consumer.stop()

    async def _partitions(self, consumer: AIOKafkaConsumer, stop: asyncio.Event) -> set[int] | None:
        """The topic's partitions, waiting (without creating it) until it exists."""
        while not stop.is_set():
            # A metadata request for all topics never auto-creates one (Tansu would, with
            # its own partition count, for a request naming it).
            cluster = await consumer._client.fetch_all_metadata()
            partitions = cluster.partitions_for_topic(self.topic)
            if partitions:
                return set(partitions)
            await _wait(stop, self.retry_sec)
        return None

    def _deliver(self, value: bytes | None) -> None:
        if value is None:
            return
        try:
            envelope = self.codec.decode(value)
            event = self.codec.event(envelope)
        except (ContractError, KeyError, TypeError, ValueError):
            log.warning("live feed skipped a message it cannot decode", exc_info=True)
            return
        for listener in self._event_listeners:
            listener(envelope.event_type, event)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)

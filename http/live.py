"""Live updates for WebSockets: a hub of per-meeting subscribers, fed from the event stream.

:class:`KafkaLiveFeed` is the ONE consumer of ``meeting-events`` per API process: no
consumer group (every API process sees every event), all partitions assigned, starting
at the end (after a reconnect, where it stopped). It decodes each message with
``streams.contract.EventCodec`` and hands the event to the :class:`LiveHub`, which turns
it into frames (``frames_for``) only when some socket subscribed to that meeting:

- ``Transcribed`` → ``transcript.update`` (``completed: false`` for a draft that a later
  frame for the same seqs replaces; the final pass is ``completed: true`` and replaces
  every draft);
- ``Enhanced`` → ``transcript.enhanced`` (the whole enhanced transcript so far);
- ``Reported`` → ``report.update``; ``ChunkRejected`` → ``chunk.rejected``;
  ``Finished`` → ``meeting.status``.

Repeats are dropped per meeting by stream version (the relay is at-least-once). Each
subscriber has a bounded queue; one that falls ``queue_size`` frames behind is dropped
from all its meetings and gets one ``error`` frame (``slow_consumer``) instead of the
backlog, so one slow client never holds up the feed or the others. Nothing here polls a
database.

Must not: block the event loop, or keep state for meetings nobody watches.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from interview_analytics.domain.meeting import Meeting
from interview_analytics.streams.contract import MEETING_EVENTS, ContractError, EventCodec

log = logging.getLogger(__name__)

SCHEMA_VERSION = "v1"
Frame = dict[str, Any]


# ---------------------------------------------------------------------- frames


def frames_for(event: Meeting.Event) -> list[Frame]:
    """The frames subscribers of the event's meeting get (none for most event types)."""
    base = {"schema_version": SCHEMA_VERSION, "meeting_id": event.meeting_id}
    version = event.originator_version
    if isinstance(event, Meeting.Transcribed):
        return [transcript_update(event)]
    if isinstance(event, Meeting.Enhanced):
        return [
            {
                **base,
                "event_type": "transcript.enhanced",
                "enhanced_text": event.text,
                "turns": event.segments,
                "completed": event.final,
                "pii_masked": event.pii_masked,
                "version": version,
                "input_version": event.input_version,
            }
        ]
    if isinstance(event, Meeting.Reported):
        return [
            {
                **base,
                "event_type": "report.update",
                "report": event.report,
                "completed": event.final,
                "version": version,
                "input_version": event.input_version,
            }
        ]
    if isinstance(event, Meeting.ChunkRejected):
        return [
            {
                **base,
                "event_type": "chunk.rejected",
                "seq": event.seq,
                "code": event.code,
                "message": event.reason,
                "version": version,
            }
        ]
    if isinstance(event, Meeting.Finished):
        return [
            {**base, "event_type": "meeting.status", "status": "finalizing", "version": version}
        ]
    return []


def transcript_update(event: Meeting.Transcribed) -> Frame:
    segments = sorted(event.segments, key=lambda s: s["start_sec"])
    speakers = {s["speaker"] for s in segments}
    return {
        "schema_version": SCHEMA_VERSION,
        "event_type": "transcript.update",
        "meeting_id": event.meeting_id,
        "seq": max(event.seqs) if event.seqs else None,
        "seqs": list(event.seqs),
        "speaker": speakers.pop() if len(speakers) == 1 else None,
        "raw_text": " ".join(s["text"].strip() for s in segments if s["text"].strip()),
        "enhanced_text": "",
        "confidence": round(fmean(s["confidence"] for s in segments), 4) if segments else None,
        "start_sec": segments[0]["start_sec"] if segments else None,
        "end_sec": max(s["end_sec"] for s in segments) if segments else None,
        "completed": event.final,
        "segments": [
            {
                "segment_id": s["segment_id"],
                "start_sec": s["start_sec"],
                "end_sec": s["end_sec"],
                "speaker": s["speaker"],
                "text": s["text"],
                "confidence": s["confidence"],
            }
            for s in segments
        ],
        "language": event.language,
        "version": event.originator_version,
        "input_version": event.input_version,
    }


# ---------------------------------------------------------------------- hub


@dataclass(eq=False)
class Subscriber:
    queue: asyncio.Queue[Frame]
    meetings: set[str] = field(default_factory=set)
    dropped: int = 0


@dataclass
class _Channel:
    subscribers: set[Subscriber] = field(default_factory=set)
    last_version: int = 0


class LiveHub:
    def __init__(self, queue_size: int = 256, on_drop: Callable[[], None] | None = None) -> None:
        self.queue_size = queue_size
        self.on_drop = on_drop
        self._channels: dict[str, _Channel] = {}

    def subscriber(self) -> Subscriber:
        return Subscriber(asyncio.Queue(self.queue_size))

    def subscribe(self, subscriber: Subscriber, meeting_id: str) -> None:
        self._channels.setdefault(meeting_id, _Channel()).subscribers.add(subscriber)
        subscriber.meetings.add(meeting_id)

    def unsubscribe(self, subscriber: Subscriber, meeting_id: str) -> None:
        subscriber.meetings.discard(meeting_id)
        channel = self._channels.get(meeting_id)
        if channel is None:
            return
        channel.subscribers.discard(subscriber)
        if not channel.subscribers:
            del self._channels[meeting_id]

    def remove(self, subscriber: Subscriber) -> None:
        for meeting_id in list(subscriber.meetings):
            self.unsubscribe(subscriber, meeting_id)

    def watched(self, meeting_id: str) -> bool:
        return meeting_id in self._channels

    def publish(self, event: Meeting.Event) -> int:
        """Deliver the event's frames to its meeting's subscribers; returns how many got
        them. Repeats (version not newer than the last one seen) are dropped."""
        channel = self._channels.get(event.meeting_id)
        if channel is None or event.originator_version <= channel.last_version:
            return 0
        channel.last_version = event.originator_version
        frames = frames_for(event)
        if not frames:
            return 0
        for subscriber in list(channel.subscribers):
            self._offer(subscriber, frames)
        return len(channel.subscribers)

    def _offer(self, subscriber: Subscriber, frames: list[Frame]) -> None:
        try:
            for frame in frames:
                subscriber.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self._drop(subscriber)

    def _drop(self, subscriber: Subscriber) -> None:
        meetings = sorted(subscriber.meetings)
        self.remove(subscriber)
        subscriber.dropped += 1
        while not subscriber.queue.empty():
            subscriber.queue.get_nowait()
        subscriber.queue.put_nowait(
            {
                "schema_version": SCHEMA_VERSION,
                "event_type": "error",
                "code": "slow_consumer",
                "message": "live updates were dropped: this socket read too slowly; "
                "subscribe again (GET the meeting for what was missed)",
                "details": {"meeting_ids": meetings},
            }
        )
        if self.on_drop is not None:
            self.on_drop()


# ---------------------------------------------------------------------- Kafka feed


class KafkaLiveFeed:
    """Follows ``meeting-events`` from its end into a :class:`LiveHub`, reconnecting."""

    def __init__(
        self,
        hub: LiveHub,
        bootstrap_servers: str,
        *,
        topic: str = MEETING_EVENTS,
        codec: EventCodec | None = None,
        on_event: Callable[[str], None] | None = None,
        retry_sec: float = 2.0,
    ) -> None:
        self.hub = hub
        self.bootstrap_servers = bootstrap_servers
        self.topic = topic
        self.codec = codec or EventCodec()
        self.on_event = on_event
        self.retry_sec = retry_sec
        self.ready = asyncio.Event()
        """Set once every partition is assigned and positioned (tests wait for it)."""
        self.positions: dict[int, int] = {}
        """Next offset to read per partition, kept across reconnects."""
        self.listeners: list[Callable[[Meeting.Event], None]] = []
        """Called with every decoded event (the meeting cache invalidates with it)."""
        self.on_state: Callable[[bool], None] | None = None
        """Called with True once following the stream, False when the stream was lost."""

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
        if self.on_state is not None:
            self.on_state(ready)

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
            event = self.codec.from_record(
                envelope.event_type, {"metadata": envelope.metadata, **envelope.fields}
            )
        except (ContractError, KeyError, TypeError, ValueError):
            log.warning("live feed skipped a message it cannot decode", exc_info=True)
            return
        if self.on_event is not None:
            self.on_event(envelope.event_type)
        for listener in self.listeners:
            listener(event)
        self.hub.publish(event)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)

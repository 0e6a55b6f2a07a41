"""Live updates for WebSockets: a hub of per-meeting subscribers, fed from the event stream.

The app's live feed (the ``LiveFeed`` port: ``streams.live_feed.KafkaLiveFeed``, the one
``meeting-events`` consumer of the process) hands every event to the :class:`LiveHub`,
which turns it into frames (``frames_for``) only when some socket subscribed to that
meeting:

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

Must not: block the event loop, keep state for meetings nobody watches, or talk to a
broker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from interview_analytics.domain.meeting import Meeting

SCHEMA_VERSION = "v1"
Frame = dict[str, Any]


# ---------------------------------------------------------------------- frames


def frames_for(event: Meeting.Event) -> list[Frame]:
    """The frames subscribers of the event's meeting get (none for most event types)."""
    if isinstance(event, Meeting.Transcribed):
        return [transcript_update(event)]
    if isinstance(event, Meeting.Enhanced):
        return [
            _result_frame(
                event,
                "transcript.enhanced",
                enhanced_text=event.text,
                turns=event.segments,
                pii_masked=event.pii_masked,
            )
        ]
    if isinstance(event, Meeting.Reported):
        return [_result_frame(event, "report.update", report=event.report)]
    if isinstance(event, Meeting.ChunkRejected):
        return [
            _frame(event, "chunk.rejected", seq=event.seq, code=event.code, message=event.reason)
        ]
    if isinstance(event, Meeting.Finished):
        return [_frame(event, "meeting.status", status="finalizing")]
    return []


def _result_frame(
    event: Meeting.Enhanced | Meeting.Reported, event_type: str, **fields: Any
) -> Frame:
    """A stage's result: ``completed`` for the final pass, and the input it was made from."""
    return _frame(
        event, event_type, **fields, completed=event.final, input_version=event.input_version
    )


def _frame(event: Meeting.Event, event_type: str, **fields: Any) -> Frame:
    return {
        "schema_version": SCHEMA_VERSION,
        "meeting_id": event.meeting_id,
        "event_type": event_type,
        **fields,
        "version": event.originator_version,
    }


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

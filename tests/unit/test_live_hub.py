"""The live hub: frames per event type, repeats dropped, slow subscribers cut off."""

from __future__ import annotations

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.commands import RecordTranscript
from interview_analytics.domain.meeting import Meeting
from interview_analytics.http.live import LiveHub, frames_for
from tests.factories import chunk, segment, start


def transcribed_events(app: Meetings, meeting_id: str, count: int) -> list[Meeting.Event]:
    app.start(start(meeting_id))
    for seq in range(count):
        app.receive_chunk(chunk(meeting_id, seq))
        version = app.get(meeting_id).chunks[seq].version
        app.record_transcript(
            RecordTranscript(
                meeting_id=meeting_id,
                input_version=version,
                seqs=[seq],
                segments=[segment(seq * 0.1, seq * 0.1 + 0.1, f"word {seq}", f"s{seq}")],
                final=False,
                model="tiny.en",
                language="en",
                audio_sec=0.1,
                processing_sec=0.01,
            )
        )
    return [e for e in app.stream(meeting_id) if isinstance(e, Meeting.Transcribed)]


def test_a_draft_transcription_becomes_one_transcript_update(memory_meetings: Meetings) -> None:
    (event,) = transcribed_events(memory_meetings, "m-1", 1)
    (frame,) = frames_for(event)
    assert frame["event_type"] == "transcript.update"
    assert (frame["meeting_id"], frame["seq"], frame["seqs"]) == ("m-1", 0, [0])
    assert (frame["raw_text"], frame["completed"], frame["confidence"]) == ("word 0", False, 0.9)
    assert (frame["start_sec"], frame["end_sec"]) == (0.0, 0.1)


async def test_repeats_are_dropped_and_only_subscribers_get_frames(
    memory_meetings: Meetings,
) -> None:
    events = transcribed_events(memory_meetings, "m-2", 2)
    hub = LiveHub(queue_size=10)
    watcher, other = hub.subscriber(), hub.subscriber()
    hub.subscribe(watcher, "m-2")
    hub.subscribe(other, "another")
    for event in [*events, events[0], *events]:
        hub.publish(event)
    assert watcher.queue.qsize() == 2
    assert other.queue.empty()
    hub.remove(watcher)
    assert not hub.watched("m-2")


async def test_a_slow_subscriber_is_dropped_with_one_error_frame(
    memory_meetings: Meetings,
) -> None:
    events = transcribed_events(memory_meetings, "m-3", 5)
    drops: list[int] = []
    hub = LiveHub(queue_size=2, on_drop=lambda: drops.append(1))
    slow, fast = hub.subscriber(), hub.subscriber()
    hub.subscribe(slow, "m-3")
    hub.subscribe(fast, "m-3")
    for event in events:
        hub.publish(event)
        while not fast.queue.empty():
            fast.queue.get_nowait()
    assert drops == [1]
    assert slow.queue.qsize() == 1
    error = slow.queue.get_nowait()
    assert (error["event_type"], error["code"]) == ("error", "slow_consumer")
    assert error["details"]["meeting_ids"] == ["m-3"]
    assert slow.meetings == set()
    assert hub.watched("m-3")  # the fast one still watches

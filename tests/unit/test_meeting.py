"""Behaviour of the Meeting aggregate through the Meetings application (in memory)."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from eventsourcing.utils import get_topic, resolve_topic

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.audio import AudioFormat
from interview_analytics.domain.commands import (
    ReceiveChunk,
    RecordEnhancement,
    RecordFailure,
    RecordReport,
    RejectChunk,
)
from interview_analytics.domain.errors import (
    ChunkConflictError,
    IdempotencyKeyConflictError,
    InvalidAudioError,
    InvalidCommandError,
    InvalidMeetingIdError,
    MeetingAlreadyExistsError,
    MeetingFinishedError,
    MeetingNotFoundError,
)
from interview_analytics.domain.events import EventMeta
from interview_analytics.domain.ids import new_meeting_id
from interview_analytics.domain.lifecycle import Status
from interview_analytics.domain.meeting import Meeting
from tests.factories import chunk, pcm, segment, start, transcript, unique_meeting_id


@pytest.fixture
def app(memory_meetings: Meetings) -> Meetings:
    return memory_meetings


@pytest.fixture
def meeting_id(app: Meetings) -> str:
    meeting_id = unique_meeting_id()
    app.start(start(meeting_id))
    return meeting_id


def transcribe(app: Meetings, meeting_id: str, seq: int, text: str, start_sec: float) -> bool:
    version = app.get(meeting_id).chunks[seq].version
    segments = [segment(start_sec, start_sec + 1, text)]
    return app.record_transcript(transcript(meeting_id, version, [seq], segments, model="tiny.en"))


class TestStart:
    def test_keeps_every_setting_and_the_actor(self, app: Meetings) -> None:
        meeting_id = unique_meeting_id()
        outcome = app.start(
            start(
                meeting_id,
                mode="postmeeting",
                language="RU",
                consent="granted",
                context={"vacancy": "backend", "level": 3},
                recipients=["hr@example.com"],
            ),
            EventMeta(actor="user-1", correlation_id="req-1"),
        )
        assert (outcome.status, outcome.version, outcome.created) == ("queued", 1, True)
        meeting = app.get(meeting_id)
        assert meeting.start_settings() == {
            "mode": "postmeeting",
            "language": "ru",
            "consent": "granted",
            "context": {"vacancy": "backend", "level": 3},
            "recipients": ["hr@example.com"],
        }
        [started] = app.stream(meeting_id)
        assert isinstance(started, Meeting.Started)
        assert (started.actor, started.correlation_id, started.meeting_id) == (
            "user-1",
            "req-1",
            meeting_id,
        )

    def test_identical_repeat_returns_the_original(self, app: Meetings) -> None:
        meeting_id = unique_meeting_id()
        app.start(start(meeting_id, recipients=["a"]))
        again = app.start(start(meeting_id, recipients=["a"]))
        assert again.created is False
        assert len(app.stream(meeting_id)) == 1

    def test_different_repeat_is_refused(self, app: Meetings) -> None:
        meeting_id = unique_meeting_id()
        app.start(start(meeting_id, mode="realtime"))
        with pytest.raises(MeetingAlreadyExistsError) as refused:
            app.start(start(meeting_id, mode="postmeeting"))
        assert refused.value.code == "meeting_already_exists"

    @pytest.mark.parametrize(
        "bad", ["", ".", "..", "a/b", "a b", "x" * 129, "../etc", "мит", "a\nb"]
    )
    def test_refuses_unsafe_meeting_ids(self, app: Meetings, bad: str) -> None:
        with pytest.raises(InvalidMeetingIdError):
            app.start(start(bad))

    @pytest.mark.parametrize("good", ["a", "mtg_20260101120000_abcdef0123", "x" * 128, "a.b:c-d_e"])
    def test_accepts_safe_meeting_ids(self, app: Meetings, good: str) -> None:
        assert app.start(start(good)).meeting_id == good

    @pytest.mark.parametrize(
        ("field", "value"), [("mode", "live"), ("consent", "maybe"), ("language", "x")]
    )
    def test_refuses_bad_settings(self, app: Meetings, field: str, value: str) -> None:
        with pytest.raises(InvalidCommandError):
            app.start(start(unique_meeting_id(), **{field: value}))

    def test_generated_ids_follow_the_contract(self) -> None:
        from datetime import UTC, datetime

        now = datetime(2026, 11, 24, 17, 5, 9, tzinfo=UTC)
        assert new_meeting_id(now, "0123456789") == "mtg_20261124170509_0123456789"


class TestChunks:
    def test_unknown_meeting_is_refused(self, app: Meetings) -> None:
        with pytest.raises(MeetingNotFoundError):
            app.receive_chunk(chunk("nobody", 0))

    def test_accepted_chunk_is_a_claim_check(self, app: Meetings, meeting_id: str) -> None:
        audio = pcm(0.5)
        outcome = app.receive_chunk(chunk(meeting_id, 0, audio=audio, speaker_hint="alice"))
        assert not outcome.duplicate
        assert app.blobs.get(outcome.blob_key) == audio
        event = app.stream(meeting_id)[-1]
        assert isinstance(event, Meeting.ChunkReceived)
        assert event.byte_length == len(audio)
        assert event.duration_sec == pytest.approx(0.5)
        assert (event.codec, event.sample_rate, event.channels) == ("pcm", 16000, 1)
        assert event.speaker_hint == "alice"
        assert not hasattr(event, "audio")
        assert app.get(meeting_id).status == Status.PROCESSING

    def test_same_key_is_a_duplicate_with_the_original_outcome(
        self, app: Meetings, meeting_id: str
    ) -> None:
        first = app.receive_chunk(chunk(meeting_id, 0, idempotency_key="k0"))
        again = app.receive_chunk(chunk(meeting_id, 0, idempotency_key="k0"))
        assert again.duplicate
        assert (again.blob_key, again.version, again.idempotency_key) == (
            first.blob_key,
            first.version,
            "k0",
        )
        assert len(app.stream(meeting_id)) == 2

    def test_same_seq_and_bytes_without_key_is_a_duplicate(
        self, app: Meetings, meeting_id: str
    ) -> None:
        first = app.receive_chunk(chunk(meeting_id, 3, idempotency_key="orig"))
        again = app.receive_chunk(chunk(meeting_id, 3))
        assert again.duplicate
        assert again.idempotency_key == "orig"
        assert again.version == first.version

    def test_same_seq_other_bytes_conflicts(self, app: Meetings, meeting_id: str) -> None:
        app.receive_chunk(chunk(meeting_id, 0, tone=300))
        with pytest.raises(ChunkConflictError):
            app.receive_chunk(chunk(meeting_id, 0, tone=301))

    def test_key_reused_for_another_chunk_conflicts(self, app: Meetings, meeting_id: str) -> None:
        app.receive_chunk(chunk(meeting_id, 0, idempotency_key="k"))
        with pytest.raises(IdempotencyKeyConflictError):
            app.receive_chunk(chunk(meeting_id, 1, idempotency_key="k"))

    def test_finished_meeting_refuses_new_chunks_but_repeats_accepted_ones(
        self, app: Meetings, meeting_id: str
    ) -> None:
        accepted = app.receive_chunk(chunk(meeting_id, 0))
        app.finish(meeting_id)
        with pytest.raises(MeetingFinishedError):
            app.receive_chunk(chunk(meeting_id, 1))
        assert app.receive_chunk(chunk(meeting_id, 0)) == accepted.__class__(
            **{**accepted.__dict__, "duplicate": True}
        )

    def test_rejected_attempt_does_not_burn_the_key(self, app: Meetings, meeting_id: str) -> None:
        with pytest.raises(InvalidAudioError):
            app.receive_chunk(chunk(meeting_id, 0, audio=b"\x01", idempotency_key="k"))
        assert not app.receive_chunk(chunk(meeting_id, 0, idempotency_key="k")).duplicate

    @pytest.mark.parametrize(
        ("audio", "fmt"),
        [
            (b"\x00\x00\x00", AudioFormat()),  # half a sample
            (b"\x00\x00", AudioFormat(channels=2)),  # half a stereo frame
        ],
    )
    def test_misaligned_pcm_is_refused(
        self, app: Meetings, meeting_id: str, audio: bytes, fmt: AudioFormat
    ) -> None:
        with pytest.raises(InvalidAudioError):
            app.receive_chunk(ReceiveChunk(meeting_id, 0, audio, fmt))

    def test_empty_audio_is_refused(self, app: Meetings, meeting_id: str) -> None:
        for fmt in (AudioFormat(), AudioFormat(codec="wav")):
            with pytest.raises(InvalidAudioError):
                app.receive_chunk(ReceiveChunk(meeting_id, 0, b"", fmt, duration_sec=1.0))

    @pytest.mark.parametrize(
        "kwargs",
        [{"codec": "aac"}, {"sample_rate": 100}, {"channels": 3}, {"sample_rate": 10**6}],
    )
    def test_bad_formats_are_refused(self, kwargs: dict[str, object]) -> None:
        with pytest.raises(InvalidAudioError):
            AudioFormat(**kwargs)  # type: ignore[arg-type]

    def test_container_audio_needs_a_probed_duration(self, app: Meetings, meeting_id: str) -> None:
        with pytest.raises(InvalidAudioError):
            app.receive_chunk(ReceiveChunk(meeting_id, 0, b"RIFF....", AudioFormat(codec="wav")))
        outcome = app.receive_chunk(
            ReceiveChunk(meeting_id, 0, b"RIFF....", AudioFormat(codec="wav"), duration_sec=2.0)
        )
        assert outcome.blob_key.endswith(".wav")

    @pytest.mark.parametrize("seq", [-1, True, 1.5])
    def test_seq_must_be_a_non_negative_integer(
        self, app: Meetings, meeting_id: str, seq: object
    ) -> None:
        with pytest.raises(InvalidCommandError):
            app.receive_chunk(chunk(meeting_id, seq))  # type: ignore[arg-type]


class TestTranscript:
    def test_is_in_seq_order_whatever_the_arrival_order(
        self, app: Meetings, meeting_id: str
    ) -> None:
        for seq in (2, 0, 1):
            app.receive_chunk(chunk(meeting_id, seq))
        for seq in (1, 2, 0):
            transcribe(app, meeting_id, seq, f"word{seq}", start_sec=float(seq))
        assert app.get(meeting_id).raw_transcript() == "word0 word1 word2"

    def test_a_result_is_recorded_once_per_input(self, app: Meetings, meeting_id: str) -> None:
        app.receive_chunk(chunk(meeting_id, 0))
        assert transcribe(app, meeting_id, 0, "hello", 0.0) is True
        assert transcribe(app, meeting_id, 0, "hello", 0.0) is False
        kinds = [type(e).__name__ for e in app.stream(meeting_id)]
        assert kinds.count("Transcribed") == 1

    def test_a_rejected_chunk_gets_no_transcript(self, app: Meetings, meeting_id: str) -> None:
        outcome = app.receive_chunk(chunk(meeting_id, 0))
        rejection = RejectChunk(
            meeting_id=meeting_id,
            input_version=outcome.version,
            code="undecodable_audio",
            reason="x",
        )
        assert app.reject_chunk(rejection)
        assert not app.reject_chunk(rejection)
        assert transcribe(app, meeting_id, 0, "late", 0.0) is False

    def test_results_must_point_at_the_right_kind_of_event(
        self, app: Meetings, meeting_id: str
    ) -> None:
        app.receive_chunk(chunk(meeting_id, 0))
        with pytest.raises(InvalidCommandError):  # version 1 is Started, not a chunk
            app.record_transcript(transcript(meeting_id, 1, [0], []))
        with pytest.raises(InvalidCommandError):  # chunk 0 is not finished
            app.record_report(
                RecordReport(meeting_id=meeting_id, input_version=2, report={}, final=True)
            )

    def test_final_pass_replaces_drafts_and_rolling_results_replace_older_ones(
        self, app: Meetings, meeting_id: str
    ) -> None:
        for seq in (0, 1):
            app.receive_chunk(chunk(meeting_id, seq))
        transcribe(app, meeting_id, 0, "draft0", 0.0)
        version_1 = app.get(meeting_id).chunks[1].version
        rolling = [segment(0, 1, "rolling0"), segment(1, 2, "rolling1")]
        app.record_transcript(transcript(meeting_id, version_1, [0, 1], rolling, audio_sec=2))
        assert app.get(meeting_id).raw_transcript() == "rolling0 rolling1"
        finished = app.finish(meeting_id)
        final = [segment(0, 2, "final text")]
        app.record_transcript(
            transcript(meeting_id, finished.version, [0, 1], final, final=True, audio_sec=2)
        )
        assert app.get(meeting_id).raw_transcript() == "final text"

    def test_malformed_segments_are_refused(self, app: Meetings, meeting_id: str) -> None:
        version = app.receive_chunk(chunk(meeting_id, 0)).version
        bad = segment(2, 1, "backwards")
        with pytest.raises(InvalidCommandError):
            app.record_transcript(transcript(meeting_id, version, [0], [bad]))

    def test_full_pipeline_reaches_done(self, app: Meetings, meeting_id: str) -> None:
        app.receive_chunk(chunk(meeting_id, 0))
        finished = app.finish(meeting_id)
        assert finished.status == Status.FINALIZING
        assert app.finish(meeting_id).duplicate
        final = [segment(0, 1, "hi")]
        app.record_transcript(transcript(meeting_id, finished.version, [0], final, final=True))
        transcribed = app.get(meeting_id).version
        enhancement = RecordEnhancement(
            meeting_id=meeting_id,
            input_version=transcribed,
            text="Hi.",
            segments=[],
            final=True,
            pii_masked=True,
        )
        app.record_enhancement(enhancement)
        enhanced = app.get(meeting_id).version
        report = RecordReport(
            meeting_id=meeting_id, input_version=enhanced, report={"summary": "s"}, final=True
        )
        app.record_report(report)
        meeting = app.get(meeting_id)
        assert meeting.status == Status.DONE
        assert meeting.latest_report() is not None

    def test_failures_are_recorded_once(self, app: Meetings, meeting_id: str) -> None:
        version = app.receive_chunk(chunk(meeting_id, 0)).version
        failure = RecordFailure(
            meeting_id=meeting_id,
            input_version=version,
            stage="transcribe",
            code="x",
            reason="y",
            attempts=3,
        )
        assert app.record_failure(failure)
        assert not app.record_failure(replace(failure, attempts=4))
        with pytest.raises(InvalidCommandError):
            app.record_failure(replace(failure, stage="dance", attempts=1))


class TestMetadata:
    def test_event_ids_are_deterministic_and_unique(self, app: Meetings, meeting_id: str) -> None:
        app.receive_chunk(chunk(meeting_id, 0), EventMeta(actor="svc", causation_id="msg-9"))
        events = app.stream(meeting_id)
        assert len({e.event_id for e in events}) == len(events)
        aggregate_id = Meeting.create_id(meeting_id)
        assert events[1].event_id == uuid.uuid5(aggregate_id, "2")
        assert (events[1].actor, events[1].causation_id) == ("svc", "msg-9")
        assert [e.originator_version for e in events] == [1, 2]


class TestStoredNames:
    """Stores name each event by its eventsourcing topic; these are the names streams were
    written under before the events moved out of domain/meeting.py, and must stay."""

    EVENT_NAMES = (
        "Started", "ChunkReceived", "ChunkRejected", "ProcessingFailed", "Transcribed",
        "Enhanced", "Reported", "Finished", "ConnectorRequested", "ConnectorJoining",
        "ConnectorConnected", "ConnectorHeartbeat", "ConnectorInterrupted", "ConnectorLeaving",
        "ConnectorLeft", "ConnectorFailed",
    )  # fmt: skip

    def test_every_event_keeps_its_topic(self) -> None:
        for name in self.EVENT_NAMES:
            topic = f"interview_analytics.domain.meeting:Meeting.{name}"
            event_class = getattr(Meeting, name)
            assert get_topic(event_class) == topic
            assert resolve_topic(topic) is event_class
            assert event_class.__name__ == name  # the contract's Avro name ia.meeting.<Name>

    def test_the_aggregate_keeps_its_topic(self, app: Meetings, meeting_id: str) -> None:
        topic = "interview_analytics.domain.meeting:Meeting"
        assert get_topic(Meeting) == topic == f"{Meeting.__module__}:{Meeting.__qualname__}"
        [started] = app.stream(meeting_id)
        assert started.originator_topic == topic  # type: ignore[attr-defined]

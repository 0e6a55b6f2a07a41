"""Properties of the Meeting aggregate under any sequence of commands.

A model of what should have been accepted runs beside the aggregate. After every step:
versions are contiguous, accepted chunks match the model, duplicates changed nothing,
the transcript is in seq order, and the aggregate rebuilt from its stored events equals
the live one.
"""

from __future__ import annotations

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.audio import AudioFormat, sha256_hex
from interview_analytics.domain.commands import (
    RecordEnhancement,
    RecordReport,
    RecordTranscript,
    RejectChunk,
)
from interview_analytics.domain.errors import (
    ChunkConflictError,
    DomainError,
    IdempotencyKeyConflictError,
    MeetingAlreadyExistsError,
    MeetingFinishedError,
)
from interview_analytics.domain.lifecycle import StartSettings
from interview_analytics.domain.meeting import Meeting
from interview_analytics.ops.event_store import eventsourcing_env
from tests.factories import segment

SEQS = st.integers(min_value=0, max_value=6)
CONTENTS = st.sampled_from([b"\x00\x01" * 8, b"\x02\x03" * 8, b"\x04\x05" * 16])
KEYS = st.none() | st.sampled_from(["k1", "k2", "k3"])


class NullBlobs:
    def put(self, key: str, data: bytes) -> None: ...

    def put_many(self, items: object) -> None: ...

    def get(self, key: str) -> bytes:
        raise KeyError(key)

    def exists(self, key: str) -> bool:
        return False


class MeetingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.app = Meetings(env=eventsourcing_env("memory://"), blobs=NullBlobs())
        self.meeting = Meeting.start("m-prop", StartSettings(language="en", context={"a": 1}))
        self.app.save(self.meeting)
        self.model_chunks: dict[int, str] = {}  # seq -> sha256
        self.model_keys: dict[str, int] = {}
        self.finished = False

    def _save(self) -> None:
        self.app.save(self.meeting)

    @rule(seq=SEQS, content=CONTENTS, key=KEYS)
    def receive_chunk(self, seq: int, content: bytes, key: str | None) -> None:
        sha = sha256_hex(content)
        version_before = self.meeting.version
        try:
            outcome = self.meeting.receive_chunk(
                seq=seq,
                sha256=sha,
                byte_length=len(content),
                audio_format=AudioFormat(),
                duration_sec=len(content) / 32000,
                idempotency_key=key,
            )
        except IdempotencyKeyConflictError:
            earlier = self.model_keys[key]  # type: ignore[index]
            assert (earlier, self.model_chunks[earlier]) != (seq, sha)
            return
        except ChunkConflictError:
            assert self.model_chunks[seq] != sha
            return
        except MeetingFinishedError:
            assert self.finished
            assert seq not in self.model_chunks or self.model_chunks[seq] != sha
            return
        self._save()
        if outcome.duplicate:
            assert self.meeting.version == version_before
            assert self.model_chunks[seq] == sha
        else:
            assert seq not in self.model_chunks
            assert key is None or key not in self.model_keys
            self.model_chunks[seq] = sha
            if key is not None:
                self.model_keys[key] = seq

    @rule(mode=st.sampled_from(["realtime", "postmeeting"]))
    def repeat_start(self, mode: str) -> None:
        try:
            outcome = self.meeting.confirm_start(
                StartSettings(mode=mode, language="en", context={"a": 1})
            )
        except MeetingAlreadyExistsError:
            assert mode != "realtime"
        else:
            assert mode == "realtime"
            assert not outcome.created

    @rule()
    def finish(self) -> None:
        self.meeting.finish()
        self._save()
        self.finished = True

    @precondition(lambda self: bool(self.meeting.chunks))
    @rule(data=st.data(), reject=st.booleans())
    def transcribe_a_chunk(self, data: st.DataObject, reject: bool) -> None:
        seq = data.draw(st.sampled_from(sorted(self.meeting.chunks)))
        version = self.meeting.chunks[seq].version
        already = ("transcribe", version) in self.meeting.results.done
        if reject:
            recorded = self.meeting.reject_chunk(
                RejectChunk(meeting_id="m-prop", input_version=version, code="c", reason="r")
            )
        else:
            recorded = self.meeting.record_transcript(
                RecordTranscript(
                    meeting_id="m-prop",
                    input_version=version,
                    seqs=[seq],
                    segments=[segment(seq * 1.0, seq + 0.5, f"w{seq}")],
                    final=False,
                    model="m",
                    language="en",
                    audio_sec=0.5,
                    processing_sec=0.01,
                )
            )
        assert recorded is not already
        self._save()

    @precondition(lambda self: bool(self.meeting.results.transcriptions))
    @rule(data=st.data())
    def enhance_and_report(self, data: st.DataObject) -> None:
        transcription = data.draw(st.sampled_from(self.meeting.results.transcriptions))
        try:
            enhancement = RecordEnhancement(
                meeting_id="m-prop",
                input_version=transcription.version,
                text="t",
                segments=[],
                final=transcription.final,
                pii_masked=False,
            )
            if self.meeting.record_enhancement(enhancement):
                report = RecordReport(
                    meeting_id="m-prop",
                    input_version=self.meeting.version,
                    report={"summary": "s"},
                    final=self.finished and transcription.final,
                )
                self.meeting.record_report(report)
        except DomainError as error:  # pragma: no cover - would be a bug
            raise AssertionError(error) from error
        self._save()

    # ------------------------------------------------------------------ invariants

    @invariant()
    def versions_are_contiguous(self) -> None:
        versions = [e.originator_version for e in self.app.stream("m-prop")]
        assert versions == list(range(1, len(versions) + 1))
        assert versions[-1] == self.meeting.version

    @invariant()
    def chunks_match_the_model(self) -> None:
        assert {s: c.sha256 for s, c in self.meeting.chunks.items()} == self.model_chunks
        assert self.meeting.idempotency_keys == self.model_keys

    @invariant()
    def transcript_is_in_seq_order(self) -> None:
        starts = [s["start_sec"] for s in self.meeting.transcript()]
        assert starts == sorted(starts)

    @invariant()
    def rebuilt_from_events_equals_live(self) -> None:
        rebuilt = self.app.repository.get(self.meeting.id)
        assert rebuilt.state() == self.meeting.state()

    @invariant()
    def one_result_per_input(self) -> None:
        inputs: list[Any] = [
            ("transcribe", t.input_version) for t in self.meeting.results.transcriptions
        ] + [("transcribe", r.input_version) for r in self.meeting.results.rejections.values()]
        assert len(inputs) == len(set(inputs))


MeetingMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)
TestMeetingProperties = MeetingMachine.TestCase

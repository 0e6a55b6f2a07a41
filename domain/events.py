"""The facts on a meeting's stream, and how each one changes the meeting.

Stream: ``Started`` → ``ChunkReceived``* → (``Transcribed`` | ``ChunkRejected``)* →
``Enhanced``* → ``Reported``* → ``Finished`` → final ``Transcribed``/``Enhanced``/``Reported``.
A meeting started with language ``auto`` gets one ``LanguageDetected`` before the first
transcription of speech; from then on its ``language`` is the detected one.
``ProcessingFailed`` records a stage that gave up on an input. ``ConsentChanged`` records
a new recording consent (``consent.py``; a chunk stored while audio is held says ``held``).
``Connector*`` events record the platform connector's session for a live meeting (its rules
in ``connector.py``); the audio it pulls arrives as ordinary ``ChunkReceived`` events.

The aggregate declares each of them as its own nested event class
(``class Started(events.Started, Event): ...`` in ``meeting.py``), and those are the classes
everyone names, stores and reads: ``Meeting.Started``, ``Meeting.ChunkReceived``, ... Their
eventsourcing topics (``interview_analytics.domain.meeting:Meeting.<Name>``) are the ones
stores hold from before the fields and rules moved here. Trigger only the ``Meeting.*``
classes: one of these would be stored under a topic of this module.
Each ``apply`` is the only code that changes the meeting, so replaying stored events
rebuilds exactly the live state.

Must not: check rules or refuse anything (the commands in ``meeting.py`` do, before an
event exists), read a clock other than the event's own timestamp, or import the aggregate.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from eventsourcing.domain import Aggregate

from interview_analytics.domain.connector import ConnectorSession
from interview_analytics.domain.deliveries import DeliveryRecord
from interview_analytics.domain.lifecycle import Status
from interview_analytics.domain.results import (
    ENHANCE,
    REPORT,
    TRANSCRIBE,
    ChunkRecord,
    Enhancement,
    Failure,
    Rejection,
    Report,
    Results,
    Transcription,
)
from interview_analytics.domain.speaker_roles import SpeakerEdit
from interview_analytics.domain.transcript import Segment


@dataclass(frozen=True)
class EventMeta:
    """Who asked and why: copied onto every event a command triggers."""

    actor: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None

    def event_fields(self) -> dict[str, str | None]:
        """The fields every meeting event records this metadata in."""
        return {
            "actor": self.actor,
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id,
        }


class MeetingState(Protocol):
    """The part of the aggregate that events change (``Meeting`` is the one implementation)."""

    status: str
    language: str
    consent: str
    held_seqs: set[int]
    """Chunks stored under ``unknown`` consent with the ``hold`` policy, not yet released."""
    chunks: dict[int, ChunkRecord]
    idempotency_keys: dict[str, int]
    results: Results
    finished_version: int | None
    finish_reason: str | None
    finished_at: datetime | None
    last_chunk_at: datetime | None
    connector: ConnectorSession | None
    event_kinds: dict[int, str]
    """The event class name of every version so far."""
    speaker_edits: list[tuple[int, tuple[SpeakerEdit, ...]]]
    """Every ``SpeakersEdited``: (version, edits), in version order."""
    deliveries: dict[str, DeliveryRecord]
    """The latest attempt of every delivery, by delivery id."""
    erased_version: int | None
    """The version of the ``Erased`` event; None while the meeting is not erased."""
    erased_at: datetime | None
    retention_applied: dict[str, int]
    """Each retention scope applied (``RetentionApplied``), with the event's version."""

    def require_connector(self) -> ConnectorSession: ...


class MeetingEvent(Aggregate.Event):
    """What every meeting event carries besides originator id, version and timestamp."""

    meeting_id: str
    actor: str | None
    correlation_id: str | None
    causation_id: str | None

    @property
    def event_id(self) -> uuid.UUID:
        """Deterministic, so a replay or a republish names the event the same way."""
        return uuid.uuid5(self.originator_id, str(self.originator_version))

    def mutate(self, aggregate: Any) -> Any:
        meeting = cast(MeetingState, super().mutate(aggregate))
        meeting.event_kinds[self.originator_version] = type(self).__name__
        return meeting


class Started(MeetingEvent, Aggregate.Created):
    mode: str
    language: str
    consent: str
    context: dict[str, Any]
    recipients: list[str]
    tenant: str | None = None
    """Who owns the meeting when the front door is multi-tenant; None = nobody in
    particular (events stored before the field existed read as None)."""


class ChunkReceived(MeetingEvent):
    seq: int
    idempotency_key: str | None
    blob_key: str
    sha256: str
    byte_length: int
    codec: str
    sample_rate: int
    channels: int
    duration_sec: float
    speaker_hint: str | None
    held: bool = False
    """Stored but not to be processed until consent is granted (``consent.py``); events
    stored before the field existed read as False."""

    def apply(self, meeting: MeetingState) -> None:
        if self.held:
            meeting.held_seqs.add(self.seq)
        meeting.chunks[self.seq] = ChunkRecord(
            seq=self.seq,
            version=self.originator_version,
            sha256=self.sha256,
            blob_key=self.blob_key,
            byte_length=self.byte_length,
            codec=self.codec,
            sample_rate=self.sample_rate,
            channels=self.channels,
            duration_sec=self.duration_sec,
            idempotency_key=self.idempotency_key,
            speaker_hint=self.speaker_hint,
        )
        if self.idempotency_key is not None:
            meeting.idempotency_keys[self.idempotency_key] = self.seq
        if meeting.last_chunk_at is None or self.timestamp > meeting.last_chunk_at:
            meeting.last_chunk_at = self.timestamp
        if meeting.status == Status.QUEUED:
            meeting.status = Status.PROCESSING


class LanguageDetected(MeetingEvent):
    """The transcriber heard ``language`` (with ``probability``) in the first speech of a
    meeting started with language ``auto``, on the input at ``input_version``."""

    language: str
    probability: float
    input_version: int

    def apply(self, meeting: MeetingState) -> None:
        meeting.language = self.language


class ChunkRejected(MeetingEvent):
    """The transcriber could not use an accepted chunk (undecodable, empty, ...)."""

    seq: int
    input_version: int
    code: str
    reason: str

    def apply(self, meeting: MeetingState) -> None:
        meeting.results.rejections[self.seq] = Rejection(
            self.seq, self.originator_version, self.input_version, self.code, self.reason
        )
        meeting.results.done.add((TRANSCRIBE, self.input_version))


class ProcessingFailed(MeetingEvent):
    """A stage gave up on an input after ``attempts`` tries (it is dead-lettered).

    Giving up on one of the meeting's final inputs (its ``Finished`` event, the final
    ``Transcribed`` or the final ``Enhanced``) means no final report will come: the meeting
    is ``failed`` until a re-driven stage records one (``Reported`` final sets ``done``).
    Judged on the state at this event, so a replay decides the same.
    """

    stage: str
    input_version: int
    code: str
    reason: str
    attempts: int

    def apply(self, meeting: MeetingState) -> None:
        meeting.results.failures.append(
            Failure(
                self.stage,
                self.originator_version,
                self.input_version,
                self.code,
                self.reason,
                self.attempts,
            )
        )
        if is_final_input(meeting, self.input_version):
            meeting.status = Status.FAILED


def is_final_input(meeting: MeetingState, version: int) -> bool:
    """Whether the event at ``version`` is an input of the final pass: the ``Finished``
    event, or a final ``Transcribed``/``Enhanced`` result."""
    results = meeting.results
    return (
        version == meeting.finished_version
        or any(t.version == version and t.final for t in results.transcriptions)
        or any(e.version == version and e.final for e in results.enhancements)
    )


class Transcribed(MeetingEvent):
    input_version: int
    seqs: list[int]
    segments: list[Segment]
    final: bool
    model: str
    language: str
    audio_sec: float
    processing_sec: float
    # How the speakers were told apart; absent (None) on events stored before.
    speaker_method: str | None = None
    speaker_confidence: float | None = None
    speaker_count: int | None = None

    def apply(self, meeting: MeetingState) -> None:
        meeting.results.transcriptions.append(
            Transcription(
                version=self.originator_version,
                input_version=self.input_version,
                seqs=tuple(self.seqs),
                segments=tuple(self.segments),
                final=self.final,
                model=self.model,
                language=self.language,
                speaker_method=self.speaker_method,
                speaker_confidence=self.speaker_confidence,
                speaker_count=self.speaker_count,
            )
        )
        meeting.results.done.add((TRANSCRIBE, self.input_version))


class Enhanced(MeetingEvent):
    input_version: int
    text: str
    segments: list[dict[str, Any]]
    final: bool
    pii_masked: bool

    def apply(self, meeting: MeetingState) -> None:
        meeting.results.enhancements.append(
            Enhancement(
                self.originator_version,
                self.input_version,
                self.text,
                tuple(self.segments),
                self.final,
                self.pii_masked,
            )
        )
        meeting.results.done.add((ENHANCE, self.input_version))


class Reported(MeetingEvent):
    input_version: int
    report: dict[str, Any]
    final: bool

    def apply(self, meeting: MeetingState) -> None:
        meeting.results.reports.append(
            Report(self.originator_version, self.input_version, self.report, self.final)
        )
        meeting.results.done.add((REPORT, self.input_version))
        if self.final:
            meeting.status = Status.DONE


class Finished(MeetingEvent):
    reason: str

    def apply(self, meeting: MeetingState) -> None:
        meeting.finished_version = self.originator_version
        meeting.finish_reason = self.reason
        meeting.finished_at = self.timestamp
        meeting.status = Status.FINALIZING


class ConsentChanged(MeetingEvent):
    """The meeting's recording consent changed (``PATCH /v1/meetings/{id}``). ``granted``
    releases the held chunks (the transcriber processes them then); ``denied`` refuses
    further audio and starts the erasure of what was stored."""

    consent: str
    previous: str

    def apply(self, meeting: MeetingState) -> None:
        meeting.consent = self.consent
        if self.consent == "granted":
            meeting.held_seqs.clear()


class SpeakersEdited(MeetingEvent):
    """Someone named speakers or gave them roles after the final transcript
    (``POST /v1/meetings/{id}/speakers``): each entry ``{"label", "name", "role"}``, a
    None leaving that field as it was. The enhancer and the reporter take it as a new final
    input, so a final ``Enhanced`` and ``Reported`` follow without re-transcribing."""

    speakers: list[dict[str, Any]]

    def apply(self, meeting: MeetingState) -> None:
        edits = tuple(SpeakerEdit.from_json(entry) for entry in self.speakers)
        meeting.speaker_edits.append((self.originator_version, edits))


class DeliveryAttempted(MeetingEvent):
    """One attempt at delivering a notice (``deliveries.py``); the meeting keeps the latest."""

    delivery_id: str
    channel: str
    target: str
    notice: str
    attempt: int
    outcome: str
    status_code: int | None
    error: str | None
    next_attempt_at: str | None
    redrive: bool = False
    """An operator's re-drive of a delivery given up on (``ia dead-letters redrive``)."""

    def apply(self, meeting: MeetingState) -> None:
        meeting.deliveries[self.delivery_id] = DeliveryRecord(
            delivery_id=self.delivery_id,
            channel=self.channel,
            target=self.target,
            notice=self.notice,
            attempt=self.attempt,
            outcome=self.outcome,
            status_code=self.status_code,
            error=self.error,
            next_attempt_at=self.next_attempt_at,
            attempted_at=self.timestamp,
            version=self.originator_version,
        )


# ---------------------------------------------------------------------- connector session
# Every transition of the platform connector's session (connector.py) is one event.


class ConnectorEvent(MeetingEvent):
    """A step of the connector session: the session as it was, moved on by this event."""

    provider: str

    def apply(self, meeting: MeetingState) -> None:
        meeting.connector = self.moved(meeting.require_connector())

    def moved(self, session: ConnectorSession) -> ConnectorSession:
        raise NotImplementedError


class ConnectorRequested(ConnectorEvent):
    participants: list[str]
    language: str | None

    def apply(self, meeting: MeetingState) -> None:
        meeting.connector = ConnectorSession.requested(
            self.provider,
            tuple(self.participants),
            self.language,
            self.timestamp,
            meeting.connector,
        )


class ConnectorJoining(ConnectorEvent):
    attempt: int

    def moved(self, session: ConnectorSession) -> ConnectorSession:
        return session.joining(self.timestamp)


class ConnectorConnected(ConnectorEvent):
    cursor: int

    def moved(self, session: ConnectorSession) -> ConnectorSession:
        return session.connected_now(self.timestamp)


class ConnectorHeartbeat(ConnectorEvent):
    """The platform answered a live-audio pull; ``chunks`` new chunks (possibly none)
    were handed to the chunk path and the next pull starts at ``cursor``."""

    cursor: int
    chunks: int

    def moved(self, session: ConnectorSession) -> ConnectorSession:
        return session.progressed(self.cursor, self.chunks, self.timestamp)


class ConnectorTrouble(ConnectorEvent):
    """Where the session went wrong (``stage``), what kind of error, and its message."""

    stage: str
    error_kind: str
    message: str


class ConnectorInterrupted(ConnectorTrouble):
    """Not connected though it should be: dropped stream, stale session, or a join
    attempt that failed with an error worth retrying."""

    def moved(self, session: ConnectorSession) -> ConnectorSession:
        return session.interrupted(self.stage, self.error_kind, self.message, self.timestamp)


class ConnectorLeaving(ConnectorEvent):
    reason: str

    def moved(self, session: ConnectorSession) -> ConnectorSession:
        return session.leaving(self.timestamp)


class ConnectorLeft(ConnectorEvent):
    def moved(self, session: ConnectorSession) -> ConnectorSession:
        return session.left(self.timestamp)


class ConnectorFailed(ConnectorTrouble):
    """Given up: the session stays failed until someone asks the connector to join again."""

    def moved(self, session: ConnectorSession) -> ConnectorSession:
        return session.failed(self.stage, self.error_kind, self.message, self.timestamp)


class Erased(MeetingEvent):
    """The meeting was erased: its data keys destroyed, its audio and read-model rows
    deleted (``ops/erasure.py``). It holds no personal data, only why (``reason``), who
    (``actor``) and when (its timestamp). Nothing is recorded on the meeting after it."""

    reason: str

    def apply(self, meeting: MeetingState) -> None:
        meeting.erased_version = self.originator_version
        meeting.erased_at = self.timestamp
        # What the meeting said is gone with its keys; the state keeps none of it either.
        meeting.results = Results()


class RetentionApplied(MeetingEvent):
    """A retention rule was applied: ``scope`` ``audio`` (the audio key destroyed and the
    blobs deleted) or ``raw_text`` (the raw-text key destroyed), after ``retention_days``."""

    scope: str
    retention_days: int

    def apply(self, meeting: MeetingState) -> None:
        meeting.retention_applied[self.scope] = self.originator_version

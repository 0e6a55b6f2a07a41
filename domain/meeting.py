"""The Meeting aggregate: one event stream per interview.

Stream: ``Started`` → ``ChunkReceived``* → (``Transcribed`` | ``ChunkRejected``)* →
``Enhanced``* → ``Reported``* → ``Finished`` → final ``Transcribed``/``Enhanced``/``Reported``.
``ProcessingFailed`` records a stage that gave up on an input. ``Connector*`` events record
the platform connector's session for a live meeting (lifecycle in ``domain/connector.py``);
the audio it pulls arrives as ordinary ``ChunkReceived`` events.

Commands (methods without a leading underscore) check the rules and either trigger one
event or return the outcome of an earlier identical command (idempotency); the nested event
classes' ``apply`` methods are the only code that changes state, so replaying stored events
rebuilds exactly the live state. Pure: no I/O, no clock but eventsourcing's event timestamp.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, cast

from eventsourcing.domain import Aggregate

from interview_analytics.domain.audio import AudioFormat, chunk_blob_key
from interview_analytics.domain.connector import (
    ACTIVE_STATES,
    JOINABLE_STATES,
    ConnectorSession,
    SessionState,
)
from interview_analytics.domain.errors import (
    ChunkConflictError,
    ConnectorNeverJoinedError,
    ConnectorStateError,
    IdempotencyKeyConflictError,
    InvalidCommandError,
    MeetingAlreadyExistsError,
    MeetingFinishedError,
)
from interview_analytics.domain.ids import meeting_aggregate_id, validate_meeting_id
from interview_analytics.domain.transcript import (
    Segment,
    current_transcriptions,
    validate_segments,
)

MODES = ("realtime", "postmeeting")
CONSENTS = ("unknown", "granted", "denied")
MAX_IDEMPOTENCY_KEY_LENGTH = 200

# Stages whose results are recorded on the meeting; a result is unique per
# (stage, input version), which is what makes redelivered messages harmless.
TRANSCRIBE, ENHANCE, REPORT = "transcribe", "enhance", "report"
STAGES = (TRANSCRIBE, ENHANCE, REPORT)


class Status:
    """Plain words, as the contract asks (never an enum repr)."""

    QUEUED = "queued"  # started, no audio yet
    PROCESSING = "processing"  # audio arriving / being transcribed
    FINALIZING = "finalizing"  # finished, final pass under way
    DONE = "done"  # final report recorded


@dataclass(frozen=True)
class EventMeta:
    """Who asked and why: copied onto every event a command triggers."""

    actor: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None


class _Shared:
    """Frozen records are shared, not copied, when eventsourcing deep-copies a cached
    aggregate: copying every chunk of a long meeting on each command would make appends
    slower as meetings grow. Their nested dicts are never mutated after creation."""

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return self


@dataclass(frozen=True)
class ChunkRecord(_Shared):
    seq: int
    version: int
    sha256: str
    blob_key: str
    byte_length: int
    codec: str
    sample_rate: int
    channels: int
    duration_sec: float
    idempotency_key: str | None
    speaker_hint: str | None


@dataclass(frozen=True)
class ChunkOutcome:
    """What a chunk command answers, the same for the original and every duplicate."""

    meeting_id: str
    seq: int
    idempotency_key: str | None
    blob_key: str
    sha256: str
    version: int
    duplicate: bool


@dataclass(frozen=True)
class StartOutcome:
    meeting_id: str
    status: str
    version: int
    created: bool


@dataclass(frozen=True)
class FinishOutcome:
    meeting_id: str
    status: str
    version: int
    duplicate: bool


@dataclass(frozen=True)
class Transcription(_Shared):
    version: int
    input_version: int
    seqs: tuple[int, ...]
    segments: tuple[Segment, ...]
    final: bool
    model: str
    language: str


@dataclass(frozen=True)
class Enhancement(_Shared):
    version: int
    input_version: int
    text: str
    segments: tuple[dict[str, Any], ...]
    final: bool
    pii_masked: bool


@dataclass(frozen=True)
class Report(_Shared):
    version: int
    input_version: int
    report: dict[str, Any]
    final: bool


@dataclass(frozen=True)
class Rejection(_Shared):
    seq: int
    version: int
    input_version: int
    code: str
    reason: str


@dataclass(frozen=True)
class Failure(_Shared):
    stage: str
    version: int
    input_version: int
    code: str
    reason: str
    attempts: int


@dataclass
class _Results:
    """Everything the pipeline recorded, in version order."""

    transcriptions: list[Transcription] = field(default_factory=list)
    enhancements: list[Enhancement] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    rejections: dict[int, Rejection] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    done: set[tuple[str, int]] = field(default_factory=set)


class Meeting(Aggregate):
    """One interview. Its id is derived from the meeting id (see ``create_id``)."""

    class Event(Aggregate.Event):
        """Metadata carried by every meeting event (besides originator id/version/time)."""

        meeting_id: str
        actor: str | None
        correlation_id: str | None
        causation_id: str | None

        @property
        def event_id(self) -> uuid.UUID:
            """Deterministic, so a replay or a republish names the event the same way."""
            return uuid.uuid5(self.originator_id, str(self.originator_version))

        def mutate(self, aggregate: Any) -> Any:
            meeting = cast("Meeting", super().mutate(aggregate))
            meeting._event_kinds[self.originator_version] = type(self).__name__
            return meeting

    class Started(Event, Aggregate.Created):
        mode: str
        language: str
        consent: str
        context: dict[str, Any]
        recipients: list[str]
        tenant: str | None = None
        """Who owns the meeting when the front door is multi-tenant; None = nobody in
        particular (events stored before the field existed read as None)."""

    class ChunkReceived(Event):
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

        def apply(self, meeting: Meeting) -> None:
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
            if meeting.status == Status.QUEUED:
                meeting.status = Status.PROCESSING

    class ChunkRejected(Event):
        """The transcriber could not use an accepted chunk (undecodable, empty, ...)."""

        seq: int
        input_version: int
        code: str
        reason: str

        def apply(self, meeting: Meeting) -> None:
            meeting.results.rejections[self.seq] = Rejection(
                self.seq, self.originator_version, self.input_version, self.code, self.reason
            )
            meeting.results.done.add((TRANSCRIBE, self.input_version))

    class ProcessingFailed(Event):
        """A stage gave up on an input after ``attempts`` tries (it is dead-lettered)."""

        stage: str
        input_version: int
        code: str
        reason: str
        attempts: int

        def apply(self, meeting: Meeting) -> None:
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

    class Transcribed(Event):
        input_version: int
        seqs: list[int]
        segments: list[Segment]
        final: bool
        model: str
        language: str
        audio_sec: float
        processing_sec: float

        def apply(self, meeting: Meeting) -> None:
            meeting.results.transcriptions.append(
                Transcription(
                    version=self.originator_version,
                    input_version=self.input_version,
                    seqs=tuple(self.seqs),
                    segments=tuple(self.segments),
                    final=self.final,
                    model=self.model,
                    language=self.language,
                )
            )
            meeting.results.done.add((TRANSCRIBE, self.input_version))

    class Enhanced(Event):
        input_version: int
        text: str
        segments: list[dict[str, Any]]
        final: bool
        pii_masked: bool

        def apply(self, meeting: Meeting) -> None:
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

    class Reported(Event):
        input_version: int
        report: dict[str, Any]
        final: bool

        def apply(self, meeting: Meeting) -> None:
            meeting.results.reports.append(
                Report(self.originator_version, self.input_version, self.report, self.final)
            )
            meeting.results.done.add((REPORT, self.input_version))
            if self.final:
                meeting.status = Status.DONE

    class Finished(Event):
        reason: str

        def apply(self, meeting: Meeting) -> None:
            meeting.finished_version = self.originator_version
            meeting.status = Status.FINALIZING

    # ------------------------------------------------------------------ connector session
    # The platform connector's lifecycle (domain/connector.py). Every transition is an event.

    class ConnectorRequested(Event):
        provider: str
        participants: list[str]
        language: str | None

        def apply(self, meeting: Meeting) -> None:
            meeting.connector = ConnectorSession.requested(
                self.provider,
                tuple(self.participants),
                self.language,
                self.timestamp,
                meeting.connector,
            )

    class ConnectorJoining(Event):
        provider: str
        attempt: int

        def apply(self, meeting: Meeting) -> None:
            meeting.connector = meeting.require_connector().joining(self.timestamp)

    class ConnectorConnected(Event):
        provider: str
        cursor: int

        def apply(self, meeting: Meeting) -> None:
            meeting.connector = meeting.require_connector().connected_now(self.timestamp)

    class ConnectorHeartbeat(Event):
        """The platform answered a live-audio pull; ``chunks`` new chunks (possibly none)
        were handed to the chunk path and the next pull starts at ``cursor``."""

        provider: str
        cursor: int
        chunks: int

        def apply(self, meeting: Meeting) -> None:
            meeting.connector = meeting.require_connector().progressed(
                self.cursor, self.chunks, self.timestamp
            )

    class ConnectorInterrupted(Event):
        """Not connected though it should be: dropped stream, stale session, or a join
        attempt that failed with an error worth retrying."""

        provider: str
        stage: str
        error_kind: str
        message: str

        def apply(self, meeting: Meeting) -> None:
            meeting.connector = meeting.require_connector().interrupted(
                self.stage, self.error_kind, self.message, self.timestamp
            )

    class ConnectorLeaving(Event):
        provider: str
        reason: str

        def apply(self, meeting: Meeting) -> None:
            meeting.connector = meeting.require_connector().leaving(self.timestamp)

    class ConnectorLeft(Event):
        provider: str

        def apply(self, meeting: Meeting) -> None:
            meeting.connector = meeting.require_connector().left(self.timestamp)

    class ConnectorFailed(Event):
        provider: str
        stage: str
        error_kind: str
        message: str

        def apply(self, meeting: Meeting) -> None:
            meeting.connector = meeting.require_connector().failed(
                self.stage, self.error_kind, self.message, self.timestamp
            )

    # ------------------------------------------------------------------ creation

    @staticmethod
    def create_id(meeting_id: str) -> uuid.UUID:
        return meeting_aggregate_id(meeting_id)

    def __init__(
        self,
        meeting_id: str,
        mode: str,
        language: str,
        consent: str,
        context: dict[str, Any],
        recipients: list[str],
        actor: str | None,
        correlation_id: str | None,
        causation_id: str | None,
        tenant: str | None = None,
    ) -> None:
        self._event_kinds: dict[int, str] = {}
        self.meeting_id = meeting_id
        self.mode = mode
        self.language = language
        self.consent = consent
        self.context = context
        self.recipients = recipients
        self.tenant = tenant
        self.started_by = actor
        self.status = Status.QUEUED
        self.chunks: dict[int, ChunkRecord] = {}
        self.idempotency_keys: dict[str, int] = {}
        self.results = _Results()
        self.finished_version: int | None = None
        self.connector: ConnectorSession | None = None

    @classmethod
    def start(
        cls,
        meeting_id: str,
        *,
        mode: str = "realtime",
        language: str = "ru",
        consent: str = "unknown",
        context: dict[str, Any] | None = None,
        recipients: list[str] | None = None,
        tenant: str | None = None,
        meta: EventMeta = EventMeta(),
    ) -> Meeting:
        validate_meeting_id(meeting_id)
        settings = start_settings(mode, language, consent, context, recipients)
        return cls._create(
            cls.Started,
            id=cls.create_id(meeting_id),
            meeting_id=meeting_id,
            **settings,
            tenant=tenant,
            **_meta_kwargs(meta),
        )

    # ------------------------------------------------------------------ commands

    @property
    def is_finished(self) -> bool:
        return self.finished_version is not None

    def confirm_start(
        self,
        *,
        mode: str = "realtime",
        language: str = "ru",
        consent: str = "unknown",
        context: dict[str, Any] | None = None,
        recipients: list[str] | None = None,
        tenant: str | None = None,
    ) -> StartOutcome:
        """A repeated start: identical payload → the original outcome, otherwise refused.

        A start from another tenant is refused without showing the existing settings.
        """
        if tenant != self.tenant:
            raise MeetingAlreadyExistsError("meeting id is taken", meeting_id=self.meeting_id)
        wanted = start_settings(mode, language, consent, context, recipients)
        if wanted != self.start_settings():
            raise MeetingAlreadyExistsError(
                "meeting already exists with different settings",
                meeting_id=self.meeting_id,
                existing=self.start_settings(),
            )
        return StartOutcome(self.meeting_id, self.status, self.version, created=False)

    def start_settings(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "language": self.language,
            "consent": self.consent,
            "context": self.context,
            "recipients": self.recipients,
        }

    def receive_chunk(
        self,
        *,
        seq: int,
        sha256: str,
        byte_length: int,
        audio_format: AudioFormat,
        duration_sec: float,
        idempotency_key: str | None = None,
        speaker_hint: str | None = None,
        meta: EventMeta = EventMeta(),
    ) -> ChunkOutcome:
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
            raise InvalidCommandError("seq must be an integer >= 0", seq=seq)
        if idempotency_key is not None and not 0 < len(idempotency_key) <= (
            MAX_IDEMPOTENCY_KEY_LENGTH
        ):
            raise InvalidCommandError(
                f"idempotency_key must be 1-{MAX_IDEMPOTENCY_KEY_LENGTH} characters"
            )
        if duration_sec <= 0:
            raise InvalidCommandError("duration_sec must be > 0", duration_sec=duration_sec)

        duplicate_of = self._duplicate_chunk(seq, sha256, idempotency_key)
        if duplicate_of is not None:
            # Checked before "finished" so that a client retrying an accepted chunk after
            # finish still gets its original answer.
            return self._chunk_outcome(duplicate_of, duplicate=True)
        if self.is_finished:
            raise MeetingFinishedError(
                "meeting is finished; no more chunks", meeting_id=self.meeting_id
            )

        self.trigger_event(
            self.ChunkReceived,
            meeting_id=self.meeting_id,
            seq=seq,
            idempotency_key=idempotency_key,
            blob_key=chunk_blob_key(self.meeting_id, seq, sha256, audio_format.codec),
            sha256=sha256,
            byte_length=byte_length,
            codec=audio_format.codec,
            sample_rate=audio_format.sample_rate,
            channels=audio_format.channels,
            duration_sec=duration_sec,
            speaker_hint=speaker_hint,
            **_meta_kwargs(meta),
        )
        return self._chunk_outcome(self.chunks[seq], duplicate=False)

    def _duplicate_chunk(
        self, seq: int, sha256: str, idempotency_key: str | None
    ) -> ChunkRecord | None:
        """The earlier chunk this one repeats, None if new; conflicts raise."""
        if idempotency_key is not None and idempotency_key in self.idempotency_keys:
            earlier = self.chunks[self.idempotency_keys[idempotency_key]]
            if earlier.seq != seq or earlier.sha256 != sha256:
                raise IdempotencyKeyConflictError(
                    "idempotency_key was already used for a different chunk",
                    idempotency_key=idempotency_key,
                    seq=earlier.seq,
                )
            return earlier
        same_seq = self.chunks.get(seq)
        if same_seq is None:
            return None
        if same_seq.sha256 != sha256:
            raise ChunkConflictError(
                "seq was already accepted with different content",
                seq=seq,
                sha256=same_seq.sha256,
            )
        return same_seq

    def _chunk_outcome(self, chunk: ChunkRecord, *, duplicate: bool) -> ChunkOutcome:
        return ChunkOutcome(
            meeting_id=self.meeting_id,
            seq=chunk.seq,
            idempotency_key=chunk.idempotency_key,
            blob_key=chunk.blob_key,
            sha256=chunk.sha256,
            version=chunk.version,
            duplicate=duplicate,
        )

    def finish(self, *, reason: str = "client", meta: EventMeta = EventMeta()) -> FinishOutcome:
        if self.finished_version is not None:
            return FinishOutcome(self.meeting_id, self.status, self.finished_version, True)
        self.trigger_event(
            self.Finished, meeting_id=self.meeting_id, reason=reason, **_meta_kwargs(meta)
        )
        return FinishOutcome(self.meeting_id, self.status, self.version, duplicate=False)

    def record_transcript(
        self,
        *,
        input_version: int,
        seqs: list[int],
        segments: list[Segment],
        final: bool,
        model: str,
        language: str,
        audio_sec: float,
        processing_sec: float,
        meta: EventMeta = EventMeta(),
    ) -> bool:
        """Record a transcription of the chunk (draft) or of the finished meeting (final).

        Returns False, changing nothing, when that input already has a result.
        """
        if (TRANSCRIBE, input_version) in self.results.done:
            return False
        self._require_input(input_version, "Finished" if final else "ChunkReceived")
        unknown = sorted(set(seqs) - set(self.chunks))
        if unknown:
            raise InvalidCommandError("transcript covers seqs never received", seqs=unknown)
        validate_segments(segments)
        self.trigger_event(
            self.Transcribed,
            meeting_id=self.meeting_id,
            input_version=input_version,
            seqs=sorted(seqs),
            segments=segments,
            final=final,
            model=model,
            language=language,
            audio_sec=audio_sec,
            processing_sec=processing_sec,
            **_meta_kwargs(meta),
        )
        return True

    def reject_chunk(
        self, *, input_version: int, code: str, reason: str, meta: EventMeta = EventMeta()
    ) -> bool:
        if (TRANSCRIBE, input_version) in self.results.done:
            return False
        self._require_input(input_version, "ChunkReceived")
        seq = next(c.seq for c in self.chunks.values() if c.version == input_version)
        self.trigger_event(
            self.ChunkRejected,
            meeting_id=self.meeting_id,
            seq=seq,
            input_version=input_version,
            code=code,
            reason=reason,
            **_meta_kwargs(meta),
        )
        return True

    def record_enhancement(
        self,
        *,
        input_version: int,
        text: str,
        segments: list[dict[str, Any]],
        final: bool,
        pii_masked: bool,
        meta: EventMeta = EventMeta(),
    ) -> bool:
        if (ENHANCE, input_version) in self.results.done:
            return False
        self._require_input(input_version, "Transcribed")
        self.trigger_event(
            self.Enhanced,
            meeting_id=self.meeting_id,
            input_version=input_version,
            text=text,
            segments=segments,
            final=final,
            pii_masked=pii_masked,
            **_meta_kwargs(meta),
        )
        return True

    def record_report(
        self,
        *,
        input_version: int,
        report: dict[str, Any],
        final: bool,
        meta: EventMeta = EventMeta(),
    ) -> bool:
        if (REPORT, input_version) in self.results.done:
            return False
        self._require_input(input_version, "Enhanced")
        if final and not self.is_finished:
            raise InvalidCommandError("a final report needs a finished meeting")
        self.trigger_event(
            self.Reported,
            meeting_id=self.meeting_id,
            input_version=input_version,
            report=report,
            final=final,
            **_meta_kwargs(meta),
        )
        return True

    def record_failure(
        self,
        *,
        stage: str,
        input_version: int,
        code: str,
        reason: str,
        attempts: int,
        meta: EventMeta = EventMeta(),
    ) -> bool:
        if stage not in STAGES:
            raise InvalidCommandError(f"stage must be one of {STAGES}", stage=stage)
        if (stage, input_version) in self.results.done or any(
            f.stage == stage and f.input_version == input_version for f in self.results.failures
        ):
            return False
        if input_version not in self._event_kinds:
            raise InvalidCommandError("input_version is not an event of this meeting")
        self.trigger_event(
            self.ProcessingFailed,
            meeting_id=self.meeting_id,
            stage=stage,
            input_version=input_version,
            code=code,
            reason=reason,
            attempts=attempts,
            **_meta_kwargs(meta),
        )
        return True

    def _require_input(self, input_version: int, kind: str) -> None:
        if self._event_kinds.get(input_version) != kind:
            raise InvalidCommandError(
                f"input_version must be the version of a {kind} event of this meeting",
                input_version=input_version,
            )

    # ------------------------------------------------------------------ connector commands

    def require_connector(self) -> ConnectorSession:
        if self.connector is None:
            raise ConnectorNeverJoinedError(
                "the connector was never asked to join this meeting", meeting_id=self.meeting_id
            )
        return self.connector

    def _require_connector_state(self, action: str, allowed: frozenset[str]) -> ConnectorSession:
        session = self.require_connector()
        if session.state not in allowed:
            raise ConnectorStateError(
                f"cannot {action} a connector session that is {session.state}",
                meeting_id=self.meeting_id,
                state=session.state,
                allowed=sorted(allowed),
            )
        return session

    def request_connector(
        self,
        *,
        provider: str,
        participants: list[str] | None = None,
        language: str | None = None,
        meta: EventMeta = EventMeta(),
    ) -> bool:
        """Ask the connector to join; False (no event) when a session is already active."""
        if self.connector is not None and self.connector.active:
            return False
        if self.is_finished:
            raise MeetingFinishedError(
                "meeting is finished; the connector cannot join it", meeting_id=self.meeting_id
            )
        people = list(participants or [])
        if not all(isinstance(p, str) for p in people):
            raise InvalidCommandError("participants must be a list of strings")
        self.trigger_event(
            self.ConnectorRequested,
            meeting_id=self.meeting_id,
            provider=provider,
            participants=people,
            language=language or self.language,
            **_meta_kwargs(meta),
        )
        return True

    def begin_connector_join(self, *, reclaim: bool = False, meta: EventMeta = EventMeta()) -> int:
        """Claim the next join attempt; the claim is what keeps two workers from joining the
        same session at once. ``reclaim`` also takes over an attempt left in ``joining`` by
        a worker that died (the caller judges it abandoned). Returns the attempt number."""
        allowed = JOINABLE_STATES | {SessionState.JOINING} if reclaim else JOINABLE_STATES
        session = self._require_connector_state("join", allowed)
        self.trigger_event(
            self.ConnectorJoining,
            meeting_id=self.meeting_id,
            provider=session.provider,
            attempt=session.attempts + 1,
            **_meta_kwargs(meta),
        )
        return session.attempts + 1

    def connector_connected(self, *, meta: EventMeta = EventMeta()) -> None:
        session = self._require_connector_state("connect", frozenset({SessionState.JOINING}))
        self.trigger_event(
            self.ConnectorConnected,
            meeting_id=self.meeting_id,
            provider=session.provider,
            cursor=session.cursor,
            **_meta_kwargs(meta),
        )

    def record_connector_progress(
        self, *, cursor: int, chunks: int, meta: EventMeta = EventMeta()
    ) -> None:
        session = self._require_connector_state(
            "record audio for", frozenset({SessionState.CONNECTED})
        )
        if cursor < session.cursor or chunks < 0:
            raise InvalidCommandError(
                "the live-audio cursor only moves forward", cursor=cursor, current=session.cursor
            )
        self.trigger_event(
            self.ConnectorHeartbeat,
            meeting_id=self.meeting_id,
            provider=session.provider,
            cursor=cursor,
            chunks=chunks,
            **_meta_kwargs(meta),
        )

    def interrupt_connector(
        self, *, stage: str, error_kind: str, message: str, meta: EventMeta = EventMeta()
    ) -> None:
        session = self._require_connector_state(
            "reconnect",
            frozenset({SessionState.JOINING, SessionState.CONNECTED, SessionState.RECONNECTING}),
        )
        self.trigger_event(
            self.ConnectorInterrupted,
            meeting_id=self.meeting_id,
            provider=session.provider,
            stage=stage,
            error_kind=error_kind,
            message=message,
            **_meta_kwargs(meta),
        )

    def fail_connector(
        self, *, stage: str, error_kind: str, message: str, meta: EventMeta = EventMeta()
    ) -> None:
        session = self._require_connector_state("fail", ACTIVE_STATES)
        self.trigger_event(
            self.ConnectorFailed,
            meeting_id=self.meeting_id,
            provider=session.provider,
            stage=stage,
            error_kind=error_kind,
            message=message,
            **_meta_kwargs(meta),
        )

    def begin_connector_leave(self, *, reason: str, meta: EventMeta = EventMeta()) -> bool:
        """Start leaving; False (no event) when the session has already ended or is leaving."""
        session = self.require_connector()
        if not session.active or session.state == SessionState.LEAVING:
            return False
        self.trigger_event(
            self.ConnectorLeaving,
            meeting_id=self.meeting_id,
            provider=session.provider,
            reason=reason,
            **_meta_kwargs(meta),
        )
        return True

    def connector_left(self, *, meta: EventMeta = EventMeta()) -> None:
        session = self._require_connector_state("finish leaving", frozenset({SessionState.LEAVING}))
        self.trigger_event(
            self.ConnectorLeft,
            meeting_id=self.meeting_id,
            provider=session.provider,
            **_meta_kwargs(meta),
        )

    # ------------------------------------------------------------------ queries

    def event_kind(self, version: int) -> str | None:
        return self._event_kinds.get(version)

    def transcript(self) -> list[Segment]:
        """Current segments, in chunk seq order whatever order chunks arrived in."""
        return [
            segment
            for transcription in current_transcriptions(self.results.transcriptions)
            for segment in sorted(transcription.segments, key=lambda s: s["start_sec"])
        ]

    def raw_transcript(self) -> str:
        return " ".join(s["text"].strip() for s in self.transcript() if s["text"].strip())

    def latest_enhancement(self) -> Enhancement | None:
        return self.results.enhancements[-1] if self.results.enhancements else None

    def latest_report(self) -> Report | None:
        return self.results.reports[-1] if self.results.reports else None

    def audio_seconds(self) -> float:
        return sum(c.duration_sec for c in self.chunks.values())

    def state(self) -> dict[str, Any]:
        """Everything the aggregate knows, for comparisons (live vs. rebuilt)."""
        return {
            "id": self.id,
            "version": self.version,
            "meeting_id": self.meeting_id,
            "status": self.status,
            **self.start_settings(),
            "tenant": self.tenant,
            "started_by": self.started_by,
            "chunks": dict(self.chunks),
            "idempotency_keys": dict(self.idempotency_keys),
            "results": self.results,
            "finished_version": self.finished_version,
            "connector": self.connector,
            "event_kinds": dict(self._event_kinds),
        }


def start_settings(
    mode: str,
    language: str,
    consent: str,
    context: dict[str, Any] | None,
    recipients: list[str] | None,
) -> dict[str, Any]:
    """Validated, normalised start payload (what ``Started`` records)."""
    if mode not in MODES:
        raise InvalidCommandError(f"mode must be one of {MODES}", mode=mode)
    if consent not in CONSENTS:
        raise InvalidCommandError(f"consent must be one of {CONSENTS}", consent=consent)
    if not isinstance(language, str) or not 2 <= len(language) <= 16:
        raise InvalidCommandError("language must be a 2-16 character code", language=language)
    if context is not None and not isinstance(context, dict):
        raise InvalidCommandError("context must be an object")
    if recipients is not None and (
        not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients)
    ):
        raise InvalidCommandError("recipients must be a list of strings")
    return {
        "mode": mode,
        "language": language.lower(),
        "consent": consent,
        "context": dict(context or {}),
        "recipients": list(recipients or []),
    }


def _meta_kwargs(meta: EventMeta) -> dict[str, str | None]:
    return {
        "actor": meta.actor,
        "correlation_id": meta.correlation_id,
        "causation_id": meta.causation_id,
    }

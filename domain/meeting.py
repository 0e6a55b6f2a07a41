"""The Meeting aggregate: one event stream per interview, its commands and its state.

Commands (methods without a leading underscore) check the rules and either record one
event or return the outcome of an earlier identical command (idempotency). The events,
and the ``apply`` rules that are the only code changing this state, are in ``events.py``;
they sit on the aggregate by name (``Meeting.Started``, ``Meeting.ChunkReceived``, ...).
What the state is made of (chunk records, stage results, outcomes) is in ``results.py``.

Must not: do I/O, read a clock (eventsourcing stamps each event), or change state outside
an event's ``apply``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

from interview_analytics.domain import commands, events
from interview_analytics.domain.audio import AudioFormat, chunk_blob_key
from interview_analytics.domain.connector import (
    ACTIVE_STATES,
    JOINABLE_STATES,
    ConnectorSession,
    ConnectorTrouble,
    SessionState,
)
from interview_analytics.domain.consent import (
    DENIED,
    ConsentOutcome,
    UnknownConsentPolicy,
    holds_audio,
    validate_consent,
)
from interview_analytics.domain.deliveries import DeliveryRecord, accepts, validate_attempt
from interview_analytics.domain.enhance.turns import FALLBACK_SPEAKER
from interview_analytics.domain.errors import (
    ChunkConflictError,
    ConnectorNeverJoinedError,
    ConnectorStateError,
    ConsentDeniedError,
    IdempotencyKeyConflictError,
    InvalidCommandError,
    MeetingAlreadyExistsError,
    MeetingErasedError,
    MeetingFinishedError,
    TranscriptNotFinalError,
    UnknownRoleError,
    UnknownSpeakerError,
)
from interview_analytics.domain.events import EventMeta, MeetingEvent
from interview_analytics.domain.ids import meeting_aggregate_id, validate_meeting_id
from interview_analytics.domain.lifecycle import (
    AUTO_LANGUAGE,
    FinishReason,
    IdleCheck,
    StartSettings,
    Status,
    idle_deadline,
    idle_finish_sec,
)
from interview_analytics.domain.results import (
    ENHANCE,
    REPORT,
    STAGES,
    TRANSCRIBE,
    ChunkOutcome,
    ChunkRecord,
    Enhancement,
    ErasureOutcome,
    FinishOutcome,
    Report,
    Results,
    SpeakersOutcome,
    StartOutcome,
    current_transcriptions,
)
from interview_analytics.domain.speaker_roles import (
    CANDIDATE,
    INTERVIEWER,
    MAX_NAME_LENGTH,
    ROLES,
    SpeakerEdit,
    merged_edits,
)
from interview_analytics.domain.transcript import Segment, validate_segments

MAX_IDEMPOTENCY_KEY_LENGTH = 200
MAX_ERASE_REASON_LENGTH = 200


class Meeting(Aggregate):
    """One interview. Its id is derived from the meeting id (see ``create_id``)."""

    # The events, their fields and apply rules are in events.py; declared here, they are the
    # aggregate's own (Meeting.Started, ...) and keep the topics stores hold them under.
    # fmt: off
    class Event(MeetingEvent): ...
    class Started(events.Started, Event): ...
    class ChunkReceived(events.ChunkReceived, Event): ...
    class ChunkRejected(events.ChunkRejected, Event): ...
    class LanguageDetected(events.LanguageDetected, Event): ...
    class ProcessingFailed(events.ProcessingFailed, Event): ...
    class Transcribed(events.Transcribed, Event): ...
    class Enhanced(events.Enhanced, Event): ...
    class Reported(events.Reported, Event): ...
    class Finished(events.Finished, Event): ...
    class ConnectorRequested(events.ConnectorRequested, Event): ...
    class ConnectorJoining(events.ConnectorJoining, Event): ...
    class ConnectorConnected(events.ConnectorConnected, Event): ...
    class ConnectorHeartbeat(events.ConnectorHeartbeat, Event): ...
    class ConnectorInterrupted(events.ConnectorInterrupted, Event): ...
    class ConnectorLeaving(events.ConnectorLeaving, Event): ...
    class ConnectorLeft(events.ConnectorLeft, Event): ...
    class ConnectorFailed(events.ConnectorFailed, Event): ...
    class DeliveryAttempted(events.DeliveryAttempted, Event): ...
    class SpeakersEdited(events.SpeakersEdited, Event): ...
    class ConsentChanged(events.ConsentChanged, Event): ...
    class Erased(events.Erased, Event): ...
    class RetentionApplied(events.RetentionApplied, Event): ...
    # fmt: on

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
        self.event_kinds: dict[int, str] = {}
        self.meeting_id = meeting_id
        self.mode = mode
        self.requested_language = language
        """What the start asked for (``auto`` included); ``language`` is what is spoken."""
        self.language = language
        self.consent = consent
        """The consent now (``ConsentChanged`` changes it); ``start_consent`` is the start's."""
        self.start_consent = consent
        self.held_seqs: set[int] = set()
        self.context = context
        self.recipients = recipients
        self.tenant = tenant
        self.started_by = actor
        self.status = Status.QUEUED
        self.chunks: dict[int, ChunkRecord] = {}
        self.idempotency_keys: dict[str, int] = {}
        self.results = Results()
        self.finished_version: int | None = None
        self.finish_reason: str | None = None
        self.finished_at: datetime | None = None
        """The ``Finished`` event's own time (the report page and e-mail show it)."""
        self.last_chunk_at: datetime | None = None
        """The newest ``ChunkReceived``'s event time (activity, for the idle rule)."""
        self.connector: ConnectorSession | None = None
        self.speaker_edits: list[tuple[int, tuple[SpeakerEdit, ...]]] = []
        self.deliveries: dict[str, DeliveryRecord] = {}
        self.erased_version: int | None = None
        self.erased_at: datetime | None = None
        self.retention_applied: dict[str, int] = {}

    @classmethod
    def start(
        cls,
        meeting_id: str,
        settings: StartSettings = StartSettings(),
        *,
        tenant: str | None = None,
        meta: EventMeta = EventMeta(),
    ) -> Meeting:
        validate_meeting_id(meeting_id)
        return cls._create(
            cls.Started,
            id=cls.create_id(meeting_id),
            meeting_id=meeting_id,
            **settings.normalised(),
            tenant=tenant,
            **meta.event_fields(),
        )

    def _record(self, event_class: type[MeetingEvent], meta: EventMeta, **fields: Any) -> None:
        """Trigger one event: the command's ``fields`` plus the meeting id and ``meta``."""
        self.refuse_if_erased()
        self.trigger_event(event_class, meeting_id=self.meeting_id, **meta.event_fields(), **fields)

    # ------------------------------------------------------------------ start and chunks

    @property
    def detected_language(self) -> str | None:
        """The language detected for an ``auto`` meeting; None until then (or when the
        start chose one). ``LanguageDetected`` never records ``auto`` itself."""
        if self.requested_language != AUTO_LANGUAGE or self.language == AUTO_LANGUAGE:
            return None
        return self.language

    @property
    def is_finished(self) -> bool:
        return self.finished_version is not None

    def confirm_start(self, settings: StartSettings, *, tenant: str | None = None) -> StartOutcome:
        """A repeated start: identical payload → the original outcome, otherwise refused.

        A start from another tenant is refused without showing the existing settings.
        """
        if tenant != self.tenant:
            raise MeetingAlreadyExistsError("meeting id is taken", meeting_id=self.meeting_id)
        self.refuse_if_erased()
        if settings.normalised() != self.start_settings():
            raise MeetingAlreadyExistsError(
                "meeting already exists with different settings",
                meeting_id=self.meeting_id,
                existing=self.start_settings(),
            )
        return StartOutcome(self.meeting_id, self.status, self.version, created=False)

    def start_settings(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "language": self.requested_language,
            # The start's own consent, so a repeated start still matches after a PATCH.
            "consent": self.start_consent,
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
        unknown_consent: str = UnknownConsentPolicy.PROCESS,
        meta: EventMeta = EventMeta(),
    ) -> ChunkOutcome:
        """Accept one chunk; ``unknown_consent`` is the deployment's policy for a meeting
        whose consent is unknown (``consent.py``): under ``hold`` the chunk is stored held."""
        self.require_consent_not_denied()
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

        self.refuse_if_erased()
        duplicate_of = self._duplicate_chunk(seq, sha256, idempotency_key)
        if duplicate_of is not None:
            # Checked before "finished" so that a client retrying an accepted chunk after
            # finish still gets its original answer.
            return self._chunk_outcome(duplicate_of, duplicate=True)
        if self.is_finished:
            raise MeetingFinishedError(
                "meeting is finished; no more chunks", meeting_id=self.meeting_id
            )

        self._record(
            self.ChunkReceived,
            meta,
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
            held=holds_audio(self.consent, unknown_consent),
        )
        return self._chunk_outcome(self.chunks[seq], duplicate=False)

    def require_consent_not_denied(self) -> None:
        """Refuse audio (and the connector) for a meeting whose consent is denied."""
        if self.consent == DENIED:
            raise ConsentDeniedError(
                "recording consent is denied for this meeting; audio is refused",
                meeting_id=self.meeting_id,
            )

    def change_consent(self, consent: str, *, meta: EventMeta = EventMeta()) -> ConsentOutcome:
        """Record a new consent (``ConsentChanged``); the same consent again records nothing.
        ``granted`` releases the held chunks; ``denied`` refuses audio from now on (the
        application erases what was stored, see ``Meetings.change_consent``)."""
        validate_consent(consent)
        previous = self.consent
        stored = len(self.chunks) if consent == DENIED else 0
        if consent == previous:
            return ConsentOutcome(
                self.meeting_id, consent, previous, self.version, True, erased_chunks=stored
            )
        released = tuple(sorted(self.held_seqs)) if consent == "granted" else ()
        self._record(self.ConsentChanged, meta, consent=consent, previous=previous)
        if consent == DENIED and self.connector is not None:
            # In the same save: the connector stops pulling audio it may no longer record.
            self.begin_connector_leave(reason="consent_denied", meta=meta)
        return ConsentOutcome(
            self.meeting_id,
            consent,
            previous,
            self.version,
            duplicate=False,
            released_seqs=released,
            erased_chunks=stored,
        )

    @property
    def audio_on_hold(self) -> frozenset[int]:
        """Seqs of the chunks stored held and not released yet (none once granted)."""
        return frozenset(self.held_seqs)

    @property
    def processing_refused(self) -> bool:
        """Consent is denied: nothing of this meeting may be transcribed any more."""
        return self.consent == DENIED

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
        self.refuse_if_erased()
        if self.finished_version is not None:
            return FinishOutcome(self.meeting_id, self.status, self.finished_version, True)
        self._record(self.Finished, meta, reason=reason)
        return FinishOutcome(self.meeting_id, self.status, self.version, duplicate=False)

    def idle_deadline(self, default_idle_sec: float) -> datetime | None:
        """When this meeting ends for inactivity (None: finished, or never for inactivity).

        Activity is the start and every chunk, by their events' times; the idle time is the
        start context's ``idle_finish_sec``, else ``default_idle_sec`` (MEETING_IDLE_FINISH_SEC).
        """
        if self.is_finished:
            return None
        activity = [self.created_on, *([self.last_chunk_at] if self.last_chunk_at else [])]
        return idle_deadline(activity, idle_finish_sec(self.context, default_idle_sec))

    def finish_when_idle(
        self, *, now: datetime, default_idle_sec: float, meta: EventMeta = EventMeta()
    ) -> IdleCheck:
        """Finish with reason ``idle`` if the idle deadline has passed at ``now`` (the
        caller's clock); otherwise record nothing and say when it will be."""
        deadline = self.idle_deadline(default_idle_sec)
        if deadline is None or now < deadline:
            return IdleCheck(finished=False, deadline=deadline)
        self.finish(reason=FinishReason.IDLE, meta=meta)
        return IdleCheck(finished=True, deadline=deadline)

    # ------------------------------------------------------------------ stage results
    # Each returns False, changing nothing, when that input already has its result.

    def record_transcript(
        self, command: commands.RecordTranscript, meta: EventMeta = EventMeta()
    ) -> bool:
        """Record a transcription of the chunk (draft) or of the finished meeting (final)."""
        of_kind = "Finished" if command.final else "ChunkReceived"
        if not self._first_result(TRANSCRIBE, command.input_version, of_kind):
            return False
        unknown = sorted(set(command.seqs) - set(self.chunks))
        if unknown:
            raise InvalidCommandError("transcript covers seqs never received", seqs=unknown)
        validate_segments(command.segments)
        self._record(self.Transcribed, meta, **command.event_fields(seqs=sorted(command.seqs)))
        return True

    def record_language(
        self, command: commands.RecordLanguage, meta: EventMeta = EventMeta()
    ) -> bool:
        """Record the language detected for an ``auto`` meeting: the first detection stays,
        a repeat or a second one is False and changes nothing."""
        if self.detected_language is not None:
            return False
        if self.requested_language != AUTO_LANGUAGE:
            raise InvalidCommandError(
                "the meeting's language was chosen at start", language=self.requested_language
            )
        if self.event_kinds.get(command.input_version) not in ("ChunkReceived", "Finished"):
            raise InvalidCommandError(
                "input_version must be the version of a ChunkReceived or Finished event",
                input_version=command.input_version,
            )
        language = command.language.strip().lower()
        if not 2 <= len(language) <= 16 or language == AUTO_LANGUAGE:
            raise InvalidCommandError("language must be a 2-16 character code", language=language)
        if not 0.0 <= command.probability <= 1.0:
            raise InvalidCommandError(
                "probability must be between 0 and 1", probability=command.probability
            )
        self._record(self.LanguageDetected, meta, **command.event_fields(language=language))
        return True

    def reject_chunk(self, command: commands.RejectChunk, meta: EventMeta = EventMeta()) -> bool:
        if not self._first_result(TRANSCRIBE, command.input_version, "ChunkReceived"):
            return False
        seq = next(c.seq for c in self.chunks.values() if c.version == command.input_version)
        self._record(self.ChunkRejected, meta, **command.event_fields(seq=seq))
        return True

    def record_enhancement(
        self, command: commands.RecordEnhancement, meta: EventMeta = EventMeta()
    ) -> bool:
        if not self._first_result(ENHANCE, command.input_version, "Transcribed", "SpeakersEdited"):
            return False
        self._record(self.Enhanced, meta, **command.event_fields())
        return True

    def record_report(self, command: commands.RecordReport, meta: EventMeta = EventMeta()) -> bool:
        if not self._first_result(REPORT, command.input_version, "Enhanced"):
            return False
        if command.final and not self.is_finished:
            raise InvalidCommandError("a final report needs a finished meeting")
        self._record(self.Reported, meta, **command.event_fields())
        return True

    def record_failure(
        self, command: commands.RecordFailure, meta: EventMeta = EventMeta()
    ) -> bool:
        stage, input_version = command.stage, command.input_version
        if stage not in STAGES:
            raise InvalidCommandError(f"stage must be one of {STAGES}", stage=stage)
        if (stage, input_version) in self.results.done or any(
            f.stage == stage and f.input_version == input_version for f in self.results.failures
        ):
            return False
        if input_version not in self.event_kinds:
            raise InvalidCommandError("input_version is not an event of this meeting")
        self._record(self.ProcessingFailed, meta, **command.event_fields())
        return True

    def _first_result(self, stage: str, input_version: int, kind: str, *kinds: str) -> bool:
        """True when ``input_version`` has no ``stage`` result yet; it must be a ``kind``
        event (or one of ``kinds``)."""
        if (stage, input_version) in self.results.done:
            return False
        if self.event_kinds.get(input_version) not in (kind, *kinds):
            raise InvalidCommandError(
                f"input_version must be the version of a {' or '.join((kind, *kinds))} event "
                "of this meeting",
                input_version=input_version,
            )
        return True

    # ------------------------------------------------------------------ speakers

    def edit_speakers(
        self, command: commands.EditSpeakers, meta: EventMeta = EventMeta()
    ) -> SpeakersOutcome:
        """Name speakers or give them roles after the final transcript; an edit that
        changes nothing records nothing (``duplicate``)."""
        labels = self.speaker_labels()
        if not any(t.final for t in self.results.transcriptions):
            raise TranscriptNotFinalError(
                "speakers can be edited once the meeting has its final transcript",
                meeting_id=self.meeting_id,
            )
        if not command.speakers:
            raise InvalidCommandError("speakers must name at least one speaker")
        for edit in command.speakers:
            if edit.label not in labels:
                raise UnknownSpeakerError(
                    "no speaker has this label", label=edit.label, labels=labels
                )
            if edit.role is not None and edit.role not in ROLES:
                raise UnknownRoleError(
                    f"role must be one of {', '.join(ROLES)}", role=edit.role, roles=list(ROLES)
                )
            if edit.name is not None and not 0 < len(edit.name.strip()) <= MAX_NAME_LENGTH:
                raise InvalidCommandError(
                    f"name must be 1-{MAX_NAME_LENGTH} characters", label=edit.label
                )
        if len({edit.label for edit in command.speakers}) != len(command.speakers):
            raise InvalidCommandError("each label may be edited once per request")
        before = self.speaker_edits_at(self.version)
        after = merged_edits(before, command.speakers)
        for role in (CANDIDATE, INTERVIEWER):
            holders = sorted(label for label, edit in after.items() if edit.role == role)
            if len(holders) > 1:
                raise InvalidCommandError(f"only one speaker can be the {role}", labels=holders)
        names = [edit.name.strip() for edit in after.values() if edit.name is not None]
        if len(set(names)) != len(names):
            raise InvalidCommandError("two speakers cannot have the same name")
        if after == before:
            return SpeakersOutcome(self.meeting_id, self.version, True, after)
        self._record(
            self.SpeakersEdited,
            meta,
            speakers=[
                SpeakerEdit(
                    edit.label, edit.name.strip() if edit.name else None, edit.role
                ).as_json()
                for edit in command.speakers
            ],
        )
        return SpeakersOutcome(
            self.meeting_id, self.version, False, self.speaker_edits_at(self.version)
        )

    def speaker_labels(self) -> list[str]:
        """The speaker labels of the current transcript (the enhancer's one fallback label
        when no segment has one)."""
        found = {(s["speaker"] or "").strip() for s in self.transcript()}
        return sorted(found - {""}) or [FALLBACK_SPEAKER]

    def speaker_edits_at(self, version: int) -> dict[str, SpeakerEdit]:
        """Every speaker edit recorded up to ``version``, merged, by label."""
        merged: dict[str, SpeakerEdit] = {}
        for at, edits in self.speaker_edits:
            if at <= version:
                merged = merged_edits(merged, edits)
        return merged

    # ------------------------------------------------------------------ deliveries

    def record_delivery_attempt(
        self, command: commands.RecordDeliveryAttempt, meta: EventMeta = EventMeta()
    ) -> bool:
        """Record one delivery attempt; False, changing nothing, for a repeat or an attempt
        after the delivery was settled (``deliveries.accepts``)."""
        validate_attempt(
            command.attempt, command.outcome, command.channel, command.target, command.notice
        )
        latest = self.deliveries.get(command.delivery_id)
        if not accepts(latest, command.attempt, redrive=command.redrive):
            return False
        self._record(self.DeliveryAttempted, meta, **command.event_fields())
        return True

    # ------------------------------------------------------------------ connector session
    # The platform connector's lifecycle (connector.py). Every transition is an event.

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
        self.require_consent_not_denied()
        if self.is_finished:
            raise MeetingFinishedError(
                "meeting is finished; the connector cannot join it", meeting_id=self.meeting_id
            )
        people = list(participants or [])
        if not all(isinstance(p, str) for p in people):
            raise InvalidCommandError("participants must be a list of strings")
        self._record(
            self.ConnectorRequested,
            meta,
            provider=provider,
            participants=people,
            # Until an ``auto`` meeting's language is detected the platform is told none.
            language=language or (None if self.language == AUTO_LANGUAGE else self.language),
        )
        return True

    def begin_connector_join(self, *, reclaim: bool = False, meta: EventMeta = EventMeta()) -> int:
        """Claim the next join attempt; the claim is what keeps two workers from joining the
        same session at once. ``reclaim`` also takes over an attempt left in ``joining`` by
        a worker that died (the caller judges it abandoned). Returns the attempt number."""
        allowed = JOINABLE_STATES | {SessionState.JOINING} if reclaim else JOINABLE_STATES
        session = self._require_connector_state("join", allowed)
        self.require_consent_not_denied()
        attempt = session.attempts + 1
        self._record(self.ConnectorJoining, meta, provider=session.provider, attempt=attempt)
        return attempt

    def connector_connected(self, *, meta: EventMeta = EventMeta()) -> None:
        session = self._require_connector_state("connect", frozenset({SessionState.JOINING}))
        self._record(
            self.ConnectorConnected, meta, provider=session.provider, cursor=session.cursor
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
        self._record(
            self.ConnectorHeartbeat, meta, provider=session.provider, cursor=cursor, chunks=chunks
        )

    def interrupt_connector(self, trouble: ConnectorTrouble, meta: EventMeta = EventMeta()) -> None:
        session = self._require_connector_state(
            "reconnect",
            frozenset({SessionState.JOINING, SessionState.CONNECTED, SessionState.RECONNECTING}),
        )
        self._record_trouble(self.ConnectorInterrupted, session, trouble, meta)

    def fail_connector(self, trouble: ConnectorTrouble, meta: EventMeta = EventMeta()) -> None:
        session = self._require_connector_state("fail", ACTIVE_STATES)
        self._record_trouble(self.ConnectorFailed, session, trouble, meta)

    def _record_trouble(
        self,
        event_class: type[events.ConnectorTrouble],
        session: ConnectorSession,
        trouble: ConnectorTrouble,
        meta: EventMeta,
    ) -> None:
        self._record(
            event_class,
            meta,
            provider=session.provider,
            stage=trouble.stage,
            error_kind=trouble.error_kind,
            message=trouble.message,
        )

    def begin_connector_leave(self, *, reason: str, meta: EventMeta = EventMeta()) -> bool:
        """Start leaving; False (no event) when the session has already ended or is leaving."""
        session = self.require_connector()
        if not session.active or session.state == SessionState.LEAVING:
            return False
        self._record(self.ConnectorLeaving, meta, provider=session.provider, reason=reason)
        return True

    def connector_left(self, *, meta: EventMeta = EventMeta()) -> None:
        """The session reached Left; a meeting not finished yet ends with it (reason
        ``connector_left``): no more audio can come from the platform."""
        session = self._require_connector_state("finish leaving", frozenset({SessionState.LEAVING}))
        self._record(self.ConnectorLeft, meta, provider=session.provider)
        self.finish(reason=FinishReason.CONNECTOR_LEFT, meta=meta)

    # ------------------------------------------------------------------ erasure and retention

    @property
    def is_erased(self) -> bool:
        return self.erased_version is not None

    def refuse_if_erased(self) -> None:
        """After ``Erased`` every command is refused: an erased meeting records nothing."""
        if self.erased_version is not None:
            raise MeetingErasedError("meeting was erased", meeting_id=self.meeting_id)

    def erase(
        self, command: commands.EraseMeeting, meta: EventMeta = EventMeta()
    ) -> ErasureOutcome:
        """Record ``Erased`` once; a repeat answers the first erasure (duplicate)."""
        if self.erased_version is not None:
            return ErasureOutcome(self.meeting_id, self.erased_version, self.blob_keys(), True)
        reason = command.reason.strip()
        if not 0 < len(reason) <= MAX_ERASE_REASON_LENGTH:
            raise InvalidCommandError(
                f"reason must be 1-{MAX_ERASE_REASON_LENGTH} characters", reason=reason
            )
        self._record(self.Erased, meta, reason=reason)
        return ErasureOutcome(self.meeting_id, self.version, self.blob_keys(), False)

    def record_retention(
        self, command: commands.RecordRetention, meta: EventMeta = EventMeta()
    ) -> bool:
        """Record that a retention scope was shredded; False, changing nothing, when it was
        already (or the meeting is erased, which shredded everything)."""
        if command.scope not in commands.RETENTION_SCOPES:
            raise InvalidCommandError(
                "unknown retention scope", scope=command.scope, scopes=commands.RETENTION_SCOPES
            )
        if self.is_erased or command.scope in self.retention_applied:
            return False
        self._record(
            self.RetentionApplied,
            meta,
            scope=command.scope,
            retention_days=command.retention_days,
        )
        return True

    def blob_keys(self) -> list[str]:
        """The blob key of every chunk received, in seq order (what erasure deletes)."""
        return [self.chunks[seq].blob_key for seq in sorted(self.chunks)]

    # ------------------------------------------------------------------ queries

    def event_kind(self, version: int) -> str | None:
        return self.event_kinds.get(version)

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
            "detected_language": self.detected_language,
            "tenant": self.tenant,
            "started_by": self.started_by,
            "chunks": dict(self.chunks),
            "idempotency_keys": dict(self.idempotency_keys),
            "results": self.results,
            "finished_version": self.finished_version,
            "finish_reason": self.finish_reason,
            "finished_at": self.finished_at,
            "last_chunk_at": self.last_chunk_at,
            "connector": self.connector,
            "event_kinds": dict(self.event_kinds),
            "deliveries": dict(self.deliveries),
            "speaker_edits": list(self.speaker_edits),
            "held_seqs": set(self.held_seqs),
            "current_consent": self.consent,
            "erased_version": self.erased_version,
            "erased_at": self.erased_at,
            "retention_applied": dict(self.retention_applied),
        }

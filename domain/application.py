"""The write side: load a Meeting, run one command on it, save the new events.

The commands that travel as messages (``StartMeeting``, ``ReceiveChunk``, the stages'
``RecordTranscript`` ...) are the frozen dataclasses of ``commands.py``.

``Meetings`` is an ``eventsourcing`` Application. Its persistence comes from the ``env``
that ``ops/`` passes in (SQLite file, PostgreSQL, or in-memory for unit tests), so this
module stays free of drivers. Optimistic concurrency: two writers of one meeting race on
the next stream version; the loser reloads and runs the command again, which is safe
because every command is idempotent or rule-checked against the fresh state.

Must not: keep a meeting between commands (each one loads, decides and saves), pick a
persistence driver (the ``env`` from ``ops/`` does), or decide a rule the aggregate decides.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import IntegrityError, Mapper

from interview_analytics.domain.audio import PCM, BlobStore, pcm_duration_sec, sha256_hex
from interview_analytics.domain.commands import (
    ChangeConsent,
    EditSpeakers,
    EraseMeeting,
    ReceiveChunk,
    RecordDeliveryAttempt,
    RecordEnhancement,
    RecordFailure,
    RecordLanguage,
    RecordReport,
    RecordRetention,
    RecordTranscript,
    RejectChunk,
    StartMeeting,
)
from interview_analytics.domain.connector import ConnectorSession, ConnectorTrouble
from interview_analytics.domain.consent import (
    ConsentOutcome,
    UnknownConsentPolicy,
    validate_policy,
)
from interview_analytics.domain.errors import (
    ConcurrentUpdateError,
    ConsentDeniedError,
    DomainError,
    InvalidAudioError,
    MeetingFinishedError,
    MeetingNotFoundError,
    UnsupportedLanguageError,
)
from interview_analytics.domain.events import EventMeta
from interview_analytics.domain.ids import meeting_aggregate_id, validate_meeting_id
from interview_analytics.domain.lifecycle import AUTO_LANGUAGE, IdleCheck, StartSettings
from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.results import (
    ChunkOutcome,
    ErasureOutcome,
    FinishOutcome,
    SpeakersOutcome,
    StartOutcome,
)
from interview_analytics.domain.webhooks import WebhookEndpoint, WebhookEndpoints

T = TypeVar("T")

MAX_CONFLICT_RETRIES = 20
MAX_BACKOFF_SEC = 0.05


def _back_off(attempt: int) -> None:
    """Full-jitter exponential backoff, so that writers who collided do not collide again."""
    time.sleep(random.uniform(0, min(MAX_BACKOFF_SEC, 0.001 * 2**attempt)))


@dataclass(frozen=True)
class LanguagePolicy:
    """Which languages meetings may ask for: the speech model decides, ops passes it in.

    ``auto`` (detect from the first speech) is accepted when the model knows more than one
    language; anything else the model cannot transcribe is refused, listing what it can.
    """

    default: str = "ru"
    supported: frozenset[str] | None = None
    """None = any language code is accepted."""

    @property
    def multilingual(self) -> bool:
        return self.supported is None or len(self.supported) > 1

    def resolve(self, requested: str | None) -> str:
        language = (requested or self.default).strip().lower()
        if language == AUTO_LANGUAGE and self.multilingual:
            return language
        if self.supported is not None and language not in self.supported:
            raise UnsupportedLanguageError(
                f"the speech model cannot transcribe {language!r}; "
                f"supported: {', '.join(sorted(self.supported))}",
                language=language,
                supported=sorted(self.supported),
            )
        return language


class Meetings(Application[UUID]):
    """Application service for meetings. One instance per process."""

    name = "meetings"

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        blobs: BlobStore,
        languages: LanguagePolicy = LanguagePolicy(),
        unknown_consent: str = UnknownConsentPolicy.PROCESS,
        wrap_mapper: Callable[[Mapper[UUID]], Mapper[UUID]] | None = None,
    ) -> None:
        # Set before super().__init__, which builds the mapper: ops/ passes the step that
        # seals personal fields before they are stored (crypto-shredding).
        self._wrap_mapper = wrap_mapper
        super().__init__(env=env)
        self.blobs = blobs
        self.languages = languages
        self.unknown_consent = validate_policy(unknown_consent)
        """What ``unknown`` consent means for audio (``CONSENT_UNKNOWN_POLICY``)."""

    def construct_mapper(self) -> Mapper[UUID]:
        mapper = super().construct_mapper()
        return self._wrap_mapper(mapper) if self._wrap_mapper is not None else mapper

    # ------------------------------------------------------------------ commands

    def start(self, command: StartMeeting, meta: EventMeta = EventMeta()) -> StartOutcome:
        validate_meeting_id(command.meeting_id)
        settings = StartSettings(
            mode=command.mode,
            language=self.languages.resolve(command.language),
            consent=command.consent,
            context=dict(command.context) if command.context is not None else None,
            recipients=list(command.recipients) if command.recipients is not None else None,
        )
        for _ in range(MAX_CONFLICT_RETRIES):
            existing = self._find(command.meeting_id)
            if existing is not None:
                return existing.confirm_start(settings, tenant=command.tenant)
            meeting = Meeting.start(command.meeting_id, settings, tenant=command.tenant, meta=meta)
            if command.join_connector is not None:
                meeting.request_connector(provider=command.join_connector, meta=meta)
            try:
                self.save(meeting)
            except IntegrityError:
                continue  # someone started it first: the next turn compares with theirs
            return StartOutcome(meeting.meeting_id, meeting.status, meeting.version, True)
        raise ConcurrentUpdateError("could not start meeting", meeting_id=command.meeting_id)

    def receive_chunk(self, command: ReceiveChunk, meta: EventMeta = EventMeta()) -> ChunkOutcome:
        receive = _chunk_command(command, meta, self.unknown_consent)

        def store_audio(meeting: Meeting, outcome: ChunkOutcome) -> None:
            # Claim-check: the blob is written (durably) before the event that points to
            # it is saved. A crash in between leaves an orphan blob under a
            # content-addressed key, which the retry overwrites with the same bytes.
            if not outcome.duplicate:
                self.blobs.put(outcome.blob_key, command.audio)

        return self._update(command.meeting_id, receive, before_save=store_audio)

    def receive_chunks(
        self, commands: Sequence[tuple[ReceiveChunk, EventMeta]]
    ) -> list[ChunkOutcome | DomainError]:
        """Group commit: many chunk commands, one transaction and one blob flush.

        Each meeting is loaded once and every command runs on it in order; the audio of
        all new chunks is stored with one durable flush, then every changed meeting is
        saved in one transaction. A refused command gets its error in its slot and does
        not hold the others back. If another writer got in first (optimistic-concurrency
        conflict), the batch falls back to one command at a time, with retries.
        """
        loaded: dict[str, Meeting] = {}
        results: list[ChunkOutcome | DomainError] = []
        new_audio: list[tuple[str, bytes]] = []
        for command, meta in commands:
            try:
                meeting = loaded.get(command.meeting_id) or self.get(command.meeting_id)
                loaded[command.meeting_id] = meeting
                outcome = _chunk_command(command, meta, self.unknown_consent)(meeting)
            except DomainError as error:
                results.append(error)
                continue
            results.append(outcome)
            if not outcome.duplicate:
                new_audio.append((outcome.blob_key, command.audio))
        changed = [m for m in loaded.values() if m.pending_events]
        if not changed:
            return results
        self.blobs.put_many(new_audio)
        try:
            self.save(*changed)
        except IntegrityError:
            return [self._receive_or_error(command, meta) for command, meta in commands]
        return results

    def _receive_or_error(
        self, command: ReceiveChunk, meta: EventMeta
    ) -> ChunkOutcome | DomainError:
        try:
            return self.receive_chunk(command, meta)
        except DomainError as error:
            return error

    def finish(
        self, meeting_id: str, *, reason: str = "client", meta: EventMeta = EventMeta()
    ) -> FinishOutcome:
        return self._update(meeting_id, lambda m: m.finish(reason=reason, meta=meta))

    def finish_when_idle(
        self,
        meeting_id: str,
        *,
        now: datetime,
        default_idle_sec: float,
        meta: EventMeta = EventMeta(),
    ) -> IdleCheck:
        """Finish with reason ``idle`` when the stored meeting is idle at ``now``.

        Decided on the meeting as stored: a chunk saved meanwhile makes the save conflict,
        and the retry sees the chunk and leaves the meeting open.
        """
        return self._update(
            meeting_id,
            lambda m: m.finish_when_idle(now=now, default_idle_sec=default_idle_sec, meta=meta),
        )

    # Each stage result: False, changing nothing, when its input already has one.

    def record_transcript(self, command: RecordTranscript, meta: EventMeta = EventMeta()) -> bool:
        return self._update(command.meeting_id, lambda m: m.record_transcript(command, meta))

    def record_language(self, command: RecordLanguage, meta: EventMeta = EventMeta()) -> bool:
        return self._update(command.meeting_id, lambda m: m.record_language(command, meta))

    def reject_chunk(self, command: RejectChunk, meta: EventMeta = EventMeta()) -> bool:
        return self._update(command.meeting_id, lambda m: m.reject_chunk(command, meta))

    def record_enhancement(self, command: RecordEnhancement, meta: EventMeta = EventMeta()) -> bool:
        return self._update(command.meeting_id, lambda m: m.record_enhancement(command, meta))

    def record_report(self, command: RecordReport, meta: EventMeta = EventMeta()) -> bool:
        return self._update(command.meeting_id, lambda m: m.record_report(command, meta))

    def record_failure(self, command: RecordFailure, meta: EventMeta = EventMeta()) -> bool:
        return self._update(command.meeting_id, lambda m: m.record_failure(command, meta))

    def edit_speakers(
        self, command: EditSpeakers, meta: EventMeta = EventMeta()
    ) -> SpeakersOutcome:
        """Name speakers or give them roles after the final transcript (``SpeakersEdited``)."""
        return self._update(command.meeting_id, lambda m: m.edit_speakers(command, meta))

    def record_delivery_attempt(
        self, command: RecordDeliveryAttempt, meta: EventMeta = EventMeta()
    ) -> bool:
        """One attempt at delivering a notice; False for a repeat or a settled delivery."""
        return self._update(command.meeting_id, lambda m: m.record_delivery_attempt(command, meta))

    # ------------------------------------------------------------------ consent

    def change_consent(
        self, command: ChangeConsent, meta: EventMeta = EventMeta()
    ) -> ConsentOutcome:
        """Record a new recording consent (``ConsentChanged``; the same one again is a
        duplicate). ``granted`` releases held chunks to the transcriber. ``denied`` refuses
        audio from now on; when ``erased_chunks`` says audio was already stored, the caller
        erases the meeting (the edge's erasure, reason ``DENIAL_ERASURE_REASON``)."""
        return self._update(
            command.meeting_id, lambda m: m.change_consent(command.consent, meta=meta)
        )

    # ------------------------------------------------------------------ erasure and retention
    # The domain records the facts; destroying keys, blobs and read-model rows is the edge's
    # (``ops/erasure.py``), which runs again on a repeat so an interrupted erasure completes.

    def erase(
        self, meeting_id: str, reason: str = "erasure_request", meta: EventMeta = EventMeta()
    ) -> ErasureOutcome:
        """Record ``Erased`` (once); every later command on the meeting is refused."""
        command = EraseMeeting(meeting_id, reason)
        return self._update(meeting_id, lambda m: m.erase(command, meta), allow_erased=True)

    def record_retention(self, command: RecordRetention, meta: EventMeta = EventMeta()) -> bool:
        """Record ``RetentionApplied`` for one scope; False when it was already."""
        return self._update(
            command.meeting_id, lambda m: m.record_retention(command, meta), allow_erased=True
        )

    # ------------------------------------------------------------------ connector session

    def request_connector(
        self,
        meeting_id: str,
        meta: EventMeta = EventMeta(),
        *,
        provider: str,
        participants: list[str] | None = None,
        language: str | None = None,
    ) -> ConnectorSession:
        return self._connector(
            meeting_id,
            lambda m: m.request_connector(
                provider=provider, participants=participants, language=language, meta=meta
            ),
        )

    def begin_connector_join(
        self, meeting_id: str, *, reclaim: bool = False, meta: EventMeta = EventMeta()
    ) -> ConnectorSession:
        return self._connector(
            meeting_id, lambda m: m.begin_connector_join(reclaim=reclaim, meta=meta)
        )

    def connector_connected(
        self, meeting_id: str, meta: EventMeta = EventMeta()
    ) -> ConnectorSession:
        return self._connector(meeting_id, lambda m: m.connector_connected(meta=meta))

    def record_connector_progress(
        self, meeting_id: str, *, cursor: int, meta: EventMeta = EventMeta()
    ) -> ConnectorSession:
        """A heartbeat: the platform answered and had no new audio."""
        return self._connector(
            meeting_id, lambda m: m.record_connector_progress(cursor=cursor, chunks=0, meta=meta)
        )

    def interrupt_connector(
        self, meeting_id: str, trouble: ConnectorTrouble, meta: EventMeta = EventMeta()
    ) -> ConnectorSession:
        """The session dropped or failed in a way worth retrying: reconnecting."""
        return self._connector(meeting_id, lambda m: m.interrupt_connector(trouble, meta))

    def fail_connector(
        self, meeting_id: str, trouble: ConnectorTrouble, meta: EventMeta = EventMeta()
    ) -> ConnectorSession:
        """The session cannot go on (refused for good, expired): failed."""
        return self._connector(meeting_id, lambda m: m.fail_connector(trouble, meta))

    def begin_connector_leave(
        self, meeting_id: str, *, reason: str, meta: EventMeta = EventMeta()
    ) -> ConnectorSession:
        return self._connector(
            meeting_id, lambda m: m.begin_connector_leave(reason=reason, meta=meta)
        )

    def connector_left(self, meeting_id: str, meta: EventMeta = EventMeta()) -> ConnectorSession:
        return self._connector(meeting_id, lambda m: m.connector_left(meta=meta))

    def receive_live_audio(
        self,
        meeting_id: str,
        chunks: Sequence[ReceiveChunk],
        *,
        cursor: int,
        meta: EventMeta = EventMeta(),
    ) -> list[ChunkOutcome | DomainError]:
        """Live audio the connector pulled: every chunk and the new cursor in one save, so
        a crash leaves either both or neither (a re-pull then finds duplicates, which the
        chunk rules answer without new events). A chunk the rules refuse gets its error in
        its slot and the cursor still moves past it; a finished meeting refuses them all."""

        def receive(meeting: Meeting) -> list[ChunkOutcome | DomainError]:
            results: list[ChunkOutcome | DomainError] = []
            for chunk in chunks:
                try:
                    results.append(_chunk_command(chunk, meta, self.unknown_consent)(meeting))
                except (MeetingFinishedError, ConsentDeniedError):
                    raise
                except DomainError as error:
                    results.append(error)
            new = sum(1 for r in results if isinstance(r, ChunkOutcome) and not r.duplicate)
            meeting.record_connector_progress(cursor=cursor, chunks=new, meta=meta)
            return results

        def store_audio(meeting: Meeting, results: list[ChunkOutcome | DomainError]) -> None:
            self.blobs.put_many(
                [
                    (result.blob_key, chunk.audio)
                    for chunk, result in zip(chunks, results, strict=True)
                    if isinstance(result, ChunkOutcome) and not result.duplicate
                ]
            )

        return self._update(meeting_id, receive, before_save=store_audio)

    def connector_session(self, meeting_id: str) -> ConnectorSession:
        """The session as the event store has it (never_joined when there is none)."""
        return self.get(meeting_id).require_connector()

    def _connector(self, meeting_id: str, command: Callable[[Meeting], object]) -> ConnectorSession:
        def run(meeting: Meeting) -> ConnectorSession:
            command(meeting)
            return meeting.require_connector()

        return self._update(meeting_id, run)

    # ------------------------------------------------------------------ webhook endpoints
    # One WebhookEndpoints aggregate per tenant, in this same store (domain/webhooks.py).

    def register_webhook(
        self,
        tenant: str | None,
        *,
        endpoint_id: str,
        url: str,
        events: Sequence[str],
        secret: str,
        meta: EventMeta = EventMeta(),
    ) -> WebhookEndpoint:
        """Register an endpoint for ``tenant`` (id and secret drawn by the caller)."""
        for attempt in range(MAX_CONFLICT_RETRIES):
            endpoints = self._webhook_endpoints(tenant) or WebhookEndpoints.create(tenant, meta)
            endpoint = endpoints.register(
                endpoint_id=endpoint_id, url=url, events=events, secret=secret, meta=meta
            )
            try:
                self.save(endpoints)
            except IntegrityError:
                _back_off(attempt)
                continue
            return endpoint
        raise ConcurrentUpdateError("too many concurrent webhook updates")

    def webhook_endpoints(self, tenant: str | None) -> list[WebhookEndpoint]:
        """``tenant``'s endpoints, oldest first, as the event store has them now."""
        endpoints = self._webhook_endpoints(tenant)
        return [] if endpoints is None else endpoints.listed()

    def remove_webhook(
        self, tenant: str | None, endpoint_id: str, meta: EventMeta = EventMeta()
    ) -> None:
        """Remove ``tenant``'s endpoint; ``WebhookNotFoundError`` when it has none by that id."""
        for attempt in range(MAX_CONFLICT_RETRIES):
            endpoints = self._webhook_endpoints(tenant) or WebhookEndpoints.create(tenant, meta)
            endpoints.remove(endpoint_id, meta)
            try:
                self.save(endpoints)
            except IntegrityError:
                _back_off(attempt)
                continue
            return
        raise ConcurrentUpdateError("too many concurrent webhook updates")

    def _webhook_endpoints(self, tenant: str | None) -> WebhookEndpoints | None:
        try:
            endpoints: WebhookEndpoints = self.repository.get(WebhookEndpoints.create_id(tenant))
        except AggregateNotFoundError:
            return None
        return endpoints

    # ------------------------------------------------------------------ queries

    def get(self, meeting_id: str) -> Meeting:
        meeting = self._find(meeting_id)
        if meeting is None:
            raise MeetingNotFoundError("meeting not found", meeting_id=meeting_id)
        return meeting

    def event_at(self, meeting_id: str, version: int) -> DomainEventProtocol[UUID]:
        """The meeting's stored event at ``version`` (one read, not the whole stream)."""
        validate_meeting_id(meeting_id)
        found = list(self.events.get(meeting_aggregate_id(meeting_id), gt=version - 1, lte=version))
        if not found:
            raise MeetingNotFoundError(
                "meeting has no such event", meeting_id=meeting_id, version=version
            )
        return found[0]

    def stream(self, meeting_id: str) -> list[DomainEventProtocol[UUID]]:
        """The meeting's stored events, in version order (the audit trail of one meeting)."""
        validate_meeting_id(meeting_id)
        events = list(self.events.get(meeting_aggregate_id(meeting_id)))
        if not events:
            raise MeetingNotFoundError("meeting not found", meeting_id=meeting_id)
        return events

    # ------------------------------------------------------------------ internals

    def _find(self, meeting_id: str) -> Meeting | None:
        validate_meeting_id(meeting_id)
        try:
            meeting: Meeting = self.repository.get(meeting_aggregate_id(meeting_id))
        except AggregateNotFoundError:
            return None
        return meeting

    def _update(
        self,
        meeting_id: str,
        command: Callable[[Meeting], T],
        before_save: Callable[[Meeting, T], None] | None = None,
        *,
        allow_erased: bool = False,
    ) -> T:
        """Load → command → save, retried on an optimistic-concurrency conflict. An erased
        meeting refuses the command (even a repeat) unless ``allow_erased``."""
        for attempt in range(MAX_CONFLICT_RETRIES):
            meeting = self.get(meeting_id)
            if not allow_erased:
                meeting.refuse_if_erased()
            outcome = command(meeting)
            if not meeting.pending_events:
                return outcome  # idempotent repeat: nothing to save
            if before_save is not None:
                before_save(meeting, outcome)
            try:
                self.save(meeting)
            except IntegrityError:
                _back_off(attempt)
                continue
            return outcome
        raise ConcurrentUpdateError("too many concurrent updates", meeting_id=meeting_id)


def _chunk_command(
    command: ReceiveChunk, meta: EventMeta, unknown_consent: str
) -> Callable[[Meeting], ChunkOutcome]:
    """The aggregate call for one chunk, with duration and hash computed once."""
    fmt = command.audio_format
    if fmt.codec == PCM:
        duration = pcm_duration_sec(len(command.audio), fmt)
    elif command.duration_sec is None or command.duration_sec <= 0 or not command.audio:
        raise InvalidAudioError("container audio needs a probed, positive duration")
    else:
        duration = command.duration_sec
    sha256 = sha256_hex(command.audio)

    def receive(meeting: Meeting) -> ChunkOutcome:
        return meeting.receive_chunk(
            seq=command.seq,
            sha256=sha256,
            byte_length=len(command.audio),
            audio_format=fmt,
            duration_sec=duration,
            idempotency_key=command.idempotency_key,
            speaker_hint=command.speaker_hint,
            unknown_consent=unknown_consent,
            meta=meta,
        )

    return receive

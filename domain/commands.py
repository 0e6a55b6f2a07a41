"""The commands that travel as messages: what a caller asks of one meeting.

The front door sends ``StartMeeting`` and ``ReceiveChunk``; the pipeline stages send their
results (``RecordTranscript``, ``RejectChunk``, ``RecordEnhancement``, ``RecordReport``),
``RecordLanguage`` when the transcriber has detected the language of an ``auto`` meeting,
and ``RecordFailure`` when they give up. ``Meetings`` (``application.py``) loads the meeting
a command names and hands the command to the aggregate method of the same name in
snake_case, which checks the rules and records the event.

Must not: check a rule (the aggregate does) or know how a command arrives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from interview_analytics.domain.audio import AudioFormat
from interview_analytics.domain.speaker_roles import SpeakerEdit
from interview_analytics.domain.transcript import Segment


@dataclass(frozen=True)
class StartMeeting:
    meeting_id: str
    mode: str = "realtime"
    language: str | None = None
    """None = the configured default language."""
    consent: str = "unknown"
    context: Mapping[str, Any] | None = None
    recipients: tuple[str, ...] | list[str] | None = None
    tenant: str | None = None
    """The caller's tenant (multi-tenant front door); recorded on ``Started``."""
    join_connector: str | None = None
    """A connector provider to ask to join, in the same save as the start (auto-join)."""


@dataclass(frozen=True)
class ReceiveChunk:
    meeting_id: str
    seq: int
    audio: bytes
    audio_format: AudioFormat = AudioFormat()
    idempotency_key: str | None = None
    speaker_hint: str | None = None
    duration_sec: float | None = None
    """Required for container codecs (the edge probes them); computed for raw PCM."""


@dataclass(frozen=True, kw_only=True)
class StageCommand:
    """A pipeline stage's word on one input event of a meeting."""

    meeting_id: str
    input_version: int
    """The version of the input event; a second result for it is refused."""

    def event_fields(self, **overrides: Any) -> dict[str, Any]:
        """The fields the event records: every field but the meeting id (the aggregate
        adds its own), with ``overrides`` replacing or adding some."""
        recorded = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "meeting_id"}
        return {**recorded, **overrides}


@dataclass(frozen=True, kw_only=True)
class RecordTranscript(StageCommand):
    """A transcription of one chunk (a draft) or of the finished meeting (final)."""

    seqs: list[int]
    segments: list[Segment]
    final: bool
    model: str
    language: str
    audio_sec: float
    processing_sec: float
    speaker_method: str | None = None
    """What produced the speaker labels (``domain/speakers.py``): hint, channel, a
    diarizer's name, or none; None on transcriptions recorded before it was kept."""
    speaker_confidence: float | None = None
    speaker_count: int | None = None


@dataclass(frozen=True, kw_only=True)
class RecordLanguage(StageCommand):
    """The language heard in the first speech of an ``auto`` meeting, detected on the chunk
    (or the finished meeting) at ``input_version``."""

    language: str
    probability: float


@dataclass(frozen=True, kw_only=True)
class RejectChunk(StageCommand):
    """The chunk at ``input_version`` cannot be transcribed (its audio does not decode)."""

    code: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class RecordEnhancement(StageCommand):
    text: str
    segments: list[dict[str, Any]]
    final: bool
    pii_masked: bool


@dataclass(frozen=True, kw_only=True)
class RecordReport(StageCommand):
    report: dict[str, Any]
    final: bool


@dataclass(frozen=True, kw_only=True)
class RecordFailure(StageCommand):
    """A stage gave up on its input after ``attempts`` tries."""

    stage: str
    code: str
    reason: str
    attempts: int


@dataclass(frozen=True, kw_only=True)
class RecordDeliveryAttempt:
    """The notifier's word on one attempt at delivering a notice (``deliveries.py``)."""

    meeting_id: str
    delivery_id: str
    channel: str
    target: str
    notice: str
    attempt: int
    outcome: str
    status_code: int | None = None
    error: str | None = None
    next_attempt_at: str | None = None
    """When the next attempt is due (ISO 8601, UTC) after a failure; None otherwise."""
    redrive: bool = False
    """An operator re-drives a delivery that was given up on (the attempt after it)."""

    def event_fields(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "meeting_id"}


@dataclass(frozen=True)
class EditSpeakers:
    """Name speakers and/or give them roles, by their transcript labels, after the fact;
    each entry a ``SpeakerEdit`` (``speaker_roles.py``)."""

    meeting_id: str
    speakers: tuple[SpeakerEdit, ...]


@dataclass(frozen=True)
class EraseMeeting:
    """Erase a meeting for good (``Erased``): why, in words that hold no personal data."""

    meeting_id: str
    reason: str = "erasure_request"


RETENTION_SCOPES = ("audio", "raw_text")
"""What a retention rule short of erasing the whole meeting can shred."""


@dataclass(frozen=True)
class RecordRetention:
    """The retention worker shredded ``scope`` of a meeting after ``retention_days``."""

    meeting_id: str
    scope: str
    retention_days: int


@dataclass(frozen=True)
class ChangeConsent:
    """Record a meeting's new recording consent (``unknown``, ``granted`` or ``denied``)."""

    meeting_id: str
    consent: str

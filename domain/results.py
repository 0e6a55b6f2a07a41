"""What a meeting has recorded: accepted chunks, stage results, and command outcomes.

Frozen value objects built by the events' ``apply`` rules (``events.py``) and read by
everyone downstream: ``ChunkRecord`` per accepted chunk; ``Transcription``,
``Enhancement``, ``Report``, ``Rejection`` and ``Failure`` per stage result, kept together
in ``Results``; ``current_transcriptions`` says which transcriptions make up the
transcript now. ``StartOutcome``, ``ChunkOutcome`` and ``FinishOutcome`` are what the
commands answer, the same for an original and for every identical repeat.

Must not: change state (only an event's ``apply`` adds to ``Results``), or import the
aggregate or its events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from interview_analytics.domain.transcript import Segment

# Stages whose results are recorded on the meeting; a result is unique per
# (stage, input version), which is what makes redelivered messages harmless.
TRANSCRIBE, ENHANCE, REPORT = "transcribe", "enhance", "report"
STAGES = (TRANSCRIBE, ENHANCE, REPORT)


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
class Transcription(_Shared):
    version: int
    input_version: int
    seqs: tuple[int, ...]
    segments: tuple[Segment, ...]
    final: bool
    model: str
    language: str
    speaker_method: str | None = None
    speaker_confidence: float | None = None
    speaker_count: int | None = None


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
class Results:
    """Everything the pipeline recorded, in version order."""

    transcriptions: list[Transcription] = field(default_factory=list)
    enhancements: list[Enhancement] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    rejections: dict[int, Rejection] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    done: set[tuple[str, int]] = field(default_factory=set)
    """(stage, input version) of every input that has its result."""


def current_transcriptions(
    transcriptions: Sequence[Transcription],
) -> list[Transcription]:
    """The results that make up the transcript now, ordered by the first seq they cover.

    Final results (the settled pass after finish) replace every draft. Among drafts, a
    later result that covers all the seqs of an earlier one replaces it (a rolling buffer
    re-transcribes recent chunks with more context).
    """
    finals = [t for t in transcriptions if t.final]
    pool = finals or list(transcriptions)
    current = [
        t
        for i, t in enumerate(pool)
        if not any(set(t.seqs) <= set(later.seqs) for later in pool[i + 1 :])
    ]
    return sorted(current, key=lambda t: (min(t.seqs, default=-1), t.version))


@dataclass(frozen=True)
class StartOutcome:
    meeting_id: str
    status: str
    version: int
    created: bool


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
class FinishOutcome:
    meeting_id: str
    status: str
    version: int
    duplicate: bool


@dataclass(frozen=True)
class SpeakersOutcome:
    """What a speaker edit answers: the meeting's speaker edits after it, by label."""

    meeting_id: str
    version: int
    duplicate: bool
    speakers: Mapping[str, Any]
    """label → ``SpeakerEdit``."""


@dataclass(frozen=True)
class ErasureOutcome:
    """What an erase recorded (or, for a repeat, the first erasure): the ``Erased``
    version and the blob keys of the meeting's audio, for the edge to delete."""

    meeting_id: str
    version: int
    blob_keys: list[str]
    duplicate: bool

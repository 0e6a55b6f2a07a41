"""Rows of the ``meetings`` table: one per meeting, its state after the newest event.

``meeting_row(state)`` is a pure function of the folded state: the same events always give
the same row, ``version`` is the meeting's stream version and ``updated_at`` the newest
event's time (never the clock), so writing it again changes nothing a reader sees.
``language`` is what is spoken: the start's, or, for a meeting started with ``auto``, the
one its ``LanguageDetected`` recorded (``auto`` until then), so the row changes on that event.

Must not: do I/O, read the clock, or look at anything but the state it is given.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.results import Transcription
from interview_analytics.domain.speakers import attribution_of
from interview_analytics.domain.transcript import Segment
from interview_analytics.projections.folding import MeetingState

TABLE = "meetings"


def meeting_row(state: MeetingState) -> dict[str, Any]:
    meeting = state.meeting
    current = state.current_transcriptions()
    segments = transcript(current)
    covered = {seq for transcription in current for seq in transcription.seqs}
    enhancement = meeting.latest_enhancement()
    report = meeting.latest_report()
    newest = max(current, key=lambda t: t.version, default=None)
    return {
        "meeting_id": meeting.meeting_id,
        "status": meeting.status,
        "mode": meeting.mode,
        "language": meeting.language,
        "consent": meeting.consent,
        "context_json": dumps(meeting.context),
        "recipients": list(meeting.recipients),
        "started_by": meeting.started_by,
        "tenant": meeting.tenant,
        "started_at": meeting.created_on,
        "last_chunk_at": state.last_chunk_at,
        "finished_at": state.finished_at,
        "finish_reason": meeting.finish_reason,
        "updated_at": meeting.modified_on,
        "chunks_received": len(meeting.chunks),
        "chunks_transcribed": len(covered & set(meeting.chunks)),
        "chunks_rejected": len(meeting.results.rejections),
        "failures": len(meeting.results.failures),
        "audio_seconds": float(meeting.audio_seconds()),
        "speakers": speakers(meeting, segments),
        "speaker_attribution_json": _attribution_json(current),
        "model": newest.model if newest is not None else "",
        "transcript_final": int(any(t.final for t in current)),
        "raw_transcript": raw_transcript(segments),
        "enhanced_transcript": enhancement.text if enhancement is not None else "",
        "report_json": dumps(report.report) if report is not None else "",
        "report_final": int(report.final) if report is not None else 0,
        "version": state.version,
    }


def transcript(current: Sequence[Transcription]) -> list[Segment]:
    """``Meeting.transcript()`` from already computed current transcriptions."""
    return [
        segment
        for transcription in current
        for segment in sorted(transcription.segments, key=lambda s: s["start_sec"])
    ]


def raw_transcript(segments: Sequence[Segment]) -> str:
    """``Meeting.raw_transcript()`` from the transcript's segments."""
    return " ".join(s["text"].strip() for s in segments if s["text"].strip())


def speakers(meeting: Meeting, segments: Sequence[Segment]) -> list[str]:
    """Who speaks: the latest enhancement's turn labels, else the segments' speakers."""
    enhancement = meeting.latest_enhancement()
    if enhancement is not None:
        labels = {str(turn.get("speaker") or "") for turn in enhancement.segments}
    else:
        labels = {segment["speaker"] or "" for segment in segments}
    return sorted(label for label in labels if label)


def dumps(value: Any) -> str:
    """JSON as every table stores it: sorted keys, UTF-8 text kept as is."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _attribution_json(current: Sequence[Transcription]) -> str:
    attribution = attribution_of(current)
    return dumps(attribution) if attribution is not None else ""

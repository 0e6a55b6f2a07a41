"""What the routes answer, built from domain results and read-model rows.

The meeting document normally comes from the read model (``MeetingView.to_dict()``). When
the read model does not have the meeting yet, or not at the version the client wrote
(read-your-writes), :func:`meeting_from_write_model` answers the same fields from the
aggregate itself, marked ``"source": "write_model"``; the times the aggregate does not
keep (last chunk, finish) are null there.

Must not: do I/O.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.results import (
    ChunkOutcome,
    FinishOutcome,
    StartOutcome,
    current_transcriptions,
)
from interview_analytics.http.bodies import API_VERSION

READ_MODEL = "read_model"
WRITE_MODEL = "write_model"


def start_document(outcome: StartOutcome, meeting: Meeting) -> dict[str, Any]:
    return {
        "api_version": API_VERSION,
        "meeting_id": outcome.meeting_id,
        "status": meeting.status,
        "version": outcome.version,
        "created": outcome.created,
        "mode": meeting.mode,
        "language": meeting.language,
        "consent": meeting.consent,
        "context": meeting.context,
        "recipients": list(meeting.recipients),
        "tenant": meeting.tenant,
    }


def chunk_document(outcome: ChunkOutcome) -> dict[str, Any]:
    return {
        "accepted": True,
        "meeting_id": outcome.meeting_id,
        "seq": outcome.seq,
        "idempotency_key": outcome.idempotency_key,
        "blob_key": outcome.blob_key,
        "sha256": outcome.sha256,
        "duplicate": outcome.duplicate,
        "version": outcome.version,
    }


def finish_document(outcome: FinishOutcome) -> dict[str, Any]:
    return {
        "api_version": API_VERSION,
        "meeting_id": outcome.meeting_id,
        "status": outcome.status,
        "version": outcome.version,
        "duplicate": outcome.duplicate,
    }


def meeting_from_read_model(document: dict[str, Any]) -> dict[str, Any]:
    return {**document, "source": READ_MODEL}


def meeting_from_write_model(meeting: Meeting) -> dict[str, Any]:
    current = current_transcriptions(meeting.results.transcriptions)
    covered = {seq for transcription in current for seq in transcription.seqs}
    enhancement = meeting.latest_enhancement()
    report = meeting.latest_report()
    if enhancement is not None:
        labels = {str(turn.get("speaker") or "") for turn in enhancement.segments}
    else:
        labels = {s["speaker"] or "" for t in current for s in t.segments}
    return {
        "api_version": API_VERSION,
        "meeting_id": meeting.meeting_id,
        "status": meeting.status,
        "raw_transcript": meeting.raw_transcript(),
        "enhanced_transcript": enhancement.text if enhancement is not None else "",
        "report": report.report if report is not None else None,
        "mode": meeting.mode,
        "language": meeting.language,
        "consent": meeting.consent,
        "context": meeting.context,
        "recipients": list(meeting.recipients),
        "tenant": meeting.tenant,
        "version": meeting.version,
        "started_at": _iso(meeting.created_on),
        "updated_at": _iso(meeting.modified_on),
        "last_chunk_at": None,
        "finished_at": None,
        "chunks_received": len(meeting.chunks),
        "chunks_transcribed": len(covered & set(meeting.chunks)),
        "chunks_rejected": len(meeting.results.rejections),
        "audio_seconds": float(meeting.audio_seconds()),
        "speakers": sorted(label for label in labels if label),
        "report_final": bool(report.final) if report is not None else False,
        "segments": [
            {
                "segment_id": segment["segment_id"],
                "start_sec": segment["start_sec"],
                "end_sec": segment["end_sec"],
                "speaker": segment["speaker"],
                "text": segment["text"],
                "enhanced_text": "",
                "confidence": segment["confidence"],
                "words": list(segment["words"]),
                "final": transcription.final,
                "model": transcription.model,
            }
            for transcription in current
            for segment in sorted(transcription.segments, key=lambda s: s["start_sec"])
        ],
        "metrics": None,
        "source": WRITE_MODEL,
    }


def jsonable(value: Any) -> Any:
    """Read-model values as JSON: times as ISO-8601 UTC, containers walked."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat()
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value


def _iso(moment: datetime) -> str:
    return str(jsonable(moment))

"""Which meeting events people hear about, and the ``Notice`` each one becomes.

A final ``Transcribed`` is ``transcript.ready``, a final ``Reported`` is ``report.ready`` and
``Finished`` is ``meeting.finished``; drafts and everything else are nobody's business.
A notice is built from the meeting and its stored stream, so the one built for a retry
hours later is the one the first attempt sent.

Must not: do I/O or read a clock (a notice's time is its event's timestamp).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from interview_analytics.domain.meeting import Meeting
from interview_analytics.streams.delivery.channels import (
    NOTICE_MEETING_FINISHED,
    NOTICE_REPORT_READY,
    NOTICE_TRANSCRIPT_READY,
    Notice,
)


def notice_kind(event: object) -> str | None:
    """The notice ``event`` causes, or None."""
    if isinstance(event, Meeting.Finished):
        return NOTICE_MEETING_FINISHED
    if isinstance(event, Meeting.Transcribed) and event.final:
        return NOTICE_TRANSCRIPT_READY
    if isinstance(event, Meeting.Reported) and event.final:
        return NOTICE_REPORT_READY
    return None


def cause_version(meeting: Meeting, kind: str) -> int | None:
    """The version of the meeting's latest event that causes a ``kind`` notice (its state
    names them: the finish, the final transcription, the final report)."""
    if kind == NOTICE_MEETING_FINISHED:
        return meeting.finished_version
    if kind == NOTICE_TRANSCRIPT_READY:
        finals = [t.version for t in meeting.results.transcriptions if t.final]
    elif kind == NOTICE_REPORT_READY:
        finals = [r.version for r in meeting.results.reports if r.final]
    else:
        return None
    return max(finals) if finals else None


def build_notice(meeting: Meeting, event: Meeting.Event) -> Notice:
    """The notice ``event`` (a notice-causing event of ``meeting``) becomes."""
    kind = notice_kind(event)
    if kind is None:
        raise ValueError(f"{type(event).__name__} causes no notice")
    data: dict[str, Any] = {
        "meeting_id": meeting.meeting_id,
        "status": str(meeting.status),
        "language": meeting.language,
        "finished_at": _iso(meeting.finished_at) if meeting.finished_at is not None else None,
    }
    if isinstance(event, Meeting.Transcribed):
        data["transcript"] = meeting.raw_transcript()
    if isinstance(event, Meeting.Reported):
        data["report"] = event.report
    return Notice(
        event=kind,
        meeting_id=meeting.meeting_id,
        tenant=meeting.tenant,
        event_id=str(event.event_id),
        occurred_at=event.timestamp.astimezone(UTC),
        language=meeting.language,
        recipients=tuple(meeting.recipients or ()),
        data=data,
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()

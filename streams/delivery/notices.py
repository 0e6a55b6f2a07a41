"""Which meeting events people hear about, and the ``Notice`` each one becomes.

A final ``Transcribed`` is ``transcript.ready``, a final ``Reported`` is ``report.ready`` and
``Finished`` is ``meeting.finished``; drafts and everything else are nobody's business.
A notice is built from the meeting and its stored stream, so the one built for a retry
hours later is the one the first attempt sent.

Must not: do I/O or read a clock (a notice's time is its event's timestamp).
"""

from __future__ import annotations

from collections.abc import Sequence
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


def causing_event(stream: Sequence[object], kind: str) -> Meeting.Event | None:
    """The latest event of the stream that causes a ``kind`` notice."""
    for event in reversed(stream):
        if isinstance(event, Meeting.Event) and notice_kind(event) == kind:
            return event
    return None


def build_notice(meeting: Meeting, stream: Sequence[object], event: Meeting.Event) -> Notice:
    """The notice ``event`` (a notice-causing event of ``meeting``) becomes."""
    kind = notice_kind(event)
    if kind is None:
        raise ValueError(f"{type(event).__name__} causes no notice")
    finished = next((e for e in stream if isinstance(e, Meeting.Finished)), None)
    data: dict[str, Any] = {
        "meeting_id": meeting.meeting_id,
        "status": str(meeting.status),
        "language": meeting.language,
        "finished_at": _iso(finished.timestamp) if finished is not None else None,
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

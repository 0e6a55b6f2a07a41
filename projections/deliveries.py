"""Rows of the ``deliveries`` table: every attempt at delivering one of a meeting's notices.

One row per ``DeliveryAttempted`` event, keyed by ``(meeting_id, delivery_id, attempt)``;
``version`` is the event's stream version, so a re-projected row replaces itself.
``delivery_records`` reads a meeting's attempts back for ``GET /v1/meetings/{id}/deliveries``.

Must not (rows): do I/O, read the clock, or look at anything but the event and state given.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from interview_analytics.domain.meeting import Meeting
from interview_analytics.projections.folding import MeetingState
from interview_analytics.projections.sql import Filters, clamp_limit
from interview_analytics.projections.store import ReadStore

TABLE = "deliveries"


def delivery_row(event: Meeting.DeliveryAttempted, state: MeetingState) -> dict[str, Any]:
    next_at = event.next_attempt_at
    return {
        "meeting_id": event.meeting_id,
        "delivery_id": event.delivery_id,
        "attempt": event.attempt,
        "channel": event.channel,
        "target": event.target,
        "notice": event.notice,
        "outcome": event.outcome,
        "status_code": event.status_code,
        "error": event.error,
        "attempted_at": event.timestamp,
        "next_attempt_at": datetime.fromisoformat(next_at) if next_at else None,
        "redrive": int(event.redrive),
        "tenant": state.meeting.tenant,
        "version": event.originator_version,
    }


_COLUMNS = (
    "delivery_id, channel, target, notice, attempt, outcome, status_code, error, attempted_at,"
    " next_attempt_at, redrive"
)


def delivery_records(
    store: ReadStore, meeting_id: str, *, limit: int = 500
) -> list[dict[str, Any]]:
    """A meeting's delivery attempts, in the order they were made (times: aware UTC)."""
    filters = Filters(limit=clamp_limit(limit))
    filters.add("meeting_id = {m:String}", m=meeting_id)
    # Only constant fragments are joined; every value is a bound parameter.
    rows = store.query_rows(
        f"SELECT {_COLUMNS} FROM {TABLE} FINAL"  # noqa: S608
        + filters.where()
        + " ORDER BY version, delivery_id, attempt LIMIT {limit:UInt32}",
        filters.parameters,
    )
    for row in rows:
        row["redrive"] = bool(row["redrive"])
    return rows

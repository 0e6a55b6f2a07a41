"""Rows of the ``event_log`` table: every domain event as stored, for the audit trail.

One row per ``(meeting_id, version)``: the metadata every event carries (``event_type`` is
the Avro full name of ``streams/contract/events.py``, ``event_id`` the derived uuid5) and the
event's own fields as JSON under their domain names (``context``, ``segments``,
``report`` as objects, not the Avro ``*_json`` strings).

Must not: do I/O, read the clock, or drop or change any field of the event.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from interview_analytics.domain.meeting import Meeting
from interview_analytics.projections.meetings import dumps
from interview_analytics.streams.contract import event_field_names, event_type_of

TABLE = "event_log"


def event_row(event: Meeting.Event, notification_id: int | None) -> dict[str, Any]:
    return {
        "meeting_id": event.meeting_id,
        "version": event.originator_version,
        "notification_id": notification_id,
        "event_type": event_type_of(event),
        "event_id": event.event_id,
        "occurred_at": event.timestamp,
        "actor": event.actor,
        "correlation_id": event.correlation_id,
        "causation_id": event.causation_id,
        "payload_json": dumps(payload(event)),
    }


def payload(event: Meeting.Event) -> dict[str, Any]:
    """The event's own fields (what its Avro record carries besides the metadata)."""
    return {name: getattr(event, name) for name in _field_names(type(event))}


@cache
def _field_names(cls: type[Meeting.Event]) -> tuple[str, ...]:
    return tuple(sorted(event_field_names(cls)))

"""Rows of the ``connector_sessions`` table: one per meeting whose connector was ever asked
to join, from the session state (``domain/connector.py``) after the newest event.

A pure function of the folded state, like ``meetings.meeting_row`` (and written as often:
once per batch that touches the meeting): ``version`` is the meeting's stream version, so
a re-projected row replaces itself and a newer one wins, however the events were batched.

``session_records`` and ``state_counts`` read it back for the admin views and the
reconciliation worker.

Must not (rows): do I/O, read the clock, or look at anything but the state they are given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from interview_analytics.projections.folding import MeetingState
from interview_analytics.projections.sql import Filters, clamp_limit
from interview_analytics.projections.store import ReadStore

TABLE = "connector_sessions"


def session_row(state: MeetingState) -> dict[str, Any] | None:
    meeting = state.meeting
    session = meeting.connector
    if session is None:
        return None
    return {
        "meeting_id": meeting.meeting_id,
        "provider": session.provider,
        "state": session.state,
        "connected": int(session.connected),
        "attempts": session.attempts,
        "reconnects": session.reconnects,
        "cursor": session.cursor,
        "chunks": session.chunks,
        "last_error": session.last_error,
        "last_error_kind": session.last_error_kind,
        "failed_stage": session.failed_stage,
        "participants": list(session.participants),
        "language": session.language,
        "tenant": meeting.tenant,
        "meeting_status": meeting.status,
        "requested_at": session.requested_at,
        "connected_at": session.connected_at,
        "last_audio_at": session.last_audio_at,
        "last_heartbeat_at": session.last_heartbeat_at,
        "last_seen_at": session.last_seen_at,
        "updated_at": session.updated_at,
        "version": state.version,
    }


_COLUMNS = (
    "meeting_id, provider, state, connected, attempts, reconnects, cursor, chunks, last_error,"
    " last_error_kind, failed_stage, participants, language, tenant, meeting_status,"
    " requested_at, connected_at, last_audio_at, last_heartbeat_at, last_seen_at, updated_at,"
    " version"
)


def session_records(
    store: ReadStore,
    *,
    meeting_id: str | None = None,
    states: Sequence[str] | None = None,
    stalest_first: bool = False,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Sessions newest first (by ``updated_at``), or the longest unseen first; times are
    timezone-aware UTC datetimes and ``connected`` a bool. ``limit`` is clamped to 1..500."""
    filters = Filters(limit=clamp_limit(limit))
    if meeting_id is not None:
        filters.add("meeting_id = {m:String}", m=meeting_id)
    if states is not None:
        filters.add("state IN {states:Array(String)}", states=list(states))
    order = "last_seen_at ASC" if stalest_first else "updated_at DESC"
    # Only constant fragments are joined; every value is a bound parameter.
    rows = store.query_rows(
        f"SELECT {_COLUMNS} FROM {TABLE} FINAL"  # noqa: S608
        + filters.where()
        + f" ORDER BY {order}, meeting_id LIMIT {{limit:UInt32}}",
        filters.parameters,
    )
    return [_record(row) for row in rows]


def state_counts(store: ReadStore) -> dict[str, int]:
    rows = store.query_rows(f"SELECT state, count() AS n FROM {TABLE} FINAL GROUP BY state")  # noqa: S608
    return {row["state"]: int(row["n"]) for row in rows}


def _record(row: dict[str, Any]) -> dict[str, Any]:
    # Times arrive timezone-aware already (the read store's client runs with tz_mode="aware").
    return {**row, "connected": bool(row["connected"]), "participants": list(row["participants"])}

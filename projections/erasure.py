"""Erasing a meeting from the read models: its rows leave every table built from it.

``erase_meeting_rows(store, meeting_id, erased_version)`` runs one lightweight
``DELETE FROM <table> WHERE meeting_id = …`` per table (ClickHouse 23.3+ and chDB alike;
the rows vanish from every read at once and from disk at the next merge). ``event_log``
keeps the meeting's ``Erased`` row (and anything after it), which holds no personal data:
the audit trail still says that, when, by whom and why the meeting was erased, but none of
what it said. Both the erasure itself (``ops/erasure.py``, at once) and the projector (on
the ``Erased`` event, so that a lagging batch or a replay cannot bring rows back) call it;
deleting what is already gone changes nothing.

Must not: delete anything of another meeting, or touch the event store.
"""

from __future__ import annotations

from collections.abc import Collection

from interview_analytics.projections import (
    connector_sessions,
    dead_letters,
    deliveries,
    event_log,
    meetings,
    reports,
    transcript_segments,
)
from interview_analytics.projections.store import ReadStore

ERASED_TABLES = (
    meetings.TABLE,
    transcript_segments.TABLE,
    reports.TABLE,
    event_log.TABLE,
    connector_sessions.TABLE,
    deliveries.TABLE,
    dead_letters.TABLE,
)
"""Every read-model table with a ``meeting_id`` that can hold what a meeting said.
``security_audit_log`` and ``queue_health`` hold none of it (they are bounded by TTLs)."""

ERASURES = "erasures"
"""The key under which ``Projector.project`` hands the writer its erasures
(``{"meeting_id", "version"}`` rows, deletes rather than inserts)."""

REPROJECTIONS = "reprojections"
"""The key for meetings whose rows are replaced as a whole (``{"meeting_id", "version"}``):
after ``RetentionApplied(raw_text)`` the meeting is projected again from the store, where its
raw text now reads as erased, and the writer deletes its old rows before inserting those."""


def erase_meeting_rows(
    store: ReadStore,
    meeting_id: str,
    erased_version: int | None,
    *,
    suffix: str = "",
    tables: Collection[str] = ERASED_TABLES,
) -> list[str]:
    """Delete the meeting's rows from ``tables`` (those that exist, with ``suffix``: the
    rebuild tables of a replay); the tables deleted from. ``event_log`` keeps the rows from
    ``erased_version`` on; None deletes them all (a reprojection inserts them again)."""
    present = store.tables()
    done = []
    for name in tables:
        table = name + suffix
        if table not in present:
            continue
        condition = "meeting_id = {meeting_id:String}"
        if name == event_log.TABLE and erased_version is not None:
            condition += " AND version < {version:UInt64}"
        # Table names come from the constants above, values bind server-side.
        store.command(
            f"DELETE FROM {store.table(table)} WHERE {condition}",  # noqa: S608
            {"meeting_id": meeting_id, "version": erased_version or 0},
        )
        done.append(table)
    return done

"""From meeting events to read-model rows, and the rows into the read store.

``Projector.project(batch)`` folds a batch of ``(notification_id, domain event)`` pairs
(``MeetingFolder``: version order, duplicates skipped, gaps loaded) and returns the rows
to insert, by table:

- ``event_log``: one row per applied event;
- ``reports``: one row per ``Reported`` event;
- ``transcript_segments``: rows for segments new or changed in the batch, tombstones for
  segments that stopped being current (only for meetings with a ``Transcribed`` or
  ``Enhanced`` event in the batch);
- ``meetings``: one row per meeting touched, from its state at the end of the batch;
- ``connector_sessions``: one row per meeting touched that has a connector session, from
  its state at the end of the batch;
- ``deliveries``: one row per ``DeliveryAttempted`` event (every attempt at a notice);
- ``erasures`` (``erasure.ERASURES``): one ``{meeting_id, version}`` per ``Erased`` event,
  which the writer turns into deletes of the meeting's rows (``erasure.py``); the batch's
  own rows of that meeting are dropped, and nothing after it is projected but its
  ``event_log`` row (which holds no personal data);
- ``reprojections`` (``erasure.REPROJECTIONS``): one per ``RetentionApplied(raw_text)``
  (given a ``load``): the meeting's whole history is loaded from the store again, where its
  raw text now reads as erased, and projected afresh; the writer deletes the meeting's old
  rows before it inserts these, so no read model keeps the shredded text.

Every row is a pure function of the events, so projecting the same events again, in
batches of any size, leaves every ``FINAL`` query answering the same. ``ProjectionWriter``
inserts the rows (``meetings`` last, so a reader that sees a meeting's version sees its
other rows too). The Faust agent that feeds this lives in ``streams``/``ops``; here there
is no Kafka and no Faust.

Must not: read the clock or the environment, or talk to Kafka.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from interview_analytics.domain.meeting import Meeting
from interview_analytics.projections import (
    connector_sessions,
    deliveries,
    event_log,
    meetings,
    reports,
    transcript_segments,
)
from interview_analytics.projections.erasure import (
    ERASED_TABLES,
    ERASURES,
    REPROJECTIONS,
    erase_meeting_rows,
)
from interview_analytics.projections.folding import (
    DEFAULT_CAPACITY,
    Load,
    MeetingFolder,
    MeetingState,
)
from interview_analytics.projections.store import REBUILD_SUFFIX, ReadStore
from interview_analytics.projections.transcript_segments import SegmentView
from interview_analytics.streams.contract import Envelope, EventCodec

Row = dict[str, Any]
Notified = tuple[int | None, Meeting.Event]
"""A domain event with its position in the event store's notification log (if known)."""

MEETING_TABLES = (
    meetings.TABLE,
    transcript_segments.TABLE,
    reports.TABLE,
    event_log.TABLE,
    connector_sessions.TABLE,
    deliveries.TABLE,
)
"""The tables built from meeting events (and so rebuildable by a replay)."""

WRITE_ORDER = (
    event_log.TABLE,
    transcript_segments.TABLE,
    reports.TABLE,
    "dead_letters",
    "queue_health",
    connector_sessions.TABLE,
    deliveries.TABLE,
    meetings.TABLE,
)

_SEGMENT_EVENTS = (Meeting.Transcribed, Meeting.Enhanced)
RAW_TEXT_SCOPE = "raw_text"


class Projector:
    """Folds batches of meeting events into rows. One per consumer (it caches state)."""

    def __init__(
        self,
        folder: MeetingFolder | None = None,
        *,
        load: Load | None = None,
        capacity: int = DEFAULT_CAPACITY,
        tables: Collection[str] | None = None,
    ) -> None:
        self.folder = folder if folder is not None else MeetingFolder(load, capacity)
        chosen = tuple(tables) if tables is not None else MEETING_TABLES
        unknown = set(chosen) - set(MEETING_TABLES)
        if unknown:
            raise ValueError(f"not built from meeting events: {sorted(unknown)}")
        self.tables = chosen
        self.applied = 0
        self.duplicates = 0

    def project(self, batch: Iterable[Notified]) -> dict[str, list[Row]]:
        rows: dict[str, list[Row]] = {table: [] for table in self.tables}
        wants = set(self.tables)
        touched: dict[str, MeetingState] = {}
        segments_before: dict[str, SegmentView] = {}
        recorded: dict[str, set[transcript_segments.SegmentKey]] = {}
        for notification_id, event in batch:
            if self.folder.is_duplicate(event):
                self.duplicates += 1
                continue
            meeting_id = event.meeting_id
            if (
                transcript_segments.TABLE in wants
                and isinstance(event, _SEGMENT_EVENTS)
                and meeting_id not in segments_before
            ):
                before = self.folder.state_before(event)
                segments_before[meeting_id] = transcript_segments.segment_view(before)
            state = self.folder.apply(event)
            assert state is not None  # not a duplicate: checked above
            if state.meeting.is_erased:
                self.applied += 1
                self._erased(rows, notification_id, event, touched, segments_before, recorded)
                continue
            if (
                isinstance(event, Meeting.RetentionApplied)
                and event.scope == RAW_TEXT_SCOPE
                and self.folder.load is not None
            ):
                self.applied += 1
                self._reproject(rows, event, touched, segments_before, recorded)
                continue
            if isinstance(event, Meeting.Transcribed):
                recorded.setdefault(meeting_id, set()).update(
                    (event.originator_version, segment["segment_id"]) for segment in event.segments
                )
            self.applied += 1
            touched[meeting_id] = state
            if event_log.TABLE in wants:
                rows[event_log.TABLE].append(event_log.event_row(event, notification_id))
            if reports.TABLE in wants and isinstance(event, Meeting.Reported):
                rows[reports.TABLE].append(
                    reports.report_row(state, event.originator_version, event.timestamp)
                )
            if deliveries.TABLE in wants and isinstance(event, Meeting.DeliveryAttempted):
                rows[deliveries.TABLE].append(deliveries.delivery_row(event, state))
        for meeting_id, state in touched.items():
            if meetings.TABLE in wants:
                rows[meetings.TABLE].append(meetings.meeting_row(state))
            if connector_sessions.TABLE in wants:
                session = connector_sessions.session_row(state)
                if session is not None:
                    rows[connector_sessions.TABLE].append(session)
            if meeting_id in segments_before:
                rows[transcript_segments.TABLE].extend(
                    transcript_segments.segment_rows(
                        segments_before[meeting_id], state, recorded.get(meeting_id, ())
                    )
                )
        return rows

    def _reproject(
        self,
        rows: dict[str, list[Row]],
        event: Meeting.Event,
        touched: dict[str, MeetingState],
        segments_before: dict[str, SegmentView],
        recorded: dict[str, set[transcript_segments.SegmentKey]],
    ) -> None:
        """The meeting's rows made again from its stored history (raw text shredded)."""
        assert self.folder.load is not None
        meeting_id = event.meeting_id
        history = list(self.folder.load(meeting_id, event.originator_version))
        fresh = Projector(tables=self.tables, capacity=1).project((None, e) for e in history)
        _forget_rows(rows, meeting_id, touched, segments_before, recorded)
        for table, table_rows in fresh.items():
            rows.setdefault(table, []).extend(table_rows)
        rows.setdefault(REPROJECTIONS, []).append(
            {"meeting_id": meeting_id, "version": event.originator_version}
        )
        # What the cache holds was read before the key was destroyed: the next event of
        # this meeting loads it from the store again.
        self.folder.forget(meeting_id)

    def _erased(
        self,
        rows: dict[str, list[Row]],
        notification_id: int | None,
        event: Meeting.Event,
        touched: dict[str, MeetingState],
        segments_before: dict[str, SegmentView],
        recorded: dict[str, set[transcript_segments.SegmentKey]],
    ) -> None:
        """An erased meeting's event: forget the batch's rows of it; for the ``Erased``
        event itself, its event_log row and the erasure the writer carries out."""
        meeting_id = event.meeting_id
        _forget_rows(rows, meeting_id, touched, segments_before, recorded)
        if not isinstance(event, Meeting.Erased):
            return
        if event_log.TABLE in self.tables:
            rows[event_log.TABLE].append(event_log.event_row(event, notification_id))
        rows.setdefault(ERASURES, []).append(
            {"meeting_id": meeting_id, "version": event.originator_version}
        )


def _forget_rows(rows: dict[str, list[Row]], meeting_id: str, *pending: dict[str, Any]) -> None:
    """Drop the batch's rows (and pending work) of one meeting."""
    for table_rows in rows.values():
        table_rows[:] = [row for row in table_rows if row.get("meeting_id") != meeting_id]
    for waiting in pending:
        waiting.pop(meeting_id, None)


class ProjectionWriter:
    """Inserts rows by table through the read store, one batch insert per table."""

    def __init__(self, store: ReadStore, *, rebuild: bool = False) -> None:
        self.store = store
        self.suffix = REBUILD_SUFFIX if rebuild else ""

    def write(self, rows_by_table: Mapping[str, Sequence[Row]]) -> int:
        """Insert every table's rows (``meetings`` last), then carry out the erasures;
        the number of rows written."""
        order = [t for t in WRITE_ORDER if t in rows_by_table]
        order += sorted(set(rows_by_table) - set(order) - {ERASURES, REPROJECTIONS})
        tables = MEETING_TABLES if self.suffix else ERASED_TABLES
        for again in rows_by_table.get(REPROJECTIONS, ()):
            erase_meeting_rows(
                self.store, again["meeting_id"], None, suffix=self.suffix, tables=MEETING_TABLES
            )
        written = 0
        for table in order:
            rows = rows_by_table[table]
            if rows:
                written += self.store.insert(table + self.suffix, rows)
        for erasure in rows_by_table.get(ERASURES, ()):
            erase_meeting_rows(
                self.store,
                erasure["meeting_id"],
                erasure["version"],
                suffix=self.suffix,
                tables=tables,
            )
        return written


def notified(codec: EventCodec, envelope: Envelope) -> Notified:
    """A decoded ``meeting-events`` message as the projector takes it."""
    return envelope.notification_id, codec.event(envelope)

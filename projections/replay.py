"""Rebuild the meeting projections from the event store's history.

``replay(store, events)`` projects every event into fresh ``<table>__rebuild`` tables (the
same DDL), in batches of several thousand rows, and then swaps them in with ``EXCHANGE
TABLES``: readers see the old tables until the new ones are complete, never an empty one.
On an error the rebuild tables are dropped and the live ones are left alone.

Events written to the live tables while a replay runs are lost at the swap; ``rebuild``
(what ``ia replay`` and the admin API run) therefore projects the events stored since the
replay's last one into the new tables after the swap.
``dead_letters`` and ``queue_health`` are not built from meeting events and cannot be
replayed here.

Must not: read the environment or talk to Kafka; it reads only the events it is given.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.meeting import Meeting
from interview_analytics.projections.folding import DEFAULT_CAPACITY, Load, events_from
from interview_analytics.projections.projector import (
    MEETING_TABLES,
    Notified,
    ProjectionWriter,
    Projector,
)
from interview_analytics.projections.store import ReadStore

DEFAULT_BATCH_SIZE = 20_000

Progress = Callable[[int, float], None]
"""``progress(events_so_far, seconds_so_far)``, called after every batch."""


@dataclass(frozen=True)
class ReplayStats:
    events: int
    seconds: float
    events_per_sec: float
    rows: int = 0
    tables: tuple[str, ...] = ()
    last_notification_id: int | None = None
    caught_up: int = 0
    """Events stored during the replay and projected after the swap (:func:`rebuild`)."""


def replay(
    store: ReadStore,
    events: Iterable[Notified],
    tables: Sequence[str] | None = None,
    progress: Progress | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    load: Load | None = None,
    capacity: int = DEFAULT_CAPACITY,
) -> ReplayStats:
    """Rebuild ``tables`` (default: every meeting table) from ``events``, in order.

    ``load`` fills a gap when a meeting was evicted from the fold cache (more than
    ``capacity`` meetings interleaved); without one such a gap is an error.
    """
    chosen = tuple(tables) if tables is not None else MEETING_TABLES
    if not chosen:
        raise ValueError("nothing to replay: no tables chosen")
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    projector = Projector(load=load, capacity=capacity, tables=chosen)
    writer = ProjectionWriter(store, rebuild=True)
    started = time.perf_counter()
    count = rows = 0
    last_notification_id: int | None = None
    store.create_rebuild_tables(chosen)
    try:
        for batch in _batches(events, batch_size):
            rows += writer.write(projector.project(batch))
            count += len(batch)
            last_notification_id = (
                batch[-1][0] if batch[-1][0] is not None else last_notification_id
            )
            if progress is not None:
                progress(count, time.perf_counter() - started)
        store.swap_rebuild_tables(chosen)
    except BaseException:
        store.drop_rebuild_tables(chosen)
        raise
    seconds = time.perf_counter() - started
    return ReplayStats(
        events=count,
        seconds=seconds,
        events_per_sec=count / seconds if seconds > 0 else 0.0,
        rows=rows,
        tables=chosen,
        last_notification_id=last_notification_id,
    )


def rebuild(
    store: ReadStore,
    meetings: Meetings,
    tables: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> ReplayStats:
    """Replay every stored event into fresh tables, swap them in, then catch up.

    A projector running meanwhile writes into the tables the swap throws away; so after
    the swap the events stored since the replay's last one are projected into the new
    tables (from the store, whatever the projector did). Rows are idempotent, so the
    projector writing the same ones again is harmless: readers are served throughout and
    lose nothing.
    """
    load = events_from(meetings)
    stats = replay(store, stored_events(meetings), tables, progress, load=load)
    start = (stats.last_notification_id or 0) + 1
    projector = Projector(load=load, tables=stats.tables)
    writer = ProjectionWriter(store)
    caught_up = 0
    for batch in _batches(stored_events(meetings, start=start), DEFAULT_BATCH_SIZE):
        writer.write(projector.project(batch))
        caught_up += len(batch)
    return replace(stats, caught_up=caught_up)


def stored_events(
    meetings: Meetings, *, start: int = 1, page_size: int = 1_000
) -> Iterator[Notified]:
    """Every meeting event in ``meetings``' notification log from ``start``, in order
    (the other aggregate there, a tenant's webhook endpoints, is no read model's)."""
    recorder = meetings.recorder
    position = start
    while True:
        page = recorder.select_notifications(start=position, limit=page_size)
        for notification in page:
            event = meetings.mapper.to_domain_event(notification)
            if isinstance(event, Meeting.Event):  # not the webhook endpoints' events
                yield notification.id, event
        if len(page) < page_size:
            return
        position = page[-1].id + 1


def _batches(events: Iterable[Notified], size: int) -> Iterator[list[Notified]]:
    batch: list[Notified] = []
    for item in events:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch

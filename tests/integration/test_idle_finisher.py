"""The idle finisher rebuilt from an event store (SQLite and PostgreSQL): it finishes
exactly the idle meetings, once, and a restarted finisher (a new instance on the same
store) finishes none of them again. The finisher's clock is a test clock; the events keep
their real times."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.events import EventMeta
from interview_analytics.domain.meeting import Meeting
from interview_analytics.ops.blobs import FileBlobStore
from interview_analytics.ops.event_store import eventsourcing_env
from interview_analytics.streams.idle_finisher import IdleFinisher, IdleFinisherConfig
from tests.factories import chunk, start, unique_meeting_id

DEFAULT_IDLE_SEC = 60.0
ACTOR = "ia-lifecycle"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Store:
    def __init__(self, url: str, blobs: Path) -> None:
        self.url, self.blobs = url, blobs

    def meetings(self) -> Meetings:
        return Meetings(env=eventsourcing_env(self.url), blobs=FileBlobStore(self.blobs))


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Store:
    return Store(store_url, tmp_path / "blobs")


@pytest.fixture
def app(store: Store) -> Iterator[Meetings]:
    meetings = store.meetings()
    yield meetings
    meetings.close()


def finisher_on(store: Store, clock: Clock) -> IdleFinisher:
    """A new finisher with its own application on the store, as a restarted process has."""
    return IdleFinisher(
        meetings=store.meetings(),
        config=IdleFinisherConfig(default_idle_sec=DEFAULT_IDLE_SEC, batch_size=3),
        meta=EventMeta(actor=ACTOR),
        clock=clock,
    )


def finishes(app: Meetings, meeting_id: str) -> list[tuple[str, str | None]]:
    return [(e.reason, e.actor) for e in app.stream(meeting_id) if isinstance(e, Meeting.Finished)]


def run_once(finisher: IdleFinisher) -> list[str]:
    try:
        finisher.catch_up()
        return finisher.finish_due()
    finally:
        finisher.close()
        finisher.meetings.close()


def test_a_rebuilt_finisher_finishes_exactly_the_idle_meetings_once(
    app: Meetings, store: Store
) -> None:
    idle = unique_meeting_id("idle")  # default idle time
    slow = unique_meeting_id("slow")  # asks for 600 s
    never = unique_meeting_id("never")  # asks for 0: never for inactivity
    done = unique_meeting_id("done")  # finished by its client
    app.start(start(idle))
    app.start(start(slow, context={"idle_finish_sec": 600}))
    app.start(start(never, context={"idle_finish_sec": 0}))
    app.start(start(done))
    for seq in range(3):
        app.receive_chunk(chunk(idle, seq))
        app.receive_chunk(chunk(slow, seq))
    app.finish(done)
    t0 = datetime.now(app.get(idle).created_on.tzinfo)

    # Two minutes later: only the meeting on the default 60 s is due.
    first = finisher_on(store, Clock(t0 + timedelta(seconds=120)))
    first.catch_up()
    assert set(first.open_meetings) == {idle, slow}
    assert run_once(first) == [idle]
    assert finishes(app, idle) == [("idle", ACTOR)]
    assert app.get(idle).status == "finalizing"

    # Restarted much later: the 600 s meeting is due now, the first one is not again.
    second = finisher_on(store, Clock(t0 + timedelta(seconds=1_000)))
    assert run_once(second) == [slow]

    third = finisher_on(store, Clock(t0 + timedelta(days=30)))
    assert run_once(third) == []
    assert finishes(app, idle) == [("idle", ACTOR)]
    assert finishes(app, slow) == [("idle", ACTOR)]
    assert finishes(app, never) == []
    assert finishes(app, done) == [("client", None)]


def test_a_chunk_the_finisher_has_not_read_yet_keeps_the_meeting_open(
    app: Meetings, store: Store
) -> None:
    meeting_id = unique_meeting_id()
    app.start(start(meeting_id, context={"idle_finish_sec": 100}))
    started_at = app.get(meeting_id).created_on
    clock = Clock(started_at + timedelta(seconds=100))  # due by the start
    finisher = finisher_on(store, clock)
    try:
        finisher.catch_up()
        time.sleep(0.01)  # the chunk's event time is later than the start's
        app.receive_chunk(chunk(meeting_id, 0))  # stored, not read by the finisher yet

        assert finisher.finish_due() == []  # the stored meeting decided: not idle yet
        assert finishes(app, meeting_id) == []

        last_chunk_at = app.get(meeting_id).last_chunk_at
        assert last_chunk_at is not None
        clock.now = last_chunk_at + timedelta(seconds=100)
        assert finisher.finish_due() == [meeting_id]
        assert finishes(app, meeting_id) == [("idle", ACTOR)]
    finally:
        finisher.close()
        finisher.meetings.close()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    plans=st.lists(
        st.tuples(st.sampled_from([None, 0, 30, 90, 400]), st.integers(0, 3), st.booleans()),
        min_size=1,
        max_size=6,
    ),
    later_sec=st.integers(0, 500),
)
def test_the_finisher_finishes_exactly_the_meetings_past_their_deadline(
    tmp_path: Path, plans: list[tuple[int | None, int, bool]], later_sec: int
) -> None:
    """Whatever the meetings (idle time from the default or their context, any number of
    chunks, finished by their client or not) and whenever it runs, the finisher finishes
    the open meetings whose last start/chunk event is at least their idle time old."""
    app = Store("memory://", tmp_path / "blobs").meetings()  # a fresh store per example
    ids = []
    for idle, chunks, client_finishes in plans:
        meeting_id = unique_meeting_id()
        context = {} if idle is None else {"idle_finish_sec": idle}
        app.start(start(meeting_id, context=context))
        for seq in range(chunks):
            app.receive_chunk(chunk(meeting_id, seq))
        if client_finishes:
            app.finish(meeting_id)
        ids.append(meeting_id)
    newest = max(e.timestamp for m in ids for e in app.stream(m))
    now = newest + timedelta(seconds=later_sec)

    expected = set()
    for meeting_id, (idle, _, client_finishes) in zip(ids, plans, strict=True):
        events = app.stream(meeting_id)
        activity = [
            e.timestamp for e in events if isinstance(e, Meeting.Started | Meeting.ChunkReceived)
        ]
        idle_sec = DEFAULT_IDLE_SEC if idle is None else idle
        if not client_finishes and idle_sec and max(activity) + timedelta(seconds=idle_sec) <= now:
            expected.add(meeting_id)

    finisher = IdleFinisher(
        meetings=app,
        config=IdleFinisherConfig(default_idle_sec=DEFAULT_IDLE_SEC),
        meta=EventMeta(actor=ACTOR),
        clock=Clock(now),
    )
    try:
        finisher.catch_up()
        assert set(finisher.finish_due()) == expected
        assert finisher.finish_due() == []  # nothing twice
    finally:
        finisher.close()
    for meeting_id, (_, _, client_finishes) in zip(ids, plans, strict=True):
        reasons = [reason for reason, _ in finishes(app, meeting_id)]
        if client_finishes:
            assert reasons == ["client"]
        else:
            assert reasons == (["idle"] if meeting_id in expected else [])

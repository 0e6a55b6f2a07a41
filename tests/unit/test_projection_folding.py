"""MeetingFolder: events folded in version order, duplicates skipped, gaps loaded."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.results import Transcription, current_transcriptions
from interview_analytics.projections.folding import (
    FoldingError,
    MeetingFolder,
    events_from,
    fold,
    supersede,
)
from tests.conformance.read_store.scenario import (
    events_of,
    finish_interview,
    run_interview,
    synthetic_events,
)


@pytest.fixture
def app(memory_meetings: Meetings) -> Meetings:
    run_interview(memory_meetings, "mtg-a")
    run_interview(memory_meetings, "mtg-b", finish=False)
    return memory_meetings


def test_folding_every_event_rebuilds_the_aggregate(app: Meetings) -> None:
    folder = MeetingFolder()
    for event in events_of(app, "mtg-a"):
        assert folder.apply(event) is not None
    state = folder.get("mtg-a")
    assert state is not None
    assert state.meeting.state() == app.get("mtg-a").state()
    assert state.last_chunk_at is not None
    assert state.finished_at is not None
    assert state.last_chunk_at < state.finished_at


def test_an_event_at_or_below_the_cached_version_is_skipped(app: Meetings) -> None:
    events = events_of(app, "mtg-b")
    folder = MeetingFolder()
    for event in events:
        folder.apply(event)
    before = folder.get("mtg-b")
    assert before is not None
    version = before.version
    assert all(folder.apply(event) is None for event in events)
    assert folder.is_duplicate(events[0])
    assert folder.cached_version("mtg-b") == version == len(events)


def test_a_gap_is_filled_by_the_loader(app: Meetings) -> None:
    events = events_of(app, "mtg-a")
    folder = MeetingFolder(load=events_from(app))
    state = folder.apply(events[10])  # nothing cached: versions 1..10 are loaded
    assert state is not None
    assert state.version == 11
    assert folder.loads == 1
    for event in events[11:]:
        folder.apply(event)
    assert folder.loads == 1
    assert folder.get("mtg-a").meeting.state() == app.get("mtg-a").state()  # type: ignore[union-attr]


def test_a_gap_without_a_loader_is_an_error(app: Meetings) -> None:
    events = events_of(app, "mtg-a")
    folder = MeetingFolder()
    folder.apply(events[0])
    with pytest.raises(FoldingError, match="no loader"):
        folder.apply(events[2])


def test_a_loader_that_cannot_reach_the_version_is_an_error(app: Meetings) -> None:
    events = events_of(app, "mtg-a")
    folder = MeetingFolder(load=lambda meeting_id, version: events[:3])
    with pytest.raises(FoldingError, match="loaded up to v3, needed v9"):
        folder.apply(events[9])


def test_the_cache_is_bounded_and_evicted_meetings_are_reloaded(app: Meetings) -> None:
    streams = {m: events_of(app, m) for m in ("mtg-a", "mtg-b")}
    folder = MeetingFolder(load=events_from(app), capacity=1)
    folder.apply(streams["mtg-a"][0])
    folder.apply(streams["mtg-b"][0])  # evicts mtg-a
    assert len(folder) == 1
    assert folder.get("mtg-a") is None
    folder.apply(streams["mtg-a"][1])  # reloads version 1 of mtg-a
    assert folder.loads == 1
    assert folder.cached_version("mtg-a") == 2


def test_a_stream_must_begin_with_started() -> None:
    [(_, started), (_, received)] = synthetic_events(1, 1)[:2]
    assert isinstance(started, Meeting.Started)
    with pytest.raises(FoldingError, match="must begin with Started"):
        fold([received])
    state = fold([started, received])
    assert state is not None
    assert state.version == 2
    assert fold([]) is None


def test_current_transcriptions_follow_the_events(app: Meetings) -> None:
    run_interview(app, "mtg-c", finish=False)
    finish_interview(app, "mtg-c")
    events = events_of(app, "mtg-c")
    state = fold(events[:1])
    assert state is not None
    assert state.current_transcriptions() == []
    for event in events[1:]:
        state.apply(event)
        expected = current_transcriptions(state.meeting.results.transcriptions)
        assert state.current_transcriptions() == expected
        assert state.current_transcriptions() is state.current_transcriptions()


results = st.lists(
    st.tuples(st.frozensets(st.integers(0, 5), max_size=4), st.booleans()), max_size=12
)


@given(results)
def test_keeping_current_results_one_at_a_time_agrees_with_the_domain(
    recorded: list[tuple[frozenset[int], bool]],
) -> None:
    transcriptions = [
        Transcription(
            version=version,
            input_version=version - 1,
            seqs=tuple(sorted(seqs)),
            segments=(),
            final=final,
            model="m",
            language="en",
        )
        for version, (seqs, final) in enumerate(recorded, start=2)
    ]
    current: list[Transcription] = []
    for index, transcription in enumerate(transcriptions):
        current = supersede(current, transcription)
        expected = current_transcriptions(transcriptions[: index + 1])
        assert sorted(current, key=lambda t: (min(t.seqs, default=-1), t.version)) == expected

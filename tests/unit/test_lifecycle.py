"""How a meeting ends by itself: the idle deadline rule, idle and connector-left finishes,
and the ``failed`` status when a stage gives up on the final input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.commands import RecordFailure
from interview_analytics.domain.errors import InvalidCommandError
from interview_analytics.domain.events import EventMeta
from interview_analytics.domain.lifecycle import (
    FinishReason,
    StartSettings,
    Status,
    idle_deadline,
    idle_finish_sec,
)
from interview_analytics.domain.meeting import Meeting
from tests.factories import chunk, start, unique_meeting_id

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
moments = st.integers(min_value=0, max_value=10**9).map(
    lambda micros: EPOCH + timedelta(microseconds=micros)
)
idle_times = st.floats(min_value=0.001, max_value=86_400, allow_nan=False)


@pytest.fixture
def app(memory_meetings: Meetings) -> Meetings:
    return memory_meetings


def finished_events(app: Meetings, meeting_id: str) -> list[Meeting.Finished]:
    return [e for e in app.stream(meeting_id) if isinstance(e, Meeting.Finished)]


# ---------------------------------------------------------------------- the deadline rule


@given(st.lists(moments, min_size=1, max_size=30), idle_times, st.randoms())
def test_the_deadline_is_the_last_activity_plus_the_idle_time_in_any_order(
    activity: list[datetime], idle_sec: float, shuffler: Any
) -> None:
    shuffled = list(activity)
    shuffler.shuffle(shuffled)
    assert idle_deadline(shuffled, idle_sec) == max(activity) + timedelta(seconds=idle_sec)
    assert idle_deadline(shuffled, idle_sec) == idle_deadline(activity, idle_sec)


@given(st.lists(moments, max_size=30))
def test_an_idle_time_of_zero_never_finishes(activity: list[datetime]) -> None:
    assert idle_deadline(activity, 0) is None


def test_no_activity_has_no_deadline() -> None:
    assert idle_deadline([], 60) is None


@pytest.mark.parametrize(
    ("context", "expected"),
    [({}, 60.0), ({"idle_finish_sec": 5}, 5.0), ({"idle_finish_sec": 0}, 0.0),
     ({"idle_finish_sec": 2.5}, 2.5), ({"idle_finish_sec": "soon"}, 60.0),
     ({"idle_finish_sec": -1}, 60.0), ({"idle_finish_sec": True}, 60.0)],
)  # fmt: skip
def test_the_context_overrides_the_default_idle_time(
    context: dict[str, Any], expected: float
) -> None:
    # Invalid values can only be in meetings stored before starts were validated.
    assert idle_finish_sec(context, 60.0) == expected


@pytest.mark.parametrize("value", [-1, -0.5, "10", True, None, float("nan"), float("inf"), [1]])
def test_a_start_with_a_bad_idle_time_is_refused_with_a_clear_message(value: Any) -> None:
    with pytest.raises(
        InvalidCommandError, match=r"context\.idle_finish_sec must be a number >= 0"
    ):
        StartSettings(context={"idle_finish_sec": value}).normalised()


def test_a_start_with_a_good_idle_time_keeps_it() -> None:
    assert StartSettings(context={"idle_finish_sec": 0}).normalised()["context"] == {
        "idle_finish_sec": 0
    }


# ---------------------------------------------------------------------- idle finishes


def test_a_meeting_finishes_for_inactivity_only_once_its_deadline_has_passed(
    app: Meetings,
) -> None:
    meeting_id = unique_meeting_id()
    app.start(start(meeting_id))
    app.receive_chunk(chunk(meeting_id, 0))
    meeting = app.get(meeting_id)
    deadline = meeting.idle_deadline(60)
    assert meeting.last_chunk_at is not None
    assert deadline == meeting.last_chunk_at + timedelta(seconds=60)

    early = app.finish_when_idle(
        meeting_id, now=deadline - timedelta(microseconds=1), default_idle_sec=60
    )
    assert (early.finished, early.deadline) == (False, deadline)
    assert finished_events(app, meeting_id) == []

    due = app.finish_when_idle(
        meeting_id, now=deadline, default_idle_sec=60, meta=EventMeta(actor="ia-lifecycle")
    )
    assert due.finished
    [finished] = finished_events(app, meeting_id)
    assert (finished.reason, finished.actor) == (FinishReason.IDLE, "ia-lifecycle")
    assert app.get(meeting_id).finish_reason == FinishReason.IDLE

    again = app.finish_when_idle(meeting_id, now=deadline + timedelta(days=1), default_idle_sec=60)
    assert (again.finished, again.deadline) == (False, None)
    assert app.finish(meeting_id).duplicate
    assert len(finished_events(app, meeting_id)) == 1


def test_a_chunk_moves_the_deadline(app: Meetings) -> None:
    meeting_id = unique_meeting_id()
    app.start(start(meeting_id))
    started = app.get(meeting_id)
    assert started.idle_deadline(30) == started.created_on + timedelta(seconds=30)
    app.receive_chunk(chunk(meeting_id, 0))
    received = app.get(meeting_id)
    assert received.last_chunk_at is not None
    assert received.idle_deadline(30) == received.last_chunk_at + timedelta(seconds=30)
    assert received.last_chunk_at > started.created_on
    # Idle by the start alone, not by the chunk: the stored meeting stays open.
    stale = app.finish_when_idle(
        meeting_id, now=started.created_on + timedelta(seconds=30), default_idle_sec=30
    )
    assert (stale.finished, stale.deadline) == (False, received.idle_deadline(30))


def test_a_meeting_asking_for_zero_never_finishes_for_inactivity(app: Meetings) -> None:
    meeting_id = unique_meeting_id()
    app.start(start(meeting_id, context={"idle_finish_sec": 0}))
    far = datetime.now(UTC) + timedelta(days=365)
    check = app.finish_when_idle(meeting_id, now=far, default_idle_sec=60)
    assert (check.finished, check.deadline) == (False, None)
    assert finished_events(app, meeting_id) == []


def test_a_client_finish_after_an_idle_finish_records_nothing_new(app: Meetings) -> None:
    meeting_id = unique_meeting_id()
    app.start(start(meeting_id, context={"idle_finish_sec": 1}))
    version = app.get(meeting_id).version
    assert app.finish_when_idle(
        meeting_id, now=datetime.now(UTC) + timedelta(seconds=2), default_idle_sec=60
    ).finished
    outcome = app.finish(meeting_id, reason=FinishReason.CLIENT)
    assert outcome.duplicate
    assert outcome.version == version + 1
    assert app.get(meeting_id).finish_reason == FinishReason.IDLE


# ---------------------------------------------------------------------- connector left


def connected(app: Meetings) -> str:
    meeting_id = unique_meeting_id()
    app.start(start(meeting_id, mode="realtime"))
    app.request_connector(meeting_id, provider="sberjazz")
    app.begin_connector_join(meeting_id)
    app.connector_connected(meeting_id)
    return meeting_id


def test_the_connector_leaving_finishes_the_meeting(app: Meetings) -> None:
    meeting_id = connected(app)
    app.receive_chunk(chunk(meeting_id, 0))
    app.begin_connector_leave(meeting_id, reason="session_ttl")
    app.connector_left(meeting_id, EventMeta(actor="ia-reconciler"))

    meeting = app.get(meeting_id)
    assert meeting.is_finished
    assert (meeting.status, meeting.finish_reason) == (Status.FINALIZING, "connector_left")
    kinds = [type(e).__name__ for e in app.stream(meeting_id)]
    assert kinds[-2:] == ["ConnectorLeft", "Finished"]
    [finished] = finished_events(app, meeting_id)
    assert finished.actor == "ia-reconciler"
    assert app.repository.get(meeting.id).state() == meeting.state()


def test_a_connector_leaving_a_finished_meeting_does_not_finish_it_again(app: Meetings) -> None:
    meeting_id = connected(app)
    app.finish(meeting_id)  # the client finished; the connector then leaves
    app.begin_connector_leave(meeting_id, reason="meeting_finished")
    app.connector_left(meeting_id)
    [finished] = finished_events(app, meeting_id)
    assert finished.reason == FinishReason.CLIENT
    assert app.get(meeting_id).finish_reason == FinishReason.CLIENT


# ---------------------------------------------------------------------- failed


def failure(meeting_id: str, stage: str, input_version: int) -> RecordFailure:
    return RecordFailure(
        meeting_id=meeting_id,
        stage=stage,
        input_version=input_version,
        code="stage_failed",
        reason="gave up",
        attempts=3,
    )


def test_a_stage_giving_up_on_the_final_input_fails_the_meeting(app: Meetings) -> None:
    meeting_id = unique_meeting_id()
    app.start(start(meeting_id))
    app.receive_chunk(chunk(meeting_id, 0))
    draft_input = app.get(meeting_id).chunks[0].version
    app.record_failure(failure(meeting_id, "transcribe", draft_input))
    assert app.get(meeting_id).status == Status.PROCESSING  # a draft input: not final

    finished = app.finish(meeting_id)
    app.record_failure(failure(meeting_id, "transcribe", finished.version))
    meeting = app.get(meeting_id)
    assert meeting.status == Status.FAILED
    assert app.repository.get(meeting.id).state() == meeting.state()  # same on replay

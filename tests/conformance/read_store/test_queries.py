"""The query layer: listing with cursors, queue health and dead letters."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.read_filters import DeadLetterFilter, MeetingFilter
from interview_analytics.projections.dead_letters import dead_letter_row
from interview_analytics.projections.queries import InvalidCursorError, Queries
from interview_analytics.projections.queue_health import QueueSample, sample_row
from interview_analytics.projections.store import ReadStore
from interview_analytics.streams.dead_letters import FAILED, DeadLetter, OriginalMessage
from tests.conformance.read_store.scenario import all_events, project, run_interview
from tests.factories import start

GROUPS = ["ia-transcriber", "ia-enhancer", "ia-reporter", "ia-projector"]


def started_meetings(app: Meetings, count: int) -> list[str]:
    ids = [f"mtg-{i:02d}" for i in range(count)]
    for i, meeting_id in enumerate(ids):
        app.start(start(meeting_id, language="ru" if i % 3 == 0 else "en"))
    return ids


def test_pages_cover_every_meeting_once_newest_first(read_store: ReadStore, app: Meetings) -> None:
    ids = started_meetings(app, 11)
    project(read_store, all_events(app))
    queries = Queries(read_store)
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = queries.list_meetings(MeetingFilter(limit=3, cursor=cursor))
        seen += [item.meeting_id for item in page.items]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert pages == 4
    assert seen == list(reversed(ids))  # started in id order: newest first is reversed
    assert len(set(seen)) == len(ids)


def test_listing_filters_by_status_language_and_start_time(
    read_store: ReadStore, app: Meetings
) -> None:
    ids = started_meetings(app, 6)
    run_interview(app, "mtg-interview")
    project(read_store, all_events(app))
    queries = Queries(read_store)

    russian = queries.list_meetings(MeetingFilter(language="RU")).items
    assert {m.meeting_id for m in russian} == {"mtg-00", "mtg-03"}
    assert [m.meeting_id for m in queries.list_meetings(MeetingFilter(status="done")).items] == [
        "mtg-interview"
    ]
    assert {
        m.meeting_id for m in queries.list_meetings(MeetingFilter(status="queued")).items
    } == set(ids)

    third = app.get(ids[2]).created_on
    after = queries.list_meetings(
        MeetingFilter(started_from=third, started_to=third + timedelta(hours=1))
    )
    assert [m.meeting_id for m in after.items] == ["mtg-interview", *reversed(ids[2:])]
    assert (
        queries.list_meetings(MeetingFilter(started_to=datetime(2000, 1, 1, tzinfo=UTC))).items
        == []
    )


def test_limit_is_clamped_and_bad_cursors_are_refused(read_store: ReadStore, app: Meetings) -> None:
    started_meetings(app, 2)
    project(read_store, all_events(app))
    queries = Queries(read_store)
    assert len(queries.list_meetings(MeetingFilter(limit=0)).items) == 1
    assert len(queries.list_meetings(MeetingFilter(limit=10_000)).items) == 2
    for cursor in ("not base64!", base64.b64encode(b'{"x": 1}').decode(), "e30"):
        with pytest.raises(InvalidCursorError):
            queries.list_meetings(MeetingFilter(cursor=cursor))


def test_queue_health_shows_known_groups_with_zeros_before_any_sample(
    read_store: ReadStore,
) -> None:
    rows = Queries(read_store).queue_health()
    assert [row["group"] for row in rows] == GROUPS
    for row in rows:
        assert row["queue"] == "meeting-events"
        assert (row["depth"], row["pending"], row["dlq_depth"]) == (0, 0, 0)


def test_queue_health_reports_the_latest_sample_per_group(read_store: ReadStore) -> None:
    # Recent: the table keeps samples for 30 days (TTL), older ones are dropped on insert.
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    samples = [
        QueueSample(t0, "ia-transcriber", head=100, position=10, relay_position=90),
        QueueSample(t0 + timedelta(seconds=5), "ia-transcriber", 120, 100, 120, dead_letters=2),
        QueueSample(t0, "ia-enhancer", head=100, position=100, relay_position=90),
        QueueSample(t0, "ia-custom", head=7, position=3, relay_position=7),
    ]
    read_store.insert("queue_health", [sample_row(s) for s in samples])
    read_store.insert("queue_health", [sample_row(samples[0])])  # a repeated sample
    rows = {row["group"]: row for row in Queries(read_store).queue_health()}
    assert list(rows) == [*GROUPS, "ia-custom"]
    transcriber = rows["ia-transcriber"]
    assert (transcriber["pending"], transcriber["depth"], transcriber["dlq_depth"]) == (20, 0, 2)
    assert transcriber["sampled_at"] == (t0 + timedelta(seconds=5)).isoformat()
    assert (rows["ia-enhancer"]["pending"], rows["ia-enhancer"]["depth"]) == (0, 10)
    assert rows["ia-reporter"]["pending"] == 0
    assert rows["ia-custom"]["pending"] == 4


def letter(meeting_id: str, stage: str, version: int, attempts: int = 3) -> DeadLetter:
    return DeadLetter(
        stage=stage,
        kind=FAILED,
        meeting_id=meeting_id,
        event_type="ia.meeting.Transcribed",
        version=version,
        notification_id=None,
        error_code="timeout",
        error_message="stage timed out",
        attempts=attempts,
        failed_at=f"2026-01-01T12:00:0{version % 10}+00:00",
        original=OriginalMessage("meeting-events", 0, version, b"k", b"v", ()),
    )


def test_dead_letters_are_resolved_once_the_meeting_has_the_result(
    read_store: ReadStore, app: Meetings
) -> None:
    run_interview(app, "mtg-0", finish=False)
    project(read_store, all_events(app))
    meeting = app.get("mtg-0")
    enhanced_input = meeting.results.enhancements[0].input_version
    never_enhanced = meeting.results.transcriptions[0].version
    assert never_enhanced != enhanced_input
    letters = [
        letter("mtg-0", "enhance", enhanced_input),
        letter("mtg-0", "enhance", never_enhanced),
    ]
    read_store.insert("dead_letters", [dead_letter_row(x) for x in letters])
    read_store.insert("dead_letters", [dead_letter_row(letters[1], resolved=False)])  # redelivery

    queries = Queries(read_store)
    found = {
        row["version"]: row for row in queries.dead_letters(DeadLetterFilter(meeting_id="mtg-0"))
    }
    assert found[enhanced_input]["resolved"] is True
    assert found[never_enhanced]["resolved"] is False
    assert len(found) == 2
    open_ones = queries.dead_letters(DeadLetterFilter(include_resolved=False))
    assert [row["version"] for row in open_ones] == [never_enhanced]
    assert queries.dead_letters(DeadLetterFilter(stage="report")) == []

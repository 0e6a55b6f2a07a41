"""Meetings projected into the read store: the rows, idempotency and replay equality."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from interview_analytics.domain.application import Meetings
from interview_analytics.projections.folding import events_from
from interview_analytics.projections.projector import Notified, ProjectionWriter, Projector
from interview_analytics.projections.queries import Queries
from interview_analytics.projections.replay import rebuild, replay, stored_events
from interview_analytics.projections.store import ReadStore
from tests.conformance.read_store.scenario import (
    all_events,
    finish_interview,
    project,
    run_interview,
    snapshot,
)


def test_a_finished_meeting_reads_back_as_the_aggregate_says(
    read_store: ReadStore, app: Meetings
) -> None:
    run_interview(app, "mtg-done")
    project(read_store, all_events(app))
    meeting = app.get("mtg-done")
    view = Queries(read_store).get_meeting("mtg-done")

    assert view is not None
    assert (view.api_version, view.status, view.version) == ("v1", "done", meeting.version)
    assert view.raw_transcript == meeting.raw_transcript() != ""
    enhancement, report = meeting.latest_enhancement(), meeting.latest_report()
    assert enhancement is not None
    assert report is not None
    assert view.enhanced_transcript == enhancement.text
    assert view.report == report.report
    assert set(view.report) >= {"summary", "bullets", "risk_flags", "recommendation"}
    assert (view.mode, view.language, view.consent) == ("realtime", "en", "granted")
    assert (view.context, view.recipients) == ({"vacancy": "backend"}, ["hr@example.com"])
    assert (view.chunks_received, view.chunks_transcribed, view.chunks_rejected) == (7, 6, 1)
    assert view.report_final is True
    assert view.speakers == ["Candidate", "Interviewer"]
    assert view.started_at <= view.last_chunk_at <= view.finished_at <= view.updated_at  # type: ignore[operator]
    assert view.updated_at == meeting.modified_on

    transcript = meeting.transcript()
    assert [s["segment_id"] for s in view.segments] == [s["segment_id"] for s in transcript]
    assert all(s["final"] and s["enhanced_text"] and s["words"] for s in view.segments)
    assert view.segments[0]["speaker"] == "Interviewer"
    assert view.metrics is not None
    assert view.metrics["final"] is True
    assert view.metrics["candidate"] == "Candidate"
    assert view.metrics["questions_count"] == len(report.report["analytics"]["questions"])
    assert set(view.metrics["talk_share"]) == {"Candidate", "Interviewer"}

    [reported] = read_store.query_rows(
        "SELECT count() AS n FROM reports FINAL WHERE meeting_id = 'mtg-done'"
    )
    assert reported["n"] == len(meeting.results.reports)
    [logged] = read_store.query_rows("SELECT count() AS n FROM event_log FINAL")
    assert logged["n"] == meeting.version


def test_an_unknown_meeting_is_none(read_store: ReadStore) -> None:
    assert Queries(read_store).get_meeting("nobody") is None


def test_drafts_replaced_by_the_final_transcript_disappear(
    read_store: ReadStore, app: Meetings
) -> None:
    run_interview(app, "mtg-live", finish=False)
    projector = project(read_store, all_events(app), batch_size=3)
    live = app.get("mtg-live")
    drafts = Queries(read_store).segments("mtg-live")
    assert [s["segment_id"] for s in drafts] == [s["segment_id"] for s in live.transcript()]
    assert not any(s["final"] for s in drafts)
    # The rolling draft replaced chunk 1's own draft (ids d<version>-0 vs r<version>-*).
    assert sum(s["segment_id"].startswith("r") for s in drafts) == 2

    seen = len(all_events(app))
    finish_interview(app, "mtg-live")
    project(read_store, all_events(app)[seen:], batch_size=1, projector=projector)
    final = Queries(read_store).segments("mtg-live")
    assert final
    assert all(s["final"] for s in final)
    assert [s["segment_id"] for s in final] == [
        s["segment_id"] for s in app.get("mtg-live").transcript()
    ]
    [rows] = read_store.query_rows(
        "SELECT count() AS all_rows, countIf(is_deleted = 1) AS tombstones"
        " FROM transcript_segments WHERE meeting_id = 'mtg-live'"
    )
    assert rows["tombstones"] >= len(drafts)


def test_feeding_the_same_events_twice_changes_nothing(
    read_store: ReadStore, app: Meetings
) -> None:
    for i in range(3):
        run_interview(app, f"mtg-{i}", finish=i != 1)
    events = all_events(app)
    projector = project(read_store, events, batch_size=5)
    first = snapshot(read_store)

    project(read_store, events, batch_size=7, projector=projector)  # the same projector
    assert projector.duplicates == len(events)
    project(read_store, events, batch_size=len(events))  # a fresh one: rows again, equal
    middle = len(events) // 2
    restarted = Projector(load=events_from(app))  # restart mid-stream: loads what it lacks
    project(read_store, events[middle:], batch_size=4, projector=restarted)
    assert restarted.folder.loads > 0
    assert snapshot(read_store) == first


def test_replay_into_fresh_tables_equals_incremental_projection(
    read_store: ReadStore, app: Meetings
) -> None:
    for i in range(3):
        run_interview(app, f"mtg-{i}", finish=i != 2)
    project(read_store, all_events(app), batch_size=1)
    incremental = snapshot(read_store)
    seen_during_replay: list[int] = []

    def progress(events: int, seconds: float) -> None:
        [row] = read_store.query_rows("SELECT count() AS n FROM meetings FINAL")
        seen_during_replay.append(int(row["n"]))

    stats = replay(read_store, stored_events(app), progress=progress, batch_size=10)
    assert stats.events == len(all_events(app))
    assert stats.events_per_sec > 0
    assert snapshot(read_store) == incremental
    assert seen_during_replay
    assert set(seen_during_replay) == {3}  # readers never saw it empty
    assert not any(t.endswith("__rebuild") for t in read_store.tables())


def test_a_rebuild_keeps_what_the_live_projector_wrote_during_it(
    read_store: ReadStore, app: Meetings
) -> None:
    run_interview(app, "mtg-0")
    live = Projector(load=events_from(app))
    project(read_store, all_events(app), projector=live)
    written_during_rebuild: list[str] = []

    def progress(events: int, seconds: float) -> None:
        # While the replay runs, a meeting starts and the live projector writes it into
        # the tables the swap is about to replace.
        if not written_during_rebuild:
            run_interview(app, "mtg-late", finish=False)
            late = [(n, e) for n, e in all_events(app) if e.meeting_id == "mtg-late"]
            ProjectionWriter(read_store).write(live.project(late))
            written_during_rebuild.append("mtg-late")

    stats = rebuild(read_store, app, progress=progress)
    assert written_during_rebuild
    assert stats.caught_up == len(app.stream("mtg-late"))
    assert Queries(read_store).meeting_version("mtg-late") == app.get("mtg-late").version
    rebuilt = snapshot(read_store)
    project(read_store, all_events(app))
    assert snapshot(read_store) == rebuilt


def test_a_failed_replay_leaves_the_live_tables_alone(read_store: ReadStore, app: Meetings) -> None:
    run_interview(app, "mtg-0")
    project(read_store, all_events(app))
    before = snapshot(read_store)

    def broken() -> Iterator[Notified]:
        yield from all_events(app)[:5]
        raise RuntimeError("event store went away")

    with pytest.raises(RuntimeError, match="went away"):
        replay(read_store, broken(), batch_size=2)
    assert snapshot(read_store) == before
    assert not any(t.endswith("__rebuild") for t in read_store.tables())


def test_wait_for_version_sees_a_write_that_lands_later(
    read_store: ReadStore, app: Meetings
) -> None:
    run_interview(app, "mtg-0", finish=False)
    events = all_events(app)
    queries = Queries(read_store)
    assert queries.wait_for_version("mtg-0", 1, timeout_sec=0.05) is False
    project(read_store, events[:-1])
    version = events[-1][1].originator_version
    assert queries.wait_for_version("mtg-0", version - 1, timeout_sec=0.05) is True
    assert queries.wait_for_version("mtg-0", version, timeout_sec=0.1) is False

    writer = ProjectionWriter(read_store)
    rows = Projector(load=events_from(app)).project(events[-1:])
    later = threading.Timer(0.2, writer.write, args=(rows,))
    later.start()
    try:
        assert queries.wait_for_version("mtg-0", version, timeout_sec=10) is True
    finally:
        later.join()

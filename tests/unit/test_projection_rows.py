"""Row builders and the projector: pure functions from folded meetings to table rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

import pytest

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.results import Report
from interview_analytics.projections import meetings, reports, transcript_segments
from interview_analytics.projections.dead_letters import (
    dead_letter_row,
    dead_letter_row_from_json,
)
from interview_analytics.projections.event_log import event_row
from interview_analytics.projections.folding import MeetingState, fold
from interview_analytics.projections.projector import MEETING_TABLES, Notified, Projector, notified
from interview_analytics.projections.queue_health import QueueSample, sample_row
from interview_analytics.streams.contract import EventCodec
from interview_analytics.streams.dead_letters import FAILED, DeadLetter, OriginalMessage
from tests.conformance.read_store.scenario import (
    all_events,
    events_of,
    finish_interview,
    run_interview,
)


@pytest.fixture
def app(memory_meetings: Meetings) -> Meetings:
    return memory_meetings


def folded(app: Meetings, meeting_id: str, upto: int | None = None) -> MeetingState:
    state = fold(events_of(app, meeting_id)[:upto])
    assert state is not None
    return state


class TestMeetingRow:
    def test_says_what_the_aggregate_says(self, app: Meetings) -> None:
        run_interview(app, "mtg-a")
        state = folded(app, "mtg-a")
        meeting = app.get("mtg-a")
        row = meetings.meeting_row(state)
        assert row["raw_transcript"] == meeting.raw_transcript()
        assert meetings.transcript(state.current_transcriptions()) == meeting.transcript()
        enhancement, report = meeting.latest_enhancement(), meeting.latest_report()
        assert enhancement is not None
        assert report is not None
        assert row["enhanced_transcript"] == enhancement.text
        assert json.loads(row["report_json"]) == report.report
        assert (row["status"], row["report_final"], row["transcript_final"]) == ("done", 1, 1)
        assert (row["version"], row["updated_at"]) == (meeting.version, meeting.modified_on)
        assert row["started_at"] == meeting.created_on
        assert (row["chunks_received"], row["chunks_transcribed"], row["chunks_rejected"]) == (
            7,
            6,
            1,
        )
        assert (row["failures"], row["model"]) == (1, "tiny.en")
        assert row["audio_seconds"] == pytest.approx(meeting.audio_seconds())
        assert json.loads(row["context_json"]) == {"vacancy": "backend"}
        assert row["speakers"] == ["Candidate", "Interviewer"]

    def test_a_new_meeting_has_empty_results(self, app: Meetings) -> None:
        run_interview(app, "mtg-a")
        row = meetings.meeting_row(folded(app, "mtg-a", upto=1))
        assert (row["status"], row["version"], row["chunks_received"]) == ("queued", 1, 0)
        assert (row["raw_transcript"], row["report_json"], row["model"]) == ("", "", "")
        assert row["last_chunk_at"] is None
        assert row["finished_at"] is None

    def test_is_the_same_however_often_it_is_built(self, app: Meetings) -> None:
        run_interview(app, "mtg-a")
        assert meetings.meeting_row(folded(app, "mtg-a")) == meetings.meeting_row(
            folded(app, "mtg-a")
        )


class TestSegmentRows:
    def test_a_new_transcript_gives_a_row_per_segment(self, app: Meetings) -> None:
        run_interview(app, "mtg-a", finish=False)
        state = folded(app, "mtg-a")
        rows = transcript_segments.segment_rows({}, state)
        current = app.get("mtg-a").transcript()
        assert sorted(r["segment_id"] for r in rows) == sorted(s["segment_id"] for s in current)
        assert all(r["is_deleted"] == 0 and r["final"] == 0 for r in rows)
        first = next(r for r in rows if r["segment_id"] == current[0]["segment_id"])
        assert first["raw_text"] == current[0]["text"]
        assert json.loads(first["words_json"]) == current[0]["words"]
        assert first["speaker"] == "Interviewer"

    def test_enhanced_text_comes_from_the_turn_that_holds_the_segment(self, app: Meetings) -> None:
        run_interview(app, "mtg-a", finish=False)
        state = folded(app, "mtg-a")
        enhancement = state.meeting.latest_enhancement()
        assert enhancement is not None
        rows = {r["segment_id"]: r for r in transcript_segments.segment_rows({}, state)}
        for turn in enhancement.segments:
            for segment_id in turn["segment_ids"]:
                assert rows[segment_id]["enhanced_text"] == turn["text"]
                assert rows[segment_id]["version"] == enhancement.version

    def test_the_final_transcript_tombstones_every_draft(self, app: Meetings) -> None:
        run_interview(app, "mtg-a", finish=False)
        drafts = folded(app, "mtg-a")
        before = transcript_segments.segment_view(drafts)
        finish_interview(app, "mtg-a")
        after = folded(app, "mtg-a")
        rows = transcript_segments.segment_rows(before, after)
        tombstones = [r for r in rows if r["is_deleted"]]
        assert {(r["transcription_version"], r["segment_id"]) for r in tombstones} == set(before)
        assert all(r["version"] == after.version for r in tombstones)
        assert all(
            r["version"] > before[(r["transcription_version"], r["segment_id"])][1]
            for r in tombstones
        )
        live = [r for r in rows if not r["is_deleted"]]
        assert live
        assert all(r["final"] == 1 for r in live)

    def test_nothing_changed_gives_no_rows(self, app: Meetings) -> None:
        run_interview(app, "mtg-a")
        state = folded(app, "mtg-a")
        assert (
            transcript_segments.segment_rows(transcript_segments.segment_view(state), state) == []
        )
        assert transcript_segments.segment_view(None) == {}


class TestReportRow:
    def test_pulls_the_figures_out_of_the_report(self, app: Meetings) -> None:
        run_interview(app, "mtg-a")
        state = folded(app, "mtg-a")
        report = state.meeting.latest_report()
        assert report is not None
        when = datetime(2026, 1, 1, tzinfo=UTC)
        row = reports.report_row(state, report.version, when)
        body, analytics = report.report, report.report["analytics"]
        assert (row["report_version"], row["version"], row["final"]) == (
            report.version,
            report.version,
            1,
        )
        assert (row["summary"], row["recommendation"]) == (
            body["summary"],
            body["recommendation"],
        )
        assert (row["bullets"], row["risk_flags"]) == (body["bullets"], body["risk_flags"])
        speakers = analytics["speakers"]
        assert row["talk_share"] == {s: v["talk_share"] for s, v in speakers.items()}
        assert row["wpm"] == {s: v["wpm"] for s, v in speakers.items()}
        assert row["filler_rate"]["Candidate"] > 0  # "um", "you know"
        assert row["questions_count"] == len(analytics["questions"]) == 3
        assert row["questions_by_speaker"] == {"Candidate": 0, "Interviewer": 3}
        assert row["response_latency_mean"] == analytics["response_latency_sec"]["mean"]
        assert row["mean_word_probability"] == 0.9
        assert row["candidate"] == "Candidate"
        assert json.loads(row["report_json"]) == body
        assert row["occurred_at"] == when

    def test_a_bare_report_gives_empty_figures(self) -> None:
        bare = Report(version=5, input_version=4, report={"summary": "ok"}, final=False)
        row = reports.row_of("mtg-x", bare, datetime(2026, 1, 1, tzinfo=UTC), "ru")
        assert (row["summary"], row["language"], row["bullets"], row["talk_share"]) == (
            "ok",
            "ru",
            [],
            {},
        )
        assert row["response_latency_mean"] is None
        assert row["mean_word_probability"] is None
        assert row["questions_count"] == 0

    def test_an_unknown_report_version_is_an_error(self, app: Meetings) -> None:
        run_interview(app, "mtg-a")
        with pytest.raises(KeyError):
            reports.report_row(folded(app, "mtg-a"), 1, datetime(2026, 1, 1, tzinfo=UTC))


class TestEventRow:
    def test_keeps_every_field_of_the_event(self, app: Meetings) -> None:
        run_interview(app, "mtg-a")
        codec = EventCodec()
        for position, (_, event) in enumerate(all_events(app), start=1):
            row = event_row(event, position)
            event_type, record = codec.to_record(event)
            assert (row["event_type"], row["event_id"]) == (event_type, event.event_id)
            assert (row["version"], row["notification_id"]) == (event.originator_version, position)
            assert row["occurred_at"] == event.timestamp
            assert (row["actor"], row["correlation_id"], row["causation_id"]) == (
                event.actor,
                event.correlation_id,
                event.causation_id,
            )
            payload = json.loads(row["payload_json"])
            fields = {k: v for k, v in record.items() if k != "metadata"}
            assert {k.removesuffix("_json") for k in fields} == set(payload)
            for name, value in fields.items():
                if name.endswith("_json"):
                    assert json.loads(value) == payload[name.removesuffix("_json")]
                else:
                    assert value == payload[name]


class TestOperationRows:
    def letter(self) -> DeadLetter:
        return DeadLetter(
            stage="enhance",
            kind=FAILED,
            meeting_id="mtg-a",
            event_type="ia.meeting.Transcribed",
            version=9,
            notification_id=42,
            error_code="timeout",
            error_message="took too long",
            attempts=3,
            failed_at="2026-01-01T12:00:00.123456+00:00",
            original=OriginalMessage("meeting-events", 1, 7, b"mtg-a", b"\x00", ()),
        )

    def test_a_dead_letter_row_is_the_same_from_the_letter_and_from_its_json(self) -> None:
        letter = self.letter()
        row = dead_letter_row(letter)
        assert row == dead_letter_row_from_json(letter.to_json())
        assert (row["letter_id"], row["resolved"], row["attempts"]) == (letter.letter_id, 0, 3)
        assert row["failed_at"] == datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)

    def test_a_queue_sample_counts_lag_and_backlog_in_store_positions(self) -> None:
        when = datetime(2026, 1, 1, 12)
        row = sample_row(QueueSample(when, "ia-enhancer", head=100, position=60, relay_position=90))
        assert (row["lag"], row["relay_backlog"], row["topic"]) == (40, 10, "meeting-events")
        assert row["sampled_at"] == when.replace(tzinfo=UTC)
        ahead = sample_row(QueueSample(when, "ia-enhancer", head=5, position=7, relay_position=9))
        assert (ahead["lag"], ahead["relay_backlog"]) == (0, 0)


class TestProjector:
    def test_one_meetings_row_per_meeting_and_batch(self, app: Meetings) -> None:
        run_interview(app, "mtg-a")
        run_interview(app, "mtg-b", finish=False)
        events = all_events(app)
        rows = Projector().project(events)
        assert set(rows) == set(MEETING_TABLES)
        assert sorted(r["meeting_id"] for r in rows["meetings"]) == ["mtg-a", "mtg-b"]
        assert len(rows["event_log"]) == len(events)
        reported = [e for _, e in events if isinstance(e, Meeting.Reported)]
        assert [r["report_version"] for r in rows["reports"]] == [
            e.originator_version for e in reported
        ]
        # Segments superseded within the batch get tombstones, never a current row.
        segment_rows = rows["transcript_segments"]
        key = itemgetter("meeting_id", "transcription_version", "segment_id")
        current = {key(r) for r in segment_rows if not r["is_deleted"]}
        superseded = {key(r) for r in segment_rows if r["is_deleted"]}
        assert current
        assert superseded
        assert not current & superseded

    def test_batches_of_any_size_end_in_the_same_rows(self, app: Meetings) -> None:
        run_interview(app, "mtg-a")
        events = all_events(app)
        whole = Projector().project(events)
        projector = Projector()
        pieces = [projector.project(events[i : i + 4]) for i in range(0, len(events), 4)]
        assert pieces[-1]["meetings"] == whole["meetings"]
        assert [r for p in pieces for r in p["event_log"]] == whole["event_log"]
        assert [r for p in pieces for r in p["reports"]] == whole["reports"]
        latest: dict[tuple[int, str], dict[str, object]] = {}
        for piece in pieces:
            for row in piece["transcript_segments"]:
                latest[(row["transcription_version"], row["segment_id"])] = row
        alive = sorted(
            (r for r in latest.values() if not r["is_deleted"]),
            key=lambda r: (r["transcription_version"], r["segment_id"]),
        )
        expected = sorted(
            (r for r in whole["transcript_segments"] if not r["is_deleted"]),
            key=lambda r: (r["transcription_version"], r["segment_id"]),
        )
        assert alive == expected

    def test_a_second_projection_batched_differently_changes_nothing(self, app: Meetings) -> None:
        """A projector killed after its insert sees the same events again, batched anew."""
        run_interview(app, "mtg-a")
        events = all_events(app)
        alive_once = replacing_final(segments(Projector(), events))
        # The first projector got through the drafts, inserted them and died; its
        # successor gets everything again, in one batch.
        table = segments(Projector(), events[: len(events) // 2])
        assert {r["final"] for r in replacing_final(table)} == {0}
        table += segments(Projector(), events)
        assert replacing_final(table) == alive_once
        assert {r["final"] for r in alive_once} == {1}

    def test_duplicates_give_no_rows(self, app: Meetings) -> None:
        run_interview(app, "mtg-a")
        events = all_events(app)
        projector = Projector()
        projector.project(events)
        again = projector.project(events)
        assert all(rows == [] for rows in again.values())
        assert projector.duplicates == len(events)

    def test_a_subset_of_tables(self, app: Meetings) -> None:
        run_interview(app, "mtg-a")
        rows = Projector(tables=["event_log"]).project(all_events(app))
        assert list(rows) == ["event_log"]
        with pytest.raises(ValueError, match="not built from meeting events"):
            Projector(tables=["queue_health"])

    def test_messages_from_the_topic_project_like_the_stored_events(self, app: Meetings) -> None:
        run_interview(app, "mtg-a")
        events = all_events(app)
        codec = EventCodec()
        decoded = [
            notified(codec, codec.decode(codec.message(event, position or 0).value))
            for position, event in events
        ]
        assert [position for position, _ in decoded] == [position for position, _ in events]
        assert Projector().project(decoded) == Projector().project(events)


def segments(projector: Projector, events: list[Notified]) -> list[dict[str, Any]]:
    return projector.project(events)["transcript_segments"]


def replacing_final(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What ``SELECT … FINAL`` shows of ReplacingMergeTree(version, is_deleted) rows:
    per key the row with the highest version (the last inserted on a tie), unless deleted."""
    latest: dict[tuple[object, ...], dict[str, Any]] = {}
    for row in rows:
        key = (row["meeting_id"], row["transcription_version"], row["segment_id"])
        if key not in latest or row["version"] >= latest[key]["version"]:
            latest[key] = row
    return sorted(
        (r for r in latest.values() if not r["is_deleted"]),
        key=lambda r: (r["transcription_version"], r["segment_id"]),
    )

"""How a meeting ended, in the read model: ``finished_at`` (the Finished event's time),
``finish_reason`` and the ``failed`` status, as GET /v1/meetings/{id} answers them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.commands import RecordFailure
from interview_analytics.domain.meeting import Meeting
from interview_analytics.http.meeting_document import from_read_model
from interview_analytics.projections.queries import Queries
from interview_analytics.projections.store import ReadStore
from tests.conformance.read_store.scenario import all_events, project
from tests.factories import chunk, start


def finished_at(app: Meetings, meeting_id: str) -> datetime:
    [event] = [e for e in app.stream(meeting_id) if isinstance(e, Meeting.Finished)]
    return event.timestamp


def test_the_meeting_document_says_when_and_why_a_meeting_ended(
    read_store: ReadStore, app: Meetings
) -> None:
    for meeting_id in ("by-client", "by-idle", "by-connector", "open", "failing"):
        app.start(start(meeting_id))
        app.receive_chunk(chunk(meeting_id, 0))
    app.finish("by-client")
    later = datetime.now(UTC) + timedelta(hours=1)
    assert app.finish_when_idle("by-idle", now=later, default_idle_sec=60).finished
    app.request_connector("by-connector", provider="sberjazz")
    app.begin_connector_join("by-connector")
    app.connector_connected("by-connector")
    app.begin_connector_leave("by-connector", reason="operator")
    app.connector_left("by-connector")
    failing = app.finish("failing")
    app.record_failure(
        RecordFailure(
            meeting_id="failing",
            stage="transcribe",
            input_version=failing.version,
            code="stage_failed",
            reason="gave up",
            attempts=3,
        )
    )
    project(read_store, all_events(app))
    queries = Queries(read_store)

    expected = {
        "by-client": ("finalizing", "client"),
        "by-idle": ("finalizing", "idle"),
        "by-connector": ("finalizing", "connector_left"),
        "failing": ("failed", "client"),
    }
    for meeting_id, (status, reason) in expected.items():
        view = queries.get_meeting(meeting_id)
        assert view is not None
        assert (view.status, view.finish_reason) == (status, reason), meeting_id
        assert view.finished_at == finished_at(app, meeting_id)
        document = from_read_model(view.to_dict())
        assert document["finish_reason"] == reason
        assert document["finished_at"] == finished_at(app, meeting_id).isoformat()

    still_open = queries.get_meeting("open")
    assert still_open is not None
    assert (still_open.finished_at, still_open.finish_reason) == (None, None)
    assert from_read_model(still_open.to_dict())["finish_reason"] is None

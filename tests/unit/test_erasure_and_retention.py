"""The domain side of erasure and retention: ``Erased`` holds nothing personal and ends the
stream, every command after it is refused, a repeat is a duplicate; retention scopes are
recorded once; the retention rules say what is due when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.commands import (
    EditSpeakers,
    ReceiveChunk,
    RecordRetention,
    StartMeeting,
)
from interview_analytics.domain.errors import InvalidCommandError, MeetingErasedError
from interview_analytics.domain.events import EventMeta
from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.retention import (
    AUDIO,
    ERASE,
    RAW_TEXT,
    Due,
    RetentionPolicy,
    RetentionRules,
)
from interview_analytics.streams.contract import event_field_names
from tests.factories import pcm, unique_meeting_id


class MemoryBlobs:
    """TEST DOUBLE of ``domain.audio.BlobStore``: blobs in a dict."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def put(self, key: str, data: bytes) -> None:
        self.blobs[key] = data

    def put_many(self, items: list[tuple[str, bytes]]) -> None:
        self.blobs.update(items)


def meetings() -> Meetings:
    return Meetings(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, blobs=MemoryBlobs())


def started_with_chunk(app: Meetings) -> str:
    meeting_id = unique_meeting_id()
    app.start(StartMeeting(meeting_id, language="en", context={"candidate": "Jane Roe"}))
    app.receive_chunk(ReceiveChunk(meeting_id, 0, pcm()))
    return meeting_id


def test_erased_records_who_why_and_when_and_nothing_personal() -> None:
    app = meetings()
    meeting_id = started_with_chunk(app)
    outcome = app.erase(meeting_id, "candidate_request", EventMeta(actor="ann"))
    erased = app.stream(meeting_id)[-1]
    assert isinstance(erased, Meeting.Erased)
    assert set(event_field_names(Meeting.Erased)) == {"reason"}
    assert (erased.reason, erased.actor, outcome.version) == ("candidate_request", "ann", 3)
    assert outcome.blob_keys == app.get(meeting_id).blob_keys()
    assert not outcome.duplicate
    rebuilt = app.get(meeting_id)
    assert rebuilt.is_erased
    assert rebuilt.erased_at == erased.timestamp
    assert rebuilt.transcript() == []


def test_a_repeated_erase_answers_the_first_and_records_nothing() -> None:
    app = meetings()
    meeting_id = started_with_chunk(app)
    first = app.erase(meeting_id, "x")
    again = app.erase(meeting_id, "another reason")
    assert (again.version, again.duplicate) == (first.version, True)
    assert len(app.stream(meeting_id)) == first.version


def test_every_command_after_erasure_is_refused_even_a_repeat() -> None:
    app = meetings()
    meeting_id = started_with_chunk(app)
    app.erase(meeting_id, "x")
    refused = [
        lambda: app.receive_chunk(ReceiveChunk(meeting_id, 0, pcm())),  # was a duplicate
        lambda: app.receive_chunk(ReceiveChunk(meeting_id, 1, pcm())),
        lambda: app.finish(meeting_id),
        lambda: app.start(
            StartMeeting(meeting_id, language="en", context={"candidate": "Jane Roe"})
        ),
        lambda: app.edit_speakers(EditSpeakers(meeting_id, ())),
        lambda: app.request_connector(meeting_id, provider="sberjazz"),
    ]
    for command in refused:
        with pytest.raises(MeetingErasedError) as error:
            command()
        assert error.value.code == "meeting_erased"
    assert isinstance(app.stream(meeting_id)[-1], Meeting.Erased)


def test_an_empty_reason_is_refused() -> None:
    app = meetings()
    meeting_id = started_with_chunk(app)
    with pytest.raises(InvalidCommandError):
        app.erase(meeting_id, "  ")


def test_a_retention_scope_is_recorded_once_and_not_after_erasure() -> None:
    app = meetings()
    meeting_id = started_with_chunk(app)
    assert app.record_retention(RecordRetention(meeting_id, AUDIO, 7))
    assert not app.record_retention(RecordRetention(meeting_id, AUDIO, 7))
    assert app.get(meeting_id).retention_applied == {AUDIO: 3}
    with pytest.raises(InvalidCommandError):
        app.record_retention(RecordRetention(meeting_id, "everything", 7))
    app.erase(meeting_id, "x")
    assert not app.record_retention(RecordRetention(meeting_id, RAW_TEXT, 30))


T0 = datetime(2026, 1, 1, tzinfo=UTC)


@given(
    audio=st.integers(0, 400),
    text=st.integers(0, 400),
    meeting=st.integers(0, 400),
    age=st.floats(0, 800, allow_nan=False),
)
def test_a_rule_is_due_exactly_when_its_days_have_passed(
    audio: int, text: int, meeting: int, age: float
) -> None:
    rules = RetentionRules(RetentionPolicy(audio, text, meeting))
    due = rules.due(None, T0, T0 + timedelta(days=age))
    if meeting and age >= meeting:
        assert due == [Due(ERASE, meeting)]
        return
    expected = [
        Due(scope, days)
        for scope, days in ((AUDIO, audio), (RAW_TEXT, text))
        if days and age >= days
    ]
    assert due == expected
    assert rules.due(None, T0, T0 + timedelta(days=age), {AUDIO, RAW_TEXT}) == []


def test_overrides_replace_only_the_fields_they_name() -> None:
    rules = RetentionRules.with_overrides(RetentionPolicy(7, 30, 0), {"acme": {"audio_days": 1}})
    assert rules.for_tenant("acme") == RetentionPolicy(1, 30, 0)
    assert rules.for_tenant("other") == rules.for_tenant(None) == RetentionPolicy(7, 30, 0)
    with pytest.raises(InvalidCommandError):
        RetentionRules.with_overrides(RetentionPolicy(), {"acme": {"audio": 1}})
    with pytest.raises(InvalidCommandError):
        RetentionPolicy(audio_days=-1)

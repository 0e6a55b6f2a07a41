"""``auto`` meetings: the policy that admits them, the one detection they record, its row."""

from __future__ import annotations

import pytest

from interview_analytics.domain.application import LanguagePolicy, Meetings
from interview_analytics.domain.commands import RecordLanguage
from interview_analytics.domain.errors import InvalidCommandError, UnsupportedLanguageError
from interview_analytics.projections import meetings as meeting_rows
from interview_analytics.projections.folding import fold
from tests.conformance.read_store.scenario import events_of
from tests.factories import chunk, start, unique_meeting_id


def detected(meeting_id: str, version: int, language: str = "ru") -> RecordLanguage:
    return RecordLanguage(
        meeting_id=meeting_id, input_version=version, language=language, probability=0.97
    )


def test_auto_is_accepted_for_a_multilingual_model_only() -> None:
    assert LanguagePolicy("ru", frozenset({"ru", "en"})).resolve("AUTO") == "auto"
    assert LanguagePolicy("ru", None).resolve("auto") == "auto"
    with pytest.raises(UnsupportedLanguageError) as refused:
        LanguagePolicy("en", frozenset({"en"})).resolve("auto")
    assert refused.value.details["supported"] == ["en"]
    with pytest.raises(UnsupportedLanguageError, match="supported: en, ru"):
        LanguagePolicy("ru", frozenset({"ru", "en"})).resolve("de")


def test_the_first_detection_sets_the_language_and_a_second_changes_nothing(
    memory_meetings: Meetings,
) -> None:
    meeting_id = unique_meeting_id("auto")
    memory_meetings.start(start(meeting_id, language="auto"))
    version = memory_meetings.receive_chunk(chunk(meeting_id, 0)).version
    assert memory_meetings.record_language(detected(meeting_id, version)) is True
    assert memory_meetings.record_language(detected(meeting_id, version)) is False
    assert memory_meetings.record_language(detected(meeting_id, version, "en")) is False

    meeting = memory_meetings.get(meeting_id)
    assert (meeting.language, meeting.detected_language) == ("ru", "ru")
    assert meeting.start_settings()["language"] == "auto"
    kinds = [type(e).__name__ for e in memory_meetings.stream(meeting_id)]
    assert kinds.count("LanguageDetected") == 1
    rebuilt = fold(events_of(memory_meetings, meeting_id))
    assert rebuilt is not None
    assert rebuilt.meeting.state() == meeting.state()
    assert meeting_rows.meeting_row(rebuilt)["language"] == "ru"  # the read model follows


def test_a_detection_is_refused_for_a_chosen_language_or_a_wrong_input(
    memory_meetings: Meetings,
) -> None:
    chosen, auto = unique_meeting_id("ru"), unique_meeting_id("auto")
    memory_meetings.start(start(chosen, language="ru"))
    version = memory_meetings.receive_chunk(chunk(chosen, 0)).version
    with pytest.raises(InvalidCommandError, match="chosen at start"):
        memory_meetings.record_language(detected(chosen, version))
    memory_meetings.start(start(auto, language="auto"))
    with pytest.raises(InvalidCommandError, match="ChunkReceived or Finished"):
        memory_meetings.record_language(detected(auto, 1))  # the Started event
    version = memory_meetings.receive_chunk(chunk(auto, 0)).version
    with pytest.raises(InvalidCommandError, match="2-16 character"):
        memory_meetings.record_language(detected(auto, version, "auto"))


def test_the_connector_is_told_no_language_until_an_auto_meetings_language_is_detected(
    memory_meetings: Meetings,
) -> None:
    undetected, detected_id = unique_meeting_id("auto"), unique_meeting_id("auto")
    for meeting_id in (undetected, detected_id):
        memory_meetings.start(start(meeting_id, language="auto"))
    version = memory_meetings.receive_chunk(chunk(detected_id, 0)).version
    memory_meetings.record_language(detected(detected_id, version))

    asked = memory_meetings.request_connector(undetected, provider="sberjazz")
    assert asked.language is None  # never "auto": the platform expects a language or none
    known = memory_meetings.request_connector(detected_id, provider="sberjazz")
    assert known.language == "ru"

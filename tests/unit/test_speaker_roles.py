"""Speaker roles: declared roles win, the questioner is the interviewer, the candidate's
figures are the candidate's own, and a speaker edit is an event that replays."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.commands import EditSpeakers, RecordTranscript
from interview_analytics.domain.errors import (
    TranscriptNotFinalError,
    UnknownRoleError,
    UnknownSpeakerError,
)
from interview_analytics.domain.languages import or_fallback
from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.report.roles import roles_for_turns
from interview_analytics.domain.speaker_roles import (
    SegmentSpeaker,
    SpeakerEdit,
    participants_from,
    segment_speakers,
)
from tests.factories import chunk, segment, start, unique_meeting_id
from tests.unit.test_report import report, turn

EN = [
    turn("S1", 0, 5, "Tell me about your last project?"),
    turn("S2", 6, 40, "I built a payment service. I owned the architecture and measured latency."),
    turn("S1", 41, 44, "What was the hardest part?"),
    turn("S2", 45, 80, "Scaling the queue. For example, I moved it to Kafka and fixed a bug."),
]
RU = [
    turn("A", 0, 5, "Расскажите о своём последнем проекте?"),
    turn("B", 6, 40, "Я отвечала за платёжный сервис и архитектуру."),
    turn("A", 41, 44, "Какие были сложности?"),
    turn("B", 45, 80, "Главная сложность — задержки. Я нашла узкое место."),
]


@pytest.mark.parametrize(("turns", "language", "interviewer", "candidate"), [
    (EN, "en", "S1", "S2"), (RU, "ru", "A", "B"),
])  # fmt: skip
def test_the_questioner_is_inferred_to_be_the_interviewer(
    turns: list[dict[str, Any]], language: str, interviewer: str, candidate: str
) -> None:
    roles = report(turns, language=language)["roles"]
    assert (roles["interviewer"], roles["candidate"]) == (interviewer, candidate)
    assert roles["basis"] == "inferred"
    assert roles["known"]
    assert 0.5 <= roles["confidence"] <= 1


def test_roles_from_participants_win_over_inference() -> None:
    # S2 answers and S1 asks, but the start said S1 is the candidate
    context = {"participants": [{"label": "S1", "name": "Анна", "role": "Кандидат"}]}
    roles = roles_for_turns(EN, or_fallback("en"), participants_from(context))
    assert roles.candidate is not None
    assert roles.candidate.label == "S1"
    assert (roles.candidate.name, roles.candidate.basis) == ("Анна", "participants")
    assert roles.interviewer is not None
    assert roles.interviewer.label == "S2"
    edited = roles_for_turns(
        EN,
        or_fallback("en"),
        participants_from(context),
        {"S2": SpeakerEdit("S2", None, "candidate")},
    )
    assert edited.candidate is not None
    assert edited.candidate.label == "S2"
    assert edited.candidate.basis == "edited"


def test_one_voice_has_unknown_roles_and_the_report_says_so() -> None:
    result = report([turn("S1", 0, 60, "I built a payment service and measured it.")])
    assert result["roles"]["candidate"] is None
    assert result["roles"]["basis"] == "unknown"
    assert "Roles are unknown" in result["summary"]
    assert "not known which speaker is the candidate" in result["recommendation"]
    assert all(c["score"] is None for c in result["competencies"])  # not over everyone


def declared(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    roles = {"S1": "interviewer", "S2": "candidate"}
    return [
        {**t, "label": t["speaker"], "role": roles[t["speaker"]], "role_basis": "edited",
         "role_confidence": 1.0}
        for t in turns
    ]  # fmt: skip


def candidate_scores(result: dict[str, Any]) -> Any:
    own = dict(result["analytics"]["speakers"]["S2"])
    for depends_on_others in ("talk_share", "mean_response_latency_sec", "longest_monologue_sec"):
        own.pop(depends_on_others)
    return own, result["competencies"]


interviewer_text = st.text(alphabet="abcdefghij ?.,", min_size=1, max_size=60)


@settings(max_examples=40, deadline=None)
@given(
    texts=st.lists(interviewer_text, min_size=2, max_size=2),
    extra=st.lists(st.tuples(st.floats(81, 500), interviewer_text), max_size=3),
    drop=st.booleans(),
)
def test_the_candidates_scores_do_not_change_when_the_interviewers_turns_do(
    texts: list[str], extra: list[tuple[float, str]], drop: bool
) -> None:
    base = report(declared(EN))
    edited = [dict(t) for t in EN]
    edited[0]["text"] = edited[0]["raw_text"] = texts[0]
    edited[2]["text"] = edited[2]["raw_text"] = texts[1]
    if drop:
        del edited[2]
    edited += [turn("S1", at, at + 2, text) for at, text in extra]
    assert candidate_scores(report(declared(edited))) == candidate_scores(base)


def speaking(meetings: Meetings) -> str:
    meeting_id = unique_meeting_id()
    meetings.start(start(meeting_id))
    meetings.receive_chunk(chunk(meeting_id, 0))
    return meeting_id


def record_final(meetings: Meetings, meeting_id: str) -> None:
    finished = meetings.finish(meeting_id).version
    first, second = segment(0, 2, "Tell me?", "a"), segment(3, 6, "Sure.", "b")
    first["speaker"], second["speaker"] = "S1", "S2"
    meetings.record_transcript(
        RecordTranscript(
            meeting_id=meeting_id, input_version=finished, seqs=[0], segments=[first, second],
            final=True, model="m", language="en", audio_sec=6, processing_sec=1,
        )
    )  # fmt: skip


def test_a_speaker_edit_is_an_event_that_replays_to_the_same_state(
    memory_meetings: Meetings,
) -> None:
    meetings = memory_meetings
    meeting_id = speaking(meetings)
    edit = EditSpeakers(meeting_id, (SpeakerEdit("S1", "Анна", "interviewer"),))
    with pytest.raises(TranscriptNotFinalError):
        meetings.edit_speakers(edit)
    record_final(meetings, meeting_id)
    with pytest.raises(UnknownSpeakerError):
        meetings.edit_speakers(EditSpeakers(meeting_id, (SpeakerEdit("S9", "X"),)))
    with pytest.raises(UnknownRoleError):
        meetings.edit_speakers(EditSpeakers(meeting_id, (SpeakerEdit("S1", None, "boss"),)))
    outcome = meetings.edit_speakers(edit)
    assert not outcome.duplicate
    assert meetings.edit_speakers(edit).duplicate  # the same edit again records nothing
    meetings.edit_speakers(EditSpeakers(meeting_id, (SpeakerEdit("S2", None, "candidate"),)))
    live = meetings.get(meeting_id)
    assert live.speaker_edits_at(live.version) == {
        "S1": SpeakerEdit("S1", "Анна", "interviewer"),
        "S2": SpeakerEdit("S2", None, "candidate"),
    }
    events = meetings.stream(meeting_id)
    assert [type(e).__name__ for e in events].count("SpeakersEdited") == 2
    rebuilt: Meeting | None = None
    for event in events:
        rebuilt = event.mutate(rebuilt)  # type: ignore[attr-defined]
    assert rebuilt is not None
    assert rebuilt.state() == live.state()


def test_a_segment_shows_the_name_and_role_of_the_turn_that_holds_it() -> None:
    labelled, unlabelled = segment(0, 2, "Hi?", "a"), segment(3, 5, "Yes.", "b")
    loose = segment(6, 7, "Bye.", "c")
    labelled["speaker"] = loose["speaker"] = "S1"
    named = [
        {"speaker": "Anna", "label": "S1", "role": "interviewer", "segment_ids": ["a"]},
        {"speaker": "Speaker 1", "label": "Speaker 1", "role": None, "segment_ids": ["b"]},
    ]
    found = segment_speakers([labelled, unlabelled, loose], named)
    assert found == {
        "a": SegmentSpeaker("Anna", "interviewer"),
        "b": SegmentSpeaker(None, None),  # no label, nobody named it: not "Speaker 1"
        "c": SegmentSpeaker("S1", None),  # in no turn: its own label
    }
    renamed = [{**named[1], "speaker": "Boris", "role": "candidate"}]
    assert segment_speakers([unlabelled], renamed)["b"] == SegmentSpeaker("Boris", "candidate")
    before_roles = [{"speaker": "S1", "segment_ids": ["a"]}]  # an Enhanced from before roles
    assert segment_speakers([labelled], before_roles)["a"] == SegmentSpeaker("S1", None)

"""Properties of the report for any well-formed meeting: shares, bounds, scores, contract keys.

Turns are drawn in time order without overlaps (1 to 3 speakers, English or Russian words,
some fillers and question marks); segments carry random word probabilities.
"""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from interview_analytics.domain.report import Rubric, build_report
from interview_analytics.domain.transcript import Segment, Word

RUBRIC = Rubric.from_dict(
    {
        "competencies": [
            {
                "key": "ownership",
                "title": {"en": "Ownership", "ru": "Ответственность"},
                "indicators": {"en": ["I led", "responsible for"], "ru": ["я отвечал*"]},
            },
            {
                "key": "technical_depth",
                "title": {"en": "Technical depth"},
                "indicators": {"en": ["latency", "kafka"], "ru": ["задержк*"]},
            },
        ]
    }
)
VOCABULARY = [
    *("I", "led", "the", "team", ".", "responsible", "for", "latency", "kafka", "um", "uh"),
    *(",", "like", "you", "know", "what", "why", "?", "я", "отвечала", "за", "задержки"),
    *("ну", "типа", "как", "бы", "в", "общем", "что", "почему"),
]
SPEAKERS = ("SPEAKER_00", "SPEAKER_01", "Candidate")

texts = st.lists(st.sampled_from(VOCABULARY), max_size=25).map(" ".join)
turn_parts = st.tuples(
    st.integers(0, 2),  # speaker index
    st.floats(0, 30, allow_nan=False),  # pause before the turn
    st.floats(0, 200, allow_nan=False),  # turn length
    texts,
    texts,
    st.floats(0, 1, allow_nan=False),  # word probability of its segment
)


@st.composite
def meetings(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[Segment], float]:
    speaker_count = draw(st.integers(1, 3))
    clock = 0.0
    turns: list[dict[str, Any]] = []
    segments: list[Segment] = []
    for index, (who, pause, length, text, raw, probability) in enumerate(
        draw(st.lists(turn_parts, max_size=12))
    ):
        start, end = clock + pause, clock + pause + length
        clock = end
        segment_id = f"s{index}"
        turns.append(
            {
                "speaker": SPEAKERS[who % speaker_count],
                "start_sec": start,
                "end_sec": end,
                "text": text,
                "raw_text": raw,
                "segment_ids": [segment_id],
            }
        )
        words: list[Word] = [
            {"word": w, "start_sec": start, "end_sec": end, "probability": probability}
            for w in raw.split()
        ]
        segments.append(
            {
                "segment_id": segment_id,
                "start_sec": start,
                "end_sec": end,
                "text": raw,
                "speaker": None,
                "confidence": probability,
                "words": words,
            }
        )
    audio_sec = draw(st.floats(0, clock + 60, allow_nan=False))
    return turns, segments, audio_sec


GeneratedMeeting = tuple[list[dict[str, Any]], list[Segment], float]  # turns, segments, audio


def report_of(meeting: GeneratedMeeting, *, language: str = "en", final: bool = True) -> Any:
    """The report of a generated meeting, with the bundled rubric."""
    turns, segments, audio_sec = meeting
    return build_report(
        turns, segments, language=language, audio_sec=audio_sec, rubric=RUBRIC, final=final
    )


@settings(max_examples=150, deadline=None)
@given(
    meeting=meetings(),
    language=st.sampled_from(["en", "ru", "de"]),
    final=st.booleans(),
)
def test_the_report_keeps_its_shape_and_bounds_for_any_meeting(
    meeting: GeneratedMeeting, language: str, final: bool
) -> None:
    turns = meeting[0]
    report = report_of(meeting, language=language, final=final)

    assert isinstance(report["summary"], str)
    assert report["summary"]
    assert isinstance(report["recommendation"], str)
    assert report["recommendation"]
    assert isinstance(report["bullets"], list)
    assert all(isinstance(bullet, str) for bullet in report["bullets"])
    assert isinstance(report["risk_flags"], list)
    assert all(isinstance(flag, str) for flag in report["risk_flags"])
    assert len(report["bullets_evidence"]) == len(report["bullets"])
    assert len(report["risk_flags_evidence"]) == len(report["risk_flags"])
    assert all(report["bullets_evidence"])
    assert all(report["risk_flags_evidence"])

    analytics = report["analytics"]
    assert 0.0 <= analytics["silence_share"] <= 1.0
    speakers = analytics["speakers"]
    if sum(s["talk_sec"] for s in speakers.values()) > 0:
        assert abs(sum(s["talk_share"] for s in speakers.values()) - 1.0) <= 0.01
    assert analytics["turns_total"] == len(turns) == sum(s["turns"] for s in speakers.values())
    for competency in report["competencies"]:
        assert competency["score"] is None or 1 <= competency["score"] <= 5
        assert (competency["score"] is None) == (competency["status"] == "insufficient evidence")
        assert (competency["score"] is None) == (competency["evidence"] == [])

    assert json.loads(json.dumps(report)) == report


@settings(max_examples=50, deadline=None)
@given(meeting=meetings(), seed=st.integers(0, 2**16))
def test_the_order_turns_arrive_in_does_not_change_the_report(
    meeting: GeneratedMeeting, seed: int
) -> None:
    turns, segments, audio_sec = meeting
    shuffled = list(turns)
    random.Random(seed).shuffle(shuffled)
    assert report_of((shuffled, segments, audio_sec)) == report_of(meeting)

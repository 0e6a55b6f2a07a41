"""Word-level attribution (domain/speakers.py): segments split at speaker changes."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from interview_analytics.domain.results import Transcription
from interview_analytics.domain.speakers import (
    SpeakerTurn,
    attribution_of,
    label_in_order,
    participant_names,
    speaker_during,
    split_by_turns,
)
from interview_analytics.domain.transcript import Segment, Word, validate_segments


def word(text: str, start: float, end: float) -> Word:
    return {"word": text, "start_sec": start, "end_sec": end, "probability": 0.9}


def segment(words: list[Word], segment_id: str = "s") -> Segment:
    return {
        "segment_id": segment_id,
        "start_sec": words[0]["start_sec"],
        "end_sec": words[-1]["end_sec"],
        "text": " ".join(w["word"] for w in words),
        "speaker": None,
        "confidence": 0.9,
        "words": words,
    }


def test_a_segment_spanning_two_turns_is_split_between_the_speakers() -> None:
    words = [word("Hello", 0.0, 0.4), word("there.", 0.5, 0.9), word("Hi!", 1.3, 1.6)]
    turns = [SpeakerTurn(0.0, 1.0, "S1"), SpeakerTurn(1.2, 2.0, "S2")]
    split = split_by_turns([segment(words)], turns, id_prefix="f9")
    assert [(s["segment_id"], s["speaker"], s["text"]) for s in split] == [
        ("f9-0", "S1", "Hello there."),
        ("f9-1", "S2", "Hi!"),
    ]
    assert (split[1]["start_sec"], split[1]["end_sec"]) == (1.3, 1.6)
    validate_segments(split)


def test_a_word_in_a_pause_goes_to_the_nearest_turn() -> None:
    turns = [SpeakerTurn(0.0, 1.0, "S1"), SpeakerTurn(3.0, 4.0, "S2")]
    assert speaker_during(turns, 1.1, 1.3) == "S1"
    assert speaker_during(turns, 2.7, 2.9) == "S2"
    assert speaker_during([], 0.0, 1.0) is None


def test_labels_follow_first_speech_and_participants_are_read_in_both_forms() -> None:
    turns = [SpeakerTurn(5.0, 6.0, "0"), SpeakerTurn(1.0, 2.0, "3"), SpeakerTurn(7.0, 8.0, "3")]
    assert [t.speaker for t in label_in_order(turns)] == ["S1", "S2", "S1"]
    context: dict[str, Any] = {"participants": ["Anna", {"name": "Boris", "role": "x"}, 3]}
    assert participant_names(context) == ["Anna", "Boris"]
    assert participant_names({}) == []


def test_the_final_transcriptions_attribution_is_the_one_shown() -> None:
    def transcription(version: int, final: bool, method: str | None) -> Transcription:
        return Transcription(version, version, (0,), (), final, "m", "en", method, 0.5, 2)

    assert attribution_of([transcription(1, False, None)]) is None
    shown = attribution_of([transcription(3, True, "model_free"), transcription(4, False, "x")])
    assert shown == {"method": "model_free", "confidence": 0.5, "speaker_count": 2}


@st.composite
def words_and_turns(draw: st.DrawFn) -> tuple[list[Segment], list[SpeakerTurn]]:
    gaps = draw(st.lists(st.floats(0.0, 2.0), min_size=1, max_size=30))
    lengths = draw(st.lists(st.floats(0.01, 1.0), min_size=len(gaps), max_size=len(gaps)))
    position, all_words = 0.0, []
    for index, (gap, length) in enumerate(zip(gaps, lengths, strict=True)):
        position += gap
        all_words.append(word(f"w{index}", round(position, 3), round(position + length, 3)))
        position += length
    cuts = (
        sorted(draw(st.sets(st.integers(1, len(all_words) - 1), max_size=5)))
        if len(all_words) > 1
        else []
    )
    bounds = [0, *cuts, len(all_words)]
    segments = [segment(all_words[a:b], f"s{a}") for a, b in pairwise(bounds)]
    edges = sorted(draw(st.lists(st.floats(0.0, position + 1), min_size=2, max_size=12)))
    turns = [
        SpeakerTurn(a, b, draw(st.sampled_from(["S1", "S2", "S3"])))
        for a, b in pairwise(edges)
        if b > a
    ]
    return segments, turns


@given(words_and_turns())
def test_splitting_never_loses_or_reorders_a_word_and_each_piece_has_one_speaker(
    case: tuple[list[Segment], list[SpeakerTurn]],
) -> None:
    segments, turns = case
    split = split_by_turns(segments, turns, id_prefix="f")
    before = [w for s in segments for w in s["words"]]
    after = [w for s in split for w in s["words"]]
    assert after == before
    for piece in split:
        speakers = {speaker_during(turns, w["start_sec"], w["end_sec"]) for w in piece["words"]}
        assert speakers == {piece["speaker"]}
    source_of = {id(w): index for index, s in enumerate(segments) for w in s["words"]}
    for first, second in pairwise(split):
        if source_of[id(first["words"][-1])] == source_of[id(second["words"][0])]:
            assert first["speaker"] != second["speaker"]  # split only where the speaker changes
    validate_segments(split)

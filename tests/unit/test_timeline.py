"""Chunks on the meeting timeline, and recognised words placed and attributed."""

from __future__ import annotations

import pytest

from interview_analytics.domain.timeline import (
    RecognizedSegment,
    RecognizedWord,
    Timeline,
    chunk_spans,
    place_segments,
)


def words(*spec: tuple[float, float, str]) -> tuple[RecognizedWord, ...]:
    return tuple(RecognizedWord(start, end, f" {text}", 0.9) for start, end, text in spec)


def test_offsets_are_summed_durations_in_seq_order() -> None:
    spans = chunk_spans({2: 1.0, 0: 2.0, 1: 1.5}, {0: "a", 1: "b", 2: "a"})
    assert [(s.seq, s.start_sec, s.end_sec, s.speaker) for s in spans] == [
        (0, 0.0, 2.0, "a"),
        (1, 2.0, 3.5, "b"),
        (2, 3.5, 4.5, "a"),
    ]


def test_missing_chunks_are_estimated_only_when_asked() -> None:
    assert Timeline(chunk_spans({0: 2.0, 2: 2.0}, {})).offset_of(2) == 2.0
    assert Timeline(chunk_spans({0: 2.0, 2: 2.0}, {}, fill_gaps_with=2.0)).offset_of(2) == 4.0


def test_segments_split_where_the_speaker_changes() -> None:
    timeline = Timeline(chunk_spans({0: 2.0, 1: 2.0}, {0: "alice", 1: "bob"}))
    recognized = [
        RecognizedSegment(
            0.0,
            3.5,
            "hi there hello",
            words((0.2, 0.6, "hi"), (0.7, 1.2, "there"), (2.3, 3.0, "hello")),
        )
    ]
    segments = place_segments(
        recognized,
        offset_sec=10.0,
        speaker_of=lambda s, e: timeline.speaker_at((s + e) / 2 - 10.0),
        id_prefix="x",
    )
    assert [(s["speaker"], s["text"], s["start_sec"], s["end_sec"]) for s in segments] == [
        ("alice", "hi there", 10.2, 11.2),
        ("bob", "hello", 12.3, 13.0),
    ]
    assert [s["segment_id"] for s in segments] == ["x-0", "x-1"]
    assert segments[0]["words"][0]["word"] == "hi"
    assert segments[0]["confidence"] == pytest.approx(0.9)


def test_context_words_before_the_new_chunk_are_dropped() -> None:
    recognized = [RecognizedSegment(0, 4, "old new", words((1.0, 1.5, "old"), (2.5, 3.0, "new")))]
    segments = place_segments(
        recognized, offset_sec=0, speaker_of=lambda s, e: None, id_prefix="d", keep_from_sec=2.0
    )
    assert [s["text"] for s in segments] == ["new"]

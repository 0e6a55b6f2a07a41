"""The meeting timeline: where each chunk sits, and who speaks when.

Recognised words come back with times relative to the audio that was decoded; here they
are placed on the meeting's timeline (chunk offsets are the summed durations of the
chunks before it, in seq order) and attributed to a speaker (the chunk's speaker hint, or
a channel label for stereo audio). Segments are split where the speaker changes, so a
segment never mixes two speakers.

Must not: decode audio or run the recogniser; it only places what the recogniser returned.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from interview_analytics.domain.transcript import Segment, Word


@dataclass(frozen=True)
class Span:
    """One chunk on the meeting timeline."""

    seq: int
    start_sec: float
    end_sec: float
    speaker: str | None


@dataclass(frozen=True)
class RecognizedWord:
    start_sec: float
    end_sec: float
    word: str
    probability: float


@dataclass(frozen=True)
class RecognizedSegment:
    """What the recogniser returns, times relative to the audio it was given."""

    start_sec: float
    end_sec: float
    text: str
    words: tuple[RecognizedWord, ...]


def chunk_spans(
    durations: Mapping[int, float],
    speakers: Mapping[int, str | None],
    *,
    fill_gaps_with: float | None = None,
) -> list[Span]:
    """Place chunks on the timeline in seq order.

    A seq missing below the highest one (not received yet) takes ``fill_gaps_with``
    seconds when given, so that drafts for out-of-order chunks land roughly right; the
    final pass always has every chunk.
    """
    spans: list[Span] = []
    position = 0.0
    for seq in range(max(durations, default=-1) + 1):
        if seq in durations:
            duration = durations[seq]
        elif fill_gaps_with is not None:
            duration = fill_gaps_with
        else:
            continue
        if seq in durations:
            spans.append(Span(seq, position, position + duration, speakers.get(seq)))
        position += duration
    return spans


class Timeline:
    """Looks up the chunk (and so the speaker hint) at a point of the meeting timeline."""

    def __init__(self, spans: Sequence[Span]) -> None:
        self.spans = sorted(spans, key=lambda s: s.start_sec)
        self._starts = [s.start_sec for s in self.spans]

    def span_at(self, time_sec: float) -> Span | None:
        index = bisect_right(self._starts, time_sec) - 1
        if index < 0:
            return self.spans[0] if self.spans else None
        return self.spans[index]

    def speaker_at(self, time_sec: float) -> str | None:
        span = self.span_at(time_sec)
        return span.speaker if span else None

    def offset_of(self, seq: int) -> float:
        for span in self.spans:
            if span.seq == seq:
                return span.start_sec
        raise KeyError(seq)


def place_segments(
    recognized: Sequence[RecognizedSegment],
    *,
    offset_sec: float,
    speaker_of: Callable[[float, float], str | None],
    id_prefix: str,
    keep_from_sec: float | None = None,
) -> list[Segment]:
    """Recognised segments → domain segments on the meeting timeline.

    ``speaker_of(start, end)`` names the speaker of a word (absolute times). Words whose
    midpoint lies before ``keep_from_sec`` are dropped: a draft decodes earlier audio as
    context but reports only the new chunk. A segment is split wherever the speaker of
    consecutive words changes.
    """
    segments: list[Segment] = []
    for segment in recognized:
        words = [_absolute(w, offset_sec) for w in segment.words]
        if keep_from_sec is not None:
            words = [w for w in words if (w["start_sec"] + w["end_sec"]) / 2 >= keep_from_sec]
        if not segment.words and segment.text.strip():
            start, end = segment.start_sec + offset_sec, segment.end_sec + offset_sec
            if keep_from_sec is None or (start + end) / 2 >= keep_from_sec:
                segments.append(
                    _segment(
                        f"{id_prefix}-{len(segments)}",
                        start,
                        end,
                        segment.text,
                        [],
                        speaker_of(start, end),
                    )
                )
            continue
        for speaker, run in _runs_by_speaker(words, speaker_of):
            text = "".join(w["word"] for w in run).strip()
            if not text:
                continue
            segments.append(
                _segment(
                    f"{id_prefix}-{len(segments)}",
                    run[0]["start_sec"],
                    run[-1]["end_sec"],
                    text,
                    [{**w, "word": w["word"].strip()} for w in run],
                    speaker,
                )
            )
    return segments


def _absolute(word: RecognizedWord, offset_sec: float) -> Word:
    start = round(word.start_sec + offset_sec, 3)
    return {
        "word": word.word,
        "start_sec": start,
        "end_sec": max(start, round(word.end_sec + offset_sec, 3)),
        "probability": round(word.probability, 4),
    }


def _runs_by_speaker(
    words: Sequence[Word], speaker_of: Callable[[float, float], str | None]
) -> list[tuple[str | None, list[Word]]]:
    runs: list[tuple[str | None, list[Word]]] = []
    for word in words:
        speaker = speaker_of(word["start_sec"], word["end_sec"])
        if runs and runs[-1][0] == speaker:
            runs[-1][1].append(word)
        else:
            runs.append((speaker, [word]))
    return runs


def _segment(
    segment_id: str, start: float, end: float, text: str, words: list[Word], speaker: str | None
) -> Segment:
    confidence = sum(w["probability"] for w in words) / len(words) if words else 0.0
    return {
        "segment_id": segment_id,
        "start_sec": round(max(start, 0.0), 3),
        "end_sec": round(max(end, start, 0.0), 3),
        "text": text.strip(),
        "speaker": speaker,
        "confidence": round(confidence, 4),
        "words": words,
    }

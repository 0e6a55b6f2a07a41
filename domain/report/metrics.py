"""Conversation figures: talk time, pace, monologues, pauses, questions, fillers, quality.

Talk time is the sum of a speaker's turn lengths (turn boundaries come from recognised
segments, so this is speech time). Words, pace and fillers are counted on ``raw_text`` — what
was said, before cleaning removed the fillers. Questions are found in the enhanced ``text``,
which has the punctuation. What counts as a question or a filler is the meeting language's.
Every figure is a pure function of the sorted turns.

Must not: count words, pace or fillers on the cleaned ``text`` (the fillers are gone there).
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from interview_analytics.domain.languages import Language
from interview_analytics.domain.report.model import Turn, seconds, share
from interview_analytics.domain.report.text import (
    excerpt,
    filler_spans,
    is_question,
    sentences,
    word_count,
)
from interview_analytics.domain.transcript import Segment

LOW_CONFIDENCE = 0.5
"""A recognised word with a lower probability counts as low-confidence."""


MIN_TALK_FOR_RATE_SEC = 1.0


@dataclass(frozen=True)
class Question:
    speaker: str
    at_sec: float
    """Where the sentence starts, interpolated by its position in the turn's text."""
    text: str
    turn: Turn
    span: tuple[int, int]

    def as_json(self) -> dict[str, Any]:
        return {"speaker": self.speaker, "at_sec": seconds(self.at_sec), "text": self.text}


@dataclass(frozen=True)
class Monologue:
    """A run of consecutive turns by one speaker, with nobody else in between."""

    speaker: str
    turns: tuple[Turn, ...]

    @property
    def start_sec(self) -> float:
        return self.turns[0].start_sec

    @property
    def end_sec(self) -> float:
        return max(turn.end_sec for turn in self.turns)

    @property
    def duration_sec(self) -> float:
        return self.end_sec - self.start_sec


@dataclass(frozen=True)
class Gap:
    """The pause before ``turn``, which answers a different speaker's turn."""

    sec: float
    turn: Turn
    previous_speaker: str = ""
    """Who spoke the turn before the pause."""


@dataclass(frozen=True)
class SpeakerStats:
    talk_sec: float
    talk_share: float
    turns: int
    words: int
    wpm: float
    longest_monologue_sec: float
    filler_count: int
    filler_rate: float
    """Fillers per 100 words."""
    questions: int
    mean_response_latency_sec: float | None

    def as_json(self) -> dict[str, Any]:
        return {
            "talk_sec": self.talk_sec,
            "talk_share": self.talk_share,
            "turns": self.turns,
            "words": self.words,
            "wpm": self.wpm,
            "longest_monologue_sec": self.longest_monologue_sec,
            "filler_count": self.filler_count,
            "filler_rate": self.filler_rate,
            "questions": self.questions,
            "mean_response_latency_sec": self.mean_response_latency_sec,
        }


def speech_sec(turns: Sequence[Turn]) -> float:
    """Length of the union of the turns' intervals (overlapping speech counts once)."""
    total = 0.0
    covered_to = 0.0
    for turn in sorted(turns):
        start = max(turn.start_sec, covered_to)
        if turn.end_sec > start:
            total += turn.end_sec - start
        covered_to = max(covered_to, turn.end_sec)
    return total


def find_questions(turns: Sequence[Turn], language: Language) -> list[Question]:
    found: list[Question] = []
    for turn in turns:
        length = max(len(turn.text), 1)
        for offset, sentence in sentences(turn.text):
            if is_question(sentence, language):
                at_sec = turn.start_sec + turn.duration_sec * offset / length
                span = (offset, offset + len(sentence))
                found.append(Question(turn.speaker, at_sec, excerpt(sentence), turn, span))
    return found


def monologues(turns: Sequence[Turn]) -> list[Monologue]:
    runs: list[list[Turn]] = []
    for turn in turns:
        if runs and runs[-1][0].speaker == turn.speaker:
            runs[-1].append(turn)
        else:
            runs.append([turn])
    return [Monologue(run[0].speaker, tuple(run)) for run in runs]


def response_gaps(turns: Sequence[Turn]) -> list[Gap]:
    """Pauses at speaker changes: next start minus previous end, positive ones only."""
    return [
        Gap(after.start_sec - before.end_sec, after, before.speaker)
        for before, after in itertools.pairwise(turns)
        if after.speaker != before.speaker and after.start_sec > before.end_sec
    ]


def answers(gaps: Sequence[Gap], candidate: str | None, interviewer: str | None) -> list[Gap]:
    """The candidate's response latencies: pauses from the end of an interviewer's turn to
    the start of the candidate's answer (none when either role is unknown)."""
    if candidate is None or interviewer is None:
        return []
    return [
        gap for gap in gaps if gap.turn.speaker == candidate and gap.previous_speaker == interviewer
    ]


def latency_summary(turns: Sequence[Turn], gaps: Sequence[Gap]) -> dict[str, Any] | None:
    """Mean, median and max pause at speaker changes; None with < 2 turns or no pause."""
    if len(turns) < 2 or not gaps:
        return None
    values = [gap.sec for gap in gaps]
    return {
        "mean": seconds(statistics.fmean(values)),
        "median": seconds(statistics.median(values)),
        "max": seconds(max(values)),
        "count": len(values),
    }


def speaker_stats(
    turns: Sequence[Turn], questions: Sequence[Question], gaps: Sequence[Gap], language: Language
) -> dict[str, SpeakerStats]:
    """Per speaker, in label order."""
    total_talk = sum(turn.duration_sec for turn in turns)
    runs = monologues(turns)
    stats: dict[str, SpeakerStats] = {}
    for speaker in sorted({turn.speaker for turn in turns}):
        own = [turn for turn in turns if turn.speaker == speaker]
        talk = sum(turn.duration_sec for turn in own)
        words = sum(word_count(turn.raw_text) for turn in own)
        fillers = sum(len(filler_spans(turn.raw_text, language)) for turn in own)
        own_gaps = [gap.sec for gap in gaps if gap.turn.speaker == speaker]
        stats[speaker] = SpeakerStats(
            talk_sec=seconds(talk),
            talk_share=share(talk / total_talk) if total_talk > 0 else 0.0,
            turns=len(own),
            words=words,
            # Below a second of speech a rate is noise (and can overflow): report 0.
            wpm=round(words / (talk / 60), 1) if talk >= MIN_TALK_FOR_RATE_SEC else 0.0,
            longest_monologue_sec=seconds(
                max(run.duration_sec for run in runs if run.speaker == speaker)
            ),
            filler_count=fillers,
            filler_rate=round(100 * fillers / words, 2) if words else 0.0,
            questions=sum(1 for question in questions if question.speaker == speaker),
            mean_response_latency_sec=seconds(statistics.fmean(own_gaps)) if own_gaps else None,
        )
    return stats


def transcript_quality(segments: Sequence[Segment]) -> dict[str, Any]:
    """How sure the recogniser was: mean word probability and the share below 0.5."""
    probabilities = [
        float(word["probability"])
        for segment in sorted_segments(segments)
        for word in segment["words"]
    ]
    if not probabilities:
        return {"mean_word_probability": None, "low_confidence_share": None, "words": 0}
    low = sum(1 for probability in probabilities if probability < LOW_CONFIDENCE)
    return {
        "mean_word_probability": share(statistics.fmean(probabilities)),
        "low_confidence_share": share(low / len(probabilities)),
        "words": len(probabilities),
    }


def sorted_segments(segments: Sequence[Segment]) -> list[Segment]:
    return sorted(segments, key=lambda s: (s["start_sec"], s["end_sec"], s["segment_id"]))

"""How far a diarization is from who really spoke when: speaker confusion and DER.

Both compare reference and hypothesis turns on 10 ms frames, after mapping hypothesis
labels one-to-one onto reference speakers in the way that agrees on the most frames (the
labels of a diarizer are arbitrary).

- ``speaker_confusion``: among frames where exactly one reference speaker talks and the
  hypothesis names someone, the share it names the wrong person.
- ``diarization_error_rate``: (missed speech + false alarm + confusion) / reference speech,
  the usual DER, scored without a ``collar`` (0.25 s) either side of each reference turn
  boundary and without overlapped speech.

Must not: take part in recording a meeting; it measures diarizers (tests, benchmarks).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import permutations

from interview_analytics.domain.speakers import SpeakerTurn

FRAME_SEC = 0.01
COLLAR_SEC = 0.25


@dataclass(frozen=True)
class DiarizationScore:
    confusion: float
    """Wrong speaker on single-speaker frames the hypothesis labelled, 0..1."""
    der: float
    """Missed + false alarm + confusion over scored reference speech (collar, no overlap)."""
    scored_sec: float


def speaker_confusion(reference: Sequence[SpeakerTurn], hypothesis: Sequence[SpeakerTurn]) -> float:
    return score(reference, hypothesis).confusion


def diarization_error_rate(
    reference: Sequence[SpeakerTurn],
    hypothesis: Sequence[SpeakerTurn],
    *,
    collar_sec: float = COLLAR_SEC,
) -> float:
    return score(reference, hypothesis, collar_sec=collar_sec).der


def score(
    reference: Sequence[SpeakerTurn],
    hypothesis: Sequence[SpeakerTurn],
    *,
    collar_sec: float = COLLAR_SEC,
) -> DiarizationScore:
    end = max((t.end_sec for t in [*reference, *hypothesis]), default=0.0)
    frames = int(end / FRAME_SEC) + 1
    ref = _frame_speakers(reference, frames)
    hyp = _frame_speakers(hypothesis, frames)
    mapping = _best_mapping(ref, hyp)
    excluded = _collar_frames(reference, frames, collar_sec)

    labelled = wrong = 0
    scored = missed = false_alarm = confused = 0
    for index in range(frames):
        truth, guess = ref[index], hyp[index]
        if len(truth) > 1:
            continue  # overlap is excluded from both figures
        named = {mapping.get(label, f"~{label}") for label in guess}
        if len(truth) == 1 and named:
            labelled += 1
            wrong += next(iter(truth)) not in named
        if index in excluded:
            continue
        if truth:
            scored += 1
            if not named:
                missed += 1
            elif not truth & named:
                confused += 1
        elif named:
            false_alarm += 1
    return DiarizationScore(
        confusion=wrong / labelled if labelled else 0.0,
        der=(missed + false_alarm + confused) / scored if scored else 0.0,
        scored_sec=round(scored * FRAME_SEC, 2),
    )


def _frame_speakers(turns: Sequence[SpeakerTurn], frames: int) -> list[frozenset[str]]:
    speaking: list[set[str]] = [set() for _ in range(frames)]
    for turn in turns:
        for index in range(_frame(turn.start_sec), min(_frame(turn.end_sec), frames)):
            speaking[index].add(turn.speaker)
    return [frozenset(s) for s in speaking]


def _frame(seconds: float) -> int:
    return max(round(seconds / FRAME_SEC), 0)


def _collar_frames(turns: Sequence[SpeakerTurn], frames: int, collar_sec: float) -> set[int]:
    width = round(collar_sec / FRAME_SEC)
    excluded: set[int] = set()
    for turn in turns:
        for boundary in (_frame(turn.start_sec), _frame(turn.end_sec)):
            excluded.update(range(max(boundary - width, 0), min(boundary + width, frames)))
    return excluded


def _best_mapping(
    reference: Sequence[frozenset[str]], hypothesis: Sequence[frozenset[str]]
) -> dict[str, str]:
    """Hypothesis label → reference speaker, one-to-one, agreeing on the most frames
    (exhaustive: diarizers here produce at most six labels)."""
    together: Counter[tuple[str, str]] = Counter()
    for truth, guess in zip(reference, hypothesis, strict=True):
        for label in guess:
            for speaker in truth:
                together[label, speaker] += 1
    labels = sorted({label for frame in hypothesis for label in frame})
    speakers = sorted({speaker for frame in reference for speaker in frame})
    best: dict[str, str] = {}
    best_agreement = -1
    if len(labels) <= len(speakers):
        choices = [
            dict(zip(labels, chosen, strict=True)) for chosen in permutations(speakers, len(labels))
        ]
    else:
        choices = [
            dict(zip(chosen, speakers, strict=True))
            for chosen in permutations(labels, len(speakers))
        ]
    for mapping in choices:
        agreement = sum(together[label, speaker] for label, speaker in mapping.items())
        if agreement > best_agreement:
            best, best_agreement = mapping, agreement
    return best

"""Who speaks when: speaker turns, the attribution a transcription records, and the split
of transcript segments at speaker changes (word-level attribution).

Sources, the most trusted first: the connector's platform identity and the client's
``speaker_hint`` (both arrive as the chunk's hint), the audio channel of stereo input, and
acoustic diarization of mono audio on the final pass. Whatever produced them, turns carry
labels; diarized ones are ``S1``, ``S2`` … in order of first speech (``label_in_order``).

Must not: analyse audio (the diarizers in ``streams/diarization/`` do) or do I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from interview_analytics.domain.results import Transcription
from interview_analytics.domain.transcript import Segment, Word

HINT = "speaker_hint"
"""Method: the chunks' speaker hints (client or connector platform identity)."""
CHANNEL = "channel"
"""Method: one speaker per audio channel of stereo input."""
NO_ATTRIBUTION = "none"
"""Method: nothing told the speakers apart (no hint, mono, no diarization)."""


@dataclass(frozen=True, order=True)
class SpeakerTurn:
    """One stretch of the meeting timeline spoken by one speaker."""

    start_sec: float
    end_sec: float
    speaker: str


@dataclass(frozen=True)
class Attribution:
    """How a transcription's speaker labels were produced, as its event records it."""

    method: str
    confidence: float | None
    speaker_count: int

    def event_fields(self) -> dict[str, Any]:
        return {
            "speaker_method": self.method,
            "speaker_confidence": self.confidence,
            "speaker_count": self.speaker_count,
        }


def attribution_of(transcriptions: Sequence[Transcription]) -> dict[str, Any] | None:
    """How the current transcript's speakers were told apart (``method``, ``confidence``,
    ``speaker_count``): the newest final transcription's record, else the newest draft's;
    None when no transcription recorded it (those before it was kept)."""
    recorded = [t for t in transcriptions if t.speaker_method is not None]
    if not recorded:
        return None
    newest = max(recorded, key=lambda t: (t.final, t.version))
    return {
        "method": newest.speaker_method,
        "confidence": newest.speaker_confidence,
        "speaker_count": newest.speaker_count,
    }


def participant_names(context: Mapping[str, Any]) -> list[str]:
    """The names in ``context.participants``: strings, or objects with a ``name``
    (the role-aware form); anything else is skipped rather than refused."""
    raw = context.get("participants")
    if not isinstance(raw, list):
        return []
    names: list[str] = []
    for entry in raw:
        name = entry.get("name") if isinstance(entry, dict) else entry
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
    return names


def label_in_order(turns: Iterable[SpeakerTurn]) -> list[SpeakerTurn]:
    """Relabel turns ``S1``, ``S2`` … by who speaks first (labels are arbitrary cluster
    ids until then); the turns come back sorted by start."""
    ordered = sorted(turns, key=lambda t: (t.start_sec, t.end_sec))
    names: dict[str, str] = {}
    for turn in ordered:
        names.setdefault(turn.speaker, f"S{len(names) + 1}")
    return [SpeakerTurn(t.start_sec, t.end_sec, names[t.speaker]) for t in ordered]


def speaker_during(turns: Sequence[SpeakerTurn], start_sec: float, end_sec: float) -> str | None:
    """The speaker who overlaps ``[start, end]`` most; for a word in a pause between turns,
    the speaker of the nearest turn. None only without turns."""
    if not turns:
        return None
    overlap: dict[str, float] = {}
    for turn in turns:
        shared = min(end_sec, turn.end_sec) - max(start_sec, turn.start_sec)
        if shared > 0:
            overlap[turn.speaker] = overlap.get(turn.speaker, 0.0) + shared
    if overlap:
        # Ties go to the label that sorts first, so the answer never depends on turn order.
        return min(overlap, key=lambda speaker: (-overlap[speaker], speaker))
    middle = (start_sec + end_sec) / 2
    nearest = min(
        turns,
        key=lambda t: (max(t.start_sec - middle, middle - t.end_sec, 0.0), t.speaker),
    )
    return nearest.speaker


def split_by_turns(
    segments: Sequence[Segment], turns: Sequence[SpeakerTurn], *, id_prefix: str
) -> list[Segment]:
    """Segments re-attributed word by word to ``turns`` and split wherever the speaker
    changes, so no segment mixes two people. Words keep their order and timing; a segment
    without word timings takes the speaker of its whole span. Ids are renumbered
    ``<id_prefix>-<n>`` in order."""
    pieces: list[tuple[str | None, list[Word], Segment]] = []
    for segment in segments:
        if not segment["words"]:
            speaker = speaker_during(turns, segment["start_sec"], segment["end_sec"])
            pieces.append((speaker, [], segment))
            continue
        run_speaker: str | None = None
        run: list[Word] = []
        for word in segment["words"]:
            speaker = speaker_during(turns, word["start_sec"], word["end_sec"])
            if run and speaker != run_speaker:
                pieces.append((run_speaker, run, segment))
                run = []
            run_speaker = speaker
            run.append(word)
        pieces.append((run_speaker, run, segment))
    return [
        _piece(f"{id_prefix}-{index}", speaker, words, source)
        for index, (speaker, words, source) in enumerate(pieces)
    ]


def _piece(segment_id: str, speaker: str | None, words: list[Word], source: Segment) -> Segment:
    if len(words) == len(source["words"]):  # not split: only the speaker changes
        return {**source, "segment_id": segment_id, "speaker": speaker}
    start, end = words[0]["start_sec"], words[-1]["end_sec"]
    text = " ".join(w["word"].strip() for w in words if w["word"].strip())
    return {
        "segment_id": segment_id,
        "start_sec": start,
        "end_sec": max(end, start),
        "text": text,
        "speaker": speaker,
        "confidence": round(sum(w["probability"] for w in words) / len(words), 4),
        "words": list(words),
    }

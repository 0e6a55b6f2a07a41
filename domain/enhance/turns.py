"""Speaker turns: consecutive segments of one speaker, merged in timeline order.

Segments are ordered by ``start_sec`` (ties keep their given order); segments with blank
text are left out. A segment's ``speaker`` comes from the client's speaker hint; for
multichannel audio a speaker written ``channel:<n>`` is shown as ``channel_speakers[n]``
when that mapping names it.

Fallback when speakers are missing:

- no segment has a speaker: everything is said by one speaker labelled "Speaker 1", but a
  pause of 1.5 s or more between segments still starts a new turn (with the same label);
- some segments have one: a segment without a speaker belongs to the speaker before it,
  or, when nobody has spoken yet, to the first speaker after it.

Then consecutive segments of the same speaker form one turn, however long they pause.

Must not: change a segment's text beyond collapsing whitespace, or drop a segment that
says something.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from interview_analytics.domain.transcript import Segment

FALLBACK_SPEAKER = "Speaker 1"
PAUSE_STARTS_TURN_SEC = 1.5
_CHANNEL = re.compile(r"channel:(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class SpeakerTurn:
    speaker: str
    start_sec: float
    end_sec: float
    text: str  # the segments' texts joined by single spaces
    segment_ids: tuple[str, ...]


def speaker_turns(
    segments: Sequence[Segment], channel_speakers: Mapping[int, str] | None = None
) -> list[SpeakerTurn]:
    indexed = sorted(enumerate(segments), key=lambda pair: (pair[1]["start_sec"], pair[0]))
    spoken = [s for _, s in indexed if s["text"].strip()]
    labels = [_label(s["speaker"], channel_speakers) for s in spoken]
    known = [label for label in labels if label is not None]
    if not known:
        return _split_at_pauses(spoken)
    filled: list[str] = []
    for label in labels:
        filled.append(label if label is not None else (filled[-1] if filled else known[0]))
    groups: list[tuple[str, list[Segment]]] = []
    for label, seg in zip(filled, spoken, strict=True):
        if groups and groups[-1][0] == label:
            groups[-1][1].append(seg)
        else:
            groups.append((label, [seg]))
    return [_turn(label, group) for label, group in groups]


def _split_at_pauses(spoken: Sequence[Segment]) -> list[SpeakerTurn]:
    turns: list[list[Segment]] = []
    end = 0.0
    for seg in spoken:
        if turns and seg["start_sec"] - end < PAUSE_STARTS_TURN_SEC:
            turns[-1].append(seg)
            end = max(end, seg["end_sec"])
        else:
            turns.append([seg])
            end = seg["end_sec"]
    return [_turn(FALLBACK_SPEAKER, group) for group in turns]


def _label(speaker: str | None, channel_speakers: Mapping[int, str] | None) -> str | None:
    label = (speaker or "").strip()
    if not label:
        return None
    channel = _CHANNEL.fullmatch(label)
    if channel and channel_speakers is not None:
        mapped = channel_speakers.get(int(channel.group(1)), "").strip()
        return mapped or label
    return label


def _turn(speaker: str, group: Sequence[Segment]) -> SpeakerTurn:
    return SpeakerTurn(
        speaker=speaker,
        start_sec=min(s["start_sec"] for s in group),
        end_sec=max(s["end_sec"] for s in group),
        text=" ".join(" ".join(s["text"].split()) for s in group),
        segment_ids=tuple(s["segment_id"] for s in group),
    )

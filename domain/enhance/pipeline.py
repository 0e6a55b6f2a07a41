"""The enhancement step: transcript segments in, speaker turns and a readable text out.

For each speaker turn (see ``turns``): fillers are removed (``fillers``), then personal
data is masked when asked (``pii``; after fillers, so "8 912, um, 345 67 89" is one number),
then the text is tidied (``tidy``). ``raw_text`` keeps what was said, unmasked.

The readable text has one paragraph per turn, "Label: text", a long turn cut into
paragraphs of at most five sentences (the label on the first), paragraphs separated by a
blank line; a turn left with nothing to say (only fillers) keeps its place in ``turns``
but has no paragraph.

Must not: do I/O, read the clock or the environment; the same input always gives the
same output.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from interview_analytics.domain.enhance import pii
from interview_analytics.domain.enhance.fillers import remove_fillers
from interview_analytics.domain.enhance.tidy import paragraphs, tidy
from interview_analytics.domain.enhance.turns import speaker_turns
from interview_analytics.domain.transcript import Segment


@dataclass(frozen=True)
class Turn:
    speaker: str  # a display label, never None
    start_sec: float
    end_sec: float
    raw_text: str  # what was said (joined segment texts), unmasked
    text: str  # enhanced: fillers removed, tidied, PII masked if asked
    segment_ids: tuple[str, ...]


@dataclass(frozen=True)
class EnhancedTranscript:
    turns: tuple[Turn, ...]
    text: str  # what people read: "Label: text" paragraphs separated by a blank line
    pii_masked: bool
    pii_found: dict[str, int]  # kind -> how many were masked; empty when not masking

    def event_segments(self) -> list[dict[str, Any]]:
        """JSON-ready turns for the Meeting.Enhanced event: speaker, start_sec, end_sec,
        text, raw_text, segment_ids (list).

        ``raw_text`` is unmasked even when ``pii_masked``: it is what the Transcribed event
        already carries, so a reader that must not see personal data reads ``text``.
        """
        return [
            {
                "speaker": turn.speaker,
                "start_sec": turn.start_sec,
                "end_sec": turn.end_sec,
                "text": turn.text,
                "raw_text": turn.raw_text,
                "segment_ids": list(turn.segment_ids),
            }
            for turn in self.turns
        ]


def enhance(
    segments: Sequence[Segment],
    *,
    language: str,
    mask_pii: bool,
    channel_speakers: Mapping[int, str] | None = None,
) -> EnhancedTranscript:
    found: Counter[str] = Counter()
    turns: list[Turn] = []
    for turn in speaker_turns(segments, channel_speakers):
        text = remove_fillers(turn.text, language)
        if mask_pii:
            masked = pii.mask_pii(text)
            text = masked.text
            found.update(masked.found)
        turns.append(
            Turn(
                speaker=turn.speaker,
                start_sec=turn.start_sec,
                end_sec=turn.end_sec,
                raw_text=turn.text,
                text=tidy(text, language),
                segment_ids=turn.segment_ids,
            )
        )
    return EnhancedTranscript(
        turns=tuple(turns),
        text=readable_text(turns),
        pii_masked=mask_pii,
        pii_found=dict(sorted(found.items())),
    )


def readable_text(turns: Sequence[Turn]) -> str:
    blocks: list[str] = []
    for turn in turns:
        for index, paragraph in enumerate(paragraphs(turn.text)):
            blocks.append(f"{turn.speaker}: {paragraph}" if index == 0 else paragraph)
    return "\n\n".join(blocks)

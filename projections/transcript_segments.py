"""Rows of the ``transcript_segments`` table: the current transcript, segment by segment.

A row's identity is ``(meeting_id, transcription_version, segment_id)``. Its content is a
pure function of the meeting state: the segment as recognised, the text of the latest
enhancement's turn that contains it (mapped through the turn's ``segment_ids``), the name
shown for its speaker and its role from that turn (``speaker`` stays the transcript's
label; a ``SpeakersEdited`` renames through the enhancement that follows it), and
``version = max(transcription version, enhancement version)``. Because the aggregate
changes in place, the caller snapshots :func:`segment_view` of the state *before* the
events and :func:`segment_rows` compares it with the state after: changed or new segments
get a row, segments that stopped being current (drafts replaced by a wider draft or by the
final pass) get a tombstone (``is_deleted = 1``) at the newer meeting version, which
``FINAL`` hides. A tombstone for a row that was never inserted is harmless, so segments
superseded within one batch get one too: the rows are then the same however the events
were batched before (a projector that crashed after its insert and before its commit
sees the redelivered events in other batches).

Must not: do I/O or read the clock.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, NamedTuple

from interview_analytics.domain.results import Enhancement, Transcription
from interview_analytics.domain.speaker_roles import SegmentSpeaker, segment_speakers
from interview_analytics.domain.transcript import Segment
from interview_analytics.projections.folding import MeetingState
from interview_analytics.projections.meetings import dumps

TABLE = "transcript_segments"

SegmentKey = tuple[int, str]
"""(transcription_version, segment_id)"""


class SegmentChange(NamedTuple):
    """What can change in a current segment's row. The rest of the row is fixed by its
    transcription, which the state keeps for good."""

    enhanced_text: str
    version: int
    speaker: SegmentSpeaker


SegmentView = dict[SegmentKey, SegmentChange]


def segment_view(state: MeetingState | None) -> SegmentView:
    """The current segments of ``state`` and what their rows say that can change."""
    if state is None:
        return {}
    enhancement = state.meeting.latest_enhancement()
    enhanced = enhanced_texts(enhancement)
    enhanced_version = enhancement.version if enhancement is not None else 0
    current = state.current_transcriptions()
    speakers = segment_speakers(
        (segment for transcription in current for segment in transcription.segments),
        enhancement.segments if enhancement is not None else (),
    )
    return {
        (transcription.version, segment["segment_id"]): SegmentChange(
            enhanced.get(segment["segment_id"], ""),
            max(transcription.version, enhanced_version),
            speakers[segment["segment_id"]],
        )
        for transcription in current
        for segment in transcription.segments
    }


def segment_rows(
    before: Mapping[SegmentKey, SegmentChange],
    after: MeetingState,
    recorded: Collection[SegmentKey] = (),
) -> list[dict[str, Any]]:
    """Rows that take the table from ``before`` (a :func:`segment_view`) to ``after``:
    a row per new or changed segment, a tombstone per segment no longer current.

    ``recorded`` names the segments of transcriptions recorded in between: one that was
    superseded within the same batch also gets a tombstone, because an earlier projection
    of the same events, batched differently, may have inserted it as current.
    """
    current = segment_view(after)
    changed = {key for key, value in current.items() if before.get(key) != value}
    removed = {key for key in (*before, *recorded) if key not in current}
    if not changed and not removed:
        return []
    rows: list[dict[str, Any]] = []
    for transcription in after.meeting.results.transcriptions:
        for segment in transcription.segments:
            key = (transcription.version, segment["segment_id"])
            if key in changed:
                rows.append(segment_row(after, transcription, segment, current[key]))
            elif key in removed:
                gone = before.get(key) or SegmentChange(
                    "", after.version, SegmentSpeaker(segment["speaker"], None)
                )
                rows.append(
                    segment_row(
                        after, transcription, segment, gone._replace(version=after.version),
                        deleted=True,
                    )
                )  # fmt: skip
    return rows


def segment_row(
    state: MeetingState,
    transcription: Transcription,
    segment: Segment,
    change: SegmentChange,
    *,
    deleted: bool = False,
) -> dict[str, Any]:
    return {
        "meeting_id": state.meeting_id,
        "transcription_version": transcription.version,
        "segment_id": segment["segment_id"],
        "start_sec": float(segment["start_sec"]),
        "end_sec": float(segment["end_sec"]),
        "speaker": segment["speaker"],
        "speaker_name": change.speaker.name,
        "role": change.speaker.role,
        "raw_text": segment["text"],
        "enhanced_text": change.enhanced_text,
        "confidence": float(segment["confidence"]),
        "words_json": dumps(segment["words"]),
        "model": transcription.model,
        "language": transcription.language,
        "final": int(transcription.final),
        "version": change.version,
        "is_deleted": int(deleted),
    }


def enhanced_texts(enhancement: Enhancement | None) -> dict[str, str]:
    """segment_id → text of the enhanced turn that contains it."""
    if enhancement is None:
        return {}
    texts: dict[str, str] = {}
    for turn in enhancement.segments:
        for segment_id in turn.get("segment_ids") or ():
            texts[str(segment_id)] = str(turn.get("text") or "")
    return texts

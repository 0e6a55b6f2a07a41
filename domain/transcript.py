"""Transcript segments: their shape and the check every recorded segment passes.

A segment is a plain dict (it travels inside events and Avro records unchanged):
``segment_id``, ``start_sec``/``end_sec`` on the meeting's timeline, ``text``, ``speaker``
(or None), ``confidence`` (0..1) and ``words`` with their own timing and probability.

Must not: know about meetings or their results (``results.py`` builds on this module,
never the other way round).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

from interview_analytics.domain.errors import InvalidCommandError


class Word(TypedDict):
    word: str
    start_sec: float
    end_sec: float
    probability: float


class Segment(TypedDict):
    segment_id: str
    start_sec: float
    end_sec: float
    text: str
    speaker: str | None
    confidence: float
    words: list[Word]


_SEGMENT_KEYS = frozenset(Segment.__annotations__)
_WORD_KEYS = frozenset(Word.__annotations__)


def validate_segments(segments: Sequence[Segment]) -> None:
    """Refuse malformed segments before they become part of the permanent record."""
    seen: set[str] = set()
    for index, segment in enumerate(segments):
        if not isinstance(segment, dict) or set(segment) != _SEGMENT_KEYS:
            raise InvalidCommandError(
                f"segment {index} must have exactly the keys {sorted(_SEGMENT_KEYS)}"
            )
        if segment["segment_id"] in seen:
            raise InvalidCommandError(f"segment {index} repeats segment_id")
        seen.add(segment["segment_id"])
        if not 0 <= segment["start_sec"] <= segment["end_sec"]:
            raise InvalidCommandError(f"segment {index} needs 0 <= start_sec <= end_sec")
        for word in segment["words"]:
            if not isinstance(word, dict) or set(word) != _WORD_KEYS:
                raise InvalidCommandError(
                    f"words of segment {index} must have exactly the keys {sorted(_WORD_KEYS)}"
                )

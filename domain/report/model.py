"""The report's inputs and its evidence quotes.

A turn arrives as the JSON form the enhancer produces (``TurnDict``); ``read_turns`` checks
it, fills the optional keys and sorts the turns into one canonical order, so the report does
not depend on the order turns were handed in. Nothing here imports the enhancer.

Must not: import the enhancer; the turn's JSON form is all the two share.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

from interview_analytics.domain.report.text import excerpt

UNKNOWN_SPEAKER = "unknown"


class TurnDict(TypedDict):
    """One speaker turn as JSON (``raw_text`` defaults to ``text``, ``segment_ids`` to [])."""

    speaker: str
    start_sec: float
    end_sec: float
    text: str
    raw_text: NotRequired[str]
    segment_ids: NotRequired[list[str]]


class Quote(TypedDict):
    """Evidence: who said it, when (seconds on the meeting's timeline) and a short excerpt."""

    speaker: str
    start_sec: float
    end_sec: float
    quote: str


@dataclass(frozen=True, order=True)
class Turn:
    start_sec: float
    end_sec: float
    speaker: str
    text: str
    raw_text: str
    segment_ids: tuple[str, ...]

    @property
    def duration_sec(self) -> float:
        return self.end_sec - self.start_sec


def read_turns(turns: Sequence[Mapping[str, Any]]) -> list[Turn]:
    """Checked turns in time order (ties broken by every other field, so order is total)."""
    return sorted(_read_turn(index, turn) for index, turn in enumerate(turns))


def _read_turn(index: int, turn: Mapping[str, Any]) -> Turn:
    if not isinstance(turn, Mapping):
        raise ValueError(f"turn {index} must be a mapping, not {type(turn).__name__}")
    missing = [key for key in ("speaker", "start_sec", "end_sec", "text") if key not in turn]
    if missing:
        raise ValueError(f"turn {index} lacks {', '.join(missing)}")
    start, end = _seconds(index, turn, "start_sec"), _seconds(index, turn, "end_sec")
    if end < start:
        raise ValueError(f"turn {index} ends ({end}) before it starts ({start})")
    text = turn["text"]
    raw_text = turn.get("raw_text", text)
    if not isinstance(text, str) or not isinstance(raw_text, str):
        raise ValueError(f"turn {index}: text and raw_text must be strings")
    speaker = "" if turn["speaker"] is None else str(turn["speaker"]).strip()
    segment_ids = turn.get("segment_ids") or []
    return Turn(
        start_sec=start,
        end_sec=end,
        speaker=speaker or UNKNOWN_SPEAKER,
        text=text,
        raw_text=raw_text,
        segment_ids=tuple(str(segment_id) for segment_id in segment_ids),
    )


def _seconds(index: int, turn: Mapping[str, Any], key: str) -> float:
    value = turn[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"turn {index}: {key} must be a finite number, not {value!r}")
    if value < 0:
        raise ValueError(f"turn {index}: {key} must not be negative")
    return float(value)


def quote(turn: Turn, span: tuple[int, int] | None = None, *, raw: bool = False) -> Quote:
    """A quote from ``turn``'s enhanced text (or its raw text), around ``span`` if given."""
    return {
        "speaker": turn.speaker,
        "start_sec": seconds(turn.start_sec),
        "end_sec": seconds(turn.end_sec),
        "quote": excerpt(turn.raw_text if raw else turn.text, span),
    }


def seconds(value: float) -> float:
    return round(value, 2)


def share(value: float) -> float:
    return round(value, 3)

"""Small builders for test data: PCM audio, segments, commands."""

from __future__ import annotations

import math
import struct
import uuid
from typing import Any

from interview_analytics.domain.commands import ReceiveChunk, RecordTranscript, StartMeeting
from interview_analytics.domain.transcript import Segment


def unique_meeting_id(prefix: str = "mtg") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def pcm(
    seconds: float = 0.1, sample_rate: int = 16_000, channels: int = 1, tone: int = 440
) -> bytes:
    """A sine tone as signed 16-bit little-endian PCM: distinct tones, distinct bytes."""
    frames = int(seconds * sample_rate)
    samples = (
        int(8000 * math.sin(2 * math.pi * tone * i / sample_rate))
        for i in range(frames)
        for _ in range(channels)
    )
    return struct.pack(f"<{frames * channels}h", *samples)


def start(meeting_id: str, **overrides: Any) -> StartMeeting:
    return StartMeeting(
        meeting_id=meeting_id, language=overrides.pop("language", "en"), **overrides
    )


def chunk(meeting_id: str, seq: int, tone: int | None = None, **overrides: Any) -> ReceiveChunk:
    audio = overrides.pop("audio", None) or pcm(tone=tone if tone is not None else 200 + seq)
    return ReceiveChunk(meeting_id=meeting_id, seq=seq, audio=audio, **overrides)


def transcript(
    meeting_id: str, input_version: int, seqs: list[int], segments: list[Segment], **overrides: Any
) -> RecordTranscript:
    """A transcriber's result for the event at ``input_version``: a draft unless ``final``."""
    fields: dict[str, Any] = {
        "final": False,
        "model": "m",
        "language": "en",
        "audio_sec": 1.0,
        "processing_sec": 0.1,
        **overrides,
    }
    return RecordTranscript(
        meeting_id=meeting_id, input_version=input_version, seqs=seqs, segments=segments, **fields
    )


def segment(start_sec: float, end_sec: float, text: str, segment_id: str | None = None) -> Segment:
    return {
        "segment_id": segment_id or f"s{start_sec:.2f}",
        "start_sec": start_sec,
        "end_sec": end_sec,
        "text": text,
        "speaker": None,
        "confidence": 0.9,
        "words": [{"word": text, "start_sec": start_sec, "end_sec": end_sec, "probability": 0.9}],
    }

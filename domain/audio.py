"""Audio value objects and the claim-check rules for chunk blobs.

Events never carry audio: a chunk's bytes are stored as a blob and ``ChunkReceived`` keeps
the blob key, its sha256, length, format and duration. Decoding containers (WAV, FLAC,
OGG/Opus, MP3, WebM) is an adapter's job; raw PCM duration is arithmetic and lives here.

Must not: decode containers, or store and read blobs itself (``BlobStore`` is a port the
edges implement).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from interview_analytics.domain.errors import InvalidAudioError

PCM = "pcm"
"""Raw signed 16-bit little-endian interleaved samples."""

CONTAINER_CODECS = frozenset({"wav", "flac", "ogg", "opus", "mp3", "webm"})
SUPPORTED_CODECS = frozenset({PCM}) | CONTAINER_CODECS

MIN_SAMPLE_RATE = 8_000
MAX_SAMPLE_RATE = 192_000
MAX_CHANNELS = 2
PCM_SAMPLE_WIDTH = 2


@dataclass(frozen=True)
class AudioFormat:
    """What the client says the bytes are."""

    codec: str = PCM
    sample_rate: int = 16_000
    channels: int = 1

    def __post_init__(self) -> None:
        if self.codec not in SUPPORTED_CODECS:
            raise InvalidAudioError(
                f"codec must be one of {sorted(SUPPORTED_CODECS)}", codec=self.codec
            )
        if not MIN_SAMPLE_RATE <= self.sample_rate <= MAX_SAMPLE_RATE:
            raise InvalidAudioError(
                f"sample_rate must be between {MIN_SAMPLE_RATE} and {MAX_SAMPLE_RATE}",
                sample_rate=self.sample_rate,
            )
        if not 1 <= self.channels <= MAX_CHANNELS:
            raise InvalidAudioError(
                f"channels must be between 1 and {MAX_CHANNELS}", channels=self.channels
            )


def pcm_duration_sec(byte_length: int, audio_format: AudioFormat) -> float:
    """Duration of raw PCM; refuses empty or frame-misaligned data."""
    frame_bytes = PCM_SAMPLE_WIDTH * audio_format.channels
    if byte_length <= 0:
        raise InvalidAudioError("audio is empty", byte_length=byte_length)
    if byte_length % frame_bytes:
        raise InvalidAudioError(
            f"PCM length must be a multiple of {frame_bytes} bytes "
            f"(16-bit samples x {audio_format.channels} channel(s))",
            byte_length=byte_length,
        )
    return byte_length / frame_bytes / audio_format.sample_rate


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chunk_blob_key(meeting_id: str, seq: int, sha256: str, codec: str) -> str:
    """Content-addressed key: the same chunk always lands on the same key."""
    return f"meetings/{meeting_id}/chunks/{seq:010d}-{sha256}.{codec}"


class BlobStore(Protocol):
    """Where chunk audio lives (claim-check). Implementations must make ``put`` atomic and
    idempotent: writing the same key with the same bytes twice is harmless."""

    def put(self, key: str, data: bytes) -> None: ...

    def put_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        """Like ``put`` for each item; all are durable when it returns (one flush)."""
        ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

"""Audio decoding for speech recognition: raw PCM and containers through PyAV.

Every input becomes float32 samples at 16 kHz (what Whisper expects): one mono mix for
recognition and, for stereo input, the two channels separately so that speakers can be
told apart by channel. Failures are ``AudioDecodeError`` with a stable code
(``undecodable_audio`` or ``empty_audio``): the transcriber records them as a
``ChunkRejected`` event instead of crashing.

Must not: let a decoding error escape as anything but ``AudioDecodeError``, or read
blobs itself (the caller hands it the bytes).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
import numpy as np
import numpy.typing as npt

from interview_analytics.domain.audio import PCM

SAMPLE_RATE = 16_000
MAX_CHANNELS = 2

Samples = npt.NDArray[np.float32]


class AudioDecodeError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class DecodedAudio:
    channels: Samples
    """Shape (channels, samples), float32 in [-1, 1] at 16 kHz."""

    @property
    def mono(self) -> Samples:
        mixed: Samples = self.channels.mean(axis=0, dtype=np.float32)
        return mixed

    @property
    def channel_count(self) -> int:
        return int(self.channels.shape[0])

    @property
    def duration_sec(self) -> float:
        return float(self.channels.shape[1] / SAMPLE_RATE)


def decode(
    data: bytes, codec: str, sample_rate: int = SAMPLE_RATE, channels: int = 1
) -> DecodedAudio:
    """Decode one chunk. ``sample_rate`` and ``channels`` describe raw PCM only."""
    if not data:
        raise AudioDecodeError("empty_audio", "audio is empty")
    try:
        frames = (
            _pcm_frames(data, sample_rate, channels) if codec == PCM else _container_frames(data)
        )
        decoded = _resample(frames)
    except AudioDecodeError:
        raise
    except (av.FFmpegError, ValueError, IndexError) as error:
        raise AudioDecodeError(
            "undecodable_audio", f"cannot decode {codec} audio: {error}"
        ) from error
    if decoded.shape[1] == 0:
        raise AudioDecodeError("empty_audio", "audio decodes to no samples")
    return DecodedAudio(decoded)


def concatenate(parts: list[DecodedAudio]) -> DecodedAudio:
    """Chunks one after another; mono and stereo chunks mix to the larger channel count."""
    if not parts:
        return DecodedAudio(np.zeros((1, 0), dtype=np.float32))
    width = max(p.channel_count for p in parts)
    widened = [
        np.repeat(p.channels, width, axis=0) if p.channel_count < width else p.channels
        for p in parts
    ]
    return DecodedAudio(np.concatenate(widened, axis=1))


def _pcm_frames(data: bytes, sample_rate: int, channels: int) -> list[av.AudioFrame]:
    if len(data) % (2 * channels):
        raise AudioDecodeError("undecodable_audio", "PCM length is not whole 16-bit frames")
    interleaved = np.frombuffer(data, dtype="<i2").reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(
        interleaved, format="s16", layout="stereo" if channels == 2 else "mono"
    )
    frame.sample_rate = sample_rate
    return [frame]


def _container_frames(data: bytes) -> list[av.AudioFrame]:
    with av.open(io.BytesIO(data), mode="r") as container:
        if not container.streams.audio:
            raise AudioDecodeError("undecodable_audio", "container has no audio stream")
        return list(container.decode(container.streams.audio[0]))


def _resample(frames: list[av.AudioFrame]) -> Samples:
    if not frames:
        return np.zeros((1, 0), dtype=np.float32)
    channels = min(len(frames[0].layout.channels), MAX_CHANNELS)
    resampler = av.AudioResampler(
        format="fltp", layout="stereo" if channels == 2 else "mono", rate=SAMPLE_RATE
    )
    pieces = [out.to_ndarray() for frame in frames for out in resampler.resample(frame)]
    pieces += [out.to_ndarray() for out in resampler.resample(None)]  # flush
    if not pieces:
        return np.zeros((channels, 0), dtype=np.float32)
    return np.ascontiguousarray(np.concatenate(pieces, axis=1), dtype=np.float32)

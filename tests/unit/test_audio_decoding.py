"""Audio decoding: raw PCM at any rate, mono/stereo, and every container codec."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest

from interview_analytics.streams.audio import SAMPLE_RATE, AudioDecodeError, concatenate, decode

TONE = (np.sin(np.arange(48_000) * 2 * np.pi * 440 / 48_000) * 8000).astype(np.int16)


def encode(container: str, codec: str, rate: int = 48_000) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as output:
        stream = output.add_stream(codec, rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(TONE.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = 48_000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            output.mux(packet)
    return buffer.getvalue()


# Each chunk codec a client may name → the container and encoder that make such a file.
CONTAINERS = {
    "wav": ("wav", "pcm_s16le"),
    "flac": ("flac", "flac"),
    "ogg": ("ogg", "libopus"),
    "opus": ("ogg", "libopus"),
    "mp3": ("mp3", "mp3"),
    "webm": ("webm", "libopus"),
}


@pytest.mark.parametrize("codec", CONTAINERS)
def test_containers_decode_to_16k_mono(codec: str) -> None:
    decoded = decode(encode(*CONTAINERS[codec]), codec)
    assert decoded.channel_count == 1
    assert decoded.duration_sec == pytest.approx(1.0, abs=0.06)
    assert decoded.mono.dtype == np.float32
    assert 0.1 < float(np.abs(decoded.mono).max()) <= 1.0


@pytest.mark.parametrize("rate", [8_000, 16_000, 44_100, 48_000])
def test_pcm_at_any_rate_is_resampled(rate: int) -> None:
    pcm = np.zeros(rate // 2, dtype="<i2").tobytes()  # half a second
    decoded = decode(pcm, "pcm", rate, 1)
    assert decoded.duration_sec == pytest.approx(0.5, abs=0.01)


def test_stereo_pcm_keeps_both_channels() -> None:
    left = np.full(SAMPLE_RATE, 10_000, dtype="<i2")
    right = np.zeros(SAMPLE_RATE, dtype="<i2")
    interleaved = np.stack([left, right], axis=1).reshape(-1).tobytes()
    decoded = decode(interleaved, "pcm", SAMPLE_RATE, 2)
    assert decoded.channel_count == 2
    assert decoded.channels[0].mean() > 0.2
    assert abs(decoded.channels[1].mean()) < 0.01


@pytest.mark.parametrize(
    ("data", "codec", "code"),
    [
        (b"", "pcm", "empty_audio"),
        (b"definitely not audio" * 10, "ogg", "undecodable_audio"),
        (b"RIFF\x00\x00\x00\x00WAVE", "wav", "undecodable_audio"),
        (b"\x00\x00\x00", "pcm", "undecodable_audio"),
    ],
)
def test_bad_audio_fails_with_a_code(data: bytes, codec: str, code: str) -> None:
    with pytest.raises(AudioDecodeError) as error:
        decode(data, codec)
    assert error.value.code == code


def test_concatenation_widens_mono_next_to_stereo() -> None:
    mono = decode(np.zeros(1600, dtype="<i2").tobytes(), "pcm")
    stereo = decode(np.zeros(3200, dtype="<i2").tobytes(), "pcm", SAMPLE_RATE, 2)
    joined = concatenate([mono, stereo])
    assert joined.channel_count == 2
    assert joined.duration_sec == pytest.approx(0.2)

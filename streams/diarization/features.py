"""Frame features for model-free diarization: MFCCs every 10 ms and which frames are speech.

MFCCs (25 ms Hann window, 10 ms hop, 40 mel bands, cepstra 1..19: c0 is loudness, which
says more about the microphone than about the voice) with cepstral mean normalisation.
Speech frames come from faster-whisper's Silero VAD (the ONNX model ships inside its wheel,
nothing is downloaded), with an energy threshold as the fallback when it cannot run.

Must not: cluster or name speakers (``model_free.py`` does), or read files.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.fft import dct

SAMPLE_RATE = 16_000
FRAME_SEC = 0.01
WINDOW_SAMPLES = 400  # 25 ms
HOP_SAMPLES = 160  # 10 ms
FFT_SIZE = 512
MEL_BANDS = 40
CEPSTRA = 20

Floats = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]


def mfcc(samples: npt.NDArray[np.float32]) -> Floats:
    """(frames, CEPSTRA - 1) cepstra 1.. of 16 kHz mono samples, mean-normalised."""
    frames = _frames(samples.astype(np.float64))
    if len(frames) == 0:
        return np.zeros((0, CEPSTRA - 1))
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(WINDOW_SAMPLES), FFT_SIZE)) ** 2
    energies = np.log(spectrum @ _mel_filters().T + 1e-10)
    cepstra = dct(energies, type=2, axis=1, norm="ortho")[:, 1:CEPSTRA]
    normalised: Floats = cepstra - cepstra.mean(axis=0)
    return normalised


def speech_mask(samples: npt.NDArray[np.float32], frame_count: int) -> Mask:
    """True for the frames (10 ms) that hold speech."""
    try:
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        options = VadOptions(min_silence_duration_ms=250, speech_pad_ms=30)
        spans = get_speech_timestamps(samples.astype(np.float32), options)
    except Exception:  # the VAD is an optional nicety; energy still works
        return _energy_mask(samples, frame_count)
    mask = np.zeros(frame_count, dtype=bool)
    for span in spans:
        mask[int(span["start"]) // HOP_SAMPLES : int(span["end"]) // HOP_SAMPLES + 1] = True
    return mask


def _energy_mask(samples: npt.NDArray[np.float32], frame_count: int) -> Mask:
    frames = _frames(samples.astype(np.float64))[:frame_count]
    if len(frames) == 0:
        return np.zeros(frame_count, dtype=bool)
    loudness = 10 * np.log10((frames**2).mean(axis=1) + 1e-12)
    # Speech is well above the quiet floor; 30 dB below the loud end is pause or noise.
    threshold = max(np.percentile(loudness, 10) + 12, loudness.max() - 30)
    mask = np.zeros(frame_count, dtype=bool)
    mask[: len(frames)] = loudness > threshold
    return mask


def _frames(samples: Floats) -> Floats:
    if len(samples) < WINDOW_SAMPLES:
        return np.zeros((0, WINDOW_SAMPLES))
    count = 1 + (len(samples) - WINDOW_SAMPLES) // HOP_SAMPLES
    index = np.arange(WINDOW_SAMPLES)[None, :] + HOP_SAMPLES * np.arange(count)[:, None]
    framed: Floats = samples[index]
    return framed


def _mel_filters() -> Floats:
    def to_mel(hz: Floats) -> Floats:
        mel: Floats = 2595 * np.log10(1 + hz / 700)
        return mel

    edges_mel = np.linspace(
        to_mel(np.array(20.0)), to_mel(np.array(SAMPLE_RATE / 2)), MEL_BANDS + 2
    )
    edges_hz = 700 * (10 ** (edges_mel / 2595) - 1)
    bins = np.floor((FFT_SIZE + 1) * edges_hz / SAMPLE_RATE).astype(int)
    filters = np.zeros((MEL_BANDS, FFT_SIZE // 2 + 1))
    for band in range(MEL_BANDS):
        left, centre, right = bins[band], bins[band + 1], max(bins[band + 2], bins[band + 1] + 1)
        centre = max(centre, left + 1)
        filters[band, left:centre] = (np.arange(left, centre) - left) / (centre - left)
        filters[band, centre:right] = (right - np.arange(centre, right)) / (right - centre)
    return filters

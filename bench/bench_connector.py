"""The SberJazz connector under load: many live sessions pulled by one worker.

N meetings are started and joined against the simulated platform (its own uvicorn server,
playing a tone file faster than real time so that audio is always waiting), then the
session manager's live pull pass (what the reconciler's timer runs) is called until every
session has all the audio. Measured: live chunks recorded per second (each pull saves
chunks + cursor in one event-store transaction), the latency of one pull pass over all
sessions, and of one reconciliation pass. The read model the passes list sessions from is
chDB, projected between passes.

    .venv/bin/python bench/bench_connector.py --sessions 50 --seconds 30

Must not: talk to a real platform (only the simulator), or assert timings.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

import uvicorn
from prometheus_client import CollectorRegistry

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._support import (
    build_meetings,
    ms,
    pcm_audio,
    percentile,
    print_table,
    rate,
    temporary_store,
)
from interview_analytics.connectors.sberjazz.client import (
    SberJazzClient,
    SberJazzConfig,
)
from interview_analytics.connectors.sberjazz.metrics import ConnectorMetrics
from interview_analytics.connectors.sberjazz.sessions import (
    SessionManager,
    SessionPolicy,
)
from interview_analytics.connectors.sberjazz.simulator import SberJazzSimulator
from interview_analytics.domain.commands import StartMeeting
from interview_analytics.ops.embedded import free_port
from interview_analytics.projections.projector import ProjectionWriter, Projector
from interview_analytics.projections.queries import Queries
from interview_analytics.projections.replay import stored_events
from interview_analytics.projections.store import ReadStore


def tone_wav(path: Path, seconds: int) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16_000)
        wav.writeframes(pcm_audio(32_000 * seconds))
    return path


async def run(sessions: int, seconds: int, pull_limit: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, temporary_store("sqlite") as store:
        sim = SberJazzSimulator(
            [(tone_wav(Path(tmp) / "tone.wav", seconds), "speaker")], speed=1000
        )
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(sim.app(), host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.02)
        meetings = build_meetings(store)
        read_store = ReadStore.connect(f"chdb:///{tmp}/clickhouse")
        read_store.migrate()
        projector, writer, position = Projector(), ProjectionWriter(read_store), 0

        def project() -> None:
            nonlocal position
            batch = list(stored_events(meetings, start=position + 1))
            if batch:
                writer.write(projector.project(batch))
                position = max(n for n, _ in batch if n is not None)

        client = SberJazzClient(SberJazzConfig(f"http://127.0.0.1:{port}", "", retries=0))
        manager = SessionManager(
            meetings,
            client,
            Queries(read_store),
            ConnectorMetrics(CollectorRegistry()),
            SessionPolicy(stale_after_sec=600, pull_limit=pull_limit),
        )
        ids = [f"bench-live-{i:04d}" for i in range(sessions)]
        started = time.perf_counter()
        for meeting_id in ids:
            meetings.start(StartMeeting(meeting_id, language="en"))
            await manager.join(meeting_id)
        join_sec = time.perf_counter() - started
        project()
        await asyncio.sleep(seconds / 1000 + 0.1)  # the platform has played everything

        total = sessions * len(sim.chunks)
        pass_sec: list[float] = []
        recorded = 0
        started = time.perf_counter()
        while recorded < total:
            begin = time.perf_counter()
            recorded += await manager.pull_all()
            pass_sec.append(time.perf_counter() - begin)
            assert len(pass_sec) < 10_000, "live audio did not arrive"
        pull_sec = time.perf_counter() - started
        project()
        reconcile_sec = []
        for _ in range(5):
            begin = time.perf_counter()
            result = await manager.reconcile(limit=500)
            reconcile_sec.append(time.perf_counter() - begin)
        assert result.scanned == sessions
        await client.aclose()
        meetings.close()
        read_store.close()
        server.should_exit = True
        thread.join(timeout=10)

    print_table(
        f"{sessions} live sessions × {len(sim.chunks)} one-second chunks, pull limit {pull_limit}",
        ["measure", "value"],
        [
            ["joins (start + platform join + 3 events), per second", rate(sessions, join_sec)],
            ["live chunks recorded per second", rate(total, pull_sec)],
            ["pull passes", len(pass_sec)],
            ["pull pass p50", ms(percentile(pass_sec, 50))],
            ["pull pass p99", ms(percentile(pass_sec, 99))],
            ["reconcile pass p50 (all sessions healthy)", ms(percentile(reconcile_sec, 50))],
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=30, help="audio per session")
    parser.add_argument("--pull-limit", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(run(args.sessions, args.seconds, args.pull_limit))


if __name__ == "__main__":
    main()

"""Read side on chDB: projection throughput and query latency at 10k meetings (printed).

    .venv/bin/python bench/bench_read_side.py [--meetings 10000] [--chunks 10]
                                              [--queries 2000] [--kafka-events 20000]

1. **Projection, in process**: the live projector's fold + insert path
   (``Projector`` + ``ProjectionWriter``) in batches of ``PROJECTOR_BATCH_SIZE`` (2,000).
2. **Projection through Kafka**: the same events Avro-encoded on ``meeting-events`` of an
   embedded broker, consumed by the projector's Faust agent (``BatchingAgent``, acked after
   insert); events/s from the agent's start to the last batch written.
3. **Queries at ``--meetings`` meetings**: ``get_meeting`` for random ids and
   ``list_meetings`` (first page, filtered page, a page by cursor), p50/p99 in ms.

Must not: assert timings (printed only).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test-support scenario builders

from aiokafka import AIOKafkaProducer

from bench._support import ms, percentile, print_table
from interview_analytics.domain.read_filters import MeetingFilter
from interview_analytics.ops.embedded import EmbeddedBroker
from interview_analytics.projections.agent import (
    BatchingAgent,
    BatchSettings,
    BatchWritten,
    MeetingEventsProjection,
    install_projection_agent,
)
from interview_analytics.projections.projector import Notified, ProjectionWriter, Projector
from interview_analytics.projections.queries import Queries
from interview_analytics.projections.store import ReadStore
from interview_analytics.streams.app import FaustSettings, create_app
from interview_analytics.streams.contract import MEETING_EVENTS, EventCodec
from interview_analytics.streams.topics import TopicSpec, ensure_topics
from tests.conformance.read_store.scenario import synthetic_events

BATCH = 2_000


def project_in_process(store: ReadStore, events: list[Notified]) -> float:
    projector, writer = Projector(), ProjectionWriter(store)
    started = time.perf_counter()
    for i in range(0, len(events), BATCH):
        writer.write(projector.project(events[i : i + BATCH]))
    return time.perf_counter() - started


async def project_through_kafka(store: ReadStore, events: list[Notified], data_dir: Path) -> float:
    codec = EventCodec()
    with EmbeddedBroker(port=0, log_path=data_dir / "tansu.log") as broker:
        servers = broker.bootstrap_servers
        await ensure_topics(servers, [TopicSpec(MEETING_EVENTS, 1, 1)])
        producer = AIOKafkaProducer(
            bootstrap_servers=servers, enable_idempotence=False, linger_ms=5
        )
        await producer.start()
        try:
            for notification_id, event in events:
                message = codec.message(event, notification_id or 0)
                await producer.send(
                    MEETING_EVENTS, message.value, key=message.key, headers=message.headers
                )
            await producer.flush()
        finally:
            await producer.stop()

        done = asyncio.Event()
        written = 0
        first = 0.0

        def on_written(batch: BatchWritten) -> None:
            nonlocal written, first
            first = first or time.perf_counter() - batch.seconds
            written += batch.events
            if written >= len(events):
                done.set()

        app = create_app(
            "bench-projector",
            FaustSettings(servers, data_dir, 30.0, 30.0, 5.0, 1.0),
        )
        agent = BatchingAgent(
            MeetingEventsProjection(Projector()),
            ProjectionWriter(store),
            BatchSettings(max_events=BATCH, max_wait_sec=0.25),
            on_written,
        )
        install_projection_agent(app, agent)
        await app.start()
        try:
            await asyncio.wait_for(done.wait(), timeout=600)
            return time.perf_counter() - first
        finally:
            await app.stop()


def query_latencies(store: ReadStore, meetings: int, count: int) -> list[list[object]]:
    queries = Queries(store)
    ids = [f"bench-{random.randrange(meetings):05d}" for _ in range(count)]
    rows = []

    def timed(name: str, call: object, n: int) -> None:
        samples = []
        for i in range(n):
            started = time.perf_counter()
            call(i)  # type: ignore[operator]
            samples.append(time.perf_counter() - started)
        rows.append([name, n, ms(percentile(samples, 50)), ms(percentile(samples, 99))])

    timed("get_meeting", lambda i: queries.get_meeting(ids[i]), count)
    timed("list_meetings (first page of 50)", lambda i: queries.list_meetings(), count // 4)
    timed(
        "list_meetings (status + language)",
        lambda i: queries.list_meetings(MeetingFilter(status="queued", language="en")),
        count // 4,
    )
    cursor = queries.list_meetings(MeetingFilter(limit=50)).next_cursor
    timed(
        "list_meetings (next page)",
        lambda i: queries.list_meetings(MeetingFilter(cursor=cursor)),
        count // 4,
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--meetings", type=int, default=10_000)
    parser.add_argument("--chunks", type=int, default=10)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--kafka-events", type=int, default=20_000)
    args = parser.parse_args()

    events = synthetic_events(args.meetings, args.chunks, transcribe_every=5)
    print(f"{len(events)} events for {args.meetings} meetings ({args.chunks} chunks each)")
    results = []
    with tempfile.TemporaryDirectory() as directory:
        store = ReadStore.connect(f"chdb://{directory}/ch")
        try:
            store.migrate()
            seconds = project_in_process(store, events)
            results.append(
                ["fold + insert, in process", len(events), f"{len(events) / seconds:,.0f}"]
            )
            latencies = query_latencies(store, args.meetings, args.queries)

            store.drop_database()
            store = ReadStore.connect(f"chdb://{directory}/ch")
            store.migrate()
            subset = events[: args.kafka_events]
            seconds = asyncio.run(project_through_kafka(store, subset, Path(directory)))
            results.append(
                ["Kafka → Faust agent → insert", len(subset), f"{len(subset) / seconds:,.0f}"]
            )
        finally:
            store.close()
    print_table("Projection throughput", ["path", "events", "events/s"], results)
    print_table(
        f"Query latency at {args.meetings} meetings", ["query", "calls", "p50", "p99"], latencies
    )


if __name__ == "__main__":
    main()

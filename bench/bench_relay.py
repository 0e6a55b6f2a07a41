"""Relay throughput: event store → embedded Kafka-compatible broker (Tansu).

What is measured, per backend (SQLite file, PostgreSQL schema) and per ``RELAY_BATCH_SIZE``,
each run with a fresh broker:

* ``end-to-end``: ``--writers`` threads start meetings and call
  ``Meetings.receive_chunk`` (``--events`` events in all, ``StartMeeting`` events
  included), while the relay runs on the asyncio loop of the same process
  (``publish_available`` in a loop, sleeping ``RELAY_POLL_INTERVAL_SEC`` when idle). The
  clock runs from the first append until the relay's position reaches the last
  notification id: events/s "appended and relayed". ``lag`` is how long after the last
  append the relay caught up. Each run gets a fresh store.
* ``relay only``: a store pre-filled with ``--relay-events`` events (written fast with
  ``Application.save``, not timed) is drained to the broker; the clock runs from the
  first ``publish_available`` until the position reaches the head (``relay.start()``, i.e.
  connecting and creating topics, is not timed). The store is shared between batch sizes:
  a fresh broker has a new cluster id, so the relay starts again from notification 1.

``--writer-mode group-commit`` (use many ``--writers``, e.g. 32, as concurrent API
requests would be): every writer calls ``GroupCommitter.receive_chunk`` (``ops/group_commit.py``);
calls that arrive together are committed in one transaction with one blob flush.

After every run the ``meeting-events`` topic is read back from the beginning and the
distinct (meeting id, version) pairs are counted: "on topic" must equal the events
appended, or the run is reported as MISSING.

Run:  .venv/bin/python bench/bench_relay.py [--backends sqlite,postgres]
      [--batch-sizes 100,500,2000] [--events N] [--relay-events N] [--runs end-to-end]
      [--writer-mode group-commit --writers 32]

Must not: assert timings (printed only); it fails only when an event is missing on the
topic.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import _support as support

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.commands import ReceiveChunk, StartMeeting
from interview_analytics.domain.lifecycle import StartSettings
from interview_analytics.domain.meeting import Meeting
from interview_analytics.ops.embedded import EmbeddedBroker
from interview_analytics.ops.group_commit import GroupCommitter
from interview_analytics.ops.settings import Settings
from interview_analytics.ops.wiring import build_relay
from interview_analytics.streams.contract import MEETING_EVENTS, header
from interview_analytics.streams.contract.codec import MEETING_ID_HEADER, VERSION_HEADER
from interview_analytics.streams.relay import Relay
from interview_analytics.streams.topics import polls_from_beginning

HEADERS = [
    "backend",
    "run",
    "batch",
    "events",
    "seconds",
    "events/s",
    "lag s",
    "mean batch ms",
    "on topic",
    "check",
]


@dataclass
class Result:
    backend: str
    run: str
    batch_size: int
    events: int
    seconds: float
    lag: float | None
    mean_batch_sec: float | None
    on_topic: int

    def row(self) -> list[object]:
        return [
            self.backend,
            self.run,
            self.batch_size,
            self.events,
            f"{self.seconds:.2f}",
            support.rate(self.events, self.seconds),
            "-" if self.lag is None else f"{self.lag:.2f}",
            "-" if self.mean_batch_sec is None else support.ms(self.mean_batch_sec),
            self.on_topic,
            "ok" if self.on_topic == self.events else "MISSING",
        ]


def relay_settings(store: support.Store, bootstrap_servers: str, batch_size: int) -> Settings:
    return Settings.from_env(
        {
            "DATA_DIR": str(store.data_dir),
            "EVENT_STORE_URL": store.url,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers,
            "RELAY_BATCH_SIZE": str(batch_size),
        }
    )


async def count_on_topic(
    bootstrap_servers: str, expected: int, timeout_sec: float = 60.0, settle_sec: float = 0.5
) -> int:
    """Distinct (meeting id, version) pairs on meeting-events, read from the beginning.

    Like ``tests/kafka_helpers.read_topic`` but without decoding the Avro bodies; end
    offsets are not used because Tansu reports them wrongly for multi-record batches.
    """
    seen: set[tuple[str | None, str | None]] = set()
    deadline = time.monotonic() + timeout_sec
    last_arrival = time.monotonic()
    polls = polls_from_beginning(
        bootstrap_servers,
        MEETING_EVENTS,
        poll_ms=200,
        max_records=10_000,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    async with contextlib.aclosing(polls):
        async for messages in polls:
            for message in messages:
                headers = message.headers
                seen.add((header(headers, MEETING_ID_HEADER), header(headers, VERSION_HEADER)))
                last_arrival = time.monotonic()
            settled = time.monotonic() - last_arrival > settle_sec
            if time.monotonic() >= deadline or (len(seen) >= expected and settled):
                break
    return len(seen)


def mean_batch_seconds(relay: Relay) -> float | None:
    """Mean time per batch: read from the store → broker acknowledged → position saved."""
    stats = relay.stats
    return stats.batch_seconds_total / stats.batches_total if stats.batches_total else None


async def drain(relay: Relay, head: int, poll_interval_sec: float) -> None:
    while relay.stats.position < head:
        if not await relay.publish_available():
            await asyncio.sleep(poll_interval_sec)


# ---------------------------------------------------------------------- end to end


def plan_meetings(events: int, writers: int, per_meeting: int) -> list[list[int]]:
    """Chunk counts of each writer's meetings, so that Started + chunks == ``events``."""
    meetings = max(writers, round(events / (per_meeting + 1)))
    chunk_counts = support.split(events - meetings, meetings)
    return [chunk_counts[i::writers] for i in range(writers)]


@dataclass(frozen=True)
class WriterOptions:
    committer: GroupCommitter | None
    """The shared group committer (``--writer-mode group-commit`` only)."""


def write_meetings(
    app: Meetings,
    chunk_counts: list[int],
    audio: bytes,
    receive_chunk: Callable[[ReceiveChunk], object],
) -> None:
    """One ``StartMeeting`` per meeting, then ``receive_chunk`` for each of its chunks."""
    for count in chunk_counts:
        mid = support.meeting_id()
        app.start(StartMeeting(meeting_id=mid, language="en"))
        for seq in range(count):
            receive_chunk(ReceiveChunk(meeting_id=mid, seq=seq, audio=audio))


def command_writer(
    app: Meetings, chunk_counts: list[int], audio: bytes, _options: WriterOptions
) -> None:
    """The product path: ``Meetings.receive_chunk`` per chunk."""
    write_meetings(app, chunk_counts, audio, app.receive_chunk)


def group_commit_writer(
    app: Meetings, chunk_counts: list[int], audio: bytes, options: WriterOptions
) -> None:
    """The product's group commit (``ops/group_commit.py``): every writer thread calls
    ``GroupCommitter.receive_chunk``; calls that arrive together share one transaction
    and one blob flush."""
    assert options.committer is not None
    write_meetings(app, chunk_counts, audio, options.committer.receive_chunk)


WRITERS: dict[str, Callable[[Meetings, list[int], bytes, WriterOptions], None]] = {
    "command": command_writer,
    "group-commit": group_commit_writer,
}


@dataclass(frozen=True)
class Workload:
    """What the writers store: ``events`` in all, by ``writers`` threads, ``per_meeting``
    chunks each, one command at a time or through the group committer."""

    events: int
    writers: int
    writer_mode: str
    per_meeting: int


async def end_to_end(
    backend: str,
    workload: Workload,
    *,
    postgres_url: str,
    batch_size: int,
    audio: bytes,
    extra_env: Mapping[str, str],
) -> Result:
    events, writers, writer_mode = workload.events, workload.writers, workload.writer_mode
    plans = plan_meetings(events, writers, workload.per_meeting)
    write = WRITERS[writer_mode]
    with (
        support.temporary_store(backend, postgres_url) as store,
        EmbeddedBroker(log_path=store.data_dir / "tansu.log") as broker,
    ):
        settings = relay_settings(store, broker.bootstrap_servers, batch_size)
        app = support.build_meetings(store, extra_env)
        committer = GroupCommitter(app) if writer_mode == "group-commit" else None
        options = WriterOptions(committer)
        relay = build_relay(settings, app, broker.bootstrap_servers)
        await relay.start()
        try:
            errors: list[BaseException] = []
            barrier = threading.Barrier(writers + 1)

            def writer(index: int) -> None:
                barrier.wait()
                try:
                    write(app, plans[index], audio, options)
                except BaseException as error:
                    errors.append(error)
                    raise

            threads = [
                threading.Thread(target=writer, args=(i,), name=f"writer-{i}")
                for i in range(writers)
            ]
            for thread in threads:
                thread.start()
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, barrier.wait)
            started = time.perf_counter()
            while any(thread.is_alive() for thread in threads):
                if not await relay.publish_available():
                    await asyncio.sleep(settings.relay_poll_interval_sec)
            writers_done = time.perf_counter()
            if errors:
                raise RuntimeError(f"{len(errors)} writer(s) failed") from errors[0]
            head = await loop.run_in_executor(None, app.recorder.max_notification_id) or 0
            await drain(relay, head, settings.relay_poll_interval_sec)
            finished = time.perf_counter()
            mean_batch = mean_batch_seconds(relay)
        finally:
            if committer is not None:
                committer.close()
            await relay.stop()
            app.close()
        on_topic = await count_on_topic(broker.bootstrap_servers, head)
    label = "end-to-end" if writer_mode == "command" else "e2e group commit"
    return Result(
        backend,
        f"{label} x{writers}",
        batch_size,
        head,
        finished - started,
        finished - writers_done,
        mean_batch,
        on_topic,
    )


# ---------------------------------------------------------------------- relay only


def prefill(app: Meetings, events: int, per_meeting: int, audio: bytes) -> int:
    """Append exactly ``events`` events fast: ``save()`` of 20 in-memory meetings a call."""
    chunk = support.chunk_fields(audio)
    [chunk_counts] = plan_meetings(events, 1, per_meeting)
    group = 20
    for first in range(0, len(chunk_counts), group):
        counts = chunk_counts[first : first + group]
        meetings = [
            Meeting.start(support.meeting_id(), StartSettings(language="en")) for _ in counts
        ]
        app.save(*meetings)
        for seq in range(max(counts)):
            active = [m for m, count in zip(meetings, counts, strict=True) if seq < count]
            for meeting in active:
                meeting.receive_chunk(seq=seq, **chunk)
            app.save(*active)
    return app.recorder.max_notification_id() or 0


async def relay_only(store: support.Store, app: Meetings, head: int, *, batch_size: int) -> Result:
    with EmbeddedBroker(log_path=store.data_dir / "tansu.log") as broker:
        settings = relay_settings(store, broker.bootstrap_servers, batch_size)
        relay = build_relay(settings, app, broker.bootstrap_servers)
        await relay.start()
        try:
            started = time.perf_counter()
            await drain(relay, head, settings.relay_poll_interval_sec)
            finished = time.perf_counter()
            mean_batch = mean_batch_seconds(relay)
        finally:
            await relay.stop()
        on_topic = await count_on_topic(broker.bootstrap_servers, head)
    return Result(
        store.backend,
        "relay only",
        batch_size,
        head,
        finished - started,
        None,
        mean_batch,
        on_topic,
    )


# ---------------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    support.add_store_arguments(
        parser, env_help="extra eventsourcing setting for the writers' Meetings (what-if runs)"
    )
    parser.add_argument(
        "--batch-sizes", default="100,500,2000", help="RELAY_BATCH_SIZE values, comma-separated"
    )
    parser.add_argument(
        "--events", type=int, default=2000, help="events appended per end-to-end run"
    )
    parser.add_argument("--writers", type=int, default=4, help="writer threads end to end")
    parser.add_argument(
        "--writer-mode",
        choices=sorted(WRITERS),
        default="command",
        help="command: Meetings.receive_chunk per call; group-commit: GroupCommitter",
    )
    parser.add_argument(
        "--relay-events", type=int, default=20_000, help="pre-filled events for relay-only runs"
    )
    parser.add_argument(
        "--chunks-per-meeting", type=int, default=100, help="ChunkReceived per meeting"
    )
    parser.add_argument(
        "--runs", default="end-to-end,relay-only", help="comma-separated subset of both"
    )
    return parser.parse_args()


async def main() -> None:
    args = parse_args()
    backends = support.usable_backends(args.backends, args.postgres_url)
    batch_sizes = [int(b) for b in args.batch_sizes.split(",") if b.strip()]
    runs = {r.strip() for r in args.runs.split(",") if r.strip()}
    if runs - {"end-to-end", "relay-only"}:
        raise SystemExit("--runs takes end-to-end and/or relay-only")
    extra_env = support.parse_env_pairs(args.env)
    if min(args.writers, args.chunks_per_meeting) < 1 or not batch_sizes:
        raise SystemExit("--writers, --chunks-per-meeting and --batch-sizes must be >= 1")
    if args.events < 2 * args.writers or args.relay_events < 2:
        raise SystemExit("--events must be >= 2 x --writers and --relay-events >= 2")
    audio = support.pcm_audio(args.chunk_bytes)
    workload = Workload(args.events, args.writers, args.writer_mode, args.chunks_per_meeting)

    print(
        f"bench_relay: events={args.events} writers={args.writers} "
        f"writer_mode={args.writer_mode} "
        f"relay_events={args.relay_events} batch_sizes={batch_sizes} "
        f"chunks_per_meeting={args.chunks_per_meeting} chunk_bytes={args.chunk_bytes} "
        f"env={extra_env or '{}'}",
        flush=True,
    )
    results: list[Result] = []

    def report(result: Result) -> None:
        results.append(result)
        print("  " + " | ".join(str(c) for c in result.row()), flush=True)

    for backend in backends:
        if "end-to-end" in runs:
            for batch_size in batch_sizes:
                result = await end_to_end(
                    backend,
                    workload,
                    postgres_url=args.postgres_url,
                    batch_size=batch_size,
                    audio=audio,
                    extra_env=extra_env,
                )
                report(result)
        if "relay-only" in runs:
            with support.temporary_store(backend, args.postgres_url) as store:
                app = support.build_meetings(store, extra_env)
                try:
                    filling = time.perf_counter()
                    head = prefill(app, args.relay_events, args.chunks_per_meeting, audio)
                    print(
                        f"  {backend}: pre-filled {head} events in "
                        f"{time.perf_counter() - filling:.1f} s",
                        flush=True,
                    )
                    for batch_size in batch_sizes:
                        report(await relay_only(store, app, head, batch_size=batch_size))
                finally:
                    app.close()

    support.print_table(
        "Relay: appended and relayed (end-to-end), relay only", HEADERS, [r.row() for r in results]
    )
    missing = [r for r in results if r.on_topic != r.events]
    if missing:
        raise SystemExit(f"{len(missing)} run(s) did not find every event on the topic")


if __name__ == "__main__":
    asyncio.run(main())

"""Event-store append throughput and latency of the write side (``Meetings``).

What is measured, per backend (SQLite file, PostgreSQL schema), each in a fresh store:

* ``receive_chunk x1``: one writer thread calls ``Meetings.receive_chunk`` over and over,
  the real command path: load the meeting (replay its events), run the command, write
  the audio blob (fsync'd file), append one ``ChunkReceived``. Meetings are started
  before the clock starts and hold ``--chunks-per-meeting`` chunks each at the end.
* ``receive_chunk xT``: the same with ``--threads`` writer threads sharing one
  ``Meetings``, each on its own meetings.
* ``save() 1 agg``: the store alone: meetings kept in memory, one ``ChunkReceived``
  triggered on one aggregate and ``app.save(meeting)`` called (no reload, no blob).
* ``save() B aggs``: ``app.save(*aggregates)`` with ``--batch-aggregates`` aggregates,
  one new event each, so that one call (one transaction) appends B events.
* Append latency against meeting length: one meeting receives ``--long-meeting-chunks``
  chunks; the latency of ``receive_chunk`` is reported per fifth of the meeting, which
  shows the cost of replaying a growing stream on every command.

events/s counts ``ChunkReceived`` events appended; p50/p99 are per call (per append for
``receive_chunk``, per ``save()`` for the batch rows).

Run:  .venv/bin/python bench/bench_event_store.py [--backends sqlite,postgres] [--events N]
      [--scenarios writer,writers,save,save-batch,length] [--env KEY=VALUE ...]

Must not: assert timings (printed only), or keep the stores it made.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from _support import (
    Store,
    add_store_arguments,
    build_meetings,
    chunk_fields,
    meeting_id,
    ms,
    parse_env_pairs,
    pcm_audio,
    percentile,
    print_table,
    rate,
    split,
    temporary_store,
    usable_backends,
)

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.commands import ReceiveChunk, StartMeeting
from interview_analytics.domain.lifecycle import StartSettings
from interview_analytics.domain.meeting import Meeting


@dataclass
class Result:
    backend: str
    scenario: str
    events: int
    seconds: float
    latencies: list[float]
    events_per_call: int = 1

    def row(self) -> list[object]:
        return [
            self.backend,
            self.scenario,
            self.events,
            f"{self.seconds:.2f}",
            rate(self.events, self.seconds),
            ms(percentile(self.latencies, 50)),
            ms(percentile(self.latencies, 99)),
            self.events_per_call,
        ]


SCENARIOS = ("writer", "writers", "save", "save-batch", "length")
HEADERS = ["backend", "scenario", "events", "seconds", "events/s", "p50 ms", "p99 ms", "ev/call"]


# ---------------------------------------------------------------------- receive_chunk


def start_meetings(app: Meetings, count: int) -> list[str]:
    ids = [meeting_id() for _ in range(count)]
    for mid in ids:
        app.start(StartMeeting(meeting_id=mid, language="en"))
    return ids


def append_chunks(
    app: Meetings, meetings: list[str], per_meeting: int, audio: bytes, latencies: list[float]
) -> None:
    """Fill each meeting with ``per_meeting`` chunks, meeting after meeting."""
    for mid in meetings:
        for seq in range(per_meeting):
            command = ReceiveChunk(meeting_id=mid, seq=seq, audio=audio)
            started = time.perf_counter()
            app.receive_chunk(command)
            latencies.append(time.perf_counter() - started)


def bench_receive_chunk(
    store: Store,
    *,
    events: int,
    threads: int,
    per_meeting: int,
    audio: bytes,
    extra_env: Mapping[str, str],
) -> Result:
    app = build_meetings(store, extra_env)
    try:
        # Each thread gets whole meetings: events_per_thread / per_meeting of them.
        plans: list[list[tuple[str, int]]] = []
        for share in split(events, threads):
            counts = split(share, max(1, round(share / per_meeting)))
            ids = start_meetings(app, len(counts))
            plans.append(list(zip(ids, counts, strict=True)))
        latencies: list[list[float]] = [[] for _ in range(threads)]
        errors: list[BaseException] = []
        barrier = threading.Barrier(threads + 1)

        def writer(index: int) -> None:
            barrier.wait()
            try:
                for mid, count in plans[index]:
                    append_chunks(app, [mid], count, audio, latencies[index])
            except BaseException as error:
                errors.append(error)
                raise

        workers = [
            threading.Thread(target=writer, args=(i,), name=f"writer-{i}") for i in range(threads)
        ]
        for worker in workers:
            worker.start()
        barrier.wait()
        started = time.perf_counter()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - started
        if errors:
            raise RuntimeError(f"{len(errors)} writer(s) failed") from errors[0]
    finally:
        app.close()
    flat = [latency for per_thread in latencies for latency in per_thread]
    label = f"receive_chunk x{threads}"
    return Result(store.backend, label, len(flat), elapsed, flat)


# ---------------------------------------------------------------------- save() only


def bench_save(
    store: Store,
    *,
    events: int,
    aggregates_per_save: int,
    audio: bytes,
    extra_env: Mapping[str, str],
) -> Result:
    """Append through ``Application.save`` with in-memory aggregates: the store's cost."""
    app = build_meetings(store, extra_env)
    chunk = chunk_fields(audio)
    try:
        meetings = [
            Meeting.start(meeting_id(), StartSettings(language="en"))
            for _ in range(aggregates_per_save)
        ]
        app.save(*meetings)
        latencies: list[float] = []
        calls = events // aggregates_per_save
        started = time.perf_counter()
        for seq in range(calls):
            for meeting in meetings:
                meeting.receive_chunk(seq=seq, **chunk)
            call_started = time.perf_counter()
            app.save(*meetings)
            latencies.append(time.perf_counter() - call_started)
        elapsed = time.perf_counter() - started
    finally:
        app.close()
    label = f"save() {aggregates_per_save} agg{'s' if aggregates_per_save > 1 else ''}"
    return Result(
        store.backend,
        label,
        calls * aggregates_per_save,
        elapsed,
        latencies,
        events_per_call=aggregates_per_save,
    )


# ---------------------------------------------------------------------- meeting length


def bench_long_meeting(
    store: Store, *, chunks: int, audio: bytes, extra_env: Mapping[str, str]
) -> list[list[object]]:
    app = build_meetings(store, extra_env)
    try:
        [mid] = start_meetings(app, 1)
        latencies: list[float] = []
        append_chunks(app, [mid], chunks, audio, latencies)
    finally:
        app.close()
    rows: list[list[object]] = []
    fifth = max(1, chunks // 5)
    for start in range(0, chunks, fifth):
        part = latencies[start : start + fifth]
        if len(part) < fifth and rows:
            break  # a short tail bucket would only add noise
        rows.append(
            [
                store.backend,
                f"{start}-{start + len(part) - 1}",
                ms(percentile(part, 50)),
                ms(percentile(part, 99)),
                rate(len(part), sum(part)),
            ]
        )
    return rows


# ---------------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_store_arguments(
        parser,
        env_help="extra eventsourcing setting for what-if runs, e.g. AGGREGATE_CACHE_MAXSIZE=1000",
    )
    parser.add_argument(
        "--events", type=int, default=2000, help="ChunkReceived events per scenario"
    )
    parser.add_argument("--threads", type=int, default=4, help="writers in the threaded run")
    parser.add_argument(
        "--chunks-per-meeting", type=int, default=100, help="meeting length in receive_chunk runs"
    )
    parser.add_argument(
        "--batch-aggregates", type=int, default=10, help="aggregates per save() in batch runs"
    )
    parser.add_argument(
        "--long-meeting-chunks",
        type=int,
        default=500,
        help="chunks in the latency-vs-meeting-length run (0 skips it)",
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated subset of {','.join(SCENARIOS)}",
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    backends = usable_backends(args.backends, args.postgres_url)
    extra_env = parse_env_pairs(args.env)
    selected = {name.strip() for name in args.scenarios.split(",") if name.strip()}
    unknown = sorted(selected - set(SCENARIOS))
    if unknown:
        raise SystemExit(f"unknown scenario(s) {unknown}; use {','.join(SCENARIOS)}")
    if min(args.threads, args.chunks_per_meeting, args.batch_aggregates) < 1:
        raise SystemExit("--threads, --chunks-per-meeting and --batch-aggregates must be >= 1")
    if args.events < max(args.threads, args.batch_aggregates):
        raise SystemExit("--events must be >= --threads and >= --batch-aggregates")
    audio = pcm_audio(args.chunk_bytes)

    print(
        f"bench_event_store: events={args.events} chunk_bytes={args.chunk_bytes} "
        f"threads={args.threads} chunks_per_meeting={args.chunks_per_meeting} "
        f"batch_aggregates={args.batch_aggregates} env={extra_env or '{}'}",
        flush=True,
    )
    results: list[Result] = []
    length_rows: list[list[object]] = []
    for backend in backends:
        scenarios: dict[str, Callable[[Store], Result]] = {
            "writer": lambda s: bench_receive_chunk(
                s,
                events=args.events,
                threads=1,
                per_meeting=args.chunks_per_meeting,
                audio=audio,
                extra_env=extra_env,
            ),
            "writers": lambda s: bench_receive_chunk(
                s,
                events=args.events,
                threads=args.threads,
                per_meeting=args.chunks_per_meeting,
                audio=audio,
                extra_env=extra_env,
            ),
            "save": lambda s: bench_save(
                s, events=args.events, aggregates_per_save=1, audio=audio, extra_env=extra_env
            ),
            "save-batch": lambda s: bench_save(
                s,
                events=args.events,
                aggregates_per_save=args.batch_aggregates,
                audio=audio,
                extra_env=extra_env,
            ),
        }
        for name, scenario in scenarios.items():
            if name not in selected:
                continue
            with temporary_store(backend, args.postgres_url) as store:
                result = scenario(store)
            results.append(result)
            print("  " + " | ".join(str(c) for c in result.row()), flush=True)
        if "length" in selected and args.long_meeting_chunks > 0:
            with temporary_store(backend, args.postgres_url) as store:
                length_rows += bench_long_meeting(
                    store, chunks=args.long_meeting_chunks, audio=audio, extra_env=extra_env
                )

    if results:
        print_table("Appends (ChunkReceived events)", HEADERS, [r.row() for r in results])
    if length_rows:
        print_table(
            "receive_chunk latency against chunks already in the meeting",
            ["backend", "chunks before", "p50 ms", "p99 ms", "appends/s"],
            length_rows,
        )


if __name__ == "__main__":
    main()

"""Summarise a py-spy profile of the write path into the stages of one append.

Not a benchmark: it reads the collapsed stacks that ``py-spy record --format raw`` writes
and shares the samples that pass through ``--marker`` (a function of the timed work, e.g.
``append_chunks`` in bench_event_store.py or ``command_writer`` in bench_relay.py) out to
the stages of ``Meetings.receive_chunk`` (load, save, blob) and to a few costs that cut
across them (pure-Python psycopg, waiting on the socket, fsync, typing checks).

    .venv/bin/py-spy record --idle --format raw --rate 250 -o /tmp/writer.txt -- \\
        .venv/bin/python bench/bench_event_store.py --backends postgres --scenarios writer
    .venv/bin/python bench/py_spy_summary.py /tmp/writer.txt --marker append_chunks

Must not: run or profile anything itself; it reads a profile.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from _support import print_table

import interview_analytics.ops.blobs as blobs_module


def fsync_frame() -> str:
    """How py-spy names the line of ``FileBlobStore.put`` that calls ``os.fsync``."""
    path = Path(blobs_module.__file__)
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        if "os.fsync(" in text:
            return f"FileBlobStore.put ({path.name}:{number})"
    return "os.fsync"


FSYNC_FRAME = fsync_frame()


def stage(stack: str) -> str:
    if "FileBlobStore.put" in stack:
        return "blob put (temp file, write, fsync, rename)"
    if "Repository.get" in stack:
        if "project_aggregate" in stack and "select_events" not in stack:
            return "load: replay events (decode + apply)"
        return "load: SELECT the meeting's events (driver)"
    if "Application.save" in stack:
        if "insert_events" in stack:
            return "save: INSERT transaction (driver)"
        return "save: map/encode the new event"
    if "Meeting.receive_chunk" in stack or "trigger_event" in stack:
        return "command (rules, trigger event)"
    if "sha256" in stack:
        return "sha256 of the audio"
    return "other"


def cross_cutting(stack: str, leaf: str) -> list[str]:
    found = []
    if "pq_ctypes" in leaf or "_py_transformer" in stack or "ctypes" in leaf:
        found.append("pure-Python psycopg (ctypes calls, row loading)")
    if "wait_poll" in leaf:
        found.append("waiting for PostgreSQL (socket poll)")
    if FSYNC_FRAME in leaf:
        found.append("os.fsync of the blob file")
    if "__instancecheck__" in stack or "_get_protocol_attrs" in stack:
        found.append("typing.Protocol isinstance checks (eventsourcing asserts)")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile", type=Path, help="py-spy record --format raw output")
    parser.add_argument("--marker", default="append_chunks", help="frame of the timed work")
    args = parser.parse_args()

    stages: Counter[str] = Counter()
    cuts: Counter[str] = Counter()
    total = 0
    for line in args.profile.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if args.marker not in stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        stages[stage(stack)] += count
        for name in cross_cutting(stack, stack.split(";")[-1]):
            cuts[name] += count
    if not total:
        raise SystemExit(f"no samples pass through {args.marker!r}")

    def share(count: int) -> str:
        return f"{100 * count / total:.1f}%"

    print(f"{total} samples through {args.marker}")
    print_table(
        "Stages of the append", ["stage", "share"], [[n, share(c)] for n, c in stages.most_common()]
    )
    print_table(
        "Costs across stages", ["cost", "share"], [[n, share(c)] for n, c in cuts.most_common()]
    )


if __name__ == "__main__":
    main()

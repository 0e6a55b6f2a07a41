"""Shared helpers for the benchmark scripts in this folder (not a benchmark itself).

Throw-away event stores (a SQLite file in a temp dir, or a PostgreSQL schema that is
dropped afterwards), the ``Meetings`` application built the way ``ops/wiring.py`` builds
it, PCM audio, percentiles and plain-text tables.

Must not: assert timings; benchmarks print.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import struct
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.audio import AudioFormat, pcm_duration_sec, sha256_hex
from interview_analytics.ops import event_store
from interview_analytics.ops.blobs import FileBlobStore

DEFAULT_POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgres")
"""What ``--backends`` accepts."""


@dataclass(frozen=True)
class Store:
    """One throw-away event store and the data directory that goes with it."""

    backend: str
    url: str
    data_dir: Path

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"


def add_store_arguments(parser: argparse.ArgumentParser, *, env_help: str) -> None:
    """The options of every event-store bench: backends, chunk size, PostgreSQL, what-if env."""
    parser.add_argument("--backends", default="sqlite,postgres", help="comma-separated")
    parser.add_argument(
        "--chunk-bytes", type=int, default=3200, help="audio per chunk (3200 = 0.1 s)"
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="without ?schema=")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help=env_help)


def parse_backends(raw: str) -> list[str]:
    backends = [b.strip() for b in raw.split(",") if b.strip()]
    unknown = sorted(set(backends) - set(BACKENDS))
    if unknown:
        raise SystemExit(f"unknown backend(s) {unknown}; use {','.join(BACKENDS)}")
    return backends


def usable_backends(raw: str, postgres_url: str) -> list[str]:
    """The backends asked for, less PostgreSQL when its server does not answer (said so)."""
    backends = parse_backends(raw)
    if "postgres" in backends:
        problem = postgres_reachable(postgres_url)
        if problem:
            print(f"skipping postgres: {problem}")
            backends.remove("postgres")
    return backends


def postgres_reachable(base_url: str) -> str | None:
    """None when the server answers, otherwise why not (the run skips PostgreSQL)."""
    try:
        with psycopg.connect(base_url, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"{type(error).__name__}: {error}".strip()


@contextmanager
def temporary_store(backend: str, postgres_url: str = DEFAULT_POSTGRES_URL) -> Iterator[Store]:
    """A fresh, empty event store; everything it created is removed on exit."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"ia-bench-{backend}-"))
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    try:
        if backend == "sqlite":
            url = f"sqlite:///{data_dir / 'events.sqlite3'}"
        elif backend == "postgres":
            if urlsplit(postgres_url).query:
                raise SystemExit("give the PostgreSQL URL without a query; the bench adds ?schema=")
            url = f"{postgres_url}?schema={schema}"
            event_store.prepare(url)
        else:
            raise ValueError(backend)
        yield Store(backend, url, data_dir)
    finally:
        if backend == "postgres":
            with psycopg.connect(postgres_url, autocommit=True) as connection:
                connection.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
                )
        shutil.rmtree(data_dir, ignore_errors=True)


def build_meetings(store: Store, extra_env: Mapping[str, str] | None = None) -> Meetings:
    """``Meetings`` as ``ops.wiring.build_meetings`` makes it, plus optional what-if env."""
    env = {**event_store.eventsourcing_env(store.url), **(extra_env or {})}
    return Meetings(env=env, blobs=FileBlobStore(store.blob_dir))


def parse_env_pairs(pairs: Sequence[str]) -> dict[str, str]:
    """``KEY=VALUE`` strings (``--env``) → a dict."""
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--env expects KEY=VALUE, got {pair!r}")
        env[key] = value
    return env


def pcm_audio(byte_length: int, sample_rate: int = 16_000, tone: int = 440) -> bytes:
    """A sine tone as s16le mono PCM of exactly ``byte_length`` bytes (must be even)."""
    if byte_length <= 0 or byte_length % 2:
        raise SystemExit("--chunk-bytes must be a positive, even number (16-bit samples)")
    frames = byte_length // 2
    samples = (int(8000 * math.sin(2 * math.pi * tone * i / sample_rate)) for i in range(frames))
    return struct.pack(f"<{frames}h", *samples)


def chunk_fields(audio: bytes) -> dict[str, Any]:
    """What the aggregate's ``receive_chunk`` needs besides ``seq`` for this PCM audio,
    worked out once so that the timed loops only record events."""
    audio_format = AudioFormat()
    return {
        "sha256": sha256_hex(audio),
        "byte_length": len(audio),
        "audio_format": audio_format,
        "duration_sec": pcm_duration_sec(len(audio), audio_format),
    }


def meeting_id(prefix: str = "bench") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def split(total: int, parts: int) -> list[int]:
    """``total`` as ``parts`` near-equal non-negative integers."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (0 < pct <= 100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}" if seconds > 0 else "-"


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A Markdown-compatible table, readable in a terminal and pasteable into the README."""
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [all(_is_number(row[i]) for row in cells[1:]) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        padded = (
            c.rjust(w) if right else c.ljust(w)
            for c, w, right in zip(row, widths, numeric, strict=True)
        )
        return "| " + " | ".join(padded) + " |"

    print(f"\n{title}\n")
    print(line(cells[0]))
    print(
        "|"
        + "|".join(
            "-" * (w + 1) + (":" if r else "-") for w, r in zip(widths, numeric, strict=True)
        )
        + "|"
    )
    for row in cells[1:]:
        print(line(row))
    print(flush=True)


def _is_number(cell: str) -> bool:
    try:
        float(cell.replace(",", "").removesuffix("%"))
    except ValueError:
        return cell == "-"
    return True

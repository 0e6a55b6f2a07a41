"""The HTTP/WebSocket API under concurrent clients: chunk ingest, get-meeting, WS acks.

The API runs as its own process (``ops.api.run_api``: the real wiring, group commit,
``AUTH_MODE=none``, no broker so no speech work) on a free port with a throw-away data
directory; this process is the clients (a minimal HTTP/1.1 client and websockets on one
asyncio loop), so on the 2-core machine clients and server share the CPU and the numbers
are conservative.

1. ingest: ``--clients`` concurrent clients, each with its own meeting, each sending
   ``--chunks`` chunks of 0.1 s PCM one after another; chunks/s accepted, latency p50/p99.
2. get-meeting: the read model is rebuilt from the store (``projections.replay``, with the
   API stopped: chDB allows one process per directory), the API started again, and
   ``--clients`` clients GET random meetings ``--gets`` times each; p50/p99. Twice: without
   a broker (every GET queries the read model) and with an embedded broker, whose
   ``meeting-events`` the API follows, so that answers are served from its meeting cache.
3. WebSocket: one socket sends ``--ws-chunks`` ``audio.chunk`` frames one after another and
   times each ``chunk.ack``.

    .venv/bin/python bench/bench_api.py [--clients 50] [--chunks 40] [--gets 40]

Must not: assert timings (printed only).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from interview_analytics.domain.application import Meetings
from interview_analytics.ops import event_store
from interview_analytics.ops.blobs import FileBlobStore
from interview_analytics.ops.embedded import EmbeddedBroker, free_port
from interview_analytics.ops.settings import Settings
from interview_analytics.ops.wiring import topic_specs
from interview_analytics.projections.replay import replay, stored_events
from interview_analytics.projections.store import ReadStore
from interview_analytics.streams.topics import ensure_topics

SERVER = """
import sys
from interview_analytics.ops.api import run_api
from interview_analytics.ops.logging import configure
from interview_analytics.ops.settings import Settings
settings = Settings.from_env({"DATA_DIR": sys.argv[1], "API_PORT": sys.argv[2],
                              "AUTH_MODE": "none", "LOG_LEVEL": "warning",
                              "WHISPER_MODEL": "tiny.en"})  # English meetings
configure(settings.log_level, settings.log_format)
run_api(settings, bootstrap_servers=sys.argv[3] or None)
"""


class RawClient:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: httpx costs ~3.5 ms of CPU
    per request, which on 2 cores would measure the client instead of the server."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        payload = await self.reader.readexactly(length)
        return int(status_line.split()[1]), payload

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


class Api:
    def __init__(self, data_dir: Path, bootstrap_servers: str = "") -> None:
        self.data_dir = data_dir
        self.bootstrap_servers = bootstrap_servers
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                SERVER,
                str(self.data_dir),
                str(self.port),
                self.bootstrap_servers,
            ]
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise SystemExit("the API did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=30)
            self.process = None


async def ingest(port: int, clients: int, chunks: int) -> tuple[list[str], float, list[float]]:
    audio = base64.b64encode(os.urandom(3_200)).decode()
    latencies: list[float] = []
    setup = RawClient(port)
    ids = []
    for _ in range(clients):
        _, body = await setup.request("POST", "/v1/meetings/start", b'{"language": "en"}')
        ids.append(json.loads(body)["meeting_id"])
    await setup.close()

    async def client(meeting_id: str) -> None:
        http = RawClient(port)
        for seq in range(chunks):
            body = json.dumps({"seq": seq, "content_b64": audio}).encode()
            began = time.perf_counter()
            status, answer = await http.request("POST", f"/v1/meetings/{meeting_id}/chunks", body)
            latencies.append(time.perf_counter() - began)
            if status != 200:
                raise SystemExit(f"chunk refused: {status} {answer[:200]!r}")
        await http.close()

    began = time.perf_counter()
    await asyncio.gather(*(client(meeting_id) for meeting_id in ids))
    return ids, time.perf_counter() - began, latencies


async def get_meetings(port: int, ids: list[str], clients: int, gets: int) -> list[float]:
    latencies: list[float] = []
    warm = RawClient(port)
    for meeting_id in ids:  # the first read of each meeting fills the cache, when there is one
        await warm.request("GET", f"/v1/meetings/{meeting_id}")
    await warm.close()

    async def client() -> None:
        http = RawClient(port)
        for _ in range(gets):
            began = time.perf_counter()
            _, body = await http.request("GET", f"/v1/meetings/{random.choice(ids)}")
            latencies.append(time.perf_counter() - began)
            if json.loads(body).get("source") != "read_model":
                raise SystemExit(f"not from the read model: {body[:200]!r}")
        await http.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies


async def ws_acks(url: str, frames: int) -> list[float]:
    async with httpx.AsyncClient(base_url=url) as http:
        meeting_id = (await http.post("/v1/meetings/start", json={"language": "en"})).json()[
            "meeting_id"
        ]
    audio = base64.b64encode(os.urandom(3_200)).decode()
    latencies: list[float] = []
    async with connect(url.replace("http", "ws") + "/v1/ws") as ws:
        for seq in range(frames):
            frame = {"event_type": "audio.chunk", "meeting_id": meeting_id, "seq": seq}
            began = time.perf_counter()
            await ws.send(json.dumps({**frame, "content_b64": audio}))
            ack = json.loads(await ws.recv())
            latencies.append(time.perf_counter() - began)
            if ack.get("event_type") != "chunk.ack":
                raise SystemExit(f"no ack: {ack}")
    return latencies


def rebuild_read_model(data_dir: Path) -> int:
    url = f"sqlite:///{data_dir / 'events.sqlite3'}"
    meetings = Meetings(env=event_store.eventsourcing_env(url), blobs=FileBlobStore(data_dir))
    try:
        with ReadStore.connect(f"chdb://{data_dir / 'clickhouse'}") as store:
            store.migrate()
            return replay(store, stored_events(meetings)).events
    finally:
        meetings.close()


def get_row(
    name: str, port: int, ids: list[str], args: argparse.Namespace
) -> tuple[str, str, str, str, str]:
    gets = asyncio.run(get_meetings(port, ids, args.clients, args.gets))
    return (
        f"{name}, {args.clients} clients",
        f"{len(gets)}",
        f"{len(gets) / sum(gets) * args.clients:,.0f} req/s",
        ms(percentile(gets, 0.5)),
        ms(percentile(gets, 0.99)),
    )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--chunks", type=int, default=40, help="chunks per ingest client")
    parser.add_argument("--gets", type=int, default=40, help="GETs per client")
    parser.add_argument("--ws-chunks", type=int, default=300)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="ia-bench-api-"))
    api = Api(data_dir)
    rows: list[tuple[str, str, str, str, str]] = []
    try:
        api.start()
        ids, seconds, latencies = asyncio.run(ingest(api.port, args.clients, args.chunks))
        total = args.clients * args.chunks
        rows.append(
            (
                f"ingest, {args.clients} clients",
                f"{total}",
                f"{total / seconds:,.0f} chunks/s",
                ms(percentile(latencies, 0.5)),
                ms(percentile(latencies, 0.99)),
            )
        )
        acks = asyncio.run(ws_acks(api.url, args.ws_chunks))
        rows.append(
            (
                "WebSocket chunk → ack, 1 socket",
                f"{len(acks)}",
                f"{len(acks) / sum(acks):,.0f} acks/s",
                ms(percentile(acks, 0.5)),
                ms(percentile(acks, 0.99)),
            )
        )
        api.stop()
        events = rebuild_read_model(data_dir)
        print(f"read model rebuilt from {events} events", flush=True)
        api.start()
        rows.append(get_row("get-meeting, read model", api.port, ids, args))
        api.stop()
        with EmbeddedBroker() as broker:
            settings = Settings.from_env({"DATA_DIR": str(data_dir)})
            asyncio.run(ensure_topics(broker.bootstrap_servers, topic_specs(settings)))
            api = Api(data_dir, broker.bootstrap_servers)
            api.start()
            time.sleep(3)  # the live feed finds its partitions; the cache is used from then on
            rows.append(get_row("get-meeting, cached", api.port, ids, args))
            api.stop()
    finally:
        api.stop()
    print("| run | requests | rate | p50 ms | p99 ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()

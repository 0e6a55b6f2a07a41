"""The SberJazz client against the simulated platform on a real uvicorn server."""

from __future__ import annotations

import asyncio
import threading
import time
import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import uvicorn

from interview_analytics.connectors.sberjazz.breaker import BreakerState
from interview_analytics.connectors.sberjazz.client import SberJazzClient, SberJazzConfig
from interview_analytics.connectors.sberjazz.errors import ErrorKind, SberJazzError
from interview_analytics.connectors.sberjazz.simulator import SberJazzSimulator

TOKEN = "sim-token"
SPEED = 20.0  # 20x real time: a 3-second file plays in 0.15 s


def write_wav(path: Path, seconds: float, freq: float) -> Path:
    t = np.arange(int(16_000 * seconds)) / 16_000
    pcm = (np.sin(2 * np.pi * freq * t) * 8000).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16_000)
        wav.writeframes(pcm.tobytes())
    return path


class Server:
    def __init__(self, sim: SberJazzSimulator) -> None:
        config = uvicorn.Config(sim.app(), host="127.0.0.1", port=0, log_config=None)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert self.thread.is_alive()
            assert time.monotonic() < deadline
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


def two_speakers(folder: Path) -> SberJazzSimulator:
    """A platform playing 2.5 s of the interviewer, then 2 s of the candidate, at ``SPEED``."""
    return SberJazzSimulator(
        [
            (write_wav(folder / "a.wav", 2.5, 440), "Interviewer"),
            (write_wav(folder / "b.wav", 2.0, 220), "Candidate"),
        ],
        token=TOKEN,
        speed=SPEED,
    )


@pytest.fixture(scope="module")
def sim_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SberJazzSimulator, str]]:
    sim = two_speakers(tmp_path_factory.mktemp("wavs"))
    with Server(sim) as base_url:
        yield sim, base_url


@pytest.fixture
async def sim(sim_server: tuple[SberJazzSimulator, str]) -> AsyncIterator[SberJazzSimulator]:
    simulator, _ = sim_server
    simulator.faults.__init__()  # type: ignore[misc]
    yield simulator
    simulator.faults.__init__()  # type: ignore[misc]


def make_client(base_url: str, **overrides: object) -> SberJazzClient:
    options: dict[str, object] = {
        "base_url": base_url,
        "token": TOKEN,
        "timeout_sec": 2.0,
        "retries": 3,
        "retry_backoff_ms": 10,
        "force_ipv4": True,
        "breaker_failure_threshold": 5,
        "breaker_reset_sec": 60.0,
    }
    options.update(overrides)
    return SberJazzClient(SberJazzConfig(**options))  # type: ignore[arg-type]


async def test_join_and_pull_all_chunks(
    sim: SberJazzSimulator, sim_server: tuple[SberJazzSimulator, str]
) -> None:
    async with make_client(sim_server[1]) as client:
        health = await client.health()
        assert health.healthy
        assert health.circuit_state is BreakerState.CLOSED
        await client.join("m-pull", ["Interviewer", "Candidate"], "ru")
        cursor, chunks = 0, []
        deadline = time.monotonic() + 10
        while len(chunks) < len(sim.chunks) and time.monotonic() < deadline:
            page = await client.live_chunks("m-pull", cursor, limit=2)
            chunks.extend(page.chunks)
            cursor = page.next_cursor
            await asyncio.sleep(0.02)
        await client.leave("m-pull")
    assert [c.seq for c in chunks] == list(range(5))  # 3 chunks + 2 chunks, contiguous
    assert [c.speaker for c in chunks] == ["Interviewer"] * 3 + ["Candidate"] * 2
    assert all(c.codec == "pcm_s16le" and c.sample_rate == 16_000 for c in chunks)
    assert len(chunks[0].content) == 32_000
    assert len(chunks[2].content) == 16_000


async def test_5xx_is_retried_then_succeeds(
    sim: SberJazzSimulator, sim_server: tuple[SberJazzSimulator, str]
) -> None:
    sim.faults.fail_5xx_count = 2
    before = sim.requests
    async with make_client(sim_server[1]) as client:
        assert (await client.join("m-retry"))["status"] == "joined"
        assert client.breaker.state is BreakerState.CLOSED
    assert sim.requests - before == 3


async def test_persistent_failures_open_the_breaker(
    sim: SberJazzSimulator, sim_server: tuple[SberJazzSimulator, str]
) -> None:
    sim.faults.fail_5xx_count = 1000
    async with make_client(sim_server[1], retries=1, breaker_failure_threshold=4) as client:
        for _ in range(2):
            with pytest.raises(SberJazzError) as info:
                await client.join("m-breaker")
        assert info.value.kind is ErrorKind.UNAVAILABLE
        assert client.breaker.state is BreakerState.OPEN
        before = sim.requests
        with pytest.raises(SberJazzError) as info:
            await client.join("m-breaker")
        assert info.value.kind is ErrorKind.CIRCUIT_OPEN
        assert sim.requests == before
        health = await client.health()
        assert not health.healthy
        assert health.details["circuit_state"] == "open"


async def test_auth_error_is_not_retried(
    sim: SberJazzSimulator, sim_server: tuple[SberJazzSimulator, str]
) -> None:
    before = sim.requests
    async with make_client(sim_server[1], token="wrong") as client:
        with pytest.raises(SberJazzError) as info:
            await client.join("m-auth")
    assert info.value.kind is ErrorKind.AUTH
    assert not info.value.retryable
    assert sim.requests - before == 1


async def test_invalid_response_is_classified(
    sim: SberJazzSimulator, sim_server: tuple[SberJazzSimulator, str]
) -> None:
    async with make_client(sim_server[1]) as client:
        await client.join("m-invalid")
        sim.faults.invalid_count = 1
        with pytest.raises(SberJazzError) as info:
            await client.live_chunks("m-invalid", 0)
    assert info.value.kind is ErrorKind.INVALID_RESPONSE


async def test_timeout_is_classified_and_retried(
    sim: SberJazzSimulator, sim_server: tuple[SberJazzSimulator, str]
) -> None:
    sim.faults.delay_sec = 0.5
    async with make_client(sim_server[1], timeout_sec=0.1, retries=1) as client:
        with pytest.raises(SberJazzError) as info:
            await client.join("m-timeout")
    assert info.value.kind is ErrorKind.TIMEOUT


async def test_concurrent_join_and_leave_are_serialised(
    sim: SberJazzSimulator, sim_server: tuple[SberJazzSimulator, str]
) -> None:
    sim.faults.delay_sec = 0.05
    async with make_client(sim_server[1]) as client:
        log: list[str] = []
        real = client._http.request

        async def traced(method: str, url: str, **kw: object) -> httpx.Response:
            op = str(url).rsplit("/", 1)[-1]
            log.append(f"start {op}")
            response = await real(method, url, **kw)  # type: ignore[arg-type]
            log.append(f"end {op}")
            return response

        client._http.request = traced  # type: ignore[method-assign]
        await asyncio.gather(client.join("m-lock"), client.leave("m-lock"), client.join("m-lock"))
    assert log == [f"{edge} {op}" for op in ("join", "leave", "join") for edge in ("start", "end")]

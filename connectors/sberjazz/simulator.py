"""A SIMULATED SberJazz platform — a development and test tool, not the real service.

It serves the platform API the client speaks and, for each meeting that joins, releases the
configured audio files (16-bit PCM WAV, converted to 16 kHz mono; each labelled with a
speaker) one after another
in real time as 1-second chunks (``pcm_s16le``) with contiguous ``seq``; the live-chunks
cursor is the next seq to read. ``speed`` > 1 plays faster than real time (for tests).

Fault injection: ``POST /_sim/faults`` with any of ``refuse_joins`` (bool),
``fail_5xx_count`` (int: the next N API calls answer 503), ``invalid_count`` (int: the next
N API calls answer a malformed body), ``delay_sec`` (float: every API call waits this long),
``drop_stream`` (meeting id: its stream is dropped, live-chunks answers 409 until it joins
again; playback time keeps running, so nothing is lost). ``GET /_sim/state`` shows it all.

Must not: be mistaken for the real platform: it is only started by ``ia sberjazz-sim`` and
tests.
"""

from __future__ import annotations

import asyncio
import base64
import time
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SAMPLE_RATE = 16_000
CHUNK_SEC = 1.0
_BYTES_PER_CHUNK = int(SAMPLE_RATE * CHUNK_SEC) * 2


@dataclass(frozen=True)
class SimChunk:
    content: bytes
    speaker: str


@dataclass
class Faults:
    refuse_joins: bool = False
    fail_5xx_count: int = 0
    invalid_count: int = 0
    delay_sec: float = 0.0


@dataclass
class SimMeeting:
    started_at: float
    joined: bool = True
    joins: int = 1
    participants: list[str] = field(default_factory=list)
    language: str | None = None


def load_audio(files: Sequence[tuple[Path, str]]) -> list[SimChunk]:
    """Cut each (16-bit PCM WAV, speaker) into 1-second chunks of 16 kHz mono, in order.
    Other rates and stereo are converted (linear interpolation is plenty for speech tests;
    espeak-ng, for one, writes 22.05 kHz)."""
    chunks: list[SimChunk] = []
    for path, speaker in files:
        with wave.open(str(path), "rb") as wav:
            if wav.getsampwidth() != 2:
                raise ValueError(f"{path}: expected 16-bit PCM WAV")
            rate, channels = wav.getframerate(), wav.getnchannels()
            pcm = _to_16k_mono(wav.readframes(wav.getnframes()), rate, channels)
        for start in range(0, len(pcm), _BYTES_PER_CHUNK):
            chunks.append(SimChunk(pcm[start : start + _BYTES_PER_CHUNK], speaker))
    return chunks


def _to_16k_mono(pcm: bytes, rate: int, channels: int) -> bytes:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    if rate != SAMPLE_RATE and samples.size:
        positions = np.arange(int(samples.size * SAMPLE_RATE / rate)) * (rate / SAMPLE_RATE)
        samples = np.interp(positions, np.arange(samples.size), samples)
    return bytes(np.round(samples).astype("<i2").tobytes())


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"detail": {"code": code, "message": message, "details": {}}}, status)


class SberJazzSimulator:
    def __init__(
        self,
        audio: Sequence[tuple[Path, str]],
        *,
        token: str | None = None,
        speed: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.chunks = load_audio(audio)
        self.token = token
        self.speed = speed
        self.clock = clock
        self.faults = Faults()
        self.meetings: dict[str, SimMeeting] = {}
        self.requests = 0

    def released(self, meeting: SimMeeting) -> int:
        """How many chunks have been played so far (a chunk is out once it is complete)."""
        elapsed = (self.clock() - meeting.started_at) * self.speed
        return min(len(self.chunks), int(elapsed / CHUNK_SEC))

    async def _gate(self, request: Request) -> Response | None:
        self.requests += 1
        expected = f"Bearer {self.token}"
        if self.token is not None and request.headers.get("authorization") != expected:
            return _error(401, "unauthorized", "bad or missing bearer token")
        if self.faults.delay_sec:
            await asyncio.sleep(self.faults.delay_sec)
        if self.faults.fail_5xx_count > 0:
            self.faults.fail_5xx_count -= 1
            return _error(503, "unavailable", "injected failure")
        if self.faults.invalid_count > 0:
            self.faults.invalid_count -= 1
            return JSONResponse({"unexpected": True, "chunks": "nope"})
        return None

    async def health(self, request: Request) -> Response:
        return await self._gate(request) or JSONResponse({"status": "ok", "simulated": True})

    async def join(self, request: Request) -> Response:
        if refused := await self._gate(request):
            return refused
        if self.faults.refuse_joins:
            return _error(503, "join_refused", "joins are refused (injected)")
        meeting_id = request.path_params["meeting_id"]
        body: Any = await request.json() if await request.body() else {}
        if not isinstance(body, dict):
            return _error(400, "bad_request", "body must be an object")
        meeting = self.meetings.get(meeting_id)
        if meeting is None:
            meeting = self.meetings[meeting_id] = SimMeeting(started_at=self.clock())
        else:
            meeting.joined, meeting.joins = True, meeting.joins + 1
        meeting.participants = [str(p) for p in body.get("participants") or []]
        meeting.language = body.get("language")
        return JSONResponse({"meeting_id": meeting_id, "status": "joined", "joins": meeting.joins})

    async def leave(self, request: Request) -> Response:
        if refused := await self._gate(request):
            return refused
        meeting_id = request.path_params["meeting_id"]
        meeting = self.meetings.get(meeting_id)
        if meeting is None:
            return _error(404, "not_joined", "meeting never joined")
        meeting.joined = False
        return JSONResponse({"meeting_id": meeting_id, "status": "left"})

    async def live_chunks(self, request: Request) -> Response:
        if refused := await self._gate(request):
            return refused
        meeting = self.meetings.get(request.path_params["meeting_id"])
        if meeting is None or not meeting.joined:
            return _error(409, "not_joined", "meeting is not joined (or its stream dropped)")
        try:
            cursor = int(request.query_params.get("cursor", "0"))
            limit = int(request.query_params.get("limit", "50"))
        except ValueError:
            return _error(400, "bad_request", "cursor and limit must be integers")
        if cursor < 0 or not 1 <= limit <= 500:
            return _error(400, "bad_request", "cursor >= 0, limit in 1..500")
        end = min(self.released(meeting), cursor + limit)
        out = [
            {
                "seq": seq,
                "content_b64": base64.b64encode(self.chunks[seq].content).decode(),
                "codec": "pcm_s16le",
                "sample_rate": SAMPLE_RATE,
                "channels": 1,
                "speaker": self.chunks[seq].speaker,
            }
            for seq in range(cursor, end)
        ]
        return JSONResponse({"chunks": out, "next_cursor": max(cursor, end)})

    async def set_faults(self, request: Request) -> Response:
        body = await request.json()
        if not isinstance(body, dict):
            return _error(400, "bad_request", "body must be an object")
        for name in ("refuse_joins", "fail_5xx_count", "invalid_count", "delay_sec"):
            if name in body:
                setattr(self.faults, name, type(getattr(self.faults, name))(body[name]))
        dropped = body.get("drop_stream")
        if dropped is not None and dropped in self.meetings:
            self.meetings[dropped].joined = False
        return await self.state(request)

    async def state(self, request: Request) -> Response:
        return JSONResponse(
            {
                "simulated": True,
                "faults": vars(self.faults),
                "total_chunks": len(self.chunks),
                "meetings": {
                    mid: {"joined": m.joined, "joins": m.joins, "released": self.released(m)}
                    for mid, m in self.meetings.items()
                },
            }
        )

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/v1/health", self.health, methods=["GET"]),
                Route("/api/v1/meetings/{meeting_id}/join", self.join, methods=["POST"]),
                Route("/api/v1/meetings/{meeting_id}/leave", self.leave, methods=["POST"]),
                Route(
                    "/api/v1/meetings/{meeting_id}/live-chunks", self.live_chunks, methods=["GET"]
                ),
                Route("/_sim/faults", self.set_faults, methods=["POST"]),
                Route("/_sim/state", self.state, methods=["GET"]),
            ]
        )

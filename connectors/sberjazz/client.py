"""Async HTTP client for the SberJazz platform API: classified errors, retries with
exponential backoff and full jitter, a circuit breaker, and one lock per meeting so that
join and leave for the same meeting never interleave.

Must not: let an httpx error escape unclassified, or retry an error a retry cannot fix.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from interview_analytics.connectors.sberjazz.breaker import BreakerState, CircuitBreaker
from interview_analytics.connectors.sberjazz.errors import (
    ErrorKind,
    SberJazzError,
    classify_exception,
    classify_response,
)

# Failures that say the platform is unwell; auth and bad-request answers do not.
_BREAKER_FAILURES = frozenset(
    {ErrorKind.TIMEOUT, ErrorKind.RATE_LIMITED, ErrorKind.UNAVAILABLE, ErrorKind.INVALID_RESPONSE}
)


@dataclass(frozen=True)
class SberJazzConfig:
    base_url: str
    token: str
    timeout_sec: float = 10.0
    retries: int = 3
    retry_backoff_ms: int = 200
    force_ipv4: bool = False
    breaker_failure_threshold: int = 5
    breaker_reset_sec: float = 30.0


@dataclass(frozen=True)
class LiveChunk:
    seq: int
    content: bytes
    codec: str
    sample_rate: int
    channels: int
    speaker: str | None


@dataclass(frozen=True)
class LiveChunks:
    chunks: list[LiveChunk]
    next_cursor: int


@dataclass(frozen=True)
class PlatformHealth:
    healthy: bool
    circuit_state: BreakerState
    details: dict[str, str]


def _invalid(message: str) -> SberJazzError:
    return SberJazzError(ErrorKind.INVALID_RESPONSE, message)


def _parse_chunk(raw: Any) -> LiveChunk:
    if not isinstance(raw, Mapping):
        raise _invalid("chunk is not an object")
    seq, b64 = raw.get("seq"), raw.get("content_b64")
    codec, rate, channels = raw.get("codec"), raw.get("sample_rate"), raw.get("channels")
    speaker = raw.get("speaker")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise _invalid("chunk seq must be a non-negative integer")
    if not isinstance(b64, str) or not isinstance(codec, str):
        raise _invalid("chunk content_b64 and codec must be strings")
    if not isinstance(rate, int) or rate <= 0 or not isinstance(channels, int) or channels <= 0:
        raise _invalid("chunk sample_rate and channels must be positive integers")
    if speaker is not None and not isinstance(speaker, str):
        raise _invalid("chunk speaker must be a string or null")
    try:
        content = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _invalid(f"chunk content_b64 is not base64: {exc}") from exc
    return LiveChunk(seq, content, codec, rate, channels, speaker)


def parse_live_chunks(body: Any) -> LiveChunks:
    """Validate a live-chunks answer; any shape error is ``invalid_response``."""
    if not isinstance(body, Mapping):
        raise _invalid("live-chunks answer is not an object")
    chunks, cursor = body.get("chunks"), body.get("next_cursor")
    if not isinstance(chunks, list):
        raise _invalid("live-chunks answer has no chunks list")
    if not isinstance(cursor, int) or isinstance(cursor, bool) or cursor < 0:
        raise _invalid("live-chunks next_cursor must be a non-negative integer")
    return LiveChunks([_parse_chunk(c) for c in chunks], cursor)


class SberJazzClient:
    def __init__(
        self,
        config: SberJazzConfig,
        *,
        breaker: CircuitBreaker | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.breaker = breaker or CircuitBreaker(
            config.breaker_failure_threshold, config.breaker_reset_sec
        )
        if transport is None:
            # local_address="0.0.0.0" binds an IPv4 socket, so names resolve to IPv4 only.
            local = "0.0.0.0" if config.force_ipv4 else None  # noqa: S104
            transport = httpx.AsyncHTTPTransport(local_address=local)
        self._http = httpx.AsyncClient(
            base_url=config.base_url.rstrip("/"),
            # No token, no header: "Bearer " alone is not a legal header value.
            headers={"Authorization": f"Bearer {config.token}"} if config.token else {},
            timeout=config.timeout_sec,
            transport=transport,
        )
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._meeting_locks: dict[str, asyncio.Lock] = {}

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> SberJazzClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def meeting_lock(self, meeting_id: str) -> asyncio.Lock:
        """The lock that serialises lifecycle calls (join, leave, reconnect) for a meeting."""
        return self._meeting_locks.setdefault(meeting_id, asyncio.Lock())

    def backoff_sec(self, attempt: int) -> float:
        """Full jitter: uniform in [0, base * 2**attempt]."""
        cap = self.config.retry_backoff_ms / 1000 * (2**attempt)
        return self._rng.uniform(0, cap)

    async def _call_once(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Any,
        validate: Callable[[Any], Any],
    ) -> Any:
        if not await self.breaker.allow():
            raise SberJazzError(ErrorKind.CIRCUIT_OPEN, "circuit breaker is open")
        try:
            try:
                response = await self._http.request(method, path, params=params, json=body)
            except httpx.HTTPError as exc:
                raise classify_exception(exc) from exc
            error = classify_response(response)
            if error is not None:
                raise error
            try:
                raw = response.json() if response.content else {}
            except ValueError as exc:
                raise _invalid(f"answer is not JSON: {exc}") from exc
            result = validate(raw)
        except SberJazzError as error:
            if error.kind in _BREAKER_FAILURES:
                await self.breaker.record_failure()
            else:
                await self.breaker.record_success()
            raise
        await self.breaker.record_success()
        return result

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        validate: Callable[[Any], Any] = lambda body: body,
    ) -> Any:
        attempt = 0
        while True:
            try:
                return await self._call_once(method, path, params, body, validate)
            except SberJazzError as error:
                if not error.retryable or attempt >= self.config.retries:
                    raise
            await self._sleep(self.backoff_sec(attempt))
            attempt += 1

    async def health(self) -> PlatformHealth:
        try:
            await self._call("GET", "/api/v1/health")
        except SberJazzError as error:
            return PlatformHealth(
                False, self.breaker.state, {**self.breaker.snapshot(), "error": str(error)}
            )
        details = self.breaker.snapshot()
        return PlatformHealth(True, self.breaker.state, details)

    async def join(
        self, meeting_id: str, participants: Sequence[str] = (), language: str | None = None
    ) -> dict[str, Any]:
        async with self.meeting_lock(meeting_id):
            result: dict[str, Any] = await self._call(
                "POST",
                f"/api/v1/meetings/{meeting_id}/join",
                body={"participants": list(participants), "language": language},
                validate=_object,
            )
            return result

    async def leave(self, meeting_id: str) -> dict[str, Any]:
        async with self.meeting_lock(meeting_id):
            result: dict[str, Any] = await self._call(
                "POST", f"/api/v1/meetings/{meeting_id}/leave", body={}, validate=_object
            )
            return result

    async def live_chunks(self, meeting_id: str, cursor: int = 0, limit: int = 50) -> LiveChunks:
        result: LiveChunks = await self._call(
            "GET",
            f"/api/v1/meetings/{meeting_id}/live-chunks",
            params={"cursor": cursor, "limit": limit},
            validate=parse_live_chunks,
        )
        return result


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _invalid("answer is not a JSON object")
    return body

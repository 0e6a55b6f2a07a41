"""A small client of the REST API, for ``ia transcribe`` and ``tools/e2e_local.py``.

It speaks exactly the contract (api-contract.md) that existing clients speak: start,
chunks as base64 PCM, finish, get with read-your-writes (``min_version``/``wait_ms``).
Audio files are decoded locally (PyAV) to 16 kHz mono PCM and sent in fixed-length chunks,
as a live client would.

Must not: use anything but the public REST contract (no store or broker access).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from interview_analytics.streams.audio import SAMPLE_RATE, decode

CHUNK_SEC = 5.0


class ApiError(RuntimeError):
    def __init__(self, status: int, body: Any) -> None:
        detail = body.get("detail") if isinstance(body, dict) else None
        code = detail.get("code") if isinstance(detail, dict) else None
        message = detail.get("message") if isinstance(detail, dict) else str(body)
        super().__init__(f"HTTP {status} {code or ''}: {message}")
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Credentials:
    api_key: str = ""
    bearer_token: str = ""

    def headers(self) -> dict[str, str]:
        if self.bearer_token:
            return {"Authorization": f"Bearer {self.bearer_token}"}
        if self.api_key:
            return {"X-API-Key": self.api_key}
        return {}


class ApiClient:
    def __init__(
        self, base_url: str, credentials: Credentials = Credentials(), timeout: float = 30.0
    ) -> None:
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"), headers=credentials.headers(), timeout=timeout
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.http.request(method, path, **kwargs)
        body = response.json() if response.content else {}
        if response.status_code >= 400:
            raise ApiError(response.status_code, body)
        assert isinstance(body, dict)
        return body

    def healthy(self) -> bool:
        try:
            return self.http.get("/health").status_code == 200
        except httpx.HTTPError:
            return False

    def start(self, **fields: Any) -> dict[str, Any]:
        return self._call("POST", "/v1/meetings/start", json=fields)

    def send_chunk(self, meeting_id: str, seq: int, pcm: bytes, **fields: Any) -> dict[str, Any]:
        body = {
            "seq": seq,
            "content_b64": base64.b64encode(pcm).decode("ascii"),
            "codec": "pcm",
            "sample_rate": SAMPLE_RATE,
            "channels": 1,
            "idempotency_key": f"{meeting_id}-{seq}",
            **fields,
        }
        return self._call("POST", f"/v1/meetings/{meeting_id}/chunks", json=body)

    def finish(self, meeting_id: str) -> dict[str, Any]:
        return self._call("POST", f"/v1/meetings/{meeting_id}/finish", json={})

    def get(self, meeting_id: str, min_version: int | None = None) -> dict[str, Any]:
        params = {"min_version": min_version, "wait_ms": 2000} if min_version else None
        return self._call("GET", f"/v1/meetings/{meeting_id}", params=params)

    def report_page(self, meeting_id: str, extension: str) -> str:
        """``GET /v1/meetings/{id}/report.<extension>`` (``html`` or ``md``) as text."""
        response = self.http.get(f"/v1/meetings/{meeting_id}/report.{extension}")
        if response.status_code >= 400:
            raise ApiError(response.status_code, response.json() if response.content else {})
        return response.text

    def wait_until(
        self,
        meeting_id: str,
        done: Callable[[dict[str, Any]], bool],
        timeout: float,
        on_poll: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            meeting = self.get(meeting_id)
            if on_poll is not None:
                on_poll(meeting)
            if done(meeting):
                return meeting
            if time.monotonic() > deadline:
                raise TimeoutError(f"meeting {meeting_id} not done after {timeout:.0f} s")
            time.sleep(0.5)


def api_answers(base_url: str) -> bool:
    """Whether an API is up at ``base_url`` (``GET /health``)."""
    with ApiClient(base_url, timeout=5.0) as client:
        return client.healthy()


def pcm_chunks(path: Path, chunk_sec: float = CHUNK_SEC) -> Iterator[bytes]:
    """The recording as 16 kHz mono signed 16-bit PCM, ``chunk_sec`` at a time."""
    data = path.read_bytes()
    codec = path.suffix.lower().lstrip(".") or "wav"
    samples = decode(data, "pcm" if codec in {"pcm", "raw"} else codec).mono
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    step = int(chunk_sec * SAMPLE_RATE) * 2
    for offset in range(0, len(pcm), step):
        yield pcm[offset : offset + step]


def is_final(meeting: dict[str, Any]) -> bool:
    """Finished and reported on the whole transcript (the post-meeting pass is done)."""
    return bool(
        meeting.get("status") == "done"
        and meeting.get("report")
        and meeting.get("report_final")
        and meeting.get("enhanced_transcript")
    )

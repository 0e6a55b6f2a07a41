"""Black box: the older service's smoke flow (start in postmeeting mode → chunks → GET, and
never a finish) ends by itself on `ia up` with a short MEETING_IDLE_FINISH_SEC: the
lifecycle worker finishes the meeting for inactivity and the final pass reports it."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from interview_analytics.ops.embedded import free_port
from tests.speech import SCRIPT, espeak_available, make_interview
from tests.stack import IA, reap

pytestmark = pytest.mark.broker

ROOT = Path(__file__).resolve().parents[2]
IDLE_FINISH_SEC = 2
TIMEOUT_SEC = 240
REPORT_KEYS = {"summary", "bullets", "risk_flags", "recommendation"}


@dataclass
class Running:
    http: httpx.Client
    log: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Running]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "EVENT_STORE"))}
    port = free_port()
    env = {
        **clean,
        "DATA_DIR": str(tmp_path / "data"),
        "API_PORT": str(port),
        "MEETING_IDLE_FINISH_SEC": str(IDLE_FINISH_SEC),
        "LIFECYCLE_POLL_INTERVAL_SEC": "0.2",
        "RELAY_POLL_INTERVAL_SEC": "0.05",
        "WHISPER_MODEL": "tiny.en",  # English test speech
        **{
            f"{role}_METRICS_PORT": str(free_port())
            for role in ("RELAY", "TRANSCRIBER", "ENHANCER", "REPORTER", "LIFECYCLE")
        },
    }
    log = tmp_path / "ia-up.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [IA, "up"], env=env, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, f"ia up exited:\n{log.read_text()[-4000:]}"
            assert time.monotonic() < deadline, f"no /health:\n{log.read_text()[-4000:]}"
            try:
                if httpx.get(base_url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        with httpx.Client(base_url=base_url, timeout=30) as client:
            yield Running(client, log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            assert reap(process, timeout=30), f"no stop on Ctrl-C:\n{log.read_text()[-4000:]}"


def test_a_meeting_never_finished_by_its_client_ends_idle_and_is_reported(
    stack: Running,
) -> None:
    api = stack.http
    if not espeak_available():
        pytest.fail("espeak-ng is not installed; `make test` installs it")
    refused = api.post("/v1/meetings/start", json={"context": {"idle_finish_sec": -1}})
    assert refused.status_code == 422, refused.text
    assert "idle_finish_sec" in refused.json()["detail"]["message"]

    interview = make_interview(SCRIPT[:4])
    started = api.post("/v1/meetings/start", json={"mode": "postmeeting", "language": "en"})
    assert started.status_code == 200, started.text
    meeting_id = started.json()["meeting_id"]
    for seq, (pcm, speaker) in enumerate(interview.chunks(2.0)):
        body = {"seq": seq, "content_b64": base64.b64encode(pcm).decode(), "speaker_hint": speaker}
        answer = api.post(f"/v1/meetings/{meeting_id}/chunks", json=body)
        assert answer.status_code == 200, answer.text

    deadline = time.monotonic() + TIMEOUT_SEC
    meeting: dict[str, Any] = {}
    while time.monotonic() < deadline:
        answer = api.get(f"/v1/meetings/{meeting_id}")
        assert answer.status_code == 200, answer.text
        meeting = answer.json()
        if meeting["status"] == "done" and meeting["enhanced_transcript"] and meeting["report"]:
            break
        time.sleep(1)
    else:
        pytest.fail(f"not done in {TIMEOUT_SEC} s: {meeting}\n{stack.log_tail()}")

    assert meeting["finish_reason"] == "idle"
    assert meeting["finished_at"] is not None
    finished_at = datetime.fromisoformat(meeting["finished_at"])
    last_chunk_at = datetime.fromisoformat(meeting["last_chunk_at"])
    # The rule, on the events' own times: finished no earlier than the idle time after.
    assert finished_at - last_chunk_at >= timedelta(seconds=IDLE_FINISH_SEC)
    assert "kafka" in meeting["enhanced_transcript"].lower()
    assert set(meeting["report"]) >= REPORT_KEYS
    assert meeting["chunks_received"] == len(interview.chunks(2.0))

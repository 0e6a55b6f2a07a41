"""Smoke path against a running stack: start → chunks → get until transcript and report.

    E2E_BASE_URL=http://127.0.0.1:8010 .venv/bin/python tools/e2e_local.py [RECORDING]

The older service's smoke test, kept for operators: it speaks only the public contract.
Real speech: the recording given, else an English interview synthesised with
``espeak-ng`` (Debian package). Credentials: ``E2E_API_KEY`` (X-API-Key) or
``E2E_BEARER_TOKEN``. Exit status 0 when the meeting has a non-empty
``enhanced_transcript`` and a ``report`` with the contract's four keys, 1 otherwise.

Must not: use anything but the public API.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from interview_analytics.ops.client import ApiClient, ApiError, Credentials, pcm_chunks

SCRIPT = (
    "Hello and welcome. Could you tell me about the last project you worked on? "
    "Sure. I built a payment service in Python, with Kafka and PostgreSQL. "
    "How did you deal with duplicate messages? "
    "Every consumer was idempotent on the message key."
)
REPORT_KEYS = {"summary", "bullets", "risk_flags", "recommendation"}


def synthesize(directory: Path) -> Path:
    if shutil.which("espeak-ng") is None:
        raise SystemExit("e2e_local: espeak-ng is not installed (apt-get install espeak-ng)")
    path = directory / "interview.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(path), SCRIPT], check=True)
    return path


def main(argv: list[str]) -> int:
    base_url = os.environ.get("E2E_BASE_URL", "http://127.0.0.1:8010")
    credentials = Credentials(
        api_key=os.environ.get("E2E_API_KEY", ""),
        bearer_token=os.environ.get("E2E_BEARER_TOKEN", ""),
    )
    timeout = float(os.environ.get("E2E_TIMEOUT_SEC", "300"))
    with tempfile.TemporaryDirectory() as directory, ApiClient(base_url, credentials) as client:
        recording = Path(argv[0]) if argv else synthesize(Path(directory))
        started = time.monotonic()
        try:
            meeting_id = client.start(language="en")["meeting_id"]
            print(f"started {meeting_id}")
            for seq, pcm in enumerate(pcm_chunks(recording, chunk_sec=2.0)):
                ack = client.send_chunk(meeting_id, seq, pcm)
                print(f"  chunk {seq}: accepted={ack['accepted']} blob_key={ack['blob_key']}")
            meeting = client.wait_until(
                meeting_id,
                lambda m: bool(m.get("enhanced_transcript") and m.get("report")),
                timeout,
            )
        except (ApiError, TimeoutError) as error:
            print(f"FAILED: {error}")
            return 1
    missing = REPORT_KEYS - set(meeting["report"])
    print(f"raw_transcript     : {meeting['raw_transcript']}")
    print(f"enhanced_transcript: {meeting['enhanced_transcript']}")
    print(f"report summary     : {meeting['report'].get('summary')}")
    if missing:
        print(f"FAILED: report lacks {sorted(missing)}")
        return 1
    print(f"OK in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

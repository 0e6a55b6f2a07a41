"""``ia transcribe FILE``: one recording through the whole pipeline, printed.

Uses the running stack's API (``--api``, or the one ``ia up`` published in
``DATA_DIR/runtime.json``); with none running it starts ``ia up`` for the duration and
stops it afterwards. The recording goes in as a post-meeting upload — 5-second PCM
chunks, then finish — exactly as a client would send it, and the command waits for the
final enhanced transcript and report.

Must not: bypass the API (it is a client like any other).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from interview_analytics.ops import runtime
from interview_analytics.ops.client import (
    ApiClient,
    ApiError,
    Credentials,
    api_answers,
    is_final,
    pcm_chunks,
)
from interview_analytics.ops.settings import Settings
from interview_analytics.ops.supervisor import ia_command

STACK_START_TIMEOUT_SEC = 600.0


def transcribe(
    settings: Settings,
    path: Path,
    *,
    api_url: str = "",
    language: str | None = None,
    api_key: str = "",
    timeout: float = 1800.0,
    as_json: bool = False,
) -> int:
    if not path.is_file():
        print(f"ia transcribe: no such file: {path}", file=sys.stderr)
        return 2
    try:
        chunks = list(pcm_chunks(path))
    except ValueError as error:
        print(f"ia transcribe: cannot decode {path}: {error}", file=sys.stderr)
        return 2
    with _api(settings, api_url) as url, ApiClient(url, Credentials(api_key=api_key)) as client:
        fields: dict[str, Any] = {"mode": "postmeeting", "context": {"source_file": path.name}}
        if language:
            fields["language"] = language
        try:
            meeting_id = client.start(**fields)["meeting_id"]
            for seq, pcm in enumerate(chunks):
                client.send_chunk(meeting_id, seq, pcm)
                _bar("uploading   ", seq + 1, len(chunks))
            client.finish(meeting_id)
            meeting = client.wait_until(
                meeting_id,
                is_final,
                timeout,
                on_poll=lambda m: _bar(
                    "transcribing", int(m.get("chunks_transcribed") or 0), len(chunks)
                ),
            )
        except (ApiError, TimeoutError) as error:
            print(f"\nia transcribe: {error}", file=sys.stderr)
            return 1
    print(file=sys.stderr)
    if as_json:
        print(json.dumps(meeting, ensure_ascii=False, indent=2))
    else:
        _print_meeting(meeting)
    return 0


@contextmanager
def _api(settings: Settings, api_url: str) -> Iterator[str]:
    """The URL of a running API, starting ``ia up`` for the duration when there is none."""
    known = api_url or str(runtime.read(settings.data_dir).get("api_url") or "")
    if known and api_answers(known):
        yield known
        return
    if api_url:
        raise SystemExit(f"ia transcribe: no API answering at {api_url}")
    print("no stack running: starting one (ia up) for this recording …", file=sys.stderr)
    stack = subprocess.Popen(ia_command("up"), stdout=sys.stderr, stderr=sys.stderr)
    try:
        url = _wait_for_api(settings, stack)
        yield url
    finally:
        stack.send_signal(signal.SIGINT)
        try:
            stack.wait(timeout=60)
        except subprocess.TimeoutExpired:
            stack.kill()
            stack.wait()


def _wait_for_api(settings: Settings, stack: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + STACK_START_TIMEOUT_SEC
    while time.monotonic() < deadline:
        if stack.poll() is not None:
            raise SystemExit(f"ia transcribe: ia up exited with {stack.returncode}")
        url = str(runtime.read(settings.data_dir).get("api_url") or "")
        if url and api_answers(url):
            return url
        time.sleep(0.5)
    raise SystemExit("ia transcribe: the stack did not start in time")


def _bar(label: str, done: int, total: int, width: int = 30) -> None:
    filled = int(width * done / total) if total else width
    print(
        f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} chunks",
        end="",
        file=sys.stderr,
        flush=True,
    )


def _print_meeting(meeting: dict[str, Any]) -> None:
    report = meeting.get("report") or {}
    print(f"meeting {meeting['meeting_id']} ({meeting.get('language')}, {meeting.get('status')})")
    print("\n== Enhanced transcript ==\n")
    print(meeting.get("enhanced_transcript") or "(empty)")
    print("\n== Report ==\n")
    print(report.get("summary") or "")
    for bullet in report.get("bullets") or ():
        print(f"  • {bullet}")
    if report.get("risk_flags"):
        print("risk flags: " + "; ".join(report["risk_flags"]))
    if report.get("recommendation"):
        print(f"recommendation: {report['recommendation']}")
    metrics = meeting.get("metrics") or {}
    if metrics:
        shares = ", ".join(f"{k} {v:.0%}" for k, v in (metrics.get("talk_share") or {}).items())
        print(
            f"talk share: {shares}; questions: {metrics.get('questions_count')}; "
            f"words/min: {metrics.get('wpm')}"
        )

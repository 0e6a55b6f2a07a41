"""``ia transcribe FILE``: one recording through the whole pipeline, printed.

Uses the running stack's API (``--api``, or the one ``ia up`` published in
``DATA_DIR/runtime.json``); with none running it starts ``ia up`` for the duration and
stops it afterwards. The recording goes in as a post-meeting upload — 5-second PCM
chunks, then finish — exactly as a client would send it, and the command waits for the
final enhanced transcript and report, showing on stderr what it is doing (``progress.py``).
It prints the results, and writes ``meeting.json`` and the report page (``report.html``,
``report.md``, from ``GET …/report.html`` and ``…/report.md``) to ``--out`` (default
``<recording>.ia/`` beside the recording), printing their paths and the page's URL.

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
from interview_analytics.ops.progress import Progress
from interview_analytics.ops.settings import Settings
from interview_analytics.ops.supervisor import ia_command

STACK_START_TIMEOUT_SEC = 600.0
FAILED = "failed"
"""The status of a meeting whose final pass a stage gave up on (dead-lettered)."""


def transcribe(
    settings: Settings,
    path: Path,
    *,
    api_url: str = "",
    language: str | None = None,
    api_key: str = "",
    timeout: float = 1800.0,
    as_json: bool = False,
    out_dir: Path | None = None,
) -> int:
    if not path.is_file():
        print(f"ia transcribe: no such file: {path}", file=sys.stderr)
        return 2
    try:
        chunks = list(pcm_chunks(path))
    except ValueError as error:
        print(f"ia transcribe: cannot decode {path}: {error}", file=sys.stderr)
        return 2
    out = out_dir if out_dir is not None else default_out_dir(path)
    progress = Progress(sys.stderr)
    with (
        _api(settings, api_url) as (url, own_stack),
        ApiClient(url, Credentials(api_key=api_key)) as client,
    ):
        fields: dict[str, Any] = {"mode": "postmeeting", "context": {"source_file": path.name}}
        if language:
            fields["language"] = language
        try:
            meeting_id = client.start(**fields)["meeting_id"]
            for seq, pcm in enumerate(chunks):
                client.send_chunk(meeting_id, seq, pcm)
                progress.chunk_sent(seq + 1, len(chunks))
            client.finish(meeting_id)
            meeting = client.wait_until(
                meeting_id, _final_or_failed, timeout, on_poll=progress.waiting
            )
            if meeting.get("status") == FAILED:
                progress.failed()
                print(
                    f"ia transcribe: the pipeline gave up on meeting {meeting_id} "
                    "(status failed; `ia dead-letters list` says why)",
                    file=sys.stderr,
                )
                return 1
            progress.done()
            pages = {name: client.report_page(meeting_id, name) for name in ("html", "md")}
        except (ApiError, TimeoutError) as error:
            progress.failed()
            print(f"ia transcribe: {error}", file=sys.stderr)
            return 1
    written = write_outputs(out, meeting, pages)
    if as_json:
        print(json.dumps(meeting, ensure_ascii=False, indent=2))
    else:
        _print_meeting(meeting)
    # With --json stdout is the document alone; where the files are goes to stderr then.
    where = sys.stderr if as_json else sys.stdout
    print(f"\nreport: {written['html']}", file=where)
    print(f"        {written['md']} (Markdown), {written['json']} (the meeting)", file=where)
    page_url = f"{url.rstrip('/')}/v1/meetings/{meeting_id}/report.html"
    note = " (served while a stack runs: this run's own stack has stopped)" if own_stack else ""
    print(f"report URL: {page_url}{note}", file=where)
    return 0


def _final_or_failed(meeting: dict[str, Any]) -> bool:
    return is_final(meeting) or meeting.get("status") == FAILED


def default_out_dir(recording: Path) -> Path:
    """Where the outputs go without ``--out``: ``<recording>.ia/`` beside the recording."""
    return recording.with_name(f"{recording.name}.ia")


def write_outputs(out: Path, meeting: dict[str, Any], pages: dict[str, str]) -> dict[str, Path]:
    """meeting.json, report.html and report.md in ``out``; their paths by kind."""
    out.mkdir(parents=True, exist_ok=True)
    written = {"json": out / "meeting.json", "html": out / "report.html", "md": out / "report.md"}
    written["json"].write_text(
        json.dumps(meeting, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    written["html"].write_text(pages["html"], encoding="utf-8")
    written["md"].write_text(pages["md"], encoding="utf-8")
    return written


@contextmanager
def _api(settings: Settings, api_url: str) -> Iterator[tuple[str, bool]]:
    """The URL of a running API, starting ``ia up`` for the duration when there is none
    (then the flag is true)."""
    known = api_url or str(runtime.read(settings.data_dir).get("api_url") or "")
    if known and api_answers(known):
        yield known, False
        return
    if api_url:
        raise SystemExit(f"ia transcribe: no API answering at {api_url}")
    print("no stack running: starting one (ia up) for this recording …", file=sys.stderr)
    stack = subprocess.Popen(ia_command("up"), stdout=sys.stderr, stderr=sys.stderr)
    try:
        url = _wait_for_api(settings, stack)
        yield url, True
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

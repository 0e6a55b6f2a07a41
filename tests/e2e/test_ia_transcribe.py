"""Black box: `ia transcribe FILE` with no stack running starts one, and prints the result."""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import pytest

from interview_analytics.ops.client import pcm_chunks
from interview_analytics.ops.embedded import free_port
from tests.speech import Interview, espeak_available

pytestmark = [
    pytest.mark.broker,
    pytest.mark.skipif(not espeak_available(), reason="espeak-ng makes the test speech"),
]

IA = str(Path(sys.executable).with_name("ia"))


def write_wav(path: Path, pcm: bytes) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(pcm)


def test_transcribe_runs_a_recording_through_a_stack_it_starts(
    tmp_path: Path, interview: Interview
) -> None:
    recording = tmp_path / "interview.wav"
    write_wav(recording, interview.pcm)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "EVENT_STORE"))},
        "DATA_DIR": str(tmp_path / "data"),
        "API_PORT": str(free_port()),
        "WHISPER_MODEL": "tiny.en",  # English test speech
        **{
            f"{role}_METRICS_PORT": "0"
            for role in ("RELAY", "TRANSCRIBER", "ENHANCER", "REPORTER", "PROJECTOR")
        },
    }
    result = subprocess.run(
        [IA, "transcribe", str(recording), "--language", "en", "--json", "--timeout", "240"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    meeting = json.loads(result.stdout)
    assert meeting["status"] == "done"
    assert meeting["report_final"] is True
    assert set(meeting["report"]) >= {"summary", "bullets", "risk_flags", "recommendation"}
    spoken = interview.text.lower()
    heard = meeting["enhanced_transcript"].lower()
    assert sum(word.strip(".,?") in heard for word in spoken.split()) > len(spoken.split()) / 2
    assert "starting one (ia up)" in result.stderr
    # Progress on stderr (not a terminal here: one line per step), then where the page is.
    lines = result.stderr.splitlines()
    chunks = len(list(pcm_chunks(recording)))
    assert f"chunks sent {chunks}/{chunks}" in lines
    assert any(line.startswith("waiting: transcribing (") for line in lines)
    assert any(line.startswith("done: ") for line in lines)
    out_dir = tmp_path / "interview.wav.ia"
    assert f"report: {out_dir / 'report.html'}" in lines
    page = (out_dir / "report.html").read_text(encoding="utf-8")
    assert "Interview report" in page  # English labels for an English meeting
    assert meeting["report"]["recommendation"] in html.unescape(page)
    assert (out_dir / "report.md").read_text(encoding="utf-8").startswith("# Interview report")
    assert json.loads((out_dir / "meeting.json").read_text(encoding="utf-8")) == meeting
    url = f"/v1/meetings/{meeting['meeting_id']}/report.html"
    assert any(line.startswith("report URL: http://") and url in line for line in lines)
    assert not (tmp_path / "data" / "runtime.json").exists()  # the stack it started stopped

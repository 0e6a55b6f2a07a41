"""``ia transcribe`` against a real API: its progress lines, and the report files it writes.

The API is the real front door on a real uvicorn server (``tests/api_stack.py``); the
pipeline behind it is :class:`PipelineDouble`, which records each stage's result only
after the command has polled the meeting again, so the command sees every stage in turn
without the speech model (``tests/e2e/test_ia_transcribe.py`` runs the real pipeline).
"""

from __future__ import annotations

import threading
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from interview_analytics.domain.commands import RecordFailure
from interview_analytics.http.deps import ApiLimits
from interview_analytics.ops.settings import Settings
from interview_analytics.ops.transcribe import transcribe
from interview_analytics.projections.store import ReadStore
from tests.api_stack import ApiHarness, ServerThread
from tests.factories import pcm
from tests.report_pages import (
    ENGLISH,
    record_enhancement,
    record_final_transcript,
    record_report,
    report_of,
)

T = TypeVar("T")
GET = "/v1/meetings/{meeting_id}"
FINISH = "/v1/meetings/{meeting_id}/finish"


class PipelineDouble(threading.Thread):
    """TEST DOUBLE of the transcriber, enhancer and reporter: once a meeting is finished,
    records the final transcript, the enhancement and the report, each after the client's
    next GET of the meeting, and projects them into the read model."""

    def __init__(self, api: ApiHarness, *, give_up: bool = False) -> None:
        super().__init__(name="pipeline-double", daemon=True)
        self.api = api
        self.give_up = give_up
        """Instead: give up on the final pass (a dead-lettered ``Finished``)."""
        self.error: BaseException | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            meeting_id = self._wait_for(self._finished_meeting)
            steps: list[Callable[[], object]] = [
                lambda: record_final_transcript(
                    self.api.meetings, meeting_id, ENGLISH, language="en"
                ),
                lambda: record_enhancement(self.api.meetings, meeting_id, ENGLISH),
                lambda: record_report(self.api.meetings, meeting_id, report_of(ENGLISH, "en")),
            ]
            if self.give_up:
                steps = [lambda: self._fail(meeting_id)]
            self.api.project()
            for step in steps:
                self._wait_for_poll(meeting_id, self._gets(meeting_id))
                step()
                self.api.project()
        except BaseException as error:  # reported by the test
            self.error = error

    def _fail(self, meeting_id: str) -> None:
        finished = self.api.meetings.get(meeting_id).finished_version
        assert finished is not None
        self.api.meetings.record_failure(
            RecordFailure(
                meeting_id=meeting_id,
                input_version=finished,
                stage="transcribe",
                code="speech_failed",
                reason="the double gives up",
                attempts=3,
            )
        )

    def _finished_meeting(self) -> str | None:
        for decision in list(self.api.audit.decisions):
            if decision.endpoint == FINISH and decision.allowed:
                return decision.meeting_id
        return None

    def _gets(self, meeting_id: str) -> int:
        return sum(
            1
            for d in list(self.api.audit.decisions)
            if d.endpoint == GET and d.method == "GET" and d.meeting_id == meeting_id
        )

    def _wait_for_poll(self, meeting_id: str, polled: int) -> None:
        self._wait_for(lambda: self._gets(meeting_id) > polled or None)

    def _wait_for(self, found: Callable[[], T | None]) -> T:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not self.stop.is_set():
            value = found()
            if value is not None and value is not False:
                return value
            time.sleep(0.02)
        raise TimeoutError("the client did not get this far")


@pytest.fixture
def served(tmp_path: Path, read_store: ReadStore) -> Iterator[tuple[ApiHarness, str]]:
    # The real chunk limits: the command sends 5-second chunks.
    harness = ApiHarness(tmp_path / "api", read_store, limits=ApiLimits(), no_auth=True)
    try:
        with ServerThread(harness.app) as server:
            yield harness, server.base_url
    finally:
        harness.close()


def recording_of(tmp_path: Path, seconds: float) -> Path:
    recording = tmp_path / "interview.wav"
    with wave.open(str(recording), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(pcm(seconds))
    return recording


def test_transcribe_shows_each_step_and_writes_the_report_page(
    tmp_path: Path, served: tuple[ApiHarness, str], capsys: pytest.CaptureFixture[str]
) -> None:
    api, url = served
    recording = recording_of(tmp_path, 12.0)  # three 5-second chunks
    pipeline = PipelineDouble(api)
    pipeline.start()
    try:
        code = transcribe(
            Settings.from_env({"DATA_DIR": str(tmp_path / "data")}),
            recording,
            api_url=url,
            language="en",
            timeout=120,
        )
    finally:
        pipeline.stop.set()
        pipeline.join(timeout=30)
    captured = capsys.readouterr()
    assert pipeline.error is None, pipeline.error
    assert code == 0, captured.err
    lines = captured.err.splitlines()
    assert lines[:3] == ["chunks sent 1/3", "chunks sent 2/3", "chunks sent 3/3"]
    waiting = [line.split(" (")[0] for line in lines if line.startswith("waiting: ")]
    assert waiting == ["waiting: transcribing", "waiting: enhancing", "waiting: reporting"]
    assert any(line.startswith("done: ") for line in lines)
    out_dir = tmp_path / "interview.wav.ia"
    html = (out_dir / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "Interview report" in html
    assert (out_dir / "report.md").read_text(encoding="utf-8").startswith("# Interview report")
    assert '"report_final": true' in (out_dir / "meeting.json").read_text(encoding="utf-8")
    assert f"report: {out_dir / 'report.html'}" in captured.out
    url_line = next(line for line in captured.out.splitlines() if line.startswith("report URL: "))
    assert url_line.startswith(f"report URL: {url}/v1/meetings/")
    assert url_line.endswith("/report.html")


def test_transcribe_stops_waiting_when_the_pipeline_gives_up(
    tmp_path: Path, served: tuple[ApiHarness, str], capsys: pytest.CaptureFixture[str]
) -> None:
    api, url = served
    pipeline = PipelineDouble(api, give_up=True)
    pipeline.start()
    try:
        code = transcribe(
            Settings.from_env({"DATA_DIR": str(tmp_path / "data")}),
            recording_of(tmp_path, 3.0),
            api_url=url,
            timeout=120,
        )
    finally:
        pipeline.stop.set()
        pipeline.join(timeout=30)
    captured = capsys.readouterr()
    assert pipeline.error is None, pipeline.error
    assert code == 1
    assert "the pipeline gave up on meeting" in captured.err
    assert "status failed" in captured.err
    assert not (tmp_path / "interview.wav.ia").exists()

"""The whole pipeline as processes: relay + Faust workers on the real broker and model.

A synthetic two-speaker interview (espeak-ng) is sent as 2-second chunks with speaker
hints; the meeting ends transcribed, enhanced and reported. A transcriber killed with
SIGKILL mid-meeting and started again ends in the same final events as a run without
the crash.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.wer import word_error_rate
from interview_analytics.ops.embedded import EmbeddedBroker, free_port
from interview_analytics.ops.positions import consumer_position_name
from tests.factories import chunk, start, unique_meeting_id
from tests.speech import Interview
from tests.stack import Stack

pytestmark = pytest.mark.broker

MAX_WER = 0.15  # see tests/integration/test_stages.py for the measured figure


TRANSCRIBER_METRICS_PORT = free_port()


@pytest.fixture
def stack(tmp_path: Path, own_broker: EmbeddedBroker) -> Iterator[Stack]:
    running = Stack(
        tmp_path,
        own_broker.bootstrap_servers,
        TRANSCRIBER_METRICS_PORT=str(TRANSCRIBER_METRICS_PORT),
    )
    running.start()
    yield running
    running.stop()


def send(app: Meetings, meeting_id: str, interview: Interview, *, upto: int | None = None,
         start_at: int = 0) -> int:  # fmt: skip
    pieces = interview.chunks(2.0)
    if start_at == 0:
        app.start(start(meeting_id))
    end = len(pieces) if upto is None else upto
    for seq in range(start_at, end):
        pcm, speaker = pieces[seq]
        app.receive_chunk(chunk(meeting_id, seq, audio=pcm, speaker_hint=speaker))
    return end


def final_results(app: Meetings, meeting_id: str) -> dict[str, Any]:
    """The final events' content, without ids and timings that differ between meetings."""
    results: dict[str, Any] = {}
    for event in app.stream(meeting_id):
        if isinstance(event, Meeting.Transcribed) and event.final:
            results["segments"] = [
                {k: v for k, v in s.items() if k != "segment_id"} for s in event.segments
            ]
        elif isinstance(event, Meeting.Enhanced) and event.final:
            results["enhanced"] = event.text
        elif isinstance(event, Meeting.Reported) and event.final:
            results["report"] = event.report
    return results


def is_done(app: Meetings, meeting_id: str) -> bool:
    return app.get(meeting_id).status == "done"


def test_interview_through_the_pipeline_and_a_crashed_transcriber(
    stack: Stack, interview: Interview
) -> None:
    app = stack.meetings()

    # 1. Uninterrupted: live drafts while chunks arrive, then the final pass.
    reference = unique_meeting_id("pipe")
    send(app, reference, interview)
    stack.wait_for(lambda: len(app.get(reference).results.transcriptions) >= 3, 180, "live drafts")
    live = app.get(reference)
    assert live.latest_enhancement() is not None or live.results.transcriptions
    app.finish(reference)
    stack.wait_for(lambda: is_done(app, reference), 240, "the final report")

    meeting = app.get(reference)
    wer = word_error_rate(interview.text, meeting.raw_transcript())
    assert wer <= MAX_WER, meeting.raw_transcript()
    assert {s["speaker"] for s in meeting.transcript()} == {"interviewer", "candidate"}
    report = meeting.latest_report()
    assert report is not None
    assert report.final
    for speaker in ("interviewer", "candidate"):
        talk = report.report["analytics"]["speakers"][speaker]["talk_sec"]
        assert abs(talk - interview.talk_sec(speaker)) <= 0.5, (speaker, talk)
    # Every worker records how far it got, in store positions: lag reaches zero.
    tracking = app.factory.tracking_recorder()
    head = app.recorder.max_notification_id()
    for role in ("transcriber", "enhancer", "reporter"):
        stack.wait_for(
            lambda role=role: tracking.max_tracking_id(consumer_position_name(role)) == head,
            30,
            f"{role} position",
        )
    metrics = httpx.get(f"http://127.0.0.1:{TRANSCRIBER_METRICS_PORT}/metrics").text
    assert (
        'agent_queue_tasks_total{queue="meeting-events",result="recorded",service="ia-transcriber"}'
        in metrics
    )
    assert "ia_speech_real_time_factor_count" in metrics
    assert 'agent_queue_pending{group="ia-transcriber",queue="meeting-events"} 0.0' in metrics

    kinds = [type(e).__name__ for e in app.stream(reference)]
    assert kinds.count("Finished") == 1
    assert sum(1 for e in app.stream(reference)
               if isinstance(e, Meeting.Transcribed) and e.final) == 1  # fmt: skip

    # 2. The same interview, with the transcriber SIGKILLed in the middle.
    crashed = unique_meeting_id("crash")
    half = send(app, crashed, interview, upto=len(interview.chunks(2.0)) // 2)
    stack.wait_for(
        lambda: len(app.get(crashed).results.transcriptions) >= 2, 180, "drafts before the crash"
    )
    stack.kill("transcriber")
    send(app, crashed, interview, start_at=half)
    app.finish(crashed)
    stack.start("transcriber")
    stack.wait_for(lambda: is_done(app, crashed), 300, "the final report after the crash")

    assert final_results(app, crashed) == final_results(app, reference)
    results = [
        (type(e).__name__, getattr(e, "input_version", None))
        for e in app.stream(crashed)
        if isinstance(e, Meeting.Transcribed | Meeting.Enhanced | Meeting.Reported)
    ]
    assert len(results) == len(set(results)), "a result was recorded twice for one input"

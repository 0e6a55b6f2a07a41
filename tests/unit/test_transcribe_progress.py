"""What ``ia transcribe`` shows while it works (``ops/progress.py``): plain lines, or one
``\\r``-updated line on a terminal."""

from __future__ import annotations

import io
from typing import Any

import pytest

from interview_analytics.ops.progress import (
    ENHANCING,
    REPORTING,
    TRANSCRIBING,
    Progress,
    stage_of,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def meeting(*, final: bool = False, enhanced: str = "", transcribed: int = 0) -> dict[str, Any]:
    return {
        "segments": [{"final": final, "text": "x"}] if final or transcribed else [],
        "enhanced_transcript": enhanced,
        "chunks_transcribed": transcribed,
    }


@pytest.mark.parametrize(
    ("document", "stage"),
    [
        (meeting(), TRANSCRIBING),
        (meeting(transcribed=2), TRANSCRIBING),  # drafts only
        (meeting(final=True), ENHANCING),
        (meeting(final=True, enhanced="Hello."), REPORTING),
    ],
)
def test_the_stage_is_read_from_the_meeting_document(document: dict[str, Any], stage: str) -> None:
    assert stage_of(document) == stage


def test_without_a_terminal_each_step_is_one_line_with_its_elapsed_seconds() -> None:
    out, clock = io.StringIO(), Clock()
    progress = Progress(out, tty=False, clock=clock)
    for sent in (1, 2, 3):
        progress.chunk_sent(sent, 3)
    progress.waiting(meeting())
    clock.now += 4
    progress.waiting(meeting())  # the same step: no new line
    clock.now += 3
    progress.waiting(meeting(final=True))
    clock.now += 2
    progress.waiting(meeting(final=True, enhanced="Hi."))
    clock.now += 1
    progress.done()
    assert "\r" not in out.getvalue()
    assert out.getvalue().splitlines() == [
        "chunks sent 1/3",
        "chunks sent 2/3",
        "chunks sent 3/3",
        "waiting: transcribing (0 s)",
        "waiting: enhancing (7 s)",
        "waiting: reporting (9 s)",
        "done: transcript, enhancement and report in 10 s",
    ]


def test_on_a_terminal_one_line_is_updated_and_each_step_leaves_one_line() -> None:
    out, clock = io.StringIO(), Clock()
    progress = Progress(out, tty=True, clock=clock)
    progress.chunk_sent(1, 2)
    progress.chunk_sent(2, 2)
    progress.waiting(meeting())
    clock.now += 5
    progress.waiting(meeting(transcribed=1))
    progress.waiting(meeting(final=True, enhanced="Hi."))
    progress.done()
    text = out.getvalue()
    lines = text.split("\n")
    # One finished line per step: the upload, transcribing, reporting; then "done".
    assert [line.rsplit("\r", 1)[-1].rstrip() for line in lines[:-1]] == [
        f"chunks sent [{'#' * 30}] 2/2",
        "waiting: transcribing (5 s), chunks transcribed 1",
        "waiting: reporting (5 s)",
        "done: transcript, enhancement and report in 5 s",
    ]
    assert lines[0].count("\r") == 2  # the bar was redrawn in place
    assert f"[{'#' * 15}{'.' * 15}] 1/2" in lines[0]


def test_a_failure_ends_the_open_line_first() -> None:
    out = io.StringIO()
    progress = Progress(out, tty=True, clock=Clock())
    progress.chunk_sent(1, 4)
    progress.failed()
    assert out.getvalue().endswith("\n")
    progress.failed()
    assert not out.getvalue().endswith("\n\n")

"""What ``ia transcribe`` shows while it works: chunks sent, then the stage it waits for.

:class:`Progress` writes to a text stream (stderr): ``chunks sent i/N`` for the upload,
then ``waiting: transcribing|enhancing|reporting`` with the seconds since the recording
was finished, then ``done``. On a terminal it keeps one line up to date with ``\\r``
(ending it when the step changes, so each step leaves one line); anywhere else (a pipe, a
log file, a test) it writes one plain line per step. :func:`stage_of` reads the stage
from the meeting document that ``GET /v1/meetings/{id}`` answers.

Must not: talk to the API (it is given the documents), or write to stdout, which may be
carrying the ``--json`` answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TextIO

TRANSCRIBING = "transcribing"
ENHANCING = "enhancing"
REPORTING = "reporting"
BAR_WIDTH = 30


def stage_of(meeting: dict[str, Any]) -> str:
    """The stage a finished post-meeting upload waits for, judged from its document: the
    final transcript, then the enhanced transcript, then the final report."""
    segments = meeting.get("segments") or ()
    if not any(segment.get("final") for segment in segments):
        return TRANSCRIBING
    if not meeting.get("enhanced_transcript"):
        return ENHANCING
    return REPORTING


class Progress:
    def __init__(
        self,
        stream: TextIO,
        *,
        tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.clock = clock
        self._step: str | None = None
        self._open = False  # a \r line is on the terminal, not yet ended
        self._waiting_since: float | None = None

    def chunk_sent(self, sent: int, total: int) -> None:
        if self.tty:
            filled = BAR_WIDTH * sent // total if total else BAR_WIDTH
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            self._update("upload", f"chunks sent [{bar}] {sent}/{total}")
        else:
            self._line(f"chunks sent {sent}/{total}")

    def waiting(self, meeting: dict[str, Any]) -> None:
        """One poll of the meeting while waiting for the results."""
        now = self.clock()
        if self._waiting_since is None:
            self._waiting_since = now
        stage = stage_of(meeting)
        elapsed = now - self._waiting_since
        text = f"waiting: {stage} ({elapsed:.0f} s)"
        if stage == TRANSCRIBING and meeting.get("chunks_transcribed"):
            text += f", chunks transcribed {meeting['chunks_transcribed']}"
        if self.tty:
            self._update(stage, text)
        elif stage != self._step:
            self._step = stage
            self._line(text)

    def done(self) -> None:
        elapsed = self.clock() - self._waiting_since if self._waiting_since is not None else 0.0
        self._end()
        self._line(f"done: transcript, enhancement and report in {elapsed:.0f} s")

    def failed(self) -> None:
        """End the line in progress before an error message follows it."""
        self._end()

    def _update(self, step: str, text: str) -> None:
        if step != self._step:
            self._end()
            self._step = step
        # Spaces pad over the rest of a longer earlier text on the same line.
        self.stream.write(f"\r{text:<60}")
        self.stream.flush()
        self._open = True

    def _end(self) -> None:
        if self._open:
            self.stream.write("\n")
            self._open = False

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

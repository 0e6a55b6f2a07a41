"""A meeting's life in plain words, and the settings it is started with.

``Status`` is what the API and the read store show (queued → processing → finalizing →
done, or failed); ``StartSettings`` is what a start asks for, and ``normalised`` validates it
into what ``Meeting.Started`` records, so that a repeated start can be compared with the
first one. A meeting ends for one of the ``FinishReason`` values; the inactivity rule
(``idle_deadline``) is a pure function of its activity times and its idle setting.

Must not: hold state or trigger events (the aggregate in ``meeting.py`` does both).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeGuard

from interview_analytics.domain.errors import InvalidCommandError

MODES = ("realtime", "postmeeting")
CONSENTS = ("unknown", "granted", "denied")
AUTO_LANGUAGE = "auto"
"""The language a meeting asks for when the transcriber is to detect it from the first speech."""


class Status:
    """Plain words, as the contract asks (never an enum repr)."""

    QUEUED = "queued"  # started, no audio yet
    PROCESSING = "processing"  # audio arriving / being transcribed
    FINALIZING = "finalizing"  # finished, final pass under way
    DONE = "done"  # final report recorded
    FAILED = "failed"  # a stage gave up on the meeting's final input


class FinishReason:
    """Why a meeting ended (``Meeting.Finished.reason``); a client may also name its own."""

    CLIENT = "client"  # POST /v1/meetings/{id}/finish (or the WebSocket finish)
    CONNECTOR_LEFT = "connector_left"  # the platform connector's session reached Left
    IDLE = "idle"  # no chunk for the meeting's idle time (see ``idle_deadline``)


IDLE_FINISH_SEC = "idle_finish_sec"
"""The start context key that overrides MEETING_IDLE_FINISH_SEC for one meeting (0 = never)."""


def _valid_idle_sec(value: Any) -> TypeGuard[int | float]:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


def idle_finish_sec(context: Mapping[str, Any], default: float) -> float:
    """The meeting's idle time: its context's ``idle_finish_sec``, else ``default``.

    A value stored before starts were validated that is not a number >= 0 counts as unset,
    so an old meeting still gets the default rather than breaking the timer.
    """
    value = context.get(IDLE_FINISH_SEC)
    return float(value) if _valid_idle_sec(value) else default


def idle_deadline(activity: Iterable[datetime], idle_sec: float) -> datetime | None:
    """When a meeting ends for inactivity: its last activity (start or chunk, by event
    time) plus ``idle_sec``; None when ``idle_sec`` is 0 (disabled) or there was none."""
    if idle_sec <= 0:
        return None
    last = max(activity, default=None)
    return None if last is None else last + timedelta(seconds=idle_sec)


@dataclass(frozen=True)
class IdleCheck:
    """What ``Meeting.finish_when_idle`` found: whether it finished the meeting now, and
    the deadline it judged by (None = the meeting never ends for inactivity, or has ended)."""

    finished: bool
    deadline: datetime | None


@dataclass(frozen=True, kw_only=True)
class StartSettings:
    """How a meeting is run, as a start asks for it (``normalised`` checks it)."""

    mode: str = "realtime"
    language: str = "ru"
    consent: str = "unknown"
    context: dict[str, Any] | None = None
    recipients: list[str] | None = None

    def normalised(self) -> dict[str, Any]:
        """Validated, normalised start payload (what ``Started`` records)."""
        if self.mode not in MODES:
            raise InvalidCommandError(f"mode must be one of {MODES}", mode=self.mode)
        if self.consent not in CONSENTS:
            raise InvalidCommandError(f"consent must be one of {CONSENTS}", consent=self.consent)
        if not isinstance(self.language, str) or not 2 <= len(self.language) <= 16:
            raise InvalidCommandError(
                "language must be a 2-16 character code", language=self.language
            )
        if self.context is not None and not isinstance(self.context, dict):
            raise InvalidCommandError("context must be an object")
        if self.context and IDLE_FINISH_SEC in self.context:
            idle = self.context[IDLE_FINISH_SEC]
            if not _valid_idle_sec(idle):
                raise InvalidCommandError(
                    f"context.{IDLE_FINISH_SEC} must be a number >= 0 "
                    "(seconds without a chunk before the meeting finishes; 0 = never)",
                    idle_finish_sec=idle,
                )
        if self.recipients is not None and (
            not isinstance(self.recipients, list)
            or not all(isinstance(r, str) for r in self.recipients)
        ):
            raise InvalidCommandError("recipients must be a list of strings")
        return {
            "mode": self.mode,
            "language": self.language.lower(),
            "consent": self.consent,
            "context": dict(self.context or {}),
            "recipients": list(self.recipients or []),
        }

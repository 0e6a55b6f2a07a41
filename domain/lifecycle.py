"""A meeting's life in plain words, and the settings it is started with.

``Status`` is what the API and the read store show (queued → processing → finalizing →
done); ``StartSettings`` is what a start asks for, and ``normalised`` validates it into what
``Meeting.Started`` records, so that a repeated start can be compared with the first one.

Must not: hold state or trigger events (the aggregate in ``meeting.py`` does both).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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

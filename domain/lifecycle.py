"""A meeting's life in plain words, and the settings it is started with.

``Status`` is what the API and the read store show (queued → processing → finalizing →
done); ``start_settings`` validates and normalises what ``Meeting.Started`` records, so
that a repeated start can be compared with the first one.

Must not: hold state or trigger events (the aggregate in ``meeting.py`` does both).
"""

from __future__ import annotations

from typing import Any

from interview_analytics.domain.errors import InvalidCommandError

MODES = ("realtime", "postmeeting")
CONSENTS = ("unknown", "granted", "denied")


class Status:
    """Plain words, as the contract asks (never an enum repr)."""

    QUEUED = "queued"  # started, no audio yet
    PROCESSING = "processing"  # audio arriving / being transcribed
    FINALIZING = "finalizing"  # finished, final pass under way
    DONE = "done"  # final report recorded


def start_settings(
    mode: str,
    language: str,
    consent: str,
    context: dict[str, Any] | None,
    recipients: list[str] | None,
) -> dict[str, Any]:
    """Validated, normalised start payload (what ``Started`` records)."""
    if mode not in MODES:
        raise InvalidCommandError(f"mode must be one of {MODES}", mode=mode)
    if consent not in CONSENTS:
        raise InvalidCommandError(f"consent must be one of {CONSENTS}", consent=consent)
    if not isinstance(language, str) or not 2 <= len(language) <= 16:
        raise InvalidCommandError("language must be a 2-16 character code", language=language)
    if context is not None and not isinstance(context, dict):
        raise InvalidCommandError("context must be an object")
    if recipients is not None and (
        not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients)
    ):
        raise InvalidCommandError("recipients must be a list of strings")
    return {
        "mode": mode,
        "language": language.lower(),
        "consent": consent,
        "context": dict(context or {}),
        "recipients": list(recipients or []),
    }

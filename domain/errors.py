"""Errors the domain raises when it refuses a command.

Each error names what was refused and carries a stable machine-readable ``code`` and a
``details`` mapping; the HTTP layer maps the class to a status code and puts both into the
contract's error body.

Must not: know about HTTP (status codes and response bodies are the HTTP layer's).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DomainError(Exception):
    """Base of every refusal. ``code`` is part of the public contract."""

    code = "domain_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: Mapping[str, Any] = details


class InvalidCommandError(DomainError):
    """A command's arguments break a rule that does not depend on state."""

    code = "invalid_argument"


class InvalidMeetingIdError(InvalidCommandError):
    code = "invalid_meeting_id"


class InvalidAudioError(InvalidCommandError):
    """Audio bytes or format that cannot be accepted (empty, misaligned PCM, bad codec)."""

    code = "invalid_audio"


class UnsupportedLanguageError(InvalidCommandError):
    """The meeting asks for a language the loaded speech model cannot transcribe."""

    code = "unsupported_language"


class MeetingNotFoundError(DomainError):
    code = "meeting_not_found"


class MeetingAlreadyExistsError(DomainError):
    """A start for an existing meeting id with a different payload."""

    code = "meeting_already_exists"


class MeetingFinishedError(DomainError):
    """A chunk for a meeting that has already finished."""

    code = "meeting_finished"


class ChunkConflictError(DomainError):
    """The same seq was already accepted with different content."""

    code = "chunk_conflict"


class IdempotencyKeyConflictError(DomainError):
    """The idempotency key was already used for a different chunk."""

    code = "idempotency_key_conflict"


class ConcurrentUpdateError(DomainError):
    """Optimistic concurrency kept failing; the caller may retry the whole command."""

    code = "concurrent_update"


class ConnectorNeverJoinedError(DomainError):
    """A connector action or status for a meeting the connector was never asked to join."""

    code = "never_joined"


class ConnectorStateError(DomainError):
    """A connector transition the session's current state does not allow (e.g. reconnecting
    a session that has left)."""

    code = "connector_state_conflict"


class InvalidWebhookError(InvalidCommandError):
    """A webhook endpoint the rules refuse: not an http(s) URL, unknown or no events, a
    malformed id or secret (``webhooks.py``)."""

    code = "invalid_webhook"


class WebhookNotFoundError(DomainError):
    """No such webhook endpoint for the caller's tenant (another tenant's is not found either)."""

    code = "webhook_not_found"


class WebhookLimitError(DomainError):
    """The tenant already has as many webhook endpoints as it may."""

    code = "too_many_webhooks"


class UnknownSpeakerError(InvalidCommandError):
    """A speaker edit names a label the meeting's final transcript does not have."""

    code = "unknown_speaker"


class UnknownRoleError(InvalidCommandError):
    """A speaker edit gives a role other than interviewer, candidate or observer."""

    code = "unknown_role"


class TranscriptNotFinalError(DomainError):
    """Speakers can be named only once the meeting has its final transcript."""

    code = "transcript_not_final"


class MeetingErasedError(DomainError):
    """The meeting was erased (``Erased``): it takes no more commands and shows nothing."""

    code = "meeting_erased"


class ConsentDeniedError(DomainError):
    """Audio (or the connector) for a meeting whose recording consent is denied: refused,
    and nothing of it is stored."""

    code = "consent_denied"

"""Recording consent: what a meeting's consent lets happen to its audio.

``granted``: audio is accepted and processed. ``denied``: the meeting exists, but audio is
refused (``ConsentDeniedError``, nothing stored) and nothing already stored is transcribed.
``unknown``: the deployment's ``UnknownConsentPolicy`` decides — ``process`` (the legacy
behaviour) treats it as granted; ``hold`` accepts and stores the audio but marks each chunk
held (``ChunkReceived.held``), and the transcriber leaves held chunks alone until a
``ConsentChanged`` to ``granted`` releases them. The decision is recorded on the chunk's own
event, so a replay reaches the same result whatever the setting is then.

Must not: read settings (``ops/`` passes the policy to ``Meetings``) or store anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from interview_analytics.domain.errors import InvalidCommandError
from interview_analytics.domain.lifecycle import CONSENTS

UNKNOWN = "unknown"
GRANTED = "granted"
DENIED = "denied"

DENIAL_ERASURE_REASON = "consent_denied"
"""The ``Erased`` reason of a meeting erased because consent was denied after audio."""


class UnknownConsentPolicy:
    """What ``unknown`` consent means for audio (the ``CONSENT_UNKNOWN_POLICY`` setting)."""

    PROCESS = "process"
    """Accept and process, as if granted (the legacy behaviour)."""
    HOLD = "hold"
    """Accept and store, but process only once consent is granted."""

    ALL = (PROCESS, HOLD)


def validate_consent(consent: str) -> str:
    if consent not in CONSENTS:
        raise InvalidCommandError(f"consent must be one of {CONSENTS}", consent=consent)
    return consent


def validate_policy(policy: str) -> str:
    if policy not in UnknownConsentPolicy.ALL:
        raise InvalidCommandError(
            f"the unknown-consent policy must be one of {UnknownConsentPolicy.ALL}",
            policy=policy,
        )
    return policy


def holds_audio(consent: str, policy: str) -> bool:
    """Whether a chunk received under ``consent`` is to be held (stored, not processed)."""
    return consent == UNKNOWN and policy == UnknownConsentPolicy.HOLD


@dataclass(frozen=True)
class ConsentOutcome:
    """The answer to a consent change; ``duplicate`` when the consent already was that."""

    meeting_id: str
    consent: str
    previous: str
    version: int
    duplicate: bool
    released_seqs: tuple[int, ...] = ()
    """Held chunks that a grant released for processing."""
    erased_chunks: int = 0
    """Under ``denied`` (a repeat included, so a retry completes it): the chunks stored,
    which the caller erases with the meeting."""

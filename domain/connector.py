"""A meeting's connector session: the platform bot that joins a live meeting and pulls its
audio into the chunk path.

The session lives on the meeting's own event stream (``Meeting.Connector*`` events), so its
history sits beside the audio it produced in one replayable audit trail. Lifecycle::

    requested → joining → connected ⇄ reconnecting → leaving → left
         (any active state) → failed(stage, error kind)

``reconnecting`` means "should be connected and is not": the stream dropped, the session
went stale, or a join attempt failed with an error worth retrying. ``failed`` is final
until someone asks to join again. This module holds the state and its rules; the events
that change it are defined on ``Meeting``.

Must not: talk to the platform, read a clock (transition times are the events' own), or
change a session in place (every transition returns a new one).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any


class SessionState:
    """Plain words, as in the admin API and the ``connector_sessions`` table."""

    REQUESTED = "requested"
    JOINING = "joining"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    LEAVING = "leaving"
    LEFT = "left"
    FAILED = "failed"


ALL_STATES = (
    SessionState.REQUESTED,
    SessionState.JOINING,
    SessionState.CONNECTED,
    SessionState.RECONNECTING,
    SessionState.LEAVING,
    SessionState.LEFT,
    SessionState.FAILED,
)
# States in which the connector is (or should be) in the meeting.
ACTIVE_STATES = frozenset(ALL_STATES) - {SessionState.LEFT, SessionState.FAILED}
# States from which a join attempt may begin.
JOINABLE_STATES = frozenset({SessionState.REQUESTED, SessionState.RECONNECTING})


@dataclass(frozen=True)
class ConnectorTrouble:
    """What went wrong with a session: where (``stage``: join, pull, reconcile, operator),
    what kind (the platform error's kind) and a message for operators."""

    stage: str
    error_kind: str
    message: str


@dataclass(frozen=True)
class ConnectorSession:
    """The session's state as its events left it. Timestamps are the events' own."""

    provider: str
    state: str
    participants: tuple[str, ...]
    language: str | None
    requested_at: datetime
    updated_at: datetime
    attempts: int = 0
    """Join attempts so far, the first and every reconnect."""
    reconnects: int = 0
    """Times a connected session was found dropped or stale."""
    cursor: int = 0
    """The next live-chunk seq to pull: everything before it is on the meeting."""
    chunks: int = 0
    """Live chunks handed to the chunk path."""
    last_error: str | None = None
    last_error_kind: str | None = None
    failed_stage: str | None = None
    connected_at: datetime | None = None
    last_audio_at: datetime | None = None
    last_heartbeat_at: datetime | None = None

    @property
    def connected(self) -> bool:
        return self.state == SessionState.CONNECTED

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def last_seen_at(self) -> datetime:
        """When the platform last showed the session alive: audio, a heartbeat, or the
        join itself; before any of those, the last transition."""
        seen = [t for t in (self.connected_at, self.last_audio_at, self.last_heartbeat_at) if t]
        return max(seen) if seen else self.updated_at

    def is_stale(self, now: datetime, stale_after_sec: float) -> bool:
        """Connected, yet no audio and no heartbeat for ``stale_after_sec`` — not merely old."""
        return self.connected and (now - self.last_seen_at).total_seconds() >= stale_after_sec

    # ------------------------------------------------------------ transitions

    @classmethod
    def requested(
        cls,
        provider: str,
        participants: tuple[str, ...],
        language: str | None,
        at: datetime,
        earlier: ConnectorSession | None,
    ) -> ConnectorSession:
        """A new request; a session asked for again after it ended keeps its cursor (the
        platform's seqs continue) and its counters."""
        if earlier is None:
            return cls(provider, SessionState.REQUESTED, participants, language, at, at)
        return earlier._moved(
            SessionState.REQUESTED,
            at,
            provider=provider,
            participants=participants,
            language=language,
            requested_at=at,
            **_NO_ERROR,
        )

    def joining(self, at: datetime) -> ConnectorSession:
        return self._moved(SessionState.JOINING, at, attempts=self.attempts + 1)

    def connected_now(self, at: datetime) -> ConnectorSession:
        return self._moved(SessionState.CONNECTED, at, connected_at=at, **_NO_ERROR)

    def progressed(self, cursor: int, chunks: int, at: datetime) -> ConnectorSession:
        """Audio pulled (or a heartbeat): not a transition, so ``updated_at`` stays."""
        return replace(
            self,
            cursor=cursor,
            chunks=self.chunks + chunks,
            last_heartbeat_at=at,
            last_audio_at=at if chunks else self.last_audio_at,
        )

    def interrupted(self, stage: str, kind: str, message: str, at: datetime) -> ConnectorSession:
        reconnects = self.reconnects + (1 if self.connected else 0)
        return self._moved(
            SessionState.RECONNECTING, at, reconnects=reconnects, **_error(stage, kind, message)
        )

    def leaving(self, at: datetime) -> ConnectorSession:
        return self._moved(SessionState.LEAVING, at)

    def left(self, at: datetime) -> ConnectorSession:
        return self._moved(SessionState.LEFT, at)

    def failed(self, stage: str, kind: str, message: str, at: datetime) -> ConnectorSession:
        return self._moved(SessionState.FAILED, at, **_error(stage, kind, message))

    def _moved(self, state: str, at: datetime, **changes: Any) -> ConnectorSession:
        """The session in ``state`` since ``at``, with ``changes``."""
        return replace(self, state=state, updated_at=at, **changes)


_NO_ERROR: dict[str, Any] = {"last_error": None, "last_error_kind": None, "failed_stage": None}


def _error(stage: str, kind: str, message: str) -> dict[str, Any]:
    """The last-error fields of a session that went wrong at ``stage``."""
    return {"last_error": message, "last_error_kind": kind, "failed_stage": stage}

"""The SberJazz connector's session manager: join, leave, reconnect, pull live audio and
reconcile, each step recorded on the meeting's stream (``domain/connector.py``).

Who calls it: the admin API (join/leave/reconnect/status/reconcile, ops/connector.py wires
it), and the reconciliation worker (ops/reconciler.py: joins requested sessions as their
events arrive, pulls live audio, reconciles on a timer).

Safety with several workers: every join attempt is first *claimed* by recording
``ConnectorJoining`` (optimistic concurrency on the meeting's stream lets one claimer win);
live audio goes in with its cursor in one save, and a chunk pulled twice is a duplicate the
chunk rules answer without a new event; ``owns`` (partition ownership) keeps replicas off
each other's sessions in the first place.

Must not: read the environment, or import ops/projections (it gets ports).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from interview_analytics.connectors.sberjazz.client import LiveChunk, SberJazzClient
from interview_analytics.connectors.sberjazz.errors import ErrorKind, SberJazzError
from interview_analytics.connectors.sberjazz.metrics import ConnectorMetrics
from interview_analytics.domain.application import Meetings
from interview_analytics.domain.audio import PCM, AudioFormat
from interview_analytics.domain.commands import ReceiveChunk
from interview_analytics.domain.connector import (
    ACTIVE_STATES,
    JOINABLE_STATES,
    ConnectorSession,
    ConnectorTrouble,
    SessionState,
)
from interview_analytics.domain.errors import (
    ConnectorStateError,
    ConsentDeniedError,
    DomainError,
    MeetingFinishedError,
)
from interview_analytics.domain.events import EventMeta
from interview_analytics.domain.read_filters import ConnectorSessionsFilter
from interview_analytics.domain.results import ChunkOutcome

log = logging.getLogger(__name__)
T = TypeVar("T")

PROVIDER = "sberjazz"
ACTOR = "connector:sberjazz"
# Platform names for raw 16-bit little-endian PCM, which the chunk path calls "pcm".
_PCM_CODECS = frozenset({"pcm", "pcm_s16le", "s16le", "linear16"})


class ConnectorError(Exception):
    """A connector operation the platform refused or failed (the admin API answers 503)."""

    def __init__(self, code: str, message: str, **details: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    @classmethod
    def from_platform(cls, operation: str, error: SberJazzError) -> ConnectorError:
        kind = error.kind.value
        return cls(
            f"connector_{kind}",
            f"{operation} failed: {error.message}",
            provider=PROVIDER,
            kind=kind,
        )


class SessionDirectory(Protocol):
    """Where the session list comes from: the ``connector_sessions`` read model."""

    def connector_sessions(self, selection: ConnectorSessionsFilter) -> list[dict[str, Any]]: ...

    def connector_session_counts(self) -> dict[str, int]: ...


AudioProbe = Callable[[bytes, AudioFormat], float]
"""Duration of a container-codec chunk (ops passes the decoder's probe)."""


@dataclass(frozen=True)
class SessionPolicy:
    stale_after_sec: float = 30.0
    session_ttl_sec: float = 14_400.0
    pull_limit: int = 50

    @property
    def heartbeat_every_sec(self) -> float:
        """An empty pull is recorded at least this often, well inside the stale threshold."""
        return self.stale_after_sec / 3


@dataclass(frozen=True)
class ReconcileResult:
    scanned: int
    stale: int
    reconnected: int
    failed: int
    stale_threshold_sec: float
    updated_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(eq=False)
class SessionManager:
    meetings: Meetings
    client: SberJazzClient | None
    """None when the platform is not configured (every platform call is refused)."""
    directory: SessionDirectory
    metrics: ConnectorMetrics
    policy: SessionPolicy = SessionPolicy()
    probe: AudioProbe | None = field(default=None, kw_only=True)
    clock: Callable[[], datetime] = field(default=_now, kw_only=True)

    @property
    def configured(self) -> bool:
        return self.client is not None

    def _platform(self) -> SberJazzClient:
        if self.client is None:
            raise ConnectorError(
                "connector_not_configured", "SBERJAZZ_API_BASE is not set", provider=PROVIDER
            )
        return self.client

    async def _write(self, command: Callable[..., T], *args: Any, **kw: Any) -> T:
        """A Meetings command off the event loop (it does store I/O)."""
        return await asyncio.to_thread(command, *args, **kw)

    def _meta(self, actor: str | None) -> EventMeta:
        return EventMeta(actor=actor or ACTOR)

    async def _record_trouble(
        self,
        command: Callable[..., ConnectorSession],
        meeting_id: str,
        *,
        stage: str,
        kind: str,
        message: str,
        actor: str | None = None,
    ) -> ConnectorSession:
        """``interrupt_connector`` or ``fail_connector``: where, what kind, and the message
        for operators (at most 500 characters)."""
        trouble = ConnectorTrouble(stage=stage, error_kind=kind, message=message[:500])
        return await self._write(command, meeting_id, trouble, self._meta(actor))

    # ------------------------------------------------------------------ admin operations

    async def status(self, meeting_id: str) -> ConnectorSession:
        """The session as the event store has it (raises ``never_joined``)."""
        session: ConnectorSession = await asyncio.to_thread(
            self.meetings.connector_session, meeting_id
        )
        return session

    async def join(
        self,
        meeting_id: str,
        *,
        participants: Sequence[str] = (),
        language: str | None = None,
        actor: str | None = None,
    ) -> ConnectorSession:
        """Ask to join and join now; an active session is returned as it is. A failed
        join is recorded (retryable → ``reconnecting``, else ``failed``) and raised."""
        self._platform()
        session = await self._write(
            self.meetings.request_connector,
            meeting_id,
            self._meta(actor),
            provider=PROVIDER,
            participants=list(participants),
            language=language,
        )
        if session.state not in JOINABLE_STATES:
            return session
        return await self._attempt_join(meeting_id, actor=actor, operation="join")

    async def leave(
        self, meeting_id: str, *, reason: str = "operator", actor: str | None = None
    ) -> ConnectorSession:
        client = self._platform()
        session = await self._write(
            self.meetings.begin_connector_leave, meeting_id, reason=reason, meta=self._meta(actor)
        )
        if session.state != SessionState.LEAVING:
            return session  # already left or failed: nothing to do
        try:
            await client.leave(meeting_id)  # the client serialises calls per meeting
        except SberJazzError as error:
            if not _not_on_platform(error):
                self.metrics.calls.labels("leave", error.kind.value).inc()
                raise ConnectorError.from_platform("leave", error) from error
            # The platform does not have us in the meeting: we are out either way.
        self.metrics.calls.labels("leave", "ok").inc()
        left: ConnectorSession = await self._write(
            self.meetings.connector_left, meeting_id, self._meta(actor)
        )
        return left

    async def reconnect(
        self, meeting_id: str, *, actor: str | None = None, reason: str = "operator"
    ) -> ConnectorSession:
        """Rejoin now: a connected or waiting session reconnects, a failed one is asked
        to join again; a session that has left (or is leaving) is refused."""
        self._platform()
        session = await self.status(meeting_id)
        if session.state == SessionState.FAILED:
            return await self.join(
                meeting_id,
                participants=session.participants,
                language=session.language,
                actor=actor,
            )
        if session.state in (SessionState.CONNECTED, SessionState.JOINING):
            session = await self._record_trouble(
                self.meetings.interrupt_connector,
                meeting_id,
                stage="operator",
                kind="operator",
                message=f"reconnect requested ({reason})",
                actor=actor,
            )
        if session.state not in JOINABLE_STATES:
            raise ConnectorStateError(
                f"cannot reconnect a connector session that is {session.state}; join instead",
                meeting_id=meeting_id,
                state=session.state,
            )
        return await self._attempt_join(meeting_id, actor=actor, operation="reconnect")

    async def health(self) -> dict[str, Any]:
        """The contract's health view: provider, configured, healthy, details, updated_at."""
        updated_at = self.clock().isoformat()
        if self.client is None:
            self.metrics.healthy.set(0)
            return {
                "provider": PROVIDER,
                "configured": False,
                "healthy": False,
                "details": {"reason": "SBERJAZZ_API_BASE is not set"},
                "updated_at": updated_at,
            }
        platform = await self.client.health()
        self.metrics.healthy.set(int(platform.healthy))
        self.metrics.observe_breaker(platform.circuit_state)
        return {
            "provider": PROVIDER,
            "configured": True,
            "healthy": platform.healthy,
            "details": {"api_base": self.client.config.base_url, **platform.details},
            "updated_at": updated_at,
        }

    # ------------------------------------------------------------------ joining

    async def _attempt_join(
        self,
        meeting_id: str,
        *,
        actor: str | None,
        operation: str,
        reclaim: bool = False,
    ) -> ConnectorSession:
        client = self._platform()
        try:
            claimed = await self._write(
                self.meetings.begin_connector_join,
                meeting_id,
                reclaim=reclaim,
                meta=self._meta(actor),
            )
        except ConnectorStateError:
            return await self.status(meeting_id)  # another worker claimed it first
        try:  # the client serialises join/leave per meeting
            await client.join(meeting_id, claimed.participants, claimed.language)
        except SberJazzError as error:
            self.metrics.calls.labels(operation, error.kind.value).inc()
            self.metrics.observe_breaker(client.breaker.state)
            await self._record_join_failure(meeting_id, error, actor)
            raise ConnectorError.from_platform(operation, error) from error
        self.metrics.calls.labels(operation, "ok").inc()
        self.metrics.observe_breaker(client.breaker.state)
        connected: ConnectorSession = await self._write(
            self.meetings.connector_connected, meeting_id, self._meta(actor)
        )
        return connected

    async def _record_join_failure(
        self, meeting_id: str, error: SberJazzError, actor: str | None
    ) -> None:
        # Worth retrying (timeouts, 5xx, an open breaker): wait in reconnecting for the
        # reconciler; refused for good (auth, bad request): failed, with the reason.
        retry = error.retryable or error.kind is ErrorKind.CIRCUIT_OPEN
        command = self.meetings.interrupt_connector if retry else self.meetings.fail_connector
        await self._record_trouble(
            command,
            meeting_id,
            stage="join",
            kind=error.kind.value,
            message=error.message,
            actor=actor,
        )

    # ------------------------------------------------------------------ live audio

    async def pull(self, meeting_id: str) -> int:
        """Pull the next live chunks of a connected session into the chunk path; the
        number of new chunks. A dropped stream marks the session reconnecting."""
        client = self._platform()
        session = await self.status(meeting_id)
        if session.state != SessionState.CONNECTED:
            return 0
        try:
            answer = await client.live_chunks(meeting_id, session.cursor, self.policy.pull_limit)
        except SberJazzError as error:
            self.metrics.live_pulls.labels(error.kind.value).inc()
            self.metrics.observe_breaker(client.breaker.state)
            if _not_on_platform(error):
                await self._interrupt(meeting_id, "pull", error.kind.value, error.message)
            # Anything else (timeouts, 5xx, open breaker) was retried by the client; if it
            # lasts, the session goes stale and the reconciler reconnects it.
            return 0
        self.metrics.observe_breaker(client.breaker.state)
        if not answer.chunks:
            self.metrics.live_pulls.labels("empty").inc()
            seen = session.last_heartbeat_at or session.connected_at or session.updated_at
            if (self.clock() - seen).total_seconds() >= self.policy.heartbeat_every_sec:
                await self._heartbeat(meeting_id, answer.next_cursor)
            return 0
        self.metrics.live_pulls.labels("chunks").inc()
        chunks = [self._chunk_command(meeting_id, chunk) for chunk in answer.chunks]
        try:
            results = await asyncio.to_thread(
                self.meetings.receive_live_audio,
                meeting_id,
                chunks,
                cursor=max(answer.next_cursor, session.cursor),
                meta=self._meta(None),
            )
        except MeetingFinishedError:
            await self.leave(meeting_id, reason="meeting_finished")
            return 0
        except ConsentDeniedError:
            # Denied after this pull began: nothing of it is stored, and no more is pulled.
            await self.leave(meeting_id, reason="consent_denied")
            return 0
        except ConnectorStateError:
            return 0  # it changed state meanwhile (left, reconnecting): the next pass sees it
        return self._count(meeting_id, results)

    def _chunk_command(self, meeting_id: str, chunk: LiveChunk) -> ReceiveChunk:
        codec = PCM if chunk.codec.lower() in _PCM_CODECS else chunk.codec.lower()
        audio_format = AudioFormat(codec, chunk.sample_rate, chunk.channels)
        duration = None
        if codec != PCM and self.probe is not None:
            try:
                duration = self.probe(chunk.content, audio_format)
            except DomainError:
                duration = None  # the chunk rules refuse it; the cursor moves on
        return ReceiveChunk(
            meeting_id=meeting_id,
            seq=chunk.seq,
            audio=chunk.content,
            audio_format=audio_format,
            speaker_hint=chunk.speaker,
            duration_sec=duration,
        )

    def _count(self, meeting_id: str, results: Sequence[ChunkOutcome | DomainError]) -> int:
        new = 0
        for result in results:
            if isinstance(result, DomainError):
                self.metrics.live_chunks.labels("rejected").inc()
                log.warning("sberjazz: %s: live chunk refused: %s", meeting_id, result.message)
            elif result.duplicate:
                self.metrics.live_chunks.labels("duplicate").inc()
            else:
                self.metrics.live_chunks.labels("accepted").inc()
                new += 1
        return new

    async def _heartbeat(self, meeting_id: str, cursor: int) -> None:
        try:
            await self._write(
                self.meetings.record_connector_progress,
                meeting_id,
                cursor=cursor,
                meta=self._meta(None),
            )
        except DomainError as error:  # left or interrupted meanwhile; or a cursor glitch
            log.info("sberjazz: %s: heartbeat not recorded: %s", meeting_id, error.message)

    async def _interrupt(self, meeting_id: str, stage: str, kind: str, message: str) -> None:
        with contextlib.suppress(ConnectorStateError):  # another worker moved it on
            await self._record_trouble(
                self.meetings.interrupt_connector,
                meeting_id,
                stage=stage,
                kind=kind,
                message=message,
            )

    async def pull_all(self, owns: Callable[[str], bool] = lambda _: True) -> int:
        """One pull for every connected session this worker owns; new chunks in total."""
        if self.client is None:
            return 0
        sessions = await asyncio.to_thread(
            self.directory.connector_sessions,
            ConnectorSessionsFilter(states=(SessionState.CONNECTED,), limit=500),
        )
        owned = [s["meeting_id"] for s in sessions if owns(s["meeting_id"])]
        counts = await asyncio.gather(*(self._pull_logged(m) for m in owned))
        return sum(counts)

    async def _pull_logged(self, meeting_id: str) -> int:
        try:
            return await self.pull(meeting_id)
        except Exception:  # one session's trouble must not stop the others' audio
            log.exception("sberjazz: %s: live pull failed", meeting_id)
            self.metrics.live_pulls.labels("error").inc()
            return 0

    # ------------------------------------------------------------------ reconciliation

    async def reconcile(
        self, limit: int = 200, owns: Callable[[str], bool] = lambda _: True
    ) -> ReconcileResult:
        """Look at up to ``limit`` active sessions, longest unseen first, and put each
        right: join requested ones, reconnect stale or dropped ones, take over abandoned
        join attempts, finish leaving, leave finished meetings, expire old sessions."""
        if self.client is None:  # nothing can be joined or left: a pass would only fail
            return ReconcileResult(0, 0, 0, 0, self.policy.stale_after_sec, self.clock())
        try:
            result = await self._reconcile(limit, owns)
        except Exception:
            self.metrics.reconcile_runs.labels("failed").inc()
            raise
        self.metrics.reconcile_runs.labels("ok").inc()
        self.metrics.reconcile_last_stale.set(result.stale)
        return result

    async def _reconcile(self, limit: int, owns: Callable[[str], bool]) -> ReconcileResult:
        records = await asyncio.to_thread(
            self.directory.connector_sessions,
            ConnectorSessionsFilter(
                states=tuple(sorted(ACTIVE_STATES)), stalest_first=True, limit=limit
            ),
        )
        counts = await asyncio.to_thread(self.directory.connector_session_counts)
        for state in (*ACTIVE_STATES, SessionState.LEFT, SessionState.FAILED):
            self.metrics.sessions.labels(state).set(counts.get(state, 0))
        stale = reconnected = failed = 0
        scanned = 0
        for record in records:
            meeting_id = record["meeting_id"]
            if not owns(meeting_id):
                continue
            scanned += 1
            try:
                outcome = await self._reconcile_one(meeting_id)
            except ConnectorError:
                outcome = "failed"
            except DomainError as error:
                log.info("sberjazz: %s: reconcile skipped: %s", meeting_id, error.message)
                continue
            stale += outcome in ("stale_reconnected", "stale_failed")
            reconnected += outcome in ("reconnected", "stale_reconnected")
            failed += outcome in ("failed", "stale_failed")
        return ReconcileResult(
            scanned, stale, reconnected, failed, self.policy.stale_after_sec, self.clock()
        )

    async def _reconcile_one(self, meeting_id: str) -> str:
        meeting = await asyncio.to_thread(self.meetings.get, meeting_id)
        session = meeting.require_connector()
        now = self.clock()
        age = (now - session.requested_at).total_seconds()
        if not session.active:
            return "ok"
        if meeting.is_finished and session.state != SessionState.LEAVING:
            await self.leave(meeting_id, reason="meeting_finished")
            return "left"
        if session.state == SessionState.LEAVING:
            await self.leave(meeting_id, reason="retry")
            return "left"
        if age >= self.policy.session_ttl_sec:
            if session.connected:
                await self.leave(meeting_id, reason="session_ttl")
                return "left"
            await self._record_trouble(
                self.meetings.fail_connector,
                meeting_id,
                stage="reconcile",
                kind="expired",
                message=f"not connected within {self.policy.session_ttl_sec:g}s (session TTL)",
            )
            return "failed"
        if session.is_stale(now, self.policy.stale_after_sec):
            unseen = (now - session.last_seen_at).total_seconds()
            await self._interrupt(
                meeting_id, "reconcile", "stale", f"no audio or heartbeat for {unseen:.0f}s"
            )
            return "stale_" + await self._rejoin(meeting_id, "reconnect")
        if session.state == SessionState.RECONNECTING:
            return await self._rejoin(meeting_id, "reconnect")
        if session.state == SessionState.REQUESTED:
            return await self._rejoin(meeting_id, "join")
        # A join claim nobody finished within the stale threshold: its worker died.
        abandoned = (now - session.updated_at).total_seconds() >= self.policy.stale_after_sec
        if session.state == SessionState.JOINING and abandoned:
            return await self._rejoin(meeting_id, "reconnect", reclaim=True)
        return "ok"

    async def _rejoin(self, meeting_id: str, operation: str, *, reclaim: bool = False) -> str:
        try:
            await self._attempt_join(meeting_id, actor=None, operation=operation, reclaim=reclaim)
        except ConnectorError:
            if operation == "reconnect":
                self.metrics.reconnects.labels("failed").inc()
            return "failed"
        if operation == "reconnect":
            self.metrics.reconnects.labels("ok").inc()
        return "reconnected"

    async def join_requested(self, meeting_id: str) -> None:
        """React to ``ConnectorRequested`` (auto-join on start): join unless someone did."""
        session = await self.status(meeting_id)
        if session.state == SessionState.REQUESTED and self.client is not None:
            try:
                await self._attempt_join(meeting_id, actor=None, operation="join")
            except ConnectorError as error:
                log.warning("sberjazz: %s: auto-join failed: %s", meeting_id, error.message)


def _not_on_platform(error: SberJazzError) -> bool:
    """The platform says the bot is not in the meeting (stream dropped, never joined)."""
    return error.kind is ErrorKind.BAD_REQUEST and error.status in (404, 409, 410)

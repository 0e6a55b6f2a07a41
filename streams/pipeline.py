"""Running a pipeline stage on one message: decode → handle → record, with retries.

A stage (transcribe, enhance, report) is a class with ``handles`` (event types) and an
async ``handle(envelope)``. ``StageRunner`` gives every stage the same behaviour:

- messages of other event types are ignored;
- transient errors are retried with backoff, up to ``max_attempts``;
- a stage that gives up records ``ProcessingFailed`` on the meeting and publishes a dead
  letter; a rejection the stage decided on (bad audio) is dead-lettered too;
- the consumer always moves on: one bad message never stops the stream.

Results are recorded on the aggregate with their input version, which refuses a second
result for the same input, so redelivery (crash before commit, rebalance, relay
republish) cannot create a duplicate ``Transcribed``/``Enhanced``/``Reported``.

Must not: let one message's failure stop the stream, or call the blocking store from the
event loop (``MeetingsGateway`` runs it on its own thread).
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, ParamSpec, Protocol, TypeVar

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.commands import RecordFailure
from interview_analytics.domain.errors import DomainError
from interview_analytics.domain.events import EventMeta
from interview_analytics.domain.meeting import Meeting
from interview_analytics.streams.contract import ContractError, Envelope, EventCodec
from interview_analytics.streams.dead_letters import (
    FAILED,
    REJECTED,
    DeadLetter,
    DeadLetterSink,
    OriginalMessage,
    now_iso,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
P = ParamSpec("P")
SettingsT = TypeVar("SettingsT")

# Outcomes, also the `result` label of the per-stage counters.
RECORDED = "recorded"  # a new result event was recorded
DUPLICATE = "duplicate"  # the input already had a result (redelivery)
SKIPPED = "skipped"  # superseded by a newer input, or left to the final pass
IGNORED = "ignored"  # not an event type this stage handles
REJECTED_OUTCOME = "rejected"
FAILED_OUTCOME = "failed"


@dataclass(frozen=True)
class StageResult:
    outcome: str
    rejection: tuple[str, str] | None = None
    """(code, message) when the stage rejected its input for good."""


class Stage(Protocol):
    name: str
    handles: frozenset[str]

    async def handle(self, envelope: Envelope) -> StageResult: ...


class MeetingsGateway:
    """The application service, called from async code on one dedicated thread.

    The store drivers are blocking; one thread keeps them off the event loop and keeps
    each connection on the thread that opened it.
    """

    def __init__(self, meetings: Meetings) -> None:
        self.meetings = meetings
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="meetings")

    async def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, lambda: fn(*args, **kwargs))

    def close(self) -> None:
        self._thread.shutdown(wait=True)


@dataclass
class StageStats:
    """How far the stage got (store position); updated on the event loop only."""

    last_notification_id: int = 0


@dataclass(eq=False)
class StageRunner:
    stage: Stage
    gateway: MeetingsGateway = field(kw_only=True)
    dead_letters: DeadLetterSink = field(kw_only=True)
    codec: EventCodec = field(kw_only=True)
    max_attempts: int = field(default=3, kw_only=True)
    retry_backoff_sec: float = field(default=0.5, kw_only=True)
    observe: Callable[[str, str, float], None] | None = field(default=None, kw_only=True)
    """Called with (stage, outcome, seconds) for every message handled (metrics)."""
    stats: StageStats = field(default_factory=StageStats, init=False)

    async def process(self, message: OriginalMessage) -> str:
        started = time.perf_counter()
        try:
            envelope = self.codec.decode(message.value)
        except ContractError as error:
            log.error("%s: undecodable message at %s/%s: %s", self.stage.name,
                      message.partition, message.offset, error)  # fmt: skip
            return self._observed(IGNORED, started)
        if envelope.notification_id:
            self.stats.last_notification_id = max(
                self.stats.last_notification_id, envelope.notification_id
            )
        if envelope.event_type not in self.stage.handles:
            return IGNORED  # not counted: most events are someone else's
        result = await self._handle_with_retries(envelope, message)
        return self._observed(result, started)

    async def _handle_with_retries(self, envelope: Envelope, message: OriginalMessage) -> str:
        for attempt in range(1, self.max_attempts + 1):
            try:
                result = await self.stage.handle(envelope)
            except DomainError as error:
                # The domain refused: retrying cannot help.
                return await self._give_up(envelope, message, error.code, error.message, attempt)
            except Exception as error:  # any other failure is retried, then dead-lettered
                log.warning(
                    "%s: attempt %d/%d failed for %s v%d: %r",
                    self.stage.name, attempt, self.max_attempts,
                    envelope.meeting_id, envelope.version, error,
                )  # fmt: skip
                if attempt == self.max_attempts:
                    code = type(error).__name__
                    return await self._give_up(envelope, message, code, str(error), attempt)
                await asyncio.sleep(self.retry_backoff_sec * 2 ** (attempt - 1))
                continue
            if result.rejection is not None:
                code, reason = result.rejection
                await self._dead_letter(envelope, message, REJECTED, code, reason, attempt)
            return result.outcome
        raise AssertionError("unreachable")

    async def _give_up(
        self, envelope: Envelope, message: OriginalMessage, code: str, reason: str, attempts: int
    ) -> str:
        command = RecordFailure(
            meeting_id=envelope.meeting_id,
            input_version=envelope.version,
            stage=self.stage.name,
            code=code[:100],
            reason=reason[:2000],
            attempts=attempts,
        )
        try:
            meta = EventMeta(
                actor=stage_actor(self.stage.name), causation_id=str(envelope.metadata["event_id"])
            )
            await self.gateway.call(self.gateway.meetings.record_failure, command, meta)
        except Exception:  # the dead letter below still records the failure
            log.exception("%s: could not record the failure on the meeting", self.stage.name)
        await self._dead_letter(envelope, message, FAILED, code, reason, attempts)
        return FAILED_OUTCOME

    async def _dead_letter(
        self,
        envelope: Envelope,
        message: OriginalMessage,
        kind: str,
        code: str,
        reason: str,
        attempts: int,
    ) -> None:
        letter = DeadLetter(
            stage=self.stage.name,
            kind=kind,
            meeting_id=envelope.meeting_id,
            event_type=envelope.event_type,
            version=envelope.version,
            notification_id=envelope.notification_id,
            error_code=code,
            error_message=reason,
            attempts=attempts,
            failed_at=now_iso(),
            original=message,
        )
        await self.dead_letters.publish(letter)

    def _observed(self, outcome: str, started: float) -> str:
        """Report the outcome and its time to the metrics, and pass it on."""
        if self.observe is not None:
            self.observe(self.stage.name, outcome, time.perf_counter() - started)
        return outcome


def stage_actor(stage: str) -> str:
    """Who a stage's events name as their actor (``ia-transcribe``, ``ia-enhance``, …)."""
    return f"ia-{stage}"


def stage_meta(stage: str, envelope: Envelope) -> EventMeta:
    """Metadata for a result event: the stage is the actor, the input event the cause."""
    return EventMeta(
        actor=stage_actor(stage),
        correlation_id=envelope.metadata.get("correlation_id"),
        causation_id=str(envelope.metadata["event_id"]),
    )


class NewestInputStage(ABC, Generic[SettingsT]):
    """A stage that works on a meeting's newest input only (the enhancer, the reporter).

    Drafts are coalesced: a draft input already superseded by a newer one is skipped (the
    newer one follows in the stream), so a burst of chunks costs one result, not one per
    chunk; a final input is always handled. A second result for one input is refused.
    """

    name: str
    handles: frozenset[str]

    def __init__(self, *, gateway: MeetingsGateway, settings: SettingsT) -> None:
        self.gateway = gateway
        self.settings = settings

    async def handle(self, envelope: Envelope) -> StageResult:
        meeting = await self.gateway.call(self.gateway.meetings.get, envelope.meeting_id)
        version, final = envelope.version, self.is_final(envelope)
        if (self.name, version) in meeting.results.done:
            return StageResult(DUPLICATE)
        if not final and max(self.input_versions(meeting)) > version:
            return StageResult(SKIPPED)
        recorded = await self.record(meeting, envelope, final)
        return StageResult(RECORDED if recorded else DUPLICATE)

    def is_final(self, envelope: Envelope) -> bool:
        """Whether the input is a final one (always handled, its result final)."""
        return bool(envelope.fields["final"])

    @abstractmethod
    def input_versions(self, meeting: Meeting) -> Iterable[int]:
        """The versions of the meeting's inputs to this stage that are recorded so far."""

    @abstractmethod
    async def record(self, meeting: Meeting, envelope: Envelope, final: bool) -> bool:
        """Compute and record the result for ``envelope``'s input; False for a duplicate."""

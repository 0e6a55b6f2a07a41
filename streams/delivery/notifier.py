"""The ``notifier`` role: meeting events → notices → deliveries, retried, recorded.

For every notice-causing event (``notices.py``) and every channel, each target the channel
names is one ``Delivery``. The first attempt is made while the message is handled; its
outcome is a ``DeliveryAttempted`` event on the meeting, which refuses a repeat, so a
redelivered message or a restarted notifier skips deliveries the meeting already shows.

A failed attempt is retried on the channel's backoff from a durable schedule: the due
time is the event's ``next_attempt_at``; pending retries sit in a heap that a background
task works through, never blocking the consumer. When the notifier starts, the heap is
rebuilt from the stored ``DeliveryAttempted`` events (notification log filtered by topic),
and ``DeliveryAttempted`` events consumed later (another process's attempts) join it too.
A delivery the channel gives up on (a permanent failure, or the backoff exhausted)
records ``gave_up`` and becomes a dead letter (stage ``deliver``) that ``ia dead-letters
redrive`` tries once more, attempt numbering continuing.

Must not: keep durable state of its own (the event store holds it), block the consumer
on a retry's wait, or send a delivery the meeting shows delivered or given up on.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import faust

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.commands import RecordDeliveryAttempt
from interview_analytics.domain.deliveries import DELIVERED, FAILED, GAVE_UP, DeliveryRecord
from interview_analytics.domain.enhance.pii import mask_pii
from interview_analytics.domain.events import EventMeta
from interview_analytics.domain.meeting import Meeting
from interview_analytics.streams.app import meeting_events_topic
from interview_analytics.streams.contract.codec import EventCodec
from interview_analytics.streams.contract.events import (
    DELIVERY_ATTEMPTED,
    FINISHED,
    REPORTED,
    TRANSCRIBED,
)
from interview_analytics.streams.contract.schemas import ContractError
from interview_analytics.streams.contract.topics import MEETING_EVENTS
from interview_analytics.streams.dead_letters import (
    FAILED as LETTER_FAILED,
)
from interview_analytics.streams.dead_letters import (
    DeadLetter,
    DeadLetterSink,
    OriginalMessage,
    now_iso,
)
from interview_analytics.streams.delivery.channels import AttemptResult, Channel, Delivery
from interview_analytics.streams.delivery.notices import build_notice, cause_version
from interview_analytics.streams.pipeline import MeetingsGateway

log = logging.getLogger(__name__)

DELIVER = "deliver"
"""The dead-letter stage of deliveries given up on."""
ACTOR = "service:notifier"
NOTICE_EVENT_TYPES = frozenset({TRANSCRIBED, REPORTED, FINISHED})
DELIVERY_ATTEMPTED_TOPIC = f"{Meeting.DeliveryAttempted.__module__}:Meeting.DeliveryAttempted"
RESTORE_BATCH = 500


@dataclass(frozen=True, order=True)
class PendingRetry:
    """A failed delivery's next attempt, due at ``due`` (epoch seconds)."""

    due: float
    meeting_id: str = field(compare=False)
    delivery_id: str = field(compare=False)
    channel: str = field(compare=False)
    target: str = field(compare=False)
    notice: str = field(compare=False)
    attempt: int = field(compare=False)
    """The number of the attempt that is due."""

    @classmethod
    def after(cls, meeting_id: str, record: DeliveryRecord) -> PendingRetry | None:
        """The retry a delivery's latest attempt asks for, if it failed with a due time."""
        if record.outcome != FAILED or record.next_attempt_at is None:
            return None
        due = datetime.fromisoformat(record.next_attempt_at).timestamp()
        return cls(due, meeting_id, record.delivery_id, record.channel, record.target,
                   record.notice, record.attempt + 1)  # fmt: skip


def record_of(event: Meeting.DeliveryAttempted) -> DeliveryRecord:
    """The delivery state one stored attempt leaves (as the aggregate's ``apply`` does)."""
    meeting_state = _Deliveries()
    event.apply(meeting_state)  # type: ignore[arg-type]
    return meeting_state.deliveries[event.delivery_id]


class _Deliveries:
    """Just enough of a meeting for ``DeliveryAttempted.apply``."""

    def __init__(self) -> None:
        self.deliveries: dict[str, DeliveryRecord] = {}


@dataclass
class NotifierStats:
    attempts: dict[str, int] = field(default_factory=dict)
    """Attempts made, by outcome (delivered, failed, gave_up)."""
    last_notification_id: int = 0


class Notifier:
    def __init__(
        self,
        gateway: MeetingsGateway,
        channels: Sequence[Channel],
        dead_letters: DeadLetterSink,
        codec: EventCodec,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.gateway = gateway
        self.channels = {channel.name: channel for channel in channels}
        self.dead_letters = dead_letters
        self.codec = codec
        self.clock = clock
        self.stats = NotifierStats()
        self._heap: list[PendingRetry] = []
        self._scheduled: set[tuple[str, int]] = set()
        self._wake = asyncio.Event()

    # ------------------------------------------------------------------ consuming

    async def handle(self, message: OriginalMessage) -> None:
        """One message of ``meeting-events``: attempt the notices it causes, or schedule
        the retry a delivery attempt (of any process) asks for."""
        try:
            envelope = self.codec.decode(message.value)
        except ContractError as error:
            log.error("notifier: undecodable message at %s/%s: %s",
                      message.partition, message.offset, error)  # fmt: skip
            return
        if envelope.notification_id:
            self.stats.last_notification_id = max(
                self.stats.last_notification_id, envelope.notification_id
            )
        if envelope.event_type == DELIVERY_ATTEMPTED:
            await self._schedule_latest(envelope.meeting_id, envelope.fields["delivery_id"])
            return
        if envelope.event_type not in NOTICE_EVENT_TYPES:
            return
        event = self.codec.event(envelope)
        if envelope.event_type != FINISHED and not getattr(event, "final", False):
            return  # drafts are nobody's business
        await self.notify(envelope.meeting_id, envelope.version)

    async def notify(self, meeting_id: str, version: int) -> None:
        """Attempt every delivery the event at ``version`` causes that was never tried."""
        meeting, event = await self.gateway.call(self._load, meeting_id, version)
        notice = build_notice(meeting, event)
        for channel in self.channels.values():
            for target in await channel.targets(notice):
                delivery = Delivery.first(notice, channel.name, target)
                if delivery.delivery_id in meeting.deliveries:
                    continue  # tried already: settled, or the schedule holds its retry
                await self.attempt(channel, delivery)

    async def _schedule_latest(self, meeting_id: str, delivery_id: str) -> None:
        """Schedule what the meeting's latest attempt of a delivery asks for (read from the
        store: the message may be older than what the meeting shows by now)."""
        meeting = await self.gateway.call(self.gateway.meetings.get, meeting_id)
        record = meeting.deliveries.get(delivery_id)
        if record is not None:
            self._push(PendingRetry.after(meeting_id, record))

    # ------------------------------------------------------------------ attempting

    async def attempt(self, channel: Channel, delivery: Delivery, *, redrive: bool = False) -> str:
        """One attempt, recorded; returns its outcome (or ``skipped`` when the meeting
        already had this attempt). A re-drive is one try: delivered, or given up again."""
        try:
            result = await channel.send(delivery)
        except Exception as error:  # a channel bug must not stop the others: retry it
            log.exception("notifier: %s channel raised", channel.name)
            result = AttemptResult(delivered=False, error=f"{type(error).__name__}: {error}")
        delay = None if result.permanent or redrive else channel.retry.next_delay(delivery.attempt)
        outcome = DELIVERED if result.delivered else (GAVE_UP if delay is None else FAILED)
        next_at = None
        if outcome == FAILED and delay is not None:
            next_at = datetime.fromtimestamp(self.clock() + delay, UTC).isoformat()
        command = RecordDeliveryAttempt(
            meeting_id=delivery.notice.meeting_id,
            delivery_id=delivery.delivery_id,
            channel=delivery.channel,
            target=delivery.target,
            notice=delivery.notice.event,
            attempt=delivery.attempt,
            outcome=outcome,
            status_code=result.status_code,
            error=(result.error or "")[:2000] or None,
            next_attempt_at=next_at,
            redrive=redrive,
        )
        meta = EventMeta(actor=ACTOR, causation_id=delivery.notice.event_id)
        recorded, record = await self.gateway.call(self._record, command, meta)
        if not recorded or record is None:
            return "skipped"
        self.stats.attempts[outcome] = self.stats.attempts.get(outcome, 0) + 1
        log.info("notifier: %s %s to %s attempt %d: %s%s", delivery.notice.event,
                 delivery.channel, delivery.target, delivery.attempt, outcome,
                 f" ({result.error})" if result.error else "")  # fmt: skip
        if outcome == FAILED:
            self._push(PendingRetry.after(command.meeting_id, record))
        elif outcome == GAVE_UP:
            await self._dead_letter(command.meeting_id, record)
        return outcome

    async def retry(self, pending: PendingRetry) -> str:
        """The due attempt of a failed delivery, unless the meeting has moved past it."""
        channel = self.channels.get(pending.channel)
        if channel is None:
            log.warning("notifier: no %s channel for a pending retry", pending.channel)
            return "skipped"
        meeting = await self.gateway.call(self.gateway.meetings.get, pending.meeting_id)
        latest = meeting.deliveries.get(pending.delivery_id)
        if latest is None or latest.outcome != FAILED or latest.attempt != pending.attempt - 1:
            return "skipped"
        return await self._again(channel, meeting, latest, redrive=False)

    async def redrive(self, meeting_id: str, delivery_id: str) -> str:
        """An operator's one more try at a delivery given up on (``ia dead-letters redrive``)."""
        meeting = await self.gateway.call(self.gateway.meetings.get, meeting_id)
        latest = meeting.deliveries.get(delivery_id)
        if latest is None or latest.outcome == DELIVERED:
            return "skipped"
        channel = self.channels.get(latest.channel)
        if channel is None:
            return f"no {latest.channel} channel configured"
        return await self._again(channel, meeting, latest, redrive=latest.outcome == GAVE_UP)

    async def _again(
        self,
        channel: Channel,
        meeting: Meeting,
        latest: DeliveryRecord,
        *,
        redrive: bool,
    ) -> str:
        version = cause_version(meeting, latest.notice)
        if version is None:
            return "skipped"
        cause = await self.gateway.call(self.gateway.meetings.event_at, meeting.meeting_id, version)
        assert isinstance(cause, Meeting.Event)
        notice = build_notice(meeting, cause)
        delivery = Delivery(latest.delivery_id, latest.channel, latest.target, notice,
                            latest.attempt + 1)  # fmt: skip
        return await self.attempt(channel, delivery, redrive=redrive)

    # ------------------------------------------------------------------ the schedule

    async def restore(self) -> int:
        """Rebuild the pending retries from the stored attempts; returns how many."""
        latest: dict[str, tuple[str, DeliveryRecord]] = {}
        start: int | None = None
        while True:
            batch, last = await self.gateway.call(self._attempts_after, start)
            for meeting_id, record in batch:
                latest[record.delivery_id] = (meeting_id, record)  # later attempts win
            if last is None:
                break
            start = last
        restored = 0
        for meeting_id, record in latest.values():
            pending = PendingRetry.after(meeting_id, record)
            if pending is not None:
                self._push(pending)
                restored += 1
        return restored

    async def run_retries(self) -> None:
        """Work through the schedule forever: sleep until the earliest retry is due (or a
        new one arrives), make it, repeat. One retry's failure never stops the loop."""
        while True:
            if not self._heap:
                self._wake.clear()
                await self._wake.wait()
                continue
            wait = self._heap[0].due - self.clock()
            if wait > 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=min(wait, 60.0))
                continue
            pending = heapq.heappop(self._heap)
            self._scheduled.discard((pending.delivery_id, pending.attempt))
            try:
                await self.retry(pending)
            except Exception:
                log.exception("notifier: retry of %s failed", pending.delivery_id)

    def pending(self) -> list[PendingRetry]:
        return sorted(self._heap)

    def _push(self, pending: PendingRetry | None) -> None:
        if pending is None or (pending.delivery_id, pending.attempt) in self._scheduled:
            return
        self._scheduled.add((pending.delivery_id, pending.attempt))
        heapq.heappush(self._heap, pending)
        self._wake.set()

    # ------------------------------------------------------------------ store access
    # These run on the gateway's thread.

    def _load(self, meeting_id: str, version: int) -> tuple[Meeting, Meeting.Event]:
        """The meeting, and its event at ``version`` (one read, not the whole stream)."""
        meetings = self.gateway.meetings
        event = meetings.event_at(meeting_id, version)
        assert isinstance(event, Meeting.Event)
        return meetings.get(meeting_id), event

    def _record(
        self, command: RecordDeliveryAttempt, meta: EventMeta
    ) -> tuple[bool, DeliveryRecord | None]:
        meetings = self.gateway.meetings
        recorded = meetings.record_delivery_attempt(command, meta)
        return recorded, meetings.get(command.meeting_id).deliveries.get(command.delivery_id)

    def _attempts_after(
        self, position: int | None
    ) -> tuple[list[tuple[str, DeliveryRecord]], int | None]:
        """One batch of stored attempts after notification ``position``, and the position
        to read on from (None at the end of the log)."""
        meetings = self.gateway.meetings
        notifications = meetings.recorder.select_notifications(
            start=position,
            limit=RESTORE_BATCH,
            topics=[DELIVERY_ATTEMPTED_TOPIC],
            inclusive_of_start=position is None,
        )
        attempts = []
        for notification in notifications:
            event = meetings.mapper.to_domain_event(notification)
            assert isinstance(event, Meeting.DeliveryAttempted)
            attempts.append((event.meeting_id, record_of(event)))
        more = len(notifications) == RESTORE_BATCH
        return attempts, notifications[-1].id if more else None

    # ------------------------------------------------------------------ dead letters

    async def _dead_letter(self, meeting_id: str, record: DeliveryRecord) -> None:
        event = await self.gateway.call(
            stored_event, self.gateway.meetings, meeting_id, record.version
        )
        message = self.codec.message(event, 0)
        letter = DeadLetter(
            stage=DELIVER,
            kind=LETTER_FAILED,
            meeting_id=meeting_id,
            event_type=DELIVERY_ATTEMPTED,
            version=record.version,
            notification_id=None,
            error_code=f"{record.channel}_undeliverable",
            # The target (an e-mail address) and the error text are personal data: the letter
            # names the delivery and carries the error masked; the original stays sealed.
            error_message=f"{record.notice} {record.delivery_id}: "
            f"{mask_pii(record.error or 'gave up').text}",
            attempts=record.attempt,
            failed_at=now_iso(),
            original=OriginalMessage(
                topic=MEETING_EVENTS,
                partition=0,
                offset=-1,
                key=message.key,
                value=message.value,
                headers=tuple(message.headers),
            ),
        )
        await self.dead_letters.publish(letter)


def install_notifier(app: faust.App, notifier: Notifier) -> None:
    """The agent (every message of meeting-events, in order) and the retry task."""

    async def consume(stream: Any) -> None:
        async for event in stream.events():
            try:
                await notifier.handle(OriginalMessage.of(event.message))
            except Exception:  # one bad meeting must not stop everyone's notices
                log.exception("notifier: could not handle %s/%s",
                              event.message.partition, event.message.offset)  # fmt: skip

    async def retries() -> None:
        restored = await notifier.restore()
        log.info("notifier: %d pending retries restored from the event store", restored)
        await notifier.run_retries()

    app.agent(meeting_events_topic(app), name="notify_meeting_events")(consume)
    app.task(retries)


def stored_event(meetings: Meetings, meeting_id: str, version: int) -> Meeting.Event:
    """One of a meeting's events as stored: with crypto-shredding its personal fields stay
    ciphertext markers (the store's mapper has a ``sealed()`` view), so a dead letter built
    from it keeps no e-mail address in clear. Blocking: call it through the gateway."""
    mapper = meetings.mapper
    reader = mapper.sealed() if hasattr(mapper, "sealed") else mapper
    stored = meetings.recorder.select_events(
        Meeting.create_id(meeting_id), gt=version - 1, lte=version
    )
    event = reader.to_domain_event(stored[0])
    assert isinstance(event, Meeting.Event)
    return event


def letter_delivery(letter: DeadLetter, codec: EventCodec) -> tuple[str, int]:
    """The delivery id and attempt of a ``deliver`` dead letter (its ``gave_up`` event)."""
    fields = codec.decode(letter.original.value).fields
    return str(fields["delivery_id"]), int(fields["attempt"])


def letter_resolved(meeting: Meeting, letter: DeadLetter, codec: EventCodec) -> bool:
    """A ``deliver`` letter is resolved once its delivery was delivered or tried again."""
    delivery_id, attempt = letter_delivery(letter, codec)
    latest = meeting.deliveries.get(delivery_id)
    return latest is not None and (latest.outcome == DELIVERED or latest.attempt > attempt)

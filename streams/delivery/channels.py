"""The contract between the notifier and its delivery channels (e-mail, webhooks …).

A ``Notice`` is something that happened to a meeting that people asked to hear about; a
``Delivery`` is one notice to one target over one channel, attempted until the channel's
``RetryPolicy`` gives up. A channel says who wants a notice (``targets``) and tries to
deliver it once (``send``); the notifier owns retries, recording and dead letters.

Must not: do I/O, know any concrete channel, or record anything (the notifier does).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

#: The meeting has finished (``Meeting.Finished``).
NOTICE_MEETING_FINISHED = "meeting.finished"
#: The final transcript is ready (``Meeting.Transcribed`` with ``final``).
NOTICE_TRANSCRIPT_READY = "transcript.ready"
#: The final report is ready (``Meeting.Reported`` with ``final``).
NOTICE_REPORT_READY = "report.ready"
#: Every notice the notifier sends, in the order a meeting produces them.
NOTICES: tuple[str, ...] = (
    NOTICE_MEETING_FINISHED,
    NOTICE_TRANSCRIPT_READY,
    NOTICE_REPORT_READY,
)

#: Channel names.
CHANNEL_EMAIL = "email"
CHANNEL_WEBHOOK = "webhook"

# A fixed namespace so a delivery's id is the same in every process and every replay.
_DELIVERY_NAMESPACE = uuid.UUID("5d0c8f3e-7a51-4c1e-9b0a-2f6f3d7c9e41")


@dataclass(frozen=True)
class Notice:
    """Something that happened to a meeting that people asked to hear about."""

    event: str  # one of NOTICES
    meeting_id: str
    tenant: str | None
    event_id: str  # MeetingEvent.event_id of the event that caused it
    occurred_at: datetime  # that event's timestamp (UTC)
    language: str
    recipients: tuple[str, ...]
    data: Mapping[str, Any]  # JSON-able body: meeting_id, status, finished_at, report …


@dataclass(frozen=True)
class Delivery:
    """One notice to one target over one channel; ``attempt`` is 1-based."""

    delivery_id: str  # see delivery_id(); webhooks send it as webhook-id
    channel: str
    target: str  # an e-mail address, or a webhook endpoint id
    notice: Notice
    attempt: int

    @staticmethod
    def create_id(meeting_id: str, notice_event: str, channel: str, target: str) -> str:
        """The stable id of a delivery: the same notice to the same target is one delivery."""
        name = "\n".join((meeting_id, notice_event, channel, target))
        return "dlv_" + uuid.uuid5(_DELIVERY_NAMESPACE, name).hex

    @classmethod
    def first(cls, notice: Notice, channel: str, target: str) -> Delivery:
        """The first attempt at delivering ``notice`` to ``target`` over ``channel``."""
        return cls(
            delivery_id=cls.create_id(notice.meeting_id, notice.event, channel, target),
            channel=channel,
            target=target,
            notice=notice,
            attempt=1,
        )


@dataclass(frozen=True)
class AttemptResult:
    """What one attempt came to."""

    delivered: bool
    permanent: bool = False  # retrying cannot fix it (4xx other than 408/429, bad address)
    status_code: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: ``first_delay_sec × factor^(n-1)``, capped, until a deadline.

    ``next_delay(attempt)`` is the wait after failed attempt ``attempt`` (1-based), or
    None once the total wait would pass ``give_up_after_sec`` (give up).
    """

    first_delay_sec: float
    factor: float
    max_delay_sec: float
    give_up_after_sec: float

    def delay(self, attempt: int) -> float:
        """The wait after failed attempt ``attempt``, ignoring the deadline."""
        return min(self.max_delay_sec, self.first_delay_sec * self.factor ** (attempt - 1))

    def next_delay(self, attempt: int) -> float | None:
        """The wait before attempt ``attempt + 1``, or None to give up."""
        if attempt < 1:
            raise ValueError("attempts are 1-based")
        waited = sum(self.delay(n) for n in range(1, attempt + 1))
        if waited > self.give_up_after_sec:
            return None
        return self.delay(attempt)


class Channel(Protocol):
    """A way of reaching people: says who wants a notice and attempts one delivery."""

    name: str  # CHANNEL_EMAIL | CHANNEL_WEBHOOK
    retry: RetryPolicy

    async def targets(self, notice: Notice) -> Sequence[str]:
        """Who wants ``notice`` on this channel (addresses, endpoint ids); may be empty."""
        ...

    async def send(self, delivery: Delivery) -> AttemptResult:
        """Attempt ``delivery`` once; never raises for a failed delivery, says so instead."""
        ...

"""The idle finisher: ends meetings that got no chunk for their idle time (reason ``idle``).

It follows the event store's notification log as the relay does, reading only the
``Started``, ``ChunkReceived`` and ``Finished`` events (``select_notifications`` filtered
by topic). From them it keeps each open meeting's idle deadline (``domain.lifecycle``:
last activity + the meeting's idle time) in a heap with one entry per open meeting. When
an entry is due it asks the application to ``finish_when_idle``, which decides again on the
meeting as stored: a chunk saved meanwhile keeps the meeting open (its save would conflict
otherwise), and a finished meeting is never finished twice.

It keeps no position of its own: at start it reads the filtered log from the beginning, so
the timer is derived from stored events alone and survives restarts of every process; a
deadline that passed while nothing ran is due at once.

Must not: finish a meeting on its own memory alone (the stored meeting decides), read
anything but the event store, or write anything but ``finish_when_idle``.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from eventsourcing.utils import get_topic

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.events import EventMeta
from interview_analytics.domain.lifecycle import idle_deadline, idle_finish_sec
from interview_analytics.domain.meeting import Meeting
from interview_analytics.streams.followed_log import followed_events

log = logging.getLogger(__name__)
T = TypeVar("T")

FOLLOWED = (Meeting.Started, Meeting.ChunkReceived, Meeting.Finished)
TOPICS = tuple(get_topic(event_class) for event_class in FOLLOWED)
"""The stored topics of the events the idle rule depends on."""


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class IdleFinisherConfig:
    default_idle_sec: float
    """MEETING_IDLE_FINISH_SEC: the idle time of a meeting whose context names none."""
    poll_interval_sec: float = 1.0
    batch_size: int = 500
    retry_after_error_sec: float = 5.0


@dataclass
class IdleFinisherStats:
    """What an operator wants to know (exported as metrics by ops/)."""

    position: int = 0
    """The last notification id read (of the followed topics)."""
    open_meetings: int = 0
    finished_total: int = 0
    checks_total: int = 0
    """Due deadlines checked against the stored meeting (finished or not)."""
    errors_total: int = 0
    last_error: str | None = None


@dataclass
class _Open:
    idle_sec: float
    deadline: datetime


@dataclass(eq=False)
class IdleFinisher:
    meetings: Meetings
    config: IdleFinisherConfig
    meta: EventMeta = EventMeta()
    clock: Callable[[], datetime] = utc_now
    stats: IdleFinisherStats = field(default_factory=IdleFinisherStats, init=False)
    _open: dict[str, _Open] = field(default_factory=dict, init=False)
    _heap: list[tuple[datetime, str]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        # The store drivers are blocking; one thread keeps them off the event loop and
        # keeps each connection on the thread that made it (as in the relay).
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lifecycle-store")

    # ------------------------------------------------------------------ reading the log

    def catch_up(self) -> int:
        """Read the followed events stored after the position; how many were read."""
        total = 0
        read = followed_events(self.meetings, self.stats.position, TOPICS, self.config.batch_size)
        for position, event in read:
            self._note(event)
            self.stats.position = position
            total += 1
        self.stats.open_meetings = len(self._open)
        return total

    def _note(self, event: Any) -> None:
        if isinstance(event, Meeting.Started):
            idle_sec = idle_finish_sec(event.context, self.config.default_idle_sec)
            deadline = idle_deadline([event.timestamp], idle_sec)
            if deadline is not None:  # None: this meeting never ends for inactivity
                self._open[event.meeting_id] = _Open(idle_sec, deadline)
                heapq.heappush(self._heap, (deadline, event.meeting_id))
        elif isinstance(event, Meeting.ChunkReceived):
            meeting = self._open.get(event.meeting_id)
            later = idle_deadline([event.timestamp], meeting.idle_sec) if meeting else None
            if meeting is not None and later is not None and later > meeting.deadline:
                # The heap entry stays where it was; when it comes up it moves here.
                meeting.deadline = later
        elif isinstance(event, Meeting.Finished):
            self._open.pop(event.meeting_id, None)

    # ------------------------------------------------------------------ deadlines

    @property
    def open_meetings(self) -> dict[str, datetime]:
        """Each open meeting's idle deadline as the log has it so far."""
        return {meeting_id: m.deadline for meeting_id, m in self._open.items()}

    def next_due(self) -> datetime | None:
        return self._heap[0][0] if self._heap else None

    def finish_due(self) -> list[str]:
        """Finish every meeting whose deadline has passed; the ids finished now."""
        now = self.clock()
        finished: list[str] = []
        while self._heap and self._heap[0][0] <= now:
            due, meeting_id = heapq.heappop(self._heap)
            meeting = self._open.get(meeting_id)
            if meeting is None:
                continue  # finished since it was pushed
            if meeting.deadline > due:
                heapq.heappush(self._heap, (meeting.deadline, meeting_id))
                continue
            if self._check(meeting_id, meeting, now):
                finished.append(meeting_id)
        self.stats.open_meetings = len(self._open)
        return finished

    def _check(self, meeting_id: str, meeting: _Open, now: datetime) -> bool:
        self.stats.checks_total += 1
        try:
            check = self.meetings.finish_when_idle(
                meeting_id, now=now, default_idle_sec=self.config.default_idle_sec, meta=self.meta
            )
        except Exception as error:  # the store is down, say: try this meeting again later
            self.stats.errors_total += 1
            self.stats.last_error = f"{type(error).__name__}: {error}"
            log.warning("lifecycle: %s: idle check failed: %s", meeting_id, self.stats.last_error)
            retry = now + timedelta(seconds=self.config.retry_after_error_sec)
            heapq.heappush(self._heap, (retry, meeting_id))
            return False
        if check.finished:
            self.stats.finished_total += 1
            log.info(
                "lifecycle: %s finished after %.0f s without a chunk", meeting_id, meeting.idle_sec
            )
        if check.finished or check.deadline is None:
            del self._open[meeting_id]
            return check.finished
        # The store knows of activity the log has not shown yet: wait for its deadline.
        meeting.deadline = max(meeting.deadline, check.deadline)
        heapq.heappush(self._heap, (meeting.deadline, meeting_id))
        return False

    # ------------------------------------------------------------------ running

    async def run(self, stop: asyncio.Event) -> None:
        """Follow the log and finish idle meetings until ``stop`` is set."""
        while not stop.is_set():
            try:
                await self._in_db(self.catch_up)
                await self._in_db(self.finish_due)
            except Exception as error:  # logged, counted, retried on the next turn
                self.stats.errors_total += 1
                self.stats.last_error = f"{type(error).__name__}: {error}"
                log.warning("lifecycle: pass failed, will retry: %s", self.stats.last_error)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._sleep_sec())

    def _sleep_sec(self) -> float:
        due = self.next_due()
        if due is None:
            return self.config.poll_interval_sec
        until = (due - self.clock()).total_seconds()
        return min(max(until, 0.01), self.config.poll_interval_sec)

    def close(self) -> None:
        self._db.shutdown(wait=True)

    async def _in_db(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._db, fn)

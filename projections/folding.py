"""Meeting aggregates rebuilt from a stream of events, for the projections.

``MeetingFolder`` keeps a bounded LRU cache of :class:`MeetingState` (the ``Meeting``
aggregate plus the event times the aggregate does not keep) and applies each domain event
in version order with the event's own ``mutate``. An event at or below the cached version
is a duplicate (at-least-once delivery) and is skipped. A gap (the cache was evicted, the
process restarted mid-stream) is filled by the ``load`` callable the caller supplies: the
meeting's stored events up to a version, e.g. :func:`events_from` on the ``Meetings``
application.

Must not: write anywhere, read the clock, or build rows.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.ids import meeting_aggregate_id
from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.results import Transcription, current_transcriptions

Load = Callable[[str, int], Iterable[Meeting.Event]]
"""``load(meeting_id, version)``: the meeting's events 1..version, in order."""

DEFAULT_CAPACITY = 10_000


class FoldingError(Exception):
    """The events of a meeting cannot be folded (a gap nobody can fill, a wrong order)."""


@dataclass
class MeetingState:
    """A meeting as the projections see it: the aggregate and a few event times."""

    meeting: Meeting
    last_chunk_at: datetime | None = None
    finished_at: datetime | None = None
    _current: list[Transcription] | None = field(default=None, repr=False)
    _current_sorted: tuple[int, list[Transcription]] | None = field(default=None, repr=False)

    @property
    def meeting_id(self) -> str:
        return self.meeting.meeting_id

    @property
    def version(self) -> int:
        return int(self.meeting.version)

    def current_transcriptions(self) -> list[Transcription]:
        """``domain.transcript.current_transcriptions`` of the meeting, kept up to date
        as events are applied (the domain function compares every pair of results, which
        a long meeting with thousands of drafts cannot afford once per event)."""
        if self._current is None:
            self._current = current_transcriptions(self.meeting.results.transcriptions)
        if self._current_sorted is None or self._current_sorted[0] != self.version:
            ordered = sorted(self._current, key=lambda t: (min(t.seqs, default=-1), t.version))
            self._current_sorted = (self.version, ordered)
        return self._current_sorted[1]

    def apply(self, event: Meeting.Event) -> None:
        """Apply the next event (its version must be this state's version + 1)."""
        event.mutate(self.meeting)
        self._note(event)
        if isinstance(event, Meeting.Transcribed) and self._current is not None:
            self._current = supersede(self._current, self.meeting.results.transcriptions[-1])

    def _note(self, event: Meeting.Event) -> None:
        if isinstance(event, Meeting.ChunkReceived):
            self.last_chunk_at = event.timestamp
        elif isinstance(event, Meeting.Finished):
            self.finished_at = event.timestamp

    @classmethod
    def start(cls, event: Meeting.Event) -> MeetingState:
        if not isinstance(event, Meeting.Started) or event.originator_version != 1:
            raise FoldingError(
                f"meeting {event.meeting_id} must begin with Started at version 1, "
                f"not {type(event).__name__} at {event.originator_version}"
            )
        return cls(cast(Meeting, event.mutate(None)))


def supersede(current: list[Transcription], new: Transcription) -> list[Transcription]:
    """The current results once ``new`` is recorded: the first final result replaces
    every draft; a draft after a final changes nothing; otherwise ``new`` replaces each
    current result of its kind whose seqs it covers (what ``current_transcriptions``
    decides, one result at a time)."""
    has_final = any(t.final for t in current)
    if new.final and not has_final:
        return [new]
    if has_final and not new.final:
        return current
    covered = set(new.seqs)
    return [t for t in current if not set(t.seqs) <= covered] + [new]


def fold(events: Iterable[Meeting.Event]) -> MeetingState | None:
    """The state after ``events`` (a meeting's events from version 1, in order)."""
    state: MeetingState | None = None
    for event in events:
        if state is None:
            state = MeetingState.start(event)
        else:
            state.apply(event)
    return state


class MeetingFolder:
    """Applies events to cached meeting states in version order, skipping duplicates."""

    def __init__(self, load: Load | None = None, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.load = load
        self.capacity = capacity
        self._cache: OrderedDict[str, MeetingState] = OrderedDict()
        self.loads = 0
        """How many times a gap was filled through ``load`` (for metrics and tests)."""

    def __len__(self) -> int:
        return len(self._cache)

    def get(self, meeting_id: str) -> MeetingState | None:
        return self._cache.get(meeting_id)

    def cached_version(self, meeting_id: str) -> int:
        state = self._cache.get(meeting_id)
        return state.version if state is not None else 0

    def is_duplicate(self, event: Meeting.Event) -> bool:
        return event.originator_version <= self.cached_version(event.meeting_id)

    def state_before(self, event: Meeting.Event) -> MeetingState | None:
        """The state just before ``event`` (None for a meeting's first event), loading
        the meeting when the cache does not reach that far. The event must not be a
        duplicate."""
        meeting_id, version = event.meeting_id, event.originator_version
        cached = self._cache.get(meeting_id)
        if cached is not None and cached.version == version - 1:
            self._cache.move_to_end(meeting_id)
            return cached
        if cached is not None and cached.version >= version:
            raise FoldingError(f"{meeting_id} v{version} is a duplicate; nothing to apply")
        if version == 1:
            return None
        return self._reload(meeting_id, version - 1)

    def apply(self, event: Meeting.Event) -> MeetingState | None:
        """Apply ``event``; the state after it, or None when it was a duplicate."""
        if self.is_duplicate(event):
            return None
        before = self.state_before(event)
        if before is None:
            state = MeetingState.start(event)
            self._remember(state)
            return state
        before.apply(event)
        return before

    def forget(self, meeting_id: str) -> None:
        self._cache.pop(meeting_id, None)

    def _reload(self, meeting_id: str, version: int) -> MeetingState:
        if self.load is None:
            raise FoldingError(
                f"{meeting_id}: events before v{version + 1} are not cached and no loader was given"
            )
        self.loads += 1
        state = fold(self.load(meeting_id, version))
        if state is None or state.version != version:
            found = 0 if state is None else state.version
            raise FoldingError(f"{meeting_id}: loaded up to v{found}, needed v{version}")
        self._remember(state)
        return state

    def _remember(self, state: MeetingState) -> None:
        self._cache[state.meeting_id] = state
        self._cache.move_to_end(state.meeting_id)
        while len(self._cache) > self.capacity:
            self._cache.popitem(last=False)


def events_from(meetings: Meetings) -> Load:
    """A ``load`` for :class:`MeetingFolder` that reads the event store of ``meetings``."""

    def load(meeting_id: str, version: int) -> Iterable[Meeting.Event]:
        events = meetings.events.get(meeting_aggregate_id(meeting_id), lte=version)
        return cast(Iterable[Meeting.Event], events)

    return load

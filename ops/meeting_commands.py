"""The write model as the front door's ``http.ports.MeetingCommands`` port.

:class:`MeetingCommandsAdapter` runs every call of ``domain.application.Meetings`` in a
worker thread (a bounded pool: a chunk request waits in one for its group commit);
chunks go through ``GroupCommitter`` so that concurrent requests share one transaction;
container codecs (wav, ogg, …) are decoded once to probe their duration
(``streams.audio``), and audio that does not decode is refused with
``InvalidAudioError`` before anything is stored; event-store and blob-store failures
become ``DependencyUnavailableError`` (503), never a 500.

Must not: decide anything the aggregate decides, or block the event loop.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from eventsourcing.persistence import PersistenceError

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.audio import PCM, AudioFormat
from interview_analytics.domain.commands import (
    ChangeConsent,
    EditSpeakers,
    ReceiveChunk,
    StartMeeting,
)
from interview_analytics.domain.consent import ConsentOutcome
from interview_analytics.domain.events import EventMeta
from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.results import (
    ChunkOutcome,
    FinishOutcome,
    SpeakersOutcome,
    StartOutcome,
)
from interview_analytics.http.ports import DependencyUnavailableError
from interview_analytics.ops.group_commit import GroupCommitter
from interview_analytics.ops.wiring import probe_duration

log = logging.getLogger(__name__)

T = TypeVar("T")

COMMAND_THREADS = 64
"""Worker threads for write-side calls: each chunk request waits in one for its group commit."""


class MeetingCommandsAdapter:
    """``http.ports.MeetingCommands`` on a ``Meetings`` application (thread-safe calls)."""

    def __init__(
        self,
        meetings: Meetings,
        committer: GroupCommitter,
        *,
        probe: Callable[[bytes, AudioFormat], float] = probe_duration,
        threads: int = COMMAND_THREADS,
    ) -> None:
        self.meetings = meetings
        self.committer = committer
        self.probe = probe
        self._limiter = CapacityLimiter(threads)

    async def start(self, command: StartMeeting, meta: EventMeta) -> StartOutcome:
        return await self._call(self.meetings.start, command, meta)

    async def receive_chunk(self, command: ReceiveChunk, meta: EventMeta) -> ChunkOutcome:
        return await self._call(self._receive_chunk, command, meta)

    async def finish(self, meeting_id: str, *, reason: str, meta: EventMeta) -> FinishOutcome:
        return await self._call(lambda: self.meetings.finish(meeting_id, reason=reason, meta=meta))

    async def edit_speakers(self, command: EditSpeakers, meta: EventMeta) -> SpeakersOutcome:
        return await self._call(lambda: self.meetings.edit_speakers(command, meta))

    async def change_consent(self, command: ChangeConsent, meta: EventMeta) -> ConsentOutcome:
        return await self._call(lambda: self.meetings.change_consent(command, meta))

    async def load(self, meeting_id: str) -> Meeting:
        return await self._call(self.meetings.get, meeting_id)

    def _receive_chunk(self, command: ReceiveChunk, meta: EventMeta) -> ChunkOutcome:
        if command.audio_format.codec != PCM and command.duration_sec is None:
            duration = self.probe(command.audio, command.audio_format)
            command = dataclasses.replace(command, duration_sec=duration)
        return self.committer.receive_chunk(command, meta)

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        try:
            return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)
        except PersistenceError as error:
            log.warning("event store failed: %s", error)
            raise DependencyUnavailableError("event_store", "the event store failed") from error
        except OSError as error:
            log.warning("audio blob store failed: %s", error)
            raise DependencyUnavailableError("blob_store", "the audio store failed") from error

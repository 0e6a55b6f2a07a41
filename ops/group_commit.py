"""Group commit for chunk ingestion: concurrent callers share one transaction.

Appending one event per transaction costs a round trip, a table lock (eventsourcing's
PostgreSQL recorder serialises inserts) and an fsync of the audio blob; concurrent
requests then queue behind each other (bench/README.md). ``GroupCommitter`` collects the
chunk commands that arrive while the previous batch is being written and hands them to
``Meetings.receive_chunks`` together: one blob flush, one transaction. A caller blocks
only until its own batch is committed and gets exactly what ``receive_chunk`` would have
returned (or raised).

Must not: answer a caller before its batch is committed, or change what ``receive_chunk``
would return.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.commands import ReceiveChunk
from interview_analytics.domain.errors import DomainError
from interview_analytics.domain.events import EventMeta
from interview_analytics.domain.results import ChunkOutcome

_STOP = object()


class GroupCommitter:
    def __init__(self, meetings: Meetings, *, max_batch: int = 100) -> None:
        self.meetings = meetings
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._thread.start()
        self.batches = 0
        self.commands = 0

    def receive_chunk(self, command: ReceiveChunk, meta: EventMeta = EventMeta()) -> ChunkOutcome:
        """Same contract as ``Meetings.receive_chunk``; thread-safe, blocks until committed."""
        done: Future[ChunkOutcome] = Future()
        self._queue.put((command, meta, done))
        return done.result()

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            # Whatever arrived while the previous batch was written joins this one.
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    self._queue.put(_STOP)
                    break
                batch.append(item)
            self._commit(batch)

    def _commit(self, batch: list[object]) -> None:
        items = [item for item in batch if isinstance(item, tuple)]
        try:
            results = self.meetings.receive_chunks([(command, meta) for command, meta, _ in items])
        except Exception as error:  # store down, disk full: every caller hears about it
            for _, _, done in items:
                done.set_exception(error)
            return
        self.batches += 1
        self.commands += len(items)
        for (_, _, done), result in zip(items, results, strict=True):
            if isinstance(result, DomainError):
                done.set_exception(result)
            else:
                done.set_result(result)

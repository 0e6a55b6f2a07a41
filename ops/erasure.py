"""Erasure and retention at the edges: what the domain's ``Erased`` and ``RetentionApplied``
stand for, done to the key table, the blob directory and the read models.

``Eraser.erase`` records ``Erased`` (the domain refuses every later command), destroys both
data keys of the meeting (``DataKeys.destroy``: its ciphertext in the event store, the topic
and the blobs is unreadable from then on), deletes its audio blobs and deletes its rows from
every read model (``projections/erasure.py``; the projector does the same when the event
reaches it, so a lagging batch or a replay cannot bring them back). The event is recorded
first, so the intent is durable; every later step is idempotent and runs again on a repeated
erase, which therefore completes an erasure a crash interrupted.

``Eraser.shred`` applies a retention scope: the key is destroyed (and, for ``audio``, the
blobs deleted) before ``RetentionApplied`` is recorded, so the event states a fact; a crash
in between is repaired by the retention worker's next pass.

Must not: decide whether a meeting may be erased or is due (the domain and the retention
rules do), or read the environment.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import anyio.to_thread
from eventsourcing.persistence import PersistenceError

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.commands import RecordRetention
from interview_analytics.domain.events import EventMeta
from interview_analytics.domain.results import ErasureOutcome
from interview_analytics.http.ports import DependencyUnavailableError
from interview_analytics.projections.erasure import erase_meeting_rows
from interview_analytics.projections.store import ReadStore, ReadStoreError

log = logging.getLogger(__name__)

AUDIO = "audio"
RAW_TEXT = "raw_text"


class KeyShredder(Protocol):
    """What erasure needs of ``ops.data_keys.DataKeys``."""

    def destroy(self, meeting_id: str, scopes: Sequence[str] = ...) -> list[str]: ...

    def destroyed(self, meeting_id: str) -> frozenset[str]: ...


class BlobDeleter(Protocol):
    """What erasure needs of ``ops.blobs.FileBlobStore``."""

    def delete(self, key: str) -> bool: ...

    def exists(self, key: str) -> bool: ...


@dataclass
class Eraser:
    meetings: Meetings
    keys: KeyShredder
    blobs: BlobDeleter
    read_store: ReadStore | None = None
    """None where this process has no read store (the projector then deletes the rows)."""

    def erase(
        self, meeting_id: str, reason: str = "erasure_request", meta: EventMeta = EventMeta()
    ) -> ErasureOutcome:
        outcome = self.meetings.erase(meeting_id, reason, meta)
        self.keys.destroy(meeting_id, (AUDIO, RAW_TEXT))
        deleted = sum(self.blobs.delete(key) for key in outcome.blob_keys)
        if self.read_store is not None:
            erase_meeting_rows(self.read_store, meeting_id, outcome.version)
        log.info(
            "erased %s (version %s, %s blobs deleted%s)",
            meeting_id,
            outcome.version,
            deleted,
            ", a repeat" if outcome.duplicate else "",
        )
        return outcome

    def is_complete(self, meeting_id: str) -> bool:
        """Whether an erased meeting's keys and blobs are all gone (a crash between the
        ``Erased`` event and the last step leaves it incomplete)."""
        if self.keys.destroyed(meeting_id) != {AUDIO, RAW_TEXT}:
            return False
        return not any(self.blobs.exists(key) for key in self.meetings.get(meeting_id).blob_keys())

    def shred(
        self, meeting_id: str, scope: str, retention_days: int, meta: EventMeta = EventMeta()
    ) -> bool:
        """Destroy one scope's key (audio: and the blobs); True when ``RetentionApplied``
        was recorded now, False when it had been already."""
        self.keys.destroy(meeting_id, (scope,))
        if scope == AUDIO:
            for key in self.meetings.get(meeting_id).blob_keys():
                self.blobs.delete(key)
        return self.meetings.record_retention(
            RecordRetention(meeting_id, scope, retention_days), meta
        )


class MeetingErasureAdapter:
    """``http.ports.MeetingErasure`` on an :class:`Eraser`, in a worker thread; store
    failures are 503 (the client repeats the DELETE, which completes the erasure)."""

    def __init__(self, eraser: Eraser) -> None:
        self.eraser = eraser

    async def erase(self, meeting_id: str, *, reason: str, meta: EventMeta) -> ErasureOutcome:
        try:
            return await anyio.to_thread.run_sync(
                lambda: self.eraser.erase(meeting_id, reason, meta)
            )
        except PersistenceError as error:
            raise DependencyUnavailableError("event_store", "the event store failed") from error
        except ReadStoreError as error:
            raise DependencyUnavailableError("clickhouse", "the read store failed") from error
        except OSError as error:
            raise DependencyUnavailableError("blob_store", "the audio store failed") from error

"""The event store's mapper with crypto-shredding: personal fields sealed on the way in.

``SealingMapper`` is eventsourcing's ``Mapper`` with one step more on each side: before a
meeting event is transcoded for the store its personal fields (``domain/personal_data.py``)
are replaced by ciphertext markers (``ops/field_cipher.py``), and after a stored event is
decoded they are opened again, or read as erased once the meeting's key was destroyed. The
SQLite or PostgreSQL rows therefore never hold personal data in clear, whatever the
driver. ``sealed()`` is the same mapper without the opening step: the relay publishes the
markers as they are stored.

Must not: seal events of other aggregates, or open markers for a reader that asked for the
sealed view.
"""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent

from interview_analytics.domain.events import MeetingEvent
from interview_analytics.ops.field_cipher import FieldCipher

E = TypeVar("E")


class SealingMapper(Mapper[UUID]):
    def __init__(self, inner: Mapper[UUID], cipher: FieldCipher) -> None:
        super().__init__(inner.transcoder, inner.compressor, inner.cipher)
        self.fields = cipher

    def sealed(self) -> Mapper[UUID]:
        """A mapper that reads the stored markers without opening them."""
        return Mapper(self.transcoder, self.compressor, self.cipher)

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        if not isinstance(domain_event, MeetingEvent):
            return super().to_stored_event(domain_event)
        state = self.fields.seal(
            type(domain_event).__name__, domain_event.meeting_id, vars(domain_event)
        )
        return super().to_stored_event(_with_state(domain_event, state))

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        event = super().to_domain_event(stored_event)
        if not isinstance(event, MeetingEvent):
            return event
        state = self.fields.open(type(event).__name__, event.meeting_id, vars(event))
        return _with_state(event, state)


def _with_state(event: E, state: dict[str, Any]) -> E:
    """The same event with other attribute values (events are frozen: built as eventsourcing
    builds them when it reads the store)."""
    copy: E = object.__new__(type(event))
    object.__setattr__(copy, "__dict__", state)
    return copy

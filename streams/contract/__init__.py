"""The Kafka contract: what crosses process boundaries, defined once (docs/events.md).

| module | what |
| --- | --- |
| ``topics`` | topic names and the partitions each is created with (``TopicSpec``) |
| ``events`` | one event type per domain event that travels (``TRANSCRIBED`` …), stage results |
| ``groups`` | roles and their consumer groups (``ia-<role>``) |
| ``schemas`` | the Avro schemas in ``schemas/avro``, current and historical |
| ``codec`` | ``EventCodec``: single-object values, key and headers; ``Envelope`` |
| ``dead_letters`` | ``DeadLetter``: the JSON letters on ``dead-letters`` |
| ``ordering`` | the partitioner (a meeting's events on one partition) and consumer dedupe |

This is the one package that ``streams/``, ``projections/`` and ``http/`` share. The names
below are re-exported for importers of ``interview_analytics.streams.contract``; each is
defined in one submodule.

Must not: talk to a broker or a store (adapters such as ``streams/topics.py`` do), or hold
state beyond the schemas it loaded.
"""

from __future__ import annotations

from interview_analytics.streams.contract.codec import (
    EVENT_TYPE_HEADER,
    Envelope,
    EventCodec,
    KafkaMessage,
    header,
)
from interview_analytics.streams.contract.events import (
    MEETING_EVENT_CLASSES,
    event_field_names,
    event_type_of,
)
from interview_analytics.streams.contract.ordering import StreamDeduper
from interview_analytics.streams.contract.schemas import (
    ContractError,
    Schema,
    default_schema_dir,
    load_schema_history,
    load_schemas,
)
from interview_analytics.streams.contract.topics import (
    DEAD_LETTERS,
    MEETING_EVENTS,
    SECURITY_AUDIT,
    TopicSpec,
    topic_specs,
)

__all__ = [
    "DEAD_LETTERS",
    "EVENT_TYPE_HEADER",
    "MEETING_EVENTS",
    "MEETING_EVENT_CLASSES",
    "SECURITY_AUDIT",
    "ContractError",
    "Envelope",
    "EventCodec",
    "KafkaMessage",
    "Schema",
    "StreamDeduper",
    "TopicSpec",
    "default_schema_dir",
    "event_field_names",
    "event_type_of",
    "header",
    "load_schema_history",
    "load_schemas",
    "topic_specs",
]

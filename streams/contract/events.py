"""The event types on ``meeting-events``: one Avro full name per domain event class.

The name is derived from the class (``Meeting.Transcribed`` → ``ia.meeting.Transcribed``);
it is the record name of the event's schema, the ``event_type`` header and metadata field,
and the ``event_type`` column of ``event_log``. Code compares event types with the
constants here, never with a string written out.

Must not: encode or decode (``codec.py``), or know about topics and consumers.
"""

from __future__ import annotations

import dataclasses

from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.results import ENHANCE, REPORT, TRANSCRIBE

NAMESPACE = "ia.meeting"


def event_type_of(event: Meeting.Event | type[Meeting.Event]) -> str:
    """The Avro full name of an event or event class."""
    cls = event if isinstance(event, type) else type(event)
    return f"{NAMESPACE}.{cls.__name__}"


MEETING_EVENT_CLASSES: dict[str, type[Meeting.Event]] = {
    event_type_of(cls): cls
    for cls in (
        Meeting.Started,
        Meeting.ChunkReceived,
        Meeting.ChunkRejected,
        Meeting.LanguageDetected,
        Meeting.ProcessingFailed,
        Meeting.Transcribed,
        Meeting.Enhanced,
        Meeting.Reported,
        Meeting.Finished,
        Meeting.ConnectorRequested,
        Meeting.ConnectorJoining,
        Meeting.ConnectorConnected,
        Meeting.ConnectorHeartbeat,
        Meeting.ConnectorInterrupted,
        Meeting.ConnectorLeaving,
        Meeting.ConnectorLeft,
        Meeting.ConnectorFailed,
        Meeting.DeliveryAttempted,
        Meeting.SpeakersEdited,
        Meeting.ConsentChanged,
        Meeting.Erased,
        Meeting.RetentionApplied,
    )
}
"""Every event class that travels, by event type."""

STARTED = event_type_of(Meeting.Started)
CHUNK_RECEIVED = event_type_of(Meeting.ChunkReceived)
CHUNK_REJECTED = event_type_of(Meeting.ChunkRejected)
LANGUAGE_DETECTED = event_type_of(Meeting.LanguageDetected)
PROCESSING_FAILED = event_type_of(Meeting.ProcessingFailed)
TRANSCRIBED = event_type_of(Meeting.Transcribed)
ENHANCED = event_type_of(Meeting.Enhanced)
REPORTED = event_type_of(Meeting.Reported)
FINISHED = event_type_of(Meeting.Finished)
CONNECTOR_REQUESTED = event_type_of(Meeting.ConnectorRequested)
CONNECTOR_JOINING = event_type_of(Meeting.ConnectorJoining)
CONNECTOR_CONNECTED = event_type_of(Meeting.ConnectorConnected)
CONNECTOR_HEARTBEAT = event_type_of(Meeting.ConnectorHeartbeat)
CONNECTOR_INTERRUPTED = event_type_of(Meeting.ConnectorInterrupted)
CONNECTOR_LEAVING = event_type_of(Meeting.ConnectorLeaving)
CONNECTOR_LEFT = event_type_of(Meeting.ConnectorLeft)
CONNECTOR_FAILED = event_type_of(Meeting.ConnectorFailed)
DELIVERY_ATTEMPTED = event_type_of(Meeting.DeliveryAttempted)
SPEAKERS_EDITED = event_type_of(Meeting.SpeakersEdited)
CONSENT_CHANGED = event_type_of(Meeting.ConsentChanged)
ERASED = event_type_of(Meeting.Erased)
RETENTION_APPLIED = event_type_of(Meeting.RetentionApplied)

STAGE_RESULTS: dict[str, tuple[str, ...]] = {
    TRANSCRIBE: (TRANSCRIBED, CHUNK_REJECTED),
    ENHANCE: (ENHANCED,),
    REPORT: (REPORTED,),
}
"""The events that record a pipeline stage's result for an input (``input_version``): one of
them settles that input, and resolves its dead letter."""

# Attributes of every eventsourcing event that the metadata record carries instead.
_BASE_FIELDS = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic"}
    | {"meeting_id", "actor", "correlation_id", "causation_id"}
)


def event_field_names(cls: type[Meeting.Event]) -> set[str]:
    """The event's own fields (what its Avro record carries besides metadata)."""
    return {f.name for f in dataclasses.fields(cls)} - _BASE_FIELDS

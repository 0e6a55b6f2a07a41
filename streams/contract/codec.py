"""The message format of ``meeting-events``: Avro single-object values, key and headers.

- key: the meeting id, UTF-8 (one partition per meeting keeps its events ordered);
- value: Avro single-object encoding: ``C3 01`` + the 8-byte little-endian CRC-64-AVRO
  fingerprint of the writer schema's canonical form + the Avro binary body (docs/adr/0002);
- headers: ``event_type`` (Avro full name, e.g. ``ia.meeting.ChunkReceived``),
  ``meeting_id``, ``version``, ``notification_id`` and ``content-type``.

Domain event fields map 1:1 onto record fields, with two rules for free-form attributes:
an Avro field named ``<name>_json`` carries the domain attribute ``<name>`` as JSON text,
and a field ``<name>`` beside it is the typed view of the same attribute (``report``: a
record downstream consumers can read field by field). The typed view is written when the
value fits its type and is null otherwise (a report of an older or hand-made shape);
decoding rebuilds the attribute from the JSON twin, which is exact.

Must not: talk to a broker; its only state is the schemas (and decryptor) it was given.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import fastavro
from fastavro.validation import validate

from interview_analytics.domain.meeting import Meeting
from interview_analytics.streams.contract.events import MEETING_EVENT_CLASSES, event_type_of
from interview_analytics.streams.contract.schemas import (
    ContractError,
    Schema,
    load_schema_history,
    load_schemas,
)
from interview_analytics.streams.contract.topics import MEETING_EVENTS

SINGLE_OBJECT_MARKER = b"\xc3\x01"
CONTENT_TYPE = "application/vnd.apache.avro+binary; encoding=single-object"
JSON_SUFFIX = "_json"

EVENT_TYPE_HEADER = "event_type"
MEETING_ID_HEADER = "meeting_id"
VERSION_HEADER = "version"
NOTIFICATION_ID_HEADER = "notification_id"
CONTENT_TYPE_HEADER = "content-type"

Decryptor = Callable[[str, str, dict[str, Any]], dict[str, Any]]
"""(event type, meeting id, the event's attributes) → the attributes with personal fields
opened."""


@dataclass(frozen=True)
class Envelope:
    """A decoded message: the event type, its metadata and its own fields."""

    event_type: str
    metadata: dict[str, Any]
    fields: dict[str, Any]

    @property
    def meeting_id(self) -> str:
        return str(self.metadata["meeting_id"])

    @property
    def version(self) -> int:
        return int(self.metadata["version"])

    @property
    def notification_id(self) -> int | None:
        value = self.metadata.get("notification_id")
        return None if value is None else int(value)


@dataclass(frozen=True)
class KafkaMessage:
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


class EventCodec:
    """Encode domain events to Avro single-object messages and back.

    Encoding always uses the current schema. Decoding finds the writer schema by fingerprint
    among the current and the historical versions; data written with an older version is
    resolved to the current schema of its type (new fields get their defaults), so an
    Envelope always carries the current fields.
    """

    def __init__(
        self,
        schemas: Mapping[str, Schema] | None = None,
        history: Iterable[Schema] | None = None,
        *,
        decryptor: Decryptor | None = None,
    ) -> None:
        # Personal fields travel as ciphertext markers; our own consumers open them with
        # the meetings' data keys (``ops/field_cipher.py``), anyone else sees the markers.
        self.decryptor = decryptor
        self.schemas = dict(schemas if schemas is not None else load_schemas())
        if history is None:
            history = load_schema_history() if schemas is None else ()
        missing = set(MEETING_EVENT_CLASSES) - set(self.schemas)
        if missing:
            raise ContractError(f"no Avro schema for {sorted(missing)}")
        # fingerprint -> (writer schema, current schema of the same type)
        self._by_fingerprint: dict[bytes, tuple[Schema, Schema]] = {}
        for old in history:
            current = self.schemas.get(old.full_name)
            if current is None:
                raise ContractError(f"historical schema {old.path} has no current version")
            self._by_fingerprint[old.fingerprint] = (old, current)
        for schema in self.schemas.values():
            self._by_fingerprint[schema.fingerprint] = (schema, schema)
        self._typed_views = {name: _typed_views(schema) for name, schema in self.schemas.items()}

    # ------------------------------------------------------------ domain ↔ record

    def to_record(
        self, event: object, notification_id: int | None = None
    ) -> tuple[str, dict[str, Any]]:
        if not isinstance(event, Meeting.Event):
            raise ContractError(f"not a meeting event: {type(event).__name__}")
        event_type = event_type_of(event)
        schema = self.schemas[event_type]
        record: dict[str, Any] = {
            "metadata": {
                "event_id": str(event.event_id),
                "event_type": event_type,
                "meeting_id": event.meeting_id,
                "aggregate_id": str(event.originator_id),
                "version": event.originator_version,
                "occurred_at": event.timestamp,
                "actor": event.actor,
                "correlation_id": event.correlation_id,
                "causation_id": event.causation_id,
                "notification_id": notification_id,
            }
        }
        for field in schema.parsed["fields"]:
            name = field["name"]
            if name == "metadata":
                continue
            if name.endswith(JSON_SUFFIX):
                value = getattr(event, name.removesuffix(JSON_SUFFIX))
                record[name] = json.dumps(value, sort_keys=True, ensure_ascii=False)
            else:
                record[name] = getattr(event, name)
        views = self._typed_views[event_type]
        if views and not validate(record, schema.parsed, raise_errors=False):
            # A value that does not fit its typed view travels in the JSON twin only.
            record.update(dict.fromkeys(views))
        return event_type, record

    def from_record(self, event_type: str, record: Mapping[str, Any]) -> Meeting.Event:
        """Rebuild the domain event (used by tests and by consumers written in Python)."""
        cls = MEETING_EVENT_CLASSES[event_type]
        meta = record["metadata"]
        kwargs: dict[str, Any] = {
            "originator_id": uuid.UUID(str(meta["aggregate_id"])),
            "originator_version": meta["version"],
            "timestamp": _as_datetime(meta["occurred_at"]),
            "meeting_id": meta["meeting_id"],
            "actor": meta["actor"],
            "correlation_id": meta["correlation_id"],
            "causation_id": meta["causation_id"],
        }
        if cls is Meeting.Started:
            kwargs["originator_topic"] = _topic_of(Meeting)
        for name, value in record.items():
            if name == "metadata" or name + JSON_SUFFIX in record:
                continue  # a typed view: the JSON twin holds the attribute exactly
            if name.endswith(JSON_SUFFIX):
                kwargs[name.removesuffix(JSON_SUFFIX)] = json.loads(value)
            else:
                kwargs[name] = value
        return cls(**kwargs)

    # ------------------------------------------------------------ record ↔ bytes

    def encode(self, event_type: str, record: Mapping[str, Any]) -> bytes:
        schema = self.schemas[event_type]
        buffer = io.BytesIO()
        buffer.write(SINGLE_OBJECT_MARKER)
        buffer.write(schema.fingerprint)
        fastavro.schemaless_writer(buffer, schema.parsed, dict(record))
        return buffer.getvalue()

    def decode(self, value: bytes) -> Envelope:
        if len(value) < 10 or value[:2] != SINGLE_OBJECT_MARKER:
            raise ContractError("value is not Avro single-object encoded")
        found = self._by_fingerprint.get(value[2:10])
        if found is None:
            raise ContractError(f"unknown schema fingerprint {value[2:10].hex()}")
        writer, current = found
        reader = None if writer is current else current.parsed
        record = fastavro.schemaless_reader(io.BytesIO(value[10:]), writer.parsed, reader)
        assert isinstance(record, dict)
        metadata = record.pop("metadata")
        if self.decryptor is not None:
            record = self._opened(current.full_name, str(metadata["meeting_id"]), record)
        return Envelope(current.full_name, metadata, record)

    def _opened(self, event_type: str, meeting_id: str, record: dict[str, Any]) -> dict[str, Any]:
        """The record with its sealed personal fields opened: the decryptor works on domain
        attributes, so JSON twins are read and written back around it."""
        assert self.decryptor is not None
        attributes: dict[str, Any] = {}
        for name, value in record.items():
            if name.endswith(JSON_SUFFIX):
                attributes[name.removesuffix(JSON_SUFFIX)] = json.loads(value)
            elif name + JSON_SUFFIX not in record:
                attributes[name] = value
        opened = self.decryptor(event_type, meeting_id, attributes)
        result = dict(record)
        for name, value in opened.items():
            if value is attributes[name]:
                continue
            if name + JSON_SUFFIX in record:
                result[name + JSON_SUFFIX] = json.dumps(value, sort_keys=True, ensure_ascii=False)
                if name in record:  # the typed view, null while the value was sealed
                    result[name] = value if isinstance(value, dict) and value else None
            else:
                result[name] = value
        return result

    def event(self, envelope: Envelope) -> Meeting.Event:
        """The domain event a decoded message carries."""
        return self.from_record(
            envelope.event_type, {"metadata": envelope.metadata, **envelope.fields}
        )

    # ------------------------------------------------------------ whole messages

    def message(
        self, event: object, notification_id: int, topic: str = MEETING_EVENTS
    ) -> KafkaMessage:
        event_type, record = self.to_record(event, notification_id)
        metadata = record["metadata"]
        return KafkaMessage(
            topic=topic,
            key=metadata["meeting_id"].encode(),
            value=self.encode(event_type, record),
            headers=[
                (EVENT_TYPE_HEADER, event_type.encode()),
                (MEETING_ID_HEADER, metadata["meeting_id"].encode()),
                (VERSION_HEADER, str(metadata["version"]).encode()),
                (NOTIFICATION_ID_HEADER, str(notification_id).encode()),
                (CONTENT_TYPE_HEADER, CONTENT_TYPE.encode()),
            ],
        )


def header(headers: Iterable[tuple[str, bytes]] | None, name: str) -> str | None:
    for key, value in headers or ():
        if key == name:
            return value.decode()
    return None


def _typed_views(schema: Schema) -> frozenset[str]:
    names = {field["name"] for field in schema.parsed["fields"]}
    return frozenset(name for name in names if name + JSON_SUFFIX in names)


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    raise ContractError(f"occurred_at is not a timestamp: {value!r}")


def _topic_of(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"

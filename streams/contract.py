"""The Kafka contract: topic names, message framing and the Avro codec for meeting events.

Message layout on ``meeting-events`` (see docs/events.md):

- key: the meeting id, UTF-8 (one partition per meeting keeps its events ordered);
- value: Avro single-object encoding: ``C3 01`` + the 8-byte little-endian CRC-64-AVRO
  fingerprint of the writer schema's canonical form + the Avro binary body; a consumer with
  only the ``.avsc`` files finds the schema by fingerprint (the current ones, plus every
  earlier published version under ``history/<Name>.<n>.avsc``: Kafka and the dead letters
  keep messages written with them);
- headers: ``event_type`` (Avro full name, e.g. ``ia.meeting.ChunkReceived``),
  ``meeting_id``, ``version``, ``notification_id`` and ``content-type``.

Domain event fields map 1:1 onto record fields, except that an Avro field named
``<name>_json`` carries the domain attribute ``<name>`` as JSON (free-form objects such as a
meeting's context or a report). This is the one module shared by ``streams/``,
``projections/`` and ``http/``.
"""

from __future__ import annotations

import dataclasses
import io
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import fastavro
from aiokafka.partitioner import murmur2
from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

from interview_analytics.domain.meeting import Meeting

MEETING_EVENTS = "meeting-events"
DEAD_LETTERS = "dead-letters"
SECURITY_AUDIT = "security-audit"

SINGLE_OBJECT_MARKER = b"\xc3\x01"
CONTENT_TYPE = "application/vnd.apache.avro+binary; encoding=single-object"
JSON_SUFFIX = "_json"
NAMESPACE = "ia.meeting"

# The event classes that travel on meeting-events, by Avro full name.
MEETING_EVENT_CLASSES: dict[str, type[Meeting.Event]] = {
    f"{NAMESPACE}.{cls.__name__}": cls
    for cls in (
        Meeting.Started,
        Meeting.ChunkReceived,
        Meeting.ChunkRejected,
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
    )
}

# Attributes of every eventsourcing event that the metadata record carries instead.
_BASE_FIELDS = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic"}
    | {"meeting_id", "actor", "correlation_id", "causation_id"}
)


class ContractError(ValueError):
    """A message that does not follow the contract (unknown schema, bad framing)."""


def default_schema_dir() -> Path:
    """``schemas/avro`` as installed with the package.

    Read from the namespace package's ``__path__`` rather than ``importlib.resources``:
    editable installs add a placeholder entry that ``resources.files`` trips over on 3.11.
    """
    import interview_analytics.schemas as package

    for entry in package.__path__:
        candidate = Path(entry) / "avro"
        if candidate.is_dir():
            return candidate
    raise ContractError("the Avro schemas are not installed with the package")


@dataclass(frozen=True)
class Schema:
    full_name: str
    parsed: dict[str, Any]
    fingerprint: bytes
    path: Path


HISTORY_DIR = "history"


def _load_schema(path: Path) -> Schema:
    parsed = cast(dict[str, Any], parse_schema(json.loads(path.read_text()), _write_hint=True))
    canonical = to_parsing_canonical_form(parsed)
    return Schema(
        str(parsed["name"]), parsed, bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO")), path
    )


def load_schemas(schema_dir: Path | None = None) -> dict[str, Schema]:
    """The current schemas: every ``.avsc`` under ``schema_dir`` outside ``history/``, by Avro
    full name."""
    root = schema_dir or default_schema_dir()
    schemas: dict[str, Schema] = {}
    for path in sorted(root.rglob("*.avsc")):
        if HISTORY_DIR in path.relative_to(root).parts:
            continue
        schema = _load_schema(path)
        if schema.full_name in schemas:
            raise ContractError(f"two current schemas for {schema.full_name}")
        schemas[schema.full_name] = schema
    return schemas


def load_schema_history(schema_dir: Path | None = None) -> list[Schema]:
    """Every earlier published version (``history/<Name>.<n>.avsc``), oldest first per name.

    Messages written with them stay on Kafka and in dead letters, so consumers must still
    find them by fingerprint.
    """
    root = schema_dir or default_schema_dir()
    paths = [p for p in root.rglob("*.avsc") if HISTORY_DIR in p.relative_to(root).parts]
    return [_load_schema(path) for path in sorted(paths, key=_history_order)]


def _history_order(path: Path) -> tuple[str, int]:
    name, _, number = path.stem.rpartition(".")
    return (str(path.parent / name), int(number) if number.isdigit() else 0)


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
    ) -> None:
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
            if name == "metadata":
                continue
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
        return Envelope(current.full_name, metadata, record)

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
                ("event_type", event_type.encode()),
                ("meeting_id", metadata["meeting_id"].encode()),
                ("version", str(metadata["version"]).encode()),
                ("notification_id", str(notification_id).encode()),
                ("content-type", CONTENT_TYPE.encode()),
            ],
        )


def meeting_partition(meeting_id: str, partitions: int) -> int:
    """The meeting-events partition a meeting's events go to: the Kafka producers' default
    partitioner (murmur2 of the key), which the relay uses. Lets a worker tell which
    meetings belong to the partitions it was assigned."""
    return int(murmur2(meeting_id.encode()) & 0x7FFFFFFF) % partitions


def event_type_of(event: Meeting.Event) -> str:
    return f"{NAMESPACE}.{type(event).__name__}"


def event_field_names(cls: type[Meeting.Event]) -> set[str]:
    """The event's own fields (what its Avro record carries besides metadata)."""
    return {f.name for f in dataclasses.fields(cls)} - _BASE_FIELDS


def header(headers: Iterable[tuple[str, bytes]] | None, name: str) -> str | None:
    for key, value in headers or ():
        if key == name:
            return value.decode()
    return None


class StreamDeduper:
    """Consumer-side dedupe on (meeting_id, version).

    The relay is at-least-once; a consumer that has applied version N of a meeting drops
    every message with a version <= N. Versions of one meeting arrive in order on one
    partition, so a gap (version > N + 1) means a message was lost upstream and is
    reported rather than hidden.
    """

    def __init__(self, seen: Mapping[str, int] | None = None) -> None:
        self.last_version: dict[str, int] = dict(seen or {})
        self.gaps: list[tuple[str, int, int]] = []

    def accept(self, meeting_id: str, version: int) -> bool:
        last = self.last_version.get(meeting_id, 0)
        if version <= last:
            return False
        if version != last + 1:
            self.gaps.append((meeting_id, last, version))
        self.last_version[meeting_id] = version
        return True


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    raise ContractError(f"occurred_at is not a timestamp: {value!r}")


def _topic_of(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"

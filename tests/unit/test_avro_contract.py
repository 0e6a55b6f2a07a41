"""Every domain event round-trips through its Avro schema and the single-object framing."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import fastavro
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interview_analytics.domain.meeting import Meeting
from interview_analytics.streams.contract import (
    MEETING_EVENT_CLASSES,
    ContractError,
    EventCodec,
    StreamDeduper,
    event_field_names,
    event_type_of,
    header,
    load_schemas,
)
from tests.strategies import EVENT_TYPES, meeting_events

CODEC = EventCodec()


def test_there_is_one_schema_per_event_type_and_nothing_else() -> None:
    assert set(load_schemas()) == set(MEETING_EVENT_CLASSES)
    assert set(MEETING_EVENT_CLASSES.values()) == set(EVENT_TYPES)


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda c: c.__name__)
def test_schema_fields_match_the_event_fields(event_type: type[Meeting.Event]) -> None:
    schema = CODEC.schemas[f"ia.meeting.{event_type.__name__}"]
    avro_fields = {f["name"].removesuffix("_json") for f in schema.parsed["fields"]} - {"metadata"}
    assert avro_fields == event_field_names(event_type)


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda c: c.__name__)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_events_round_trip(event_type: type[Meeting.Event], data: st.DataObject) -> None:
    event = data.draw(meeting_events(event_type))
    message = CODEC.message(event, notification_id=42)
    envelope = CODEC.decode(message.value)
    assert envelope.event_type == event_type_of(event)
    assert envelope.notification_id == 42
    assert (
        CODEC.from_record(envelope.event_type, {"metadata": envelope.metadata, **envelope.fields})
        == event
    )
    assert message.key == event.meeting_id.encode()
    assert header(message.headers, "event_type") == envelope.event_type
    assert header(message.headers, "version") == str(event.originator_version)


def test_a_consumer_with_only_the_avsc_files_can_decode() -> None:
    """Decode with nothing but fastavro and the schema files: the downstream view."""
    event = Meeting.Finished(
        originator_id=Meeting.create_id("m-1"),
        originator_version=3,
        timestamp=datetime(2026, 1, 1, tzinfo=UTC),
        meeting_id="m-1",
        actor=None,
        correlation_id=None,
        causation_id=None,
        reason="client",
    )
    value = CODEC.message(event, 7).value
    by_fingerprint = {}
    for path in CODEC.schemas["ia.meeting.Finished"].path.parent.glob("*.avsc"):
        schema = fastavro.parse_schema(json.loads(path.read_text()))
        canonical = fastavro.schema.to_parsing_canonical_form(schema)
        by_fingerprint[bytes.fromhex(fastavro.schema.fingerprint(canonical, "CRC-64-AVRO"))] = (
            schema
        )
    assert value[:2] == b"\xc3\x01"
    record = fastavro.schemaless_reader(io.BytesIO(value[10:]), by_fingerprint[value[2:10]], None)
    assert record["reason"] == "client"
    assert record["metadata"]["version"] == 3


@pytest.mark.parametrize("value", [b"", b"junk", b"\xc3\x01" + b"\x00" * 8 + b"x"])
def test_foreign_messages_are_refused_clearly(value: bytes) -> None:
    with pytest.raises(ContractError):
        CODEC.decode(value)


def test_deduper_drops_repeats_and_reports_gaps() -> None:
    dedupe = StreamDeduper()
    accepted = [dedupe.accept("m", v) for v in (1, 2, 2, 1, 3, 5, 4)]
    assert accepted == [True, True, False, False, True, True, False]
    assert dedupe.gaps == [("m", 3, 5)]

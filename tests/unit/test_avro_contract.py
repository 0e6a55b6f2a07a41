"""Every domain event round-trips through its Avro schema and the single-object framing."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import fastavro
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interview_analytics.domain.meeting import Meeting
from interview_analytics.streams.contract import (
    MEETING_EVENT_CLASSES,
    ContractError,
    EventCodec,
    Schema,
    StreamDeduper,
    event_field_names,
    event_type_of,
    header,
    load_schema_history,
    load_schemas,
)
from tests.strategies import EVENT_TYPES, meeting_events

CODEC = EventCodec()


def test_there_is_one_schema_per_event_type_and_nothing_else() -> None:
    assert set(load_schemas()) == set(MEETING_EVENT_CLASSES)
    assert set(MEETING_EVENT_CLASSES.values()) == set(EVENT_TYPES)
    assert all("history" not in s.path.parts for s in load_schemas().values())


def _started(tenant: str | None) -> Meeting.Started:
    return Meeting.Started(
        originator_id=Meeting.create_id("m-old"),
        originator_version=1,
        timestamp=datetime(2026, 1, 1, tzinfo=UTC),
        originator_topic="interview_analytics.domain.meeting:Meeting",
        meeting_id="m-old",
        actor="svc",
        correlation_id=None,
        causation_id=None,
        mode="batch",
        language="en",
        consent="granted",
        context={"role": "backend"},
        recipients=["a@example.com"],
        tenant=tenant,
    )


OLD_STARTED = [s for s in load_schema_history() if s.full_name == "ia.meeting.Started"]


def _encode_with(schema: Schema, record: dict[str, Any]) -> bytes:
    """A single-object message written with ``schema`` (fields it lacks are left out)."""
    names = {f["name"] for f in schema.parsed["fields"]}
    buffer = io.BytesIO()
    buffer.write(b"\xc3\x01" + schema.fingerprint)
    fastavro.schemaless_writer(buffer, schema.parsed, {k: record[k] for k in names})
    return buffer.getvalue()


def test_started_keeps_its_version_before_tenant_in_the_history() -> None:
    assert OLD_STARTED
    assert all("tenant" not in {f["name"] for f in s.parsed["fields"]} for s in OLD_STARTED)


@pytest.mark.parametrize("old", OLD_STARTED, ids=lambda s: s.path.stem)
def test_started_written_with_a_historical_schema_decodes_to_the_current_fields(
    old: Schema,
) -> None:
    """Kafka and the dead letters keep messages written before a schema changed."""
    current = CODEC.schemas[old.full_name]
    assert old.fingerprint != current.fingerprint
    _, record = CODEC.to_record(_started(None), notification_id=5)

    envelope = CODEC.decode(_encode_with(old, record))

    assert envelope.event_type == "ia.meeting.Started"
    assert set(envelope.fields) == {f["name"] for f in current.parsed["fields"]} - {"metadata"}
    assert envelope.fields["tenant"] is None
    assert envelope.notification_id == 5
    rebuilt = CODEC.from_record(
        envelope.event_type, {"metadata": envelope.metadata, **envelope.fields}
    )
    assert rebuilt == _started(None)


def test_a_codec_without_the_history_refuses_old_messages() -> None:
    """What a consumer without ``history/`` would see: the reason those files are kept."""
    _, record = CODEC.to_record(_started(None))
    value = _encode_with(OLD_STARTED[0], record)
    with pytest.raises(ContractError, match="unknown schema fingerprint"):
        EventCodec(load_schemas(), history=()).decode(value)
    assert CODEC.decode(value).fields["tenant"] is None


def test_new_messages_are_encoded_with_the_current_schema() -> None:
    value = CODEC.message(_started("acme"), 1).value
    assert value[2:10] == CODEC.schemas["ia.meeting.Started"].fingerprint
    assert CODEC.decode(value).fields["tenant"] == "acme"


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

"""Every domain event round-trips through its Avro schema and the single-object framing."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fastavro
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.report import Rubric, build_report
from interview_analytics.domain.transcript import Segment, Word
from interview_analytics.streams.contract import (
    MEETING_EVENT_CLASSES,
    ContractError,
    EventCodec,
    Schema,
    StreamDeduper,
    default_schema_dir,
    event_field_names,
    event_type_of,
    header,
    load_schema_history,
    load_schemas,
)
from interview_analytics.streams.contract import events as event_types
from interview_analytics.streams.contract.events import REPORTED
from tests.strategies import EVENT_TYPES, meeting_events

CODEC = EventCodec()


def test_there_is_one_schema_per_event_type_and_nothing_else() -> None:
    assert set(load_schemas()) == set(MEETING_EVENT_CLASSES)
    assert set(MEETING_EVENT_CLASSES.values()) == set(EVENT_TYPES)
    assert all("history" not in s.path.parts for s in load_schemas().values())


def test_one_event_type_constant_per_travelling_class() -> None:
    constants = {
        value
        for name, value in vars(event_types).items()
        if name.isupper() and isinstance(value, str) and value.startswith("ia.meeting.")
    }
    assert constants == set(MEETING_EVENT_CLASSES)
    assert event_types.TRANSCRIBED == "ia.meeting.Transcribed"  # the wire name, on purpose


def _meta(meeting_id: str, version: int, actor: str | None = "svc") -> dict[str, Any]:
    """What every event carries besides its own fields."""
    return {
        "originator_id": Meeting.create_id(meeting_id),
        "originator_version": version,
        "timestamp": datetime(2026, 1, 1, tzinfo=UTC),
        "meeting_id": meeting_id,
        "actor": actor,
        "correlation_id": None,
        "causation_id": None,
    }


def _started(tenant: str | None) -> Meeting.Started:
    return Meeting.Started(
        **_meta("m-old", 1),
        originator_topic=f"{Meeting.__module__}:{Meeting.__qualname__}",
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
    assert CODEC.event(envelope) == event
    assert message.key == event.meeting_id.encode()
    assert header(message.headers, "event_type") == envelope.event_type
    assert header(message.headers, "version") == str(event.originator_version)


def test_a_consumer_with_only_the_avsc_files_can_decode() -> None:
    """Decode with nothing but fastavro and the schema files: the downstream view."""
    event = Meeting.Finished(**_meta("m-1", 3, actor=None), reason="client")
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


# ---------------------------------------------------------------- the typed report

RUBRIC = Rubric.from_dict(
    json.loads((Path(__file__).parents[2] / "ops" / "config" / "rubric.json").read_text())
)
WORDS = (
    *("I", "led", "the", "team", ".", "responsible", "for", "latency", "kafka", "um"),
    *("for", "example", "why", "?", "я", "отвечал", "за", "задержки", "ну", "типа"),
)
SPEAKERS = ("Interviewer", "Candidate", "SPEAKER_00")


@st.composite
def interviews(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[Segment], float]:
    """Turns in time order with their recognised segments, and the audio length."""
    clock, turns, segments = 0.0, [], []
    parts = st.tuples(
        st.sampled_from(SPEAKERS),
        st.floats(0, 15, allow_nan=False),
        st.floats(0, 90, allow_nan=False),
        st.lists(st.sampled_from(WORDS), max_size=30).map(" ".join),
        st.floats(0, 1, allow_nan=False),
    )
    for index, (speaker, pause, length, text, probability) in enumerate(
        draw(st.lists(parts, max_size=8))
    ):
        start, clock = clock + pause, clock + pause + length
        segment_id = f"s{index}"
        turns.append(
            {"speaker": speaker, "start_sec": start, "end_sec": clock, "text": text}
            | {"segment_ids": [segment_id]}
        )
        words: list[Word] = [
            {"word": w, "start_sec": start, "end_sec": clock, "probability": probability}
            for w in text.split()
        ]
        segments.append(
            {"segment_id": segment_id, "start_sec": start, "end_sec": clock, "text": text}
            | {"speaker": None, "confidence": probability, "words": words}
        )
    return turns, segments, draw(st.floats(0, clock + 30, allow_nan=False))


def _reported(report: dict[str, Any], final: bool = True) -> Meeting.Reported:
    return Meeting.Reported(
        **_meta("m-report", 9, actor="ia-report"),
        input_version=8,
        report=report,
        final=final,
    )


INTERVIEW = [
    {"speaker": "Interviewer", "start_sec": 0.0, "end_sec": 4.0, "text": "Why Kafka? What broke?"},
    {
        "speaker": "Candidate",
        "start_sec": 5.5,
        "end_sec": 40.0,
        "text": "For example, I led the migration and I was responsible for latency, um, "
        "so I measured it first. Kafka was the bottleneck, and the team agreed.",
    },
]
REPORT = build_report(INTERVIEW, [], language="en", audio_sec=45.0, rubric=RUBRIC, final=True)


def _decoded(event: Meeting.Reported) -> tuple[dict[str, Any], Meeting.Event]:
    envelope = CODEC.decode(CODEC.message(event, notification_id=3).value)
    return envelope.fields, CODEC.event(envelope)


@settings(max_examples=60, deadline=None)
@given(interview=interviews(), language=st.sampled_from(["en", "ru"]), final=st.booleans())
def test_a_built_report_travels_as_a_typed_record_and_round_trips(
    interview: tuple[list[dict[str, Any]], list[Segment], float], language: str, final: bool
) -> None:
    turns, segments, audio_sec = interview
    report = build_report(
        turns, segments, language=language, audio_sec=audio_sec, rubric=RUBRIC, final=final
    )
    fields, rebuilt = _decoded(_reported(report, final))

    assert rebuilt == _reported(report, final)
    # Every key of the report is a field of the record, with the same value.
    assert fields["report"] == {"narrative": None, "narrative_error": None, **report}
    assert json.loads(fields["report_json"]) == report


def test_downstream_reads_report_fields_without_parsing_json() -> None:
    fields, _ = _decoded(_reported(REPORT))
    typed = fields["report"]
    candidate = typed["analytics"]["candidate"]["speaker"]
    assert candidate == "Candidate"
    assert typed["analytics"]["speakers"][candidate]["talk_sec"] == 34.5
    assert typed["analytics"]["questions"][0]["text"] == "Why Kafka?"
    assert {c["key"] for c in typed["competencies"]} == {c.key for c in RUBRIC.competencies}
    assert typed["summary"] == REPORT["summary"]


def test_a_narrative_travels_in_its_own_record() -> None:
    narrated = {**REPORT, "narrative": {"text": "Fine.", "model": "m", "schema_version": "1"}}
    failed = {**REPORT, "narrative_error": "timeout"}

    assert _decoded(_reported(narrated))[0]["report"]["narrative"]["text"] == "Fine."
    assert _decoded(_reported(failed))[0]["report"]["narrative_error"] == "timeout"


@pytest.mark.parametrize(
    "report",
    [{}, {"summary": "old shape"}, {**REPORT, "analytics": {}}, {**REPORT, "bullets": "x"}],
    ids=["empty", "older", "no-analytics", "wrong-type"],
)
def test_a_report_of_another_shape_travels_as_json_only(report: dict[str, Any]) -> None:
    fields, rebuilt = _decoded(_reported(report))
    assert fields["report"] is None
    assert rebuilt == _reported(report)


def test_keys_the_record_does_not_know_stay_in_the_json() -> None:
    report = {**REPORT, "added_later": [1, 2]}
    fields, rebuilt = _decoded(_reported(report))
    assert "added_later" not in fields["report"]
    assert rebuilt == _reported(report)


OLD_REPORTED = [s for s in load_schema_history() if s.full_name == REPORTED]
BEFORE_TYPED_REPORT = [
    s for s in OLD_REPORTED if "report" not in {f["name"] for f in s.parsed["fields"]}
]


@pytest.mark.parametrize("old", BEFORE_TYPED_REPORT, ids=lambda s: s.path.stem)
def test_reported_written_before_the_typed_report_still_decodes(old: Schema) -> None:
    """Messages on Kafka and in dead letters that only carry ``report_json``."""
    _, record = CODEC.to_record(_reported(REPORT), notification_id=3)
    envelope = CODEC.decode(_encode_with(old, record))
    assert envelope.fields["report"] is None
    assert CODEC.event(envelope) == _reported(REPORT)


@pytest.mark.parametrize("old", BEFORE_TYPED_REPORT, ids=lambda s: s.path.stem)
def test_a_consumer_reading_with_the_old_reported_schema_gets_report_json(old: Schema) -> None:
    """Code written against the old fields keeps working on new messages (schema resolution
    to the reader's schema: it ignores the new field)."""
    value = CODEC.message(_reported(REPORT), 3).value
    current = CODEC.schemas[REPORTED]
    assert value[2:10] == current.fingerprint
    record = fastavro.schemaless_reader(io.BytesIO(value[10:]), current.parsed, old.parsed)
    assert "report" not in record
    assert json.loads(record["report_json"]) == REPORT


def test_a_consumer_with_only_the_avsc_files_reads_the_typed_report() -> None:
    """As the README's consumer does: every file parsed on its own (rglob, history too)."""
    by_fingerprint = {}
    for path in default_schema_dir().rglob("*.avsc"):
        schema = fastavro.parse_schema(json.loads(path.read_text()))
        canonical = fastavro.schema.to_parsing_canonical_form(schema)
        by_fingerprint[bytes.fromhex(fastavro.schema.fingerprint(canonical, "CRC-64-AVRO"))] = (
            schema
        )
    value = CODEC.message(_reported(REPORT), 3).value
    record = fastavro.schemaless_reader(io.BytesIO(value[10:]), by_fingerprint[value[2:10]], None)
    assert record["report"]["recommendation"] == REPORT["recommendation"]


def _record_field_names(schema: Any) -> set[str]:
    """Every field name of every record in a schema (nested ones included)."""
    if isinstance(schema, list):
        return set().union(*(_record_field_names(branch) for branch in schema))
    if not isinstance(schema, dict):
        return set()
    if schema.get("type") == "record":
        names = {field["name"] for field in schema["fields"]}
        return names.union(*(_record_field_names(field["type"]) for field in schema["fields"]))
    return _record_field_names(schema.get("items")) | _record_field_names(schema.get("values"))


@pytest.mark.parametrize("event_type", sorted(MEETING_EVENT_CLASSES))
def test_docs_events_md_describes_every_field(event_type: str) -> None:
    docs = (Path(__file__).parents[2] / "docs" / "events.md").read_text()
    schema = json.loads(CODEC.schemas[event_type].path.read_text())
    named = _record_field_names(schema) - {"metadata"}  # metadata has a section of its own
    undocumented = {name for name in named if f"| `{name}` |" not in docs}
    assert not undocumented, f"docs/events.md lacks {sorted(undocumented)} of {event_type}"

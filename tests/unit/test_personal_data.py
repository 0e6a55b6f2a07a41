"""Crypto-shredding of event fields: personal values sealed, opened, and erased."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.personal_data import (
    PERSONAL_FIELDS,
    PersonalField,
    personal_fields,
    rewrite,
)
from interview_analytics.ops.blobs import FileBlobStore
from interview_analytics.ops.data_keys import DataKeyError, DataKeys
from interview_analytics.ops.event_store import eventsourcing_env
from interview_analytics.ops.field_cipher import FieldCipher, is_marker, open_value, seal_value
from interview_analytics.ops.sealing_mapper import SealingMapper
from interview_analytics.streams.contract import EventCodec
from tests.strategies import EVENT_TYPES, meeting_events

KEYS = DataKeys("memory://", os.urandom(32))
CIPHER = FieldCipher(KEYS)
CODEC = EventCodec()
OPENING_CODEC = EventCodec(decryptor=CIPHER.open)


@pytest.fixture(scope="module")
def sealing_meetings(tmp_path_factory: pytest.TempPathFactory) -> Meetings:
    blobs = FileBlobStore(Path(tmp_path_factory.mktemp("blobs")), KEYS)
    return Meetings(
        env=eventsourcing_env("memory://"),
        blobs=blobs,
        wrap_mapper=lambda mapper: SealingMapper(mapper, CIPHER),
    )


def personal_values(event_type: str, state: dict[str, Any]) -> list[Any]:
    found: list[Any] = []

    def collect(value: Any, field: PersonalField) -> Any:
        found.append(value)
        return value

    rewrite(event_type, state, collect)
    return found


def test_every_declared_field_is_an_attribute_of_its_event() -> None:
    by_name = {cls.__name__: cls for cls in EVENT_TYPES}
    for event_type, fields in PERSONAL_FIELDS.items():
        annotations: dict[str, Any] = {}
        for cls in reversed(by_name[event_type].__mro__):
            annotations.update(getattr(cls, "__annotations__", {}))
        for field in fields:
            assert field.path.split(".")[0].removesuffix("[]") in annotations, field


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_stored_events_hold_markers_and_read_back_exactly(
    sealing_meetings: Meetings, data: st.DataObject
) -> None:
    event = data.draw(st.sampled_from(EVENT_TYPES).flatmap(meeting_events))
    event_type = type(event).__name__
    mapper = sealing_meetings.mapper
    assert isinstance(mapper, SealingMapper)
    stored = mapper.to_stored_event(event)
    as_stored = vars(mapper.sealed().to_domain_event(stored))
    assert all(is_marker(value) for value in personal_values(event_type, as_stored))
    assert vars(mapper.to_domain_event(stored)) == vars(event)


@settings(max_examples=300)
@given(data=st.data())
def test_topic_messages_hold_markers_and_our_consumers_open_them(data: st.DataObject) -> None:
    event = data.draw(st.sampled_from(EVENT_TYPES).flatmap(meeting_events))
    event_type = type(event).__name__
    sealed = Meeting.Event.__new__(type(event))
    object.__setattr__(sealed, "__dict__", CIPHER.seal(event_type, event.meeting_id, vars(event)))
    value = CODEC.message(sealed, 7).value
    outside = CODEC.event(CODEC.decode(value))
    assert all(is_marker(v) for v in personal_values(event_type, vars(outside)))
    assert vars(OPENING_CODEC.event(OPENING_CODEC.decode(value))) == vars(event)


@settings(max_examples=100)
@given(data=st.data())
def test_after_destroy_every_event_still_reads_with_erased_values(data: st.DataObject) -> None:
    event = data.draw(st.sampled_from(EVENT_TYPES).flatmap(meeting_events))
    event_type = type(event).__name__
    keys = DataKeys("memory://", os.urandom(32))
    cipher = FieldCipher(keys)
    sealed = cipher.seal(event_type, event.meeting_id, vars(event))
    keys.destroy(event.meeting_id)
    opened = cipher.open(event_type, event.meeting_id, sealed)
    assert set(opened) == set(vars(event))
    erased = {repr(field.erased) for field in personal_fields(event_type)}
    assert all(repr(v) in erased for v in personal_values(event_type, opened))
    # Sealing once the key is gone drops the data instead of storing it in clear.
    again = cipher.seal(event_type, event.meeting_id, vars(event))
    assert all(repr(v) in erased for v in personal_values(event_type, again))


def test_masked_enhancement_text_travels_in_clear() -> None:
    state = {"meeting_id": "m", "text": "Hi [NAME]", "pii_masked": True, "segments": []}
    assert CIPHER.seal("Enhanced", "m", state)["text"] == "Hi [NAME]"
    unmasked = CIPHER.seal("Enhanced", "m", {**state, "pii_masked": False})
    assert is_marker(unmasked["text"])


def test_operational_context_fields_stay_in_clear() -> None:
    state = {"meeting_id": "m", "context": {"idle_finish_sec": 5, "candidate": "Ann Lee"}}
    sealed = CIPHER.seal("Started", "m", state)["context"]
    assert sealed["idle_finish_sec"] == 5
    assert is_marker(sealed["candidate"])


def test_a_marker_does_not_open_for_another_meeting_or_with_another_key() -> None:
    key = os.urandom(32)
    marker = seal_value(key, "m1", "raw_text", "secret phrase")
    assert "secret phrase" not in marker
    assert open_value(key, "m1", marker) == "secret phrase"
    with pytest.raises(DataKeyError, match="does not decrypt"):
        open_value(key, "m2", marker)
    with pytest.raises(DataKeyError, match="does not decrypt"):
        open_value(os.urandom(32), "m1", marker)


def test_a_value_that_looks_like_a_marker_is_sealed_and_comes_back_as_given() -> None:
    state = {"meeting_id": "m", "context": {"note": "$enc:v1:audio:bm90IGEgbWFya2Vy"}}
    sealed = CIPHER.seal("Started", "m", state)
    assert sealed["context"]["note"] != state["context"]["note"]
    assert CIPHER.open("Started", "m", sealed) == state

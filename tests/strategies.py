"""Hypothesis strategies for domain values and events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from interview_analytics.domain.ids import meeting_aggregate_id
from interview_analytics.domain.meeting import Meeting

meeting_ids = st.from_regex(r"[A-Za-z0-9_:\-][A-Za-z0-9_.:\-]{0,40}", fullmatch=True)
texts = st.text(max_size=40)
small_ints = st.integers(min_value=0, max_value=2**40)
seconds = st.floats(min_value=0, max_value=10_000, allow_nan=False)
probabilities = st.floats(min_value=0, max_value=1, allow_nan=False)
optional_texts = st.none() | texts
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
timestamps = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)

words = st.fixed_dictionaries(
    {"word": texts, "start_sec": seconds, "end_sec": seconds, "probability": probabilities}
)
segments = st.fixed_dictionaries(
    {
        "segment_id": texts,
        "start_sec": seconds,
        "end_sec": seconds,
        "text": texts,
        "speaker": optional_texts,
        "confidence": probabilities,
        "words": st.lists(words, max_size=3),
    }
)

_CONNECTOR_ERROR = {"provider": texts, "stage": texts, "error_kind": texts, "message": texts}

# The event's own fields, per type (metadata is drawn separately).
_FIELDS: dict[type[Meeting.Event], dict[str, st.SearchStrategy[Any]]] = {
    Meeting.Started: {
        "mode": st.sampled_from(["realtime", "postmeeting"]),
        "language": st.sampled_from(["en", "ru"]),
        "consent": st.sampled_from(["unknown", "granted", "denied"]),
        "context": st.dictionaries(texts, json_values, max_size=3),
        "recipients": st.lists(texts, max_size=3),
        "tenant": optional_texts,
    },
    Meeting.ChunkReceived: {
        "seq": small_ints,
        "idempotency_key": optional_texts,
        "blob_key": texts,
        "sha256": st.text("0123456789abcdef", min_size=64, max_size=64),
        "byte_length": small_ints,
        "codec": st.sampled_from(["pcm", "wav", "ogg"]),
        "sample_rate": st.integers(8000, 192000),
        "channels": st.integers(1, 2),
        "duration_sec": seconds,
        "speaker_hint": optional_texts,
        "held": st.booleans(),
    },
    Meeting.ChunkRejected: {
        "seq": small_ints,
        "input_version": small_ints,
        "code": texts,
        "reason": texts,
    },
    Meeting.LanguageDetected: {
        "language": st.sampled_from(["ru", "en", "de"]),
        "probability": st.floats(0, 1),
        "input_version": small_ints,
    },
    Meeting.ProcessingFailed: {
        "stage": st.sampled_from(["transcribe", "enhance", "report"]),
        "input_version": small_ints,
        "code": texts,
        "reason": texts,
        "attempts": st.integers(1, 100),
    },
    Meeting.Transcribed: {
        "input_version": small_ints,
        "seqs": st.lists(small_ints, max_size=4),
        "segments": st.lists(segments, max_size=3),
        "final": st.booleans(),
        "model": texts,
        "language": texts,
        "audio_sec": seconds,
        "processing_sec": seconds,
    },
    Meeting.Enhanced: {
        "input_version": small_ints,
        "text": texts,
        "segments": st.lists(st.dictionaries(texts, json_values, max_size=3), max_size=3),
        "final": st.booleans(),
        "pii_masked": st.booleans(),
    },
    Meeting.Reported: {
        "input_version": small_ints,
        "report": st.dictionaries(texts, json_values, max_size=4),
        "final": st.booleans(),
    },
    Meeting.Finished: {"reason": texts},
    Meeting.ConnectorRequested: {
        "provider": texts,
        "participants": st.lists(texts, max_size=3),
        "language": optional_texts,
    },
    Meeting.ConnectorJoining: {"provider": texts, "attempt": small_ints},
    Meeting.ConnectorConnected: {"provider": texts, "cursor": small_ints},
    Meeting.ConnectorHeartbeat: {"provider": texts, "cursor": small_ints, "chunks": small_ints},
    Meeting.ConnectorInterrupted: _CONNECTOR_ERROR,
    Meeting.ConnectorLeaving: {"provider": texts, "reason": texts},
    Meeting.ConnectorLeft: {"provider": texts},
    Meeting.ConnectorFailed: _CONNECTOR_ERROR,
    Meeting.DeliveryAttempted: {
        "delivery_id": texts,
        "channel": st.sampled_from(["email", "webhook"]),
        "target": texts,
        "notice": st.sampled_from(["meeting.finished", "transcript.ready", "report.ready"]),
        "attempt": st.integers(1, 100),
        "outcome": st.sampled_from(["delivered", "failed", "gave_up"]),
        "status_code": st.none() | st.integers(100, 599),
        "error": optional_texts,
        "next_attempt_at": optional_texts,
        "redrive": st.booleans(),
    },
    Meeting.SpeakersEdited: {
        "speakers": st.lists(
            st.fixed_dictionaries(
                {
                    "label": texts,
                    "name": optional_texts,
                    "role": st.none() | st.sampled_from(["interviewer", "candidate", "observer"]),
                }
            ),
            max_size=3,
        )
    },
    Meeting.ConsentChanged: {
        "consent": st.sampled_from(["unknown", "granted", "denied"]),
        "previous": st.sampled_from(["unknown", "granted", "denied"]),
    },
    Meeting.Erased: {"reason": texts},
    Meeting.RetentionApplied: {
        "scope": st.sampled_from(["audio", "raw_text"]),
        "retention_days": small_ints,
    },
}

EVENT_TYPES = tuple(_FIELDS)


@st.composite
def meeting_events(draw: st.DrawFn, event_type: type[Meeting.Event]) -> Meeting.Event:
    meeting_id = draw(meeting_ids)
    kwargs: dict[str, Any] = {
        "originator_id": meeting_aggregate_id(meeting_id),
        "originator_version": 1 if event_type is Meeting.Started else draw(st.integers(2, 10**6)),
        "timestamp": draw(timestamps),
        "meeting_id": meeting_id,
        "actor": draw(optional_texts),
        "correlation_id": draw(optional_texts),
        "causation_id": draw(st.none() | st.uuids().map(str)),
        **{name: draw(strategy) for name, strategy in _FIELDS[event_type].items()},
    }
    if event_type is Meeting.Started:
        kwargs["originator_topic"] = f"{Meeting.__module__}:{Meeting.__qualname__}"
    return event_type(**kwargs)


def fixed_uuid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)

"""JSON Schemas of what the REST routes answer, for the OpenAPI document.

Names are the components of ``#/components/schemas``. Response fields are the contract's,
plus the additions the routes make (``version`` for read-your-writes, ``duplicate``,
structured segments and metrics, ``source``). Tests validate real responses against
these schemas, so a route that answers something else fails.

Must not: hold logic.
"""

from __future__ import annotations

from typing import Any

from interview_analytics.http.bodies import STATUSES

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(
    properties: dict[str, Schema], *, required: list[str] | None = None, **extra: Any
) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        **extra,
    }


STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
NUM: Schema = {"type": "number"}
BOOL: Schema = {"type": "boolean"}
OBJ: Schema = {"type": "object", "additionalProperties": True}
TIME: Schema = {"type": "string", "format": "date-time"}
STATUS: Schema = {"type": "string", "enum": list(STATUSES)}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


ERROR = _obj(
    {
        "detail": _obj(
            {
                "code": {**STR, "description": "Stable, machine-readable."},
                "message": {**STR, "description": "For people."},
                "details": {**OBJ, "description": "What was wrong: field, limit, seq …"},
            }
        )
    },
    description="Every error, whatever the status.",
)

HEALTH = _obj({"ok": {"const": True}})

READY = _obj(
    {
        "ready": BOOL,
        "checks": {
            "type": "object",
            "additionalProperties": _obj(
                {
                    "ok": BOOL,
                    "error": nullable(STR),
                    "duration_ms": NUM,
                },
            ),
            "description": "By dependency: event_store, broker, clickhouse, speech_model.",
        },
        "detail": {**ERROR["properties"]["detail"], "description": "When not ready."},
    },
    required=["ready", "checks"],
)

START_RESPONSE = _obj(
    {
        "api_version": STR,
        "meeting_id": STR,
        "status": STATUS,
        "version": {**INT, "description": "Stream version; pass as min_version to GET."},
        "created": {**BOOL, "description": "False for an identical repeated start."},
        "mode": STR,
        "language": STR,
        "consent": STR,
        "context": OBJ,
        "recipients": {"type": "array", "items": STR},
        "tenant": nullable(STR),
    }
)

CHUNK_RESPONSE = _obj(
    {
        "accepted": {"const": True},
        "meeting_id": STR,
        "seq": INT,
        "idempotency_key": nullable(STR),
        "blob_key": STR,
        "sha256": STR,
        "duplicate": {**BOOL, "description": "True when this repeats an accepted chunk."},
        "version": {**INT, "description": "Stream version of the chunk's event."},
    }
)

FINISH_RESPONSE = _obj(
    {
        "api_version": STR,
        "meeting_id": STR,
        "status": STATUS,
        "version": INT,
        "duplicate": BOOL,
    }
)

SEGMENT = _obj(
    {
        "segment_id": STR,
        "start_sec": NUM,
        "end_sec": NUM,
        "speaker": nullable(STR),
        "text": STR,
        "enhanced_text": STR,
        "confidence": NUM,
        "words": {"type": "array", "items": OBJ},
        "final": BOOL,
        "model": STR,
    },
    required=["segment_id", "start_sec", "end_sec", "speaker", "text", "confidence"],
)

REPORT = {
    "type": "object",
    "properties": {
        "summary": STR,
        "bullets": {"type": "array", "items": STR},
        "risk_flags": {"type": "array", "items": STR},
        "recommendation": STR,
    },
    "additionalProperties": True,
    "description": "The older service's four keys, and the analytics beside them.",
}

MEETING = _obj(
    {
        "api_version": STR,
        "meeting_id": STR,
        "status": STATUS,
        "raw_transcript": STR,
        "enhanced_transcript": STR,
        "report": nullable(ref("Report")),
        "mode": STR,
        "language": STR,
        "consent": STR,
        "context": OBJ,
        "recipients": {"type": "array", "items": STR},
        "tenant": nullable(STR),
        "version": INT,
        "started_at": TIME,
        "updated_at": TIME,
        "last_chunk_at": nullable(TIME),
        "finished_at": nullable(TIME),
        "chunks_received": INT,
        "chunks_transcribed": INT,
        "chunks_rejected": INT,
        "audio_seconds": NUM,
        "speakers": {"type": "array", "items": STR},
        "report_final": BOOL,
        "segments": {"type": "array", "items": ref("Segment")},
        "metrics": nullable(OBJ),
        "source": {
            "type": "string",
            "enum": ["read_model", "write_model"],
            "description": "write_model: the read model did not have the meeting (at the "
            "asked version) yet, so the answer comes from the event store.",
        },
    }
)

MEETING_SUMMARY = _obj(
    {
        "meeting_id": STR,
        "status": STATUS,
        "mode": STR,
        "language": STR,
        "tenant": nullable(STR),
        "started_at": TIME,
        "updated_at": TIME,
        "finished_at": nullable(TIME),
        "chunks_received": INT,
        "audio_seconds": NUM,
        "report_final": BOOL,
        "version": INT,
    }
)

MEETING_LIST = _obj(
    {
        "items": {"type": "array", "items": ref("MeetingSummary")},
        "next_cursor": nullable(STR),
    }
)

QUEUE = _obj(
    {
        "queue": {**STR, "description": "Topic."},
        "group": {**STR, "description": "Consumer group."},
        "depth": {**INT, "description": "Events not yet processed (event-store positions)."},
        "pending": {**INT, "description": "Events stored but not yet relayed to the topic."},
        "dlq_depth": {**INT, "description": "Dead letters."},
    },
    additionalProperties=True,
    description="A group that has not reported yet is a row of zeros.",
)

QUEUE_HEALTH = _obj({"queues": {"type": "array", "items": ref("QueueHealthRow")}})

DEAD_LETTER = _obj(
    {
        "letter_id": STR,
        "stage": STR,
        "kind": STR,
        "meeting_id": STR,
        "version": INT,
        "event_type": STR,
        "error_code": STR,
        "error_message": STR,
        "attempts": INT,
        "failed_at": TIME,
        "resolved": BOOL,
    },
    additionalProperties=True,
)

DEAD_LETTERS = _obj({"dead_letters": {"type": "array", "items": ref("DeadLetter")}})

AUDIT_DECISION = _obj(
    {
        "decision_id": STR,
        "occurred_at": TIME,
        "allowed": BOOL,
        "event": {"type": "string", "enum": ["security_audit_allow", "security_audit_deny"]},
        "endpoint": {**STR, "description": "Route template."},
        "method": STR,
        "subject": STR,
        "auth_type": STR,
        "reason": STR,
        "client_ip": STR,
        "status_code": nullable(INT),
        "error_code": nullable(STR),
        "meeting_id": nullable(STR),
        "request_id": nullable(STR),
    },
    additionalProperties=True,
)

SECURITY_AUDIT = _obj({"decisions": {"type": "array", "items": ref("AuditDecision")}})

CONNECTOR_SESSION = _obj(
    {
        "meeting_id": STR,
        "provider": STR,
        "connected": BOOL,
        "attempts": {**INT, "description": "Join attempts, the first and every reconnect."},
        "last_error": nullable(STR),
        "updated_at": TIME,
    },
    additionalProperties=True,
    description="Also: state (requested, joining, connected, reconnecting, leaving, left, "
    "failed), reconnects, cursor, chunks, last_error_kind, failed_stage, last_seen_at, "
    "source (read_model or write_model).",
)

CONNECTOR_SESSIONS = _obj(
    {"sessions": {"type": "array", "items": ref("ConnectorSession")}},
    description="Newest first.",
)

CONNECTOR_HEALTH = _obj(
    {
        "provider": STR,
        "configured": BOOL,
        "healthy": BOOL,
        "details": {"type": "object", "additionalProperties": STR},
        "updated_at": TIME,
    },
    description="details.circuit_state is the circuit breaker: closed, half_open or open.",
)

CONNECTOR_RECONCILE = _obj(
    {
        "scanned": INT,
        "stale": INT,
        "reconnected": INT,
        "failed": INT,
        "stale_threshold_sec": NUM,
        "updated_at": TIME,
    }
)

COMPONENTS: dict[str, Schema] = {
    "Error": ERROR,
    "Health": HEALTH,
    "Ready": READY,
    "StartMeetingResponse": START_RESPONSE,
    "ChunkResponse": CHUNK_RESPONSE,
    "FinishResponse": FINISH_RESPONSE,
    "Segment": SEGMENT,
    "Report": REPORT,
    "Meeting": MEETING,
    "MeetingSummary": MEETING_SUMMARY,
    "MeetingList": MEETING_LIST,
    "QueueHealthRow": QUEUE,
    "QueueHealth": QUEUE_HEALTH,
    "DeadLetter": DEAD_LETTER,
    "DeadLetters": DEAD_LETTERS,
    "AuditDecision": AUDIT_DECISION,
    "SecurityAudit": SECURITY_AUDIT,
    "ConnectorSession": CONNECTOR_SESSION,
    "ConnectorSessions": CONNECTOR_SESSIONS,
    "ConnectorHealth": CONNECTOR_HEALTH,
    "ConnectorReconcile": CONNECTOR_RECONCILE,
}

"""The request bodies and query parameters of the REST routes and the WebSocket frames.

Each is a :class:`~interview_analytics.http.fields.Spec`: the one place that says which
fields exist, their types, limits and defaults, used both to validate requests and to
write the OpenAPI document. Field names are the contract's (``api-contract.md``);
additions are marked as such in their descriptions.

Must not: hold logic beyond the declarations.
"""

from __future__ import annotations

from interview_analytics.domain.audio import (
    MAX_CHANNELS,
    MAX_SAMPLE_RATE,
    MIN_SAMPLE_RATE,
    PCM,
    SUPPORTED_CODECS,
)
from interview_analytics.domain.lifecycle import CONSENTS, MODES, Status
from interview_analytics.domain.meeting import MAX_IDEMPOTENCY_KEY_LENGTH
from interview_analytics.http.fields import Field, Spec

API_VERSION = "v1"
MAX_SEQ = 2**31 - 1
MAX_RECIPIENTS = 100
MAX_LIST_LIMIT = 500
MEETING_ID_REGEX = r"[A-Za-z0-9_.:\-]{1,128}"
LANGUAGE_REGEX = r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,3}"
STATUSES = (Status.QUEUED, Status.PROCESSING, Status.FINALIZING, Status.DONE)
STAGES = ("transcribe", "enhance", "report")
CODECS = tuple(sorted(SUPPORTED_CODECS))

MEETING_ID = Field(
    "meeting_id",
    "string",
    "1-128 letters, digits, '-', '_', '.', ':' (not '.' or '..' alone).",
    pattern=MEETING_ID_REGEX,
    code="invalid_meeting_id",
)

START = Spec(
    "StartMeetingRequest",
    (
        Field("api_version", "string", "Contract version.", enum=(API_VERSION,)),
        Field(
            "meeting_id",
            "string",
            "Absent: generated as mtg_<UTC yyyymmddHHMMSS>_<10 hex>. " + MEETING_ID.description,
            pattern=MEETING_ID_REGEX,
            code="invalid_meeting_id",
            example="mtg_20240501120000_0a1b2c3d4e",
        ),
        Field("mode", "string", "How audio arrives.", enum=MODES, default=MODES[0]),
        Field(
            "language",
            "string",
            "Language code; absent = the server's default (WHISPER_LANGUAGE). Must be one "
            "the speech model can transcribe (422 unsupported_language).",
            max_length=16,
            pattern=LANGUAGE_REGEX,
            example="ru",
        ),
        Field("consent", "string", "Recording consent.", enum=CONSENTS, default=CONSENTS[0]),
        Field("context", "object", "Free-form client context, stored with the meeting."),
        Field(
            "recipients",
            "string_list",
            "Who receives the report.",
            max_items=MAX_RECIPIENTS,
            max_length=320,
        ),
        Field(
            "auto_join_connector",
            "boolean",
            "Realtime meetings: ask the meeting-platform connector (SberJazz) to join and pull "
            "the live audio. Absent = the server's MEETING_AUTO_JOIN_ON_START.",
        ),
    ),
    "Every field is optional. A repeated start of an existing id with the identical "
    "payload answers 200 with the original meeting (created: false); a different payload "
    "is 409 meeting_already_exists.",
)

CHUNK = Spec(
    "ChunkRequest",
    (
        Field(
            "seq", "integer", "Chunk number, 0-based.", required=True, minimum=0, maximum=MAX_SEQ
        ),
        Field(
            "content_b64",
            "string",
            "The audio, base64 (standard alphabet; URL-safe accepted). At most MAX_CHUNK_BYTES "
            "once decoded (413 chunk_too_large).",
            required=True,
        ),
        Field(
            "codec",
            "string",
            "pcm = raw signed 16-bit little-endian; the others are containers.",
            enum=CODECS,
            default=PCM,
        ),
        Field(
            "sample_rate",
            "integer",
            "Samples per second (raw PCM).",
            minimum=MIN_SAMPLE_RATE,
            maximum=MAX_SAMPLE_RATE,
            default=16_000,
        ),
        Field(
            "channels",
            "integer",
            "Interleaved channels (raw PCM).",
            minimum=1,
            maximum=MAX_CHANNELS,
            default=1,
        ),
        Field(
            "idempotency_key",
            "string",
            "Retries with the same key return the original result (duplicate: true).",
            min_length=1,
            max_length=MAX_IDEMPOTENCY_KEY_LENGTH,
        ),
        Field(
            "speaker_hint",
            "string",
            "Addition: who speaks in this chunk, when the client knows.",
            max_length=200,
        ),
    ),
)

FINISH = Spec(
    "FinishRequest",
    (Field("reason", "string", "Why the meeting ended.", max_length=200, default="client"),),
    "Optional body. Finishing a finished meeting answers the original result (duplicate: true).",
)

GET_MEETING = Spec(
    "GetMeetingQuery",
    (
        Field(
            "min_version",
            "integer",
            "Read-your-writes: the version a command answered. The read waits (up to wait_ms) "
            "until the read model has it, else answers from the write model.",
            minimum=1,
        ),
        Field(
            "wait_ms",
            "integer",
            "How long to wait for min_version, milliseconds; clamped to "
            "READ_YOUR_WRITES_MAX_WAIT_MS (the default when absent).",
            minimum=0,
        ),
    ),
)

LIST_MEETINGS = Spec(
    "ListMeetingsQuery",
    (
        Field("status", "string", "Only meetings in this status.", enum=STATUSES),
        Field("language", "string", "Only meetings in this language.", pattern=LANGUAGE_REGEX),
        Field("started_from", "datetime", "Started at or after (ISO-8601; naive = UTC)."),
        Field("started_to", "datetime", "Started before (ISO-8601; naive = UTC)."),
        Field("cursor", "string", "next_cursor of the previous page.", max_length=1000),
        Field("limit", "integer", "Page size.", minimum=1, maximum=MAX_LIST_LIMIT, default=50),
    ),
)

DEAD_LETTERS = Spec(
    "DeadLettersQuery",
    (
        MEETING_ID,
        Field("stage", "string", "Only letters of this stage.", enum=STAGES),
        Field("include_resolved", "boolean", "Also letters resolved since.", default=True),
        Field("limit", "integer", "Most letters.", minimum=1, maximum=MAX_LIST_LIMIT, default=100),
    ),
)
SECURITY_AUDIT = Spec(
    "SecurityAuditQuery",
    (
        Field("allowed", "boolean", "Only allowed (true) or denied (false) decisions."),
        Field("subject", "string", "Only this caller's decisions.", max_length=300),
        Field(
            "endpoint",
            "string",
            "Only this route template, e.g. /v1/meetings/{meeting_id}.",
            max_length=300,
        ),
        Field("since", "datetime", "Decided at or after (ISO-8601; naive = UTC)."),
        Field("until", "datetime", "Decided before (ISO-8601; naive = UTC)."),
        Field(
            "limit", "integer", "Most decisions.", minimum=1, maximum=MAX_LIST_LIMIT, default=100
        ),
    ),
)

# ---------------------------------------------------------------------- WebSocket frames

WS_CHUNK = Spec(
    "AudioChunkFrame",
    (
        MEETING_ID,
        *CHUNK.fields,
        Field("timestamp_ms", "integer", "Client clock when captured (echoed).", minimum=0),
        Field("schema_version", "string", "Frame schema version.", enum=(API_VERSION,)),
    ),
)

WS_STREAM = Spec(
    "AudioStreamFrame",
    (
        MEETING_ID,
        *(f for f in CHUNK.fields if f.name in ("codec", "sample_rate", "channels")),
        Field(
            "next_seq",
            "integer",
            "Seq of the first binary frame; each accepted frame takes the next one.",
            minimum=0,
            maximum=MAX_SEQ,
            default=0,
        ),
        Field("speaker_hint", "string", "Who speaks in the stream's frames.", max_length=200),
    ),
)

WS_MEETING = Spec("MeetingFrame", (MEETING_ID,))

CONNECTOR_JOIN = Spec(
    "ConnectorJoinRequest",
    (
        Field(
            "participants",
            "string_list",
            "Participants passed to the platform's join call.",
            max_items=MAX_RECIPIENTS,
            max_length=320,
        ),
        Field(
            "language",
            "string",
            "Language passed to the platform; absent = the meeting's.",
            max_length=16,
            pattern=LANGUAGE_REGEX,
        ),
    ),
    "Optional body. An active session is answered as it is (no second join).",
)
CONNECTOR_SESSIONS = Spec(
    "ConnectorSessionsQuery",
    (Field("limit", "integer", "Most sessions; clamped to 1..500.", default=100),),
)
CONNECTOR_RECONCILE = Spec(
    "ConnectorReconcileQuery",
    (Field("limit", "integer", "Most sessions looked at; clamped to 1..500.", default=200),),
)

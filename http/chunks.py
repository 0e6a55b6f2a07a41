"""Audio chunks: ``POST /v1/meetings/{meeting_id}/chunks``, and the acceptance that the
WebSocket audio frames reuse.

The request (:data:`CHUNK`), the answer (:data:`CHUNK_ANSWER`) and the route's OpenAPI
operation (:data:`RECEIVE_CHUNK`) are declared here, beside the handler. The behaviours
the contract marks **fix**: unknown meeting 404, finished 409, bad base64 400
``bad_base64``, audio that cannot be used 422 ``invalid_audio`` (a refused attempt does not
use up its idempotency key), a repeat answers the original with ``duplicate: true``, the
same seq with other bytes 409 ``chunk_conflict``. A caller confined to a tenant feeds
only its tenant's meetings (another's is 404).

Must not: store anything itself (the write model does), or trust a field it has not
validated.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from interview_analytics.domain.audio import (
    MAX_CHANNELS,
    MAX_SAMPLE_RATE,
    MIN_SAMPLE_RATE,
    PCM,
    SUPPORTED_CODECS,
    AudioFormat,
)
from interview_analytics.domain.commands import ReceiveChunk
from interview_analytics.domain.events import EventMeta
from interview_analytics.domain.meeting import MAX_IDEMPOTENCY_KEY_LENGTH
from interview_analytics.domain.results import ChunkOutcome
from interview_analytics.http.answers import BOOL, INT, STR, Answer, Prop
from interview_analytics.http.common import MAX_SEQ
from interview_analytics.http.deps import ApiDependencies
from interview_analytics.http.fields import Field, Spec
from interview_analytics.http.identity import Identity
from interview_analytics.http.operations import Call, Operation
from interview_analytics.http.reading import decode_audio_b64
from interview_analytics.http.tenants import confine

CODEC = Field(
    "codec",
    "string",
    "pcm = raw signed 16-bit little-endian; the others are containers.",
    enum=tuple(sorted(SUPPORTED_CODECS)),
    default=PCM,
)
SAMPLE_RATE = Field(
    "sample_rate",
    "integer",
    "Samples per second (raw PCM).",
    minimum=MIN_SAMPLE_RATE,
    maximum=MAX_SAMPLE_RATE,
    default=16_000,
)
CHANNELS = Field(
    "channels",
    "integer",
    "Interleaved channels (raw PCM).",
    minimum=1,
    maximum=MAX_CHANNELS,
    default=1,
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
        CODEC,
        SAMPLE_RATE,
        CHANNELS,
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

CHUNK_ANSWER = Answer(
    "ChunkResponse",
    (
        Prop("accepted", {"const": True}),
        Prop("meeting_id", STR),
        Prop("seq", INT),
        Prop("idempotency_key", STR, maybe=True),
        Prop("blob_key", STR),
        Prop("sha256", STR),
        Prop("duplicate", BOOL, "True when this repeats an accepted chunk."),
        Prop("version", INT, "Stream version of the chunk's event."),
    ),
)

RECEIVE_CHUNK = Operation(
    "receive_chunk",
    "Send an audio chunk",
    "any",
    "meetings",
    CHUNK_ANSWER,
    description="Unknown meeting 404; finished 409 meeting_finished; bad base64 400 "
    "bad_base64; unusable audio 422 invalid_audio; too large 413; the same seq with other "
    "bytes 409 chunk_conflict; a repeat answers the original with duplicate: true. "
    "Consent denied: 403 consent_denied, and nothing of the chunk is stored.",
    body=CHUNK,
    body_required=True,
    errors=(400, 403, 404, 409, 413, 422, 503),
)


def audio_format(values: dict[str, Any]) -> AudioFormat:
    """The validated ``codec``, ``sample_rate`` and ``channels`` of a chunk or a stream."""
    return AudioFormat(values["codec"], values["sample_rate"], values["channels"])


def chunk_command(meeting_id: str, values: dict[str, Any], audio: bytes) -> ReceiveChunk:
    """The command of a validated chunk (the REST body or a WebSocket ``audio.chunk``)."""
    return ReceiveChunk(
        meeting_id=meeting_id,
        seq=values["seq"],
        audio=audio,
        audio_format=audio_format(values),
        idempotency_key=values["idempotency_key"],
        speaker_hint=values["speaker_hint"],
    )


async def accept(
    deps: ApiDependencies, identity: Identity, command: ReceiveChunk, meta: EventMeta
) -> ChunkOutcome:
    """Store one chunk for ``identity`` (REST and WebSocket alike)."""
    await confine(deps.commands, identity, command.meeting_id)
    return await deps.commands.receive_chunk(command, meta)


async def receive_chunk(call: Call) -> Response:
    """Accept one audio chunk of a meeting."""
    meeting_id = call.meeting_id
    values = await call.body()
    audio = decode_audio_b64(values["content_b64"], call.deps.limits.max_chunk_bytes)
    command = chunk_command(meeting_id, values, audio)
    outcome = await accept(call.deps, call.identity, command, call.meta)
    return CHUNK_ANSWER.response(outcome)

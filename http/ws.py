"""The WebSockets: ``/v1/ws`` (user identities) and ``/v1/ws/internal`` (services).

The handshake is authenticated from its headers before it is accepted; a refusal is
audited and closed with 1008 before accepting (the server turns that into HTTP 403).

Client → server, JSON text frames keyed by ``event_type``:

- ``audio.chunk``: the contract's frame (``meeting_id``, ``seq``, ``content_b64``,
  ``codec``, ``sample_rate``, ``channels``, ``idempotency_key``, ``speaker_hint``,
  ``timestamp_ms``, ``schema_version``) → ``chunk.ack`` (the REST chunk answer: ``seq``,
  ``duplicate``, ``version`` …). The socket is subscribed to that meeting's live updates.
- ``audio.stream``: ``meeting_id``, ``codec``, ``sample_rate``, ``channels``,
  ``next_seq`` (default 0), ``speaker_hint`` → ``stream.started``. After it, every BINARY
  frame is one chunk with the next seq (advanced only when a frame is accepted; for a
  container codec each frame is a whole file); ``audio.stream.end`` → ``stream.ended``.
- ``subscribe`` / ``unsubscribe`` (``meeting_id``) → ``subscribed`` / ``unsubscribed``.
- ``meeting.finish`` (``meeting_id``, ``reason``) → ``meeting.finished``.
- ``ping`` → ``pong``.

Server → client, besides the answers above: ``transcript.update``,
``transcript.enhanced``, ``report.update``, ``chunk.rejected`` and ``meeting.status`` for
subscribed meetings (see ``live``), and ``error`` frames (``code``, ``message``,
``details``): ``bad_json``, ``bad_event``, ``no_meeting_id``, ``bad_audio`` (undecodable
base64 or audio), ``no_stream``, ``payload_too_large``, ``validation_error``, the
domain's codes (``meeting_not_found``, ``chunk_conflict`` …) and ``slow_consumer``. An
error frame never closes the socket; every frame that was not acknowledged got one.

Must not: close a socket for a client mistake, or block the live updates behind a chunk.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketDisconnected

from interview_analytics.domain.audio import AudioFormat
from interview_analytics.domain.commands import ReceiveChunk
from interview_analytics.domain.errors import DomainError, InvalidAudioError
from interview_analytics.domain.events import EventMeta
from interview_analytics.domain.ids import validate_meeting_id
from interview_analytics.domain.meeting import Meeting
from interview_analytics.http import chunks, exposure, meetings
from interview_analytics.http.access import Access, authorize
from interview_analytics.http.common import API_VERSION, MAX_SEQ, MEETING_ID
from interview_analytics.http.deps import ApiDependencies, deps_of
from interview_analytics.http.errors import ApiError, as_api_error, domain_status
from interview_analytics.http.fields import Field, Spec
from interview_analytics.http.identity import AuthError, Identity
from interview_analytics.http.live import SCHEMA_VERSION, Frame, LiveHub, Subscriber
from interview_analytics.http.metrics import ApiMetrics
from interview_analytics.http.reading import decode_audio_b64, parse_json
from interview_analytics.http.request_ids import request_id_of
from interview_analytics.http.tenants import confine, load_visible

log = logging.getLogger(__name__)

POLICY_VIOLATION = 1008
GONE = (WebSocketDisconnect, WebSocketDisconnected)
"""The client went away: nothing to answer, the session ends."""

# ---------------------------------------------------------------------- frame specs

AUDIO_CHUNK = Spec(
    "AudioChunkFrame",
    (
        MEETING_ID,
        *chunks.CHUNK.fields,
        Field("timestamp_ms", "integer", "Client clock when captured (echoed).", minimum=0),
        Field("schema_version", "string", "Frame schema version.", enum=(API_VERSION,)),
    ),
)
AUDIO_STREAM = Spec(
    "AudioStreamFrame",
    (
        MEETING_ID,
        chunks.CODEC,
        chunks.SAMPLE_RATE,
        chunks.CHANNELS,
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


@dataclass
class _Stream:
    meeting_id: str
    audio_format: AudioFormat
    next_seq: int
    speaker_hint: str | None


class FrameError(Exception):
    """A client frame refused; answered with an ``error`` frame, the socket stays open."""

    def __init__(self, code: str, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = dict(details or {})


def websocket_route(path: str, access: Access) -> WebSocketRoute:
    async def endpoint(websocket: WebSocket) -> None:
        try:
            identity = await authorize(websocket, access, path)
        except AuthError as refused:
            await websocket.close(code=POLICY_VIOLATION, reason=refused.code)
            return
        await websocket.accept()
        await Session(websocket, identity, path).run()

    return WebSocketRoute(path, endpoint, name=path.strip("/").replace("/", "_"))


class Session:
    """One accepted socket: reads client frames in order, forwards live frames."""

    def __init__(self, websocket: WebSocket, identity: Identity, route: str) -> None:
        self.websocket = websocket
        self.identity = identity
        self.route = route
        self.deps: ApiDependencies = deps_of(websocket)
        self.hub: LiveHub = websocket.app.state.live_hub
        self.metrics: ApiMetrics = websocket.app.state.metrics
        self.subscriber: Subscriber = self.hub.subscriber()
        self.stream: _Stream | None = None
        self._send_lock = asyncio.Lock()
        self._handlers: dict[str, Callable[[dict[str, Any]], Awaitable[None]]] = {
            "audio.chunk": self._audio_chunk,
            "audio.stream": self._audio_stream,
            "audio.stream.end": self._audio_stream_end,
            "subscribe": self._subscribe,
            "unsubscribe": self._unsubscribe,
            "meeting.finish": self._finish,
            "ping": self._ping,
        }

    async def run(self) -> None:
        gauge = self.metrics.ws_connections.labels(self.route)
        gauge.inc()
        forwarder = asyncio.create_task(self._forward_live())
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                await self._on_message(message)
        except GONE:
            return
        finally:
            forwarder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await forwarder
            self.hub.remove(self.subscriber)
            gauge.dec()

    async def _on_message(self, message: Mapping[str, Any]) -> None:
        text, data = message.get("text"), message.get("bytes")
        size = len(text) if text is not None else len(data or b"")
        event_type = "binary" if text is None else "unknown"
        try:
            if size > self.deps.limits.max_ws_message_bytes:
                raise FrameError(
                    "payload_too_large",
                    f"frames are limited to {self.deps.limits.max_ws_message_bytes} bytes",
                    {"limit_bytes": self.deps.limits.max_ws_message_bytes},
                )
            if text is None:
                self._count_in("binary")
                await self._binary(data or b"")
                return
            frame = _json_frame(text)
            event_type = str(frame.get("event_type", ""))
            self._count_in(event_type if event_type in self._handlers else "unknown")
            handler = self._handlers.get(event_type)
            if handler is None:
                raise FrameError(
                    "bad_event",
                    f"unknown event_type {event_type[:50]!r}",
                    {"supported": sorted(self._handlers)},
                )
            await handler(frame)
        except FrameError as refused:
            await self._error(refused.code, refused.message, refused.details, event_type)
        except GONE:
            raise
        except Exception as error:
            api_error = as_api_error(error)
            if api_error is None:
                log.exception("WebSocket frame failed on %s", self.route)
                api_error = ApiError(500, "internal_error", "the server failed on this frame")
            await self._error(api_error.code, api_error.message, api_error.details, event_type)

    # ------------------------------------------------------------------ client frames

    async def _audio_chunk(self, frame: dict[str, Any]) -> None:
        meeting_id = _meeting_id(frame)
        values = _validate(AUDIO_CHUNK, frame)
        audio = _audio(values["content_b64"], self.deps.limits.max_chunk_bytes)
        command = chunks.chunk_command(meeting_id, values, audio)
        await self._receive(command, {"timestamp_ms": values["timestamp_ms"]})

    async def _audio_stream(self, frame: dict[str, Any]) -> None:
        meeting_id = _meeting_id(frame)
        values = _validate(AUDIO_STREAM, frame)
        await self._visible(meeting_id)
        self.stream = _Stream(
            meeting_id, chunks.audio_format(values), values["next_seq"], values["speaker_hint"]
        )
        self.hub.subscribe(self.subscriber, meeting_id)
        await self.send(
            {
                "event_type": "stream.started",
                "meeting_id": meeting_id,
                "next_seq": values["next_seq"],
            }
        )

    async def _audio_stream_end(self, frame: dict[str, Any]) -> None:
        stream = self._require_stream()
        self.stream = None
        await self.send(
            {
                "event_type": "stream.ended",
                "meeting_id": stream.meeting_id,
                "next_seq": stream.next_seq,
            }
        )

    async def _binary(self, data: bytes) -> None:
        stream = self._require_stream()
        if len(data) > self.deps.limits.max_chunk_bytes:
            raise FrameError(
                "chunk_too_large",
                f"the audio chunk is larger than {self.deps.limits.max_chunk_bytes} bytes",
                {"limit_bytes": self.deps.limits.max_chunk_bytes, "seq": stream.next_seq},
            )
        command = ReceiveChunk(
            meeting_id=stream.meeting_id,
            seq=stream.next_seq,
            audio=data,
            audio_format=stream.audio_format,
            speaker_hint=stream.speaker_hint,
        )
        await self._receive(command, {})
        stream.next_seq = command.seq + 1

    async def _receive(self, command: ReceiveChunk, echo: dict[str, Any]) -> None:
        """The REST chunk acceptance (``chunks.accept``), answered with ``chunk.ack``; the
        socket is subscribed to the meeting."""
        seq = command.seq
        try:
            outcome = await chunks.accept(self.deps, self.identity, command, self._meta())
        except InvalidAudioError as error:
            raise FrameError(
                "bad_audio", error.message, {**error.details, "seq": seq, "reason_code": error.code}
            ) from None
        except DomainError as error:
            # The status the REST route would answer (403 for consent_denied), so a client
            # handles both the same way.
            details = {**error.details, "seq": seq, "status": domain_status(error)}
            raise FrameError(error.code, error.message, details) from None
        self.hub.subscribe(self.subscriber, command.meeting_id)
        ack = chunks.CHUNK_ANSWER.build(outcome)
        await self.send({"event_type": "chunk.ack", **ack, **echo})

    async def _subscribe(self, frame: dict[str, Any]) -> None:
        meeting_id = _meeting_id(frame)
        meeting = await self._visible(meeting_id)
        self.hub.subscribe(self.subscriber, meeting_id)
        await self.send(
            {
                "event_type": "subscribed",
                "meeting_id": meeting_id,
                "status": meeting.status,
                "version": meeting.version,
            }
        )

    async def _unsubscribe(self, frame: dict[str, Any]) -> None:
        meeting_id = _meeting_id(frame)
        self.hub.unsubscribe(self.subscriber, meeting_id)
        await self.send({"event_type": "unsubscribed", "meeting_id": meeting_id})

    async def _finish(self, frame: dict[str, Any]) -> None:
        meeting_id = _meeting_id(frame)
        values = _validate(meetings.FINISH, frame)
        await confine(self.deps.commands, self.identity, meeting_id)
        outcome = await self.deps.commands.finish(
            meeting_id, reason=values["reason"], meta=self._meta()
        )
        finished = meetings.FINISH_ANSWER.build(outcome)
        await self.send({"event_type": "meeting.finished", **finished})

    async def _ping(self, frame: dict[str, Any]) -> None:
        await self.send({"event_type": "pong", "timestamp_ms": frame.get("timestamp_ms")})

    # ------------------------------------------------------------------ helpers

    async def _visible(self, meeting_id: str) -> Meeting:
        return await load_visible(self.deps.commands, self.identity, meeting_id)

    def _require_stream(self) -> _Stream:
        if self.stream is None:
            raise FrameError(
                "no_stream", "binary audio needs an audio.stream frame first (meeting, codec)"
            )
        return self.stream

    def _meta(self) -> EventMeta:
        return EventMeta(actor=self.identity.subject, correlation_id=request_id_of(self.websocket))

    async def _forward_live(self) -> None:
        with contextlib.suppress(*GONE):
            while True:
                frame = await self.subscriber.queue.get()
                await self.send(exposure.meeting_document(frame, self.identity))

    async def send(self, frame: Frame) -> None:
        frame = {"schema_version": SCHEMA_VERSION, **frame}
        self.metrics.ws_frames.labels(self.route, "out", str(frame.get("event_type"))).inc()
        async with self._send_lock:
            await self.websocket.send_text(json.dumps(frame, ensure_ascii=False, default=str))

    async def _error(
        self, code: str, message: str, details: Mapping[str, Any], event_type: str
    ) -> None:
        frame: Frame = {"event_type": "error", "code": code, "message": message}
        frame["details"] = {**details, "event_type": event_type} if event_type else dict(details)
        for key in ("meeting_id", "seq"):
            if key in details:
                frame[key] = details[key]
        await self.send(frame)

    def _count_in(self, event_type: str) -> None:
        self.metrics.ws_frames.labels(self.route, "in", event_type).inc()


def _json_frame(text: str) -> dict[str, Any]:
    try:
        frame = parse_json(text)
    except ApiError as error:
        raise FrameError("bad_json", "the frame is not valid JSON", error.details) from None
    if not isinstance(frame, dict):
        raise FrameError("bad_event", "a frame must be a JSON object with an event_type")
    return frame


def _meeting_id(frame: Mapping[str, Any]) -> str:
    meeting_id = frame.get("meeting_id")
    if meeting_id is None or meeting_id == "":
        raise FrameError("no_meeting_id", "the frame needs a meeting_id")
    if not isinstance(meeting_id, str):
        raise FrameError("invalid_meeting_id", "meeting_id must be a string")
    validate_meeting_id(meeting_id)
    return meeting_id


def _validate(spec: Spec, frame: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return spec.validate(dict(frame))
    except ApiError as error:
        raise FrameError(error.code, error.message, error.details) from None


def _audio(content_b64: str, max_bytes: int) -> bytes:
    try:
        return decode_audio_b64(content_b64, max_bytes)
    except ApiError as error:
        code = "bad_audio" if error.code == "bad_base64" else error.code
        raise FrameError(code, error.message, error.details) from None

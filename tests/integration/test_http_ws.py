"""The WebSockets on a real uvicorn server: auth split, acks, error frames, live updates.

Live updates come from the real embedded broker: the events a meeting stored are
published to ``meeting-events`` the way the relay does, and the API's one feed consumer
turns them into frames for the sockets that watch that meeting.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.commands import RecordEnhancement, RecordReport, RecordTranscript
from interview_analytics.ops.embedded import EmbeddedBroker
from interview_analytics.projections.replay import stored_events
from interview_analytics.projections.store import ReadStore
from interview_analytics.streams.contract import MEETING_EVENTS, EventCodec
from interview_analytics.streams.topics import TopicCreationError, TopicSpec, ensure_topics
from tests.api_stack import SERVICE, TENANT_A, TENANT_B, USER, ApiHarness, ServerThread, bearer
from tests.factories import chunk, pcm, segment, start, unique_meeting_id


@pytest.fixture
def server(api: ApiHarness) -> Iterator[ServerThread]:
    with ServerThread(api.app) as running:
        yield running


@pytest.fixture
def meeting_id(api: ApiHarness) -> str:
    """A meeting started in the write model, for the socket to talk about."""
    started = unique_meeting_id()
    api.meetings.start(start(started))
    return started


def open_ws(server: ServerThread, path: str, token: str | None) -> ClientConnection:
    headers = bearer(token) if token else {}
    return connect(f"{server.ws_url}{path}", additional_headers=headers, open_timeout=10)


def send(ws: ClientConnection, frame: dict[str, Any]) -> None:
    ws.send(json.dumps(frame))


def receive(ws: ClientConnection, timeout: float = 10.0) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(ws.recv(timeout=timeout))
    return frame


def chunk_frame(meeting_id: str, seq: int, **extra: Any) -> dict[str, Any]:
    return {
        "event_type": "audio.chunk",
        "meeting_id": meeting_id,
        "seq": seq,
        "codec": "pcm",
        "sample_rate": 16000,
        "channels": 1,
        "content_b64": base64.b64encode(pcm(tone=300 + seq)).decode(),
        "schema_version": "v1",
        **extra,
    }


class TestHandshake:
    @pytest.mark.parametrize(
        ("path", "token"),
        [("/v1/ws", None), ("/v1/ws", "nonsense"), ("/v1/ws", SERVICE), ("/v1/ws/internal", USER)],
    )
    def test_refused_handshakes_are_403_and_audited(
        self, server: ServerThread, api: ApiHarness, path: str, token: str | None
    ) -> None:
        with pytest.raises(InvalidStatus) as refused:
            open_ws(server, path, token)
        assert refused.value.response.status_code == 403
        denied = api.audit.decisions[-1]
        assert (denied.allowed, denied.endpoint, denied.method) == (False, path, "WS")
        assert denied.status_code in (401, 403)

    @pytest.mark.parametrize(("path", "token"), [("/v1/ws", USER), ("/v1/ws/internal", SERVICE)])
    def test_the_right_identity_is_accepted(
        self, server: ServerThread, api: ApiHarness, path: str, token: str
    ) -> None:
        with open_ws(server, path, token) as ws:
            send(ws, {"event_type": "ping", "timestamp_ms": 5})
            assert receive(ws) == {"schema_version": "v1", "event_type": "pong", "timestamp_ms": 5}
        assert (api.audit.decisions[-1].allowed, api.audit.decisions[-1].endpoint) == (True, path)


class TestFrames:
    def test_chunks_are_acknowledged_and_repeats_flagged(
        self, server: ServerThread, api: ApiHarness, meeting_id: str
    ) -> None:
        with open_ws(server, "/v1/ws", USER) as ws:
            send(ws, chunk_frame(meeting_id, 0, idempotency_key="a", timestamp_ms=1234))
            ack = receive(ws)
            assert ack["event_type"] == "chunk.ack"
            assert (ack["meeting_id"], ack["seq"], ack["duplicate"]) == (meeting_id, 0, False)
            assert (ack["version"], ack["timestamp_ms"], ack["accepted"]) == (2, 1234, True)
            send(ws, chunk_frame(meeting_id, 0, idempotency_key="a"))
            repeat = receive(ws)
            assert (repeat["event_type"], repeat["duplicate"], repeat["version"]) == (
                "chunk.ack",
                True,
                2,
            )
        assert api.meetings.get(meeting_id).chunks[0].idempotency_key == "a"

    def test_mistakes_get_error_frames_and_the_socket_stays_open(
        self, server: ServerThread, api: ApiHarness, meeting_id: str
    ) -> None:
        mistakes: list[tuple[str | dict[str, Any], str]] = [
            ("this is not json", "bad_json"),
            ("[1, 2]", "bad_event"),
            ({"event_type": "audio.teleport"}, "bad_event"),
            ({**chunk_frame(meeting_id, 0), "meeting_id": None}, "no_meeting_id"),
            (chunk_frame(meeting_id, 0, content_b64="%%%"), "bad_audio"),
            (chunk_frame(meeting_id, 0, content_b64="AA=="), "bad_audio"),
            (chunk_frame(meeting_id, -1), "validation_error"),
            (chunk_frame("bad id", 0), "invalid_meeting_id"),
            (chunk_frame(unique_meeting_id(), 0), "meeting_not_found"),
            ({"event_type": "subscribe", "meeting_id": unique_meeting_id()}, "meeting_not_found"),
            ({"event_type": "audio.stream.end"}, "no_stream"),
        ]  # fmt: skip
        with open_ws(server, "/v1/ws", USER) as ws:
            for frame, code in mistakes:
                ws.send(frame if isinstance(frame, str) else json.dumps(frame))
                error = receive(ws)
                assert (error["event_type"], error["code"]) == ("error", code), (frame, error)
                assert error["message"]
            ws.send(b"\x00\x01")
            assert receive(ws)["code"] == "no_stream"
            send(ws, chunk_frame(meeting_id, 0))
            assert receive(ws)["event_type"] == "chunk.ack"
            send(ws, chunk_frame(meeting_id, 0, content_b64=base64.b64encode(pcm(tone=5)).decode()))
            conflict = receive(ws)
            assert (conflict["code"], conflict["seq"]) == ("chunk_conflict", 0)

    def test_binary_frames_after_audio_stream_take_the_next_seqs(
        self, server: ServerThread, api: ApiHarness, meeting_id: str
    ) -> None:
        with open_ws(server, "/v1/ws", USER) as ws:
            send(ws, {"event_type": "audio.stream", "meeting_id": meeting_id, "next_seq": 3})
            assert receive(ws) == {
                "schema_version": "v1",
                "event_type": "stream.started",
                "meeting_id": meeting_id,
                "next_seq": 3,
            }
            ws.send(pcm(tone=100))
            ws.send(b"\x01")  # odd length: refused, the seq is not used up
            ws.send(pcm(tone=200))
            first, refused, second = receive(ws), receive(ws), receive(ws)
            assert (first["event_type"], first["seq"]) == ("chunk.ack", 3)
            assert (refused["code"], refused["seq"]) == ("bad_audio", 4)
            assert (second["event_type"], second["seq"]) == ("chunk.ack", 4)
            send(ws, {"event_type": "audio.stream.end"})
            assert receive(ws)["next_seq"] == 5
            send(ws, {"event_type": "meeting.finish", "meeting_id": meeting_id})
            finished = receive(ws)
            assert (finished["event_type"], finished["status"]) == (
                "meeting.finished",
                "finalizing",
            )
        assert sorted(api.meetings.get(meeting_id).chunks) == [3, 4]

    def test_a_tenant_cannot_feed_another_tenants_meeting(
        self, server: ServerThread, api: ApiHarness
    ) -> None:
        meeting_id = unique_meeting_id()
        api.meetings.start(start(meeting_id, tenant="a"))
        with open_ws(server, "/v1/ws", TENANT_B) as ws:
            send(ws, chunk_frame(meeting_id, 0))
            assert receive(ws)["code"] == "meeting_not_found"
            send(ws, {"event_type": "subscribe", "meeting_id": meeting_id})
            assert receive(ws)["code"] == "meeting_not_found"
        with open_ws(server, "/v1/ws", TENANT_A) as ws:
            send(ws, chunk_frame(meeting_id, 0))
            assert receive(ws)["event_type"] == "chunk.ack"


# ---------------------------------------------------------------------- live updates


def ensure_meeting_events(bootstrap_servers: str) -> None:
    # Created earlier in the session with another partition count is fine here.
    with contextlib.suppress(TopicCreationError):
        asyncio.run(ensure_topics(bootstrap_servers, [TopicSpec(MEETING_EVENTS, 4)]))


def publish(bootstrap_servers: str, app: Meetings, meeting_id: str) -> int:
    """Publish the meeting's stored events to meeting-events, as the relay would."""
    codec = EventCodec()
    events = [(n, e) for n, e in stored_events(app) if e.meeting_id == meeting_id]

    async def produce() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
        await producer.start()
        try:
            for notification_id, event in events:
                message = codec.message(event, notification_id or 0)
                await producer.send_and_wait(
                    message.topic, message.value, key=message.key, headers=message.headers
                )
        finally:
            await producer.stop()

    asyncio.run(produce())
    return len(events)


def record_pipeline_results(app: Meetings, meeting_id: str) -> None:
    """What the transcriber, enhancer and reporter would record: a draft, the final pass,
    the enhancement and the final report."""
    chunk_version = app.get(meeting_id).chunks[0].version
    draft = [segment(0.0, 0.1, "hello there", "d0")]
    final = [segment(0.0, 0.1, "hello there, welcome", "f0")]
    common = {"model": "tiny.en", "language": "en", "audio_sec": 0.1, "processing_sec": 0.01}
    app.record_transcript(RecordTranscript(
        meeting_id=meeting_id, input_version=chunk_version, seqs=[0], segments=draft,
        final=False, **common,
    ))  # fmt: skip
    finished = app.finish(meeting_id).version
    app.record_transcript(RecordTranscript(
        meeting_id=meeting_id, input_version=finished, seqs=[0], segments=final, final=True,
        **common,
    ))  # fmt: skip
    transcribed = app.get(meeting_id).version
    app.record_enhancement(RecordEnhancement(
        meeting_id=meeting_id, input_version=transcribed, text="Hello there, welcome.",
        segments=[{"speaker": "A", "text": "Hello there, welcome."}], final=True, pii_masked=True,
    ))  # fmt: skip
    enhanced = app.get(meeting_id).version
    report = {"summary": "short", "bullets": [], "risk_flags": [], "recommendation": "hire"}
    app.record_report(RecordReport(
        meeting_id=meeting_id, input_version=enhanced, report=report, final=True
    ))  # fmt: skip


def wait_until_following(harness: ApiHarness) -> None:
    feed = harness.live_feed
    assert feed is not None
    deadline = time.monotonic() + 30
    while not feed.ready.is_set():
        assert time.monotonic() < deadline, "the live feed never got its partitions"
        time.sleep(0.05)


@pytest.fixture
def live_harness(
    tmp_path: Path, read_store: ReadStore, broker: EmbeddedBroker
) -> Iterator[ApiHarness]:
    """An API whose live feed follows meeting-events on the embedded broker."""
    ensure_meeting_events(broker.bootstrap_servers)
    harness = ApiHarness(
        tmp_path / "live", read_store, live_bootstrap_servers=broker.bootstrap_servers
    )
    try:
        yield harness
    finally:
        harness.close()


@pytest.mark.broker
class TestLiveUpdates:
    def test_subscribed_sockets_get_transcripts_and_reports_from_the_event_stream(
        self, live_harness: ApiHarness, broker: EmbeddedBroker
    ) -> None:
        harness = live_harness
        with ServerThread(harness.app) as server:
            wait_until_following(harness)
            meeting_id = unique_meeting_id("live")
            harness.meetings.start(start(meeting_id))
            with open_ws(server, "/v1/ws", USER) as ws, open_ws(server, "/v1/ws", USER) as idle:
                send(ws, chunk_frame(meeting_id, 0))
                assert receive(ws)["event_type"] == "chunk.ack"  # and now subscribed
                record_pipeline_results(harness.meetings, meeting_id)
                publish(broker.bootstrap_servers, harness.meetings, meeting_id)
                publish(broker.bootstrap_servers, harness.meetings, meeting_id)  # a repeat
                frames = []
                while not frames or frames[-1]["event_type"] != "report.update":
                    frames.append(receive(ws, timeout=30))
                send(idle, {"event_type": "ping"})
                assert receive(idle)["event_type"] == "pong"  # it watched nothing
        kinds = [(f["event_type"], f.get("completed")) for f in frames]
        assert kinds == [
            ("transcript.update", False),
            ("meeting.status", None),
            ("transcript.update", True),
            ("transcript.enhanced", True),
            ("report.update", True),
        ]
        draft, final = frames[0], frames[2]
        assert (draft["meeting_id"], draft["seq"], draft["raw_text"]) == (
            meeting_id,
            0,
            "hello there",
        )
        assert final["raw_text"] == "hello there, welcome"
        for key in (
            "speaker",
            "enhanced_text",
            "confidence",
            "start_sec",
            "end_sec",
            "schema_version",
        ):
            assert key in draft
        assert frames[3]["enhanced_text"] == "Hello there, welcome."
        assert frames[4]["report"]["recommendation"] == "hire"
        assert not [f for f in frames if f["event_type"] == "error"]

    def test_the_meeting_cache_follows_the_stream(
        self, live_harness: ApiHarness, broker: EmbeddedBroker
    ) -> None:
        harness = live_harness
        cache = harness.app.state.meeting_cache
        meeting_id = unique_meeting_id("cached")
        with (
            ServerThread(harness.app) as server,
            httpx.Client(base_url=server.base_url, headers=bearer(USER)) as http,
        ):
            wait_until_following(harness)
            harness.meetings.start(start(meeting_id))
            harness.project()
            first = http.get(f"/v1/meetings/{meeting_id}").json()
            again = http.get(f"/v1/meetings/{meeting_id}").json()
            assert (first["version"], again, cache.hits) == (1, first, 1)
            harness.meetings.receive_chunk(chunk(meeting_id, 0))
            harness.project()
            publish(broker.bootstrap_servers, harness.meetings, meeting_id)
            deadline = time.monotonic() + 30
            while http.get(f"/v1/meetings/{meeting_id}").json()["version"] != 2:
                assert time.monotonic() < deadline, "the cache kept a stale meeting"
                time.sleep(0.1)

"""The SberJazz connector end to end on real parts: the admin routes on a real uvicorn
server, the session manager with the real client, the simulated platform on its own real
server, the SQLite event store and the chDB read model (projected by the real projector).

The live pulls and reconciliation passes that the Faust reconciler runs on timers are
called directly here, so every step is deterministic; the live-meeting test in
tests/e2e/test_api_blackbox.py runs them on the real worker.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from prometheus_client import CollectorRegistry

from interview_analytics.connectors.sberjazz.client import SberJazzClient, SberJazzConfig
from interview_analytics.connectors.sberjazz.metrics import ConnectorMetrics
from interview_analytics.connectors.sberjazz.sessions import SessionManager, SessionPolicy
from interview_analytics.connectors.sberjazz.simulator import SberJazzSimulator
from interview_analytics.domain.meeting import Meeting
from interview_analytics.http.app import create_app
from interview_analytics.ops.connector import ConnectorAdminAdapter
from interview_analytics.ops.embedded import free_port
from interview_analytics.projections.queries import Queries
from interview_analytics.projections.store import ReadStore
from tests.api_schemas import assert_error, assert_matches
from tests.api_stack import SERVICE, USER, ApiHarness, bearer
from tests.integration.test_sberjazz_client import SPEED, TOKEN, Server, two_speakers

BASE = "/v1/admin/connectors/sberjazz"
STALE_SEC = 0.6
PULL_LIMIT = 2


@dataclass
class Stack:
    api: ApiHarness
    http: httpx.AsyncClient
    manager: SessionManager
    sim: SberJazzSimulator

    async def start(self, meeting_id: str, **body: Any) -> httpx.Response:
        payload = {"meeting_id": meeting_id, "language": "en", **body}
        return await self.http.post("/v1/meetings/start", json=payload, headers=bearer(SERVICE))

    async def admin(
        self, method: str, path: str, token: str = SERVICE, **kw: Any
    ) -> httpx.Response:
        return await self.http.request(method, BASE + path, headers=bearer(token), **kw)

    async def session(self, meeting_id: str) -> dict[str, Any]:
        self.api.project()
        answer = await self.admin("GET", f"/{meeting_id}/status")
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def pull_everything(self, meeting_id: str) -> None:
        """Pull until the platform has nothing more for this meeting."""
        deadline = time.monotonic() + 20
        while self.api.meetings.connector_session(meeting_id).cursor < len(self.sim.chunks):
            assert time.monotonic() < deadline, "live audio did not arrive"
            await self.manager.pull(meeting_id)
            await asyncio.sleep(0.02)


@pytest.fixture
async def stack(tmp_path: Path, read_store: ReadStore) -> AsyncIterator[Stack]:
    sim = two_speakers(tmp_path)
    with Server(sim) as sim_url:
        harness = ApiHarness(tmp_path, read_store)
        client = SberJazzClient(
            SberJazzConfig(
                sim_url,
                TOKEN,
                timeout_sec=2.0,
                retries=1,
                retry_backoff_ms=10,
                breaker_failure_threshold=3,
                breaker_reset_sec=60.0,
            )
        )
        queries = Queries(read_store)
        registry = CollectorRegistry()  # the harness's app has its own
        manager = SessionManager(
            harness.meetings,
            client,
            queries,
            ConnectorMetrics(registry),
            SessionPolicy(stale_after_sec=STALE_SEC, session_ttl_sec=3600, pull_limit=PULL_LIMIT),
        )
        deps = dataclasses.replace(
            harness.deps, connector=ConnectorAdminAdapter(manager, queries), registry=registry
        )
        # The API is served in this test's event loop, so that the direct manager calls
        # below and the routes share the platform client's connections.
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(deps),
                host="127.0.0.1",
                port=port,
                log_config=None,
                timeout_graceful_shutdown=5,
            )
        )
        serving = asyncio.create_task(server.serve())
        while not server.started:
            assert not serving.done(), "the API did not start"
            await asyncio.sleep(0.02)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=20) as http:
                yield Stack(harness, http, manager, sim)
        finally:
            server.should_exit = True
            await serving
            await client.aclose()
            harness.close()


def chunk_events(stack: Stack, meeting_id: str) -> list[Meeting.ChunkReceived]:
    return [
        e for e in stack.api.meetings.stream(meeting_id) if isinstance(e, Meeting.ChunkReceived)
    ]


async def test_a_dropped_stream_is_reconnected_with_no_audio_lost_or_duplicated(
    stack: Stack,
) -> None:
    assert (await stack.start("m-drop")).status_code == 200
    joined = await stack.admin("POST", "/m-drop/join", json={"participants": ["Interviewer"]})
    assert joined.status_code == 200, joined.text
    assert_matches("ConnectorSession", joined.json())
    assert joined.json()["connected"] is True
    assert joined.json()["attempts"] == 1

    await asyncio.sleep(3 / SPEED)  # a few chunks are out
    assert await stack.manager.pull("m-drop") == PULL_LIMIT

    stack.sim.meetings["m-drop"].joined = False  # the platform drops the stream
    assert await stack.manager.pull("m-drop") == 0
    dropped = await stack.session("m-drop")
    assert dropped["state"] == "reconnecting"
    assert dropped["connected"] is False
    assert dropped["last_error"]

    stack.api.project()
    answer = await stack.admin("POST", "/reconcile?limit=50")
    assert answer.status_code == 200, answer.text
    assert_matches("ConnectorReconcile", answer.json())
    assert answer.json()["reconnected"] == 1
    assert answer.json()["failed"] == 0
    assert stack.sim.meetings["m-drop"].joins == 2

    await stack.pull_everything("m-drop")
    received = chunk_events(stack, "m-drop")
    total = len(stack.sim.chunks)
    assert sorted(e.seq for e in received) == list(range(total))  # none lost, none twice
    assert [e.speaker_hint for e in sorted(received, key=lambda e: e.seq)] == [
        c.speaker for c in stack.sim.chunks
    ]
    assert all(e.codec == "pcm" for e in received)
    session = await stack.session("m-drop")
    assert session["state"] == "connected"
    assert session["reconnects"] == 1
    assert session["attempts"] == 2
    assert session["chunks"] == total
    assert session["source"] == "read_model"

    # Pulling again finds nothing new and records nothing new.
    version = stack.api.meetings.get("m-drop").version
    assert await stack.manager.pull("m-drop") == 0
    assert stack.api.meetings.get("m-drop").version == version


async def test_a_stale_session_is_reconnected_and_a_live_one_is_not(stack: Stack) -> None:
    for meeting_id in ("m-stale", "m-live"):
        assert (await stack.start(meeting_id)).status_code == 200
        assert (await stack.admin("POST", f"/{meeting_id}/join")).status_code == 200
    await asyncio.sleep(STALE_SEC)
    # m-live keeps answering pulls (audio, then heartbeats); m-stale is never pulled.
    await stack.pull_everything("m-live")
    await asyncio.sleep(STALE_SEC / 3)
    await stack.manager.pull("m-live")  # a heartbeat: nothing new, but the platform answered
    stack.api.project()
    answer = (await stack.admin("POST", "/reconcile")).json()
    assert answer["stale"] == 1
    assert answer["reconnected"] == 1
    assert answer["scanned"] == 2
    assert answer["stale_threshold_sec"] == STALE_SEC
    stale = await stack.session("m-stale")
    assert stale["connected"] is True
    assert stale["reconnects"] == 1
    assert stale["attempts"] == 2
    assert (await stack.session("m-live"))["attempts"] == 1


async def test_a_failing_platform_opens_the_breaker_and_health_says_so(stack: Stack) -> None:
    healthy = await stack.admin("GET", "/health")
    assert healthy.status_code == 200
    assert_matches("ConnectorHealth", healthy.json())
    assert healthy.json()["healthy"] is True
    assert healthy.json()["configured"] is True
    assert healthy.json()["details"]["circuit_state"] == "closed"

    stack.sim.faults.fail_5xx_count = 1_000
    assert (await stack.start("m-down")).status_code == 200
    refused = await stack.admin("POST", "/m-down/join")
    assert refused.status_code == 503
    assert_error(refused.json(), "connector_unavailable")
    session = await stack.session("m-down")
    assert session["state"] == "reconnecting"  # worth retrying: the reconciler will
    assert "503" in session["last_error"]

    health = (await stack.admin("GET", "/health")).json()
    assert health["healthy"] is False
    assert health["details"]["circuit_state"] == "open"
    calls_before = stack.sim.requests
    again = await stack.admin("POST", "/m-down/reconnect")
    assert again.status_code == 503
    assert_error(again.json(), "connector_circuit_open")
    assert stack.sim.requests == calls_before  # an open breaker does not call the platform
    metrics = (await stack.http.get("/metrics")).text
    assert "sberjazz_circuit_state 2.0" in metrics
    assert 'sberjazz_calls_total{operation="join",result="unavailable"}' in metrics


async def test_session_rules_and_errors(stack: Stack) -> None:
    assert (await stack.start("m-rules")).status_code == 200
    never = await stack.admin("GET", "/m-rules/status")
    assert never.status_code == 404
    assert_error(never.json(), "never_joined")
    assert_error((await stack.admin("POST", "/m-rules/leave")).json(), "never_joined")
    unknown = await stack.admin("POST", "/m-nobody/join")
    assert unknown.status_code == 404
    assert_error(unknown.json(), "meeting_not_found")
    bad = await stack.admin("POST", "/m-rules/join", json={"participants": "everyone"})
    assert bad.status_code == 422

    # The status answers at once, from the event store, before the projector has the row.
    assert (await stack.admin("POST", "/m-rules/join")).status_code == 200
    early = (await stack.admin("GET", "/m-rules/status")).json()
    assert early["source"] == "write_model"
    assert early["connected"] is True
    again = await stack.admin("POST", "/m-rules/join")  # active: answered as it is
    assert again.json()["attempts"] == 1

    left = await stack.admin("POST", "/m-rules/leave")
    assert left.status_code == 200
    assert left.json()["state"] == "left"
    assert stack.sim.meetings["m-rules"].joined is False
    assert (await stack.admin("POST", "/m-rules/leave")).json()["state"] == "left"
    conflict = await stack.admin("POST", "/m-rules/reconnect")
    assert conflict.status_code == 409
    assert_error(conflict.json(), "connector_state_conflict")

    stack.sim.faults.refuse_joins = True
    assert (await stack.start("m-refused")).status_code == 200
    assert (await stack.admin("POST", "/m-refused/join")).status_code == 503
    stack.sim.faults.refuse_joins = False
    await stack.http.post("/v1/meetings/m-refused/finish", headers=bearer(SERVICE))
    finished = await stack.admin("POST", "/m-refused/join")
    assert finished.status_code == 200  # still active (reconnecting): answered as it is
    stack.api.project()
    await stack.admin("POST", "/reconcile")
    assert (await stack.session("m-refused"))["state"] == "left"  # finished meetings are left

    sessions = await stack.admin("GET", "/sessions?limit=0")  # clamped to 1
    assert sessions.status_code == 200
    assert_matches("ConnectorSessions", sessions.json())
    assert len(sessions.json()["sessions"]) == 1
    everything = (await stack.admin("GET", "/sessions?limit=9999")).json()["sessions"]
    assert [s["meeting_id"] for s in everything] == ["m-refused", "m-rules"]  # newest first


async def test_auto_join_on_start(stack: Stack) -> None:
    started = await stack.start("m-auto", auto_join_connector=True)
    assert started.status_code == 200
    requested = (await stack.admin("GET", "/m-auto/status")).json()
    assert requested["state"] == "requested"
    # The reconciler's agent reacts to ConnectorRequested; here it is called directly.
    await stack.manager.join_requested("m-auto")
    assert (await stack.session("m-auto"))["connected"] is True

    postmeeting = await stack.start("m-post", mode="postmeeting", auto_join_connector=True)
    assert postmeeting.status_code == 422
    assert_error(postmeeting.json(), "auto_join_needs_realtime")
    plain = await stack.start("m-plain")
    assert plain.status_code == 200
    assert (await stack.admin("GET", "/m-plain/status")).status_code == 404


ROUTES = [
    ("GET", "/health"),
    ("GET", "/sessions"),
    ("POST", "/reconcile"),
    ("POST", "/m-auth/join"),
    ("GET", "/m-auth/status"),
    ("POST", "/m-auth/reconnect"),
    ("POST", "/m-auth/leave"),
]


async def test_every_admin_route_refuses_users_and_anonymous_callers(stack: Stack) -> None:
    assert (await stack.start("m-auth")).status_code == 200
    for method, path in ROUTES:
        as_user = await stack.admin(method, path, token=USER)
        assert as_user.status_code == 403, (method, path)
        assert_error(as_user.json(), "forbidden_identity_kind")
        anonymous = await stack.http.request(method, BASE + path)
        assert anonymous.status_code == 401, (method, path)
    assert stack.sim.requests == 0  # nothing reached the platform
    answers = {path: await stack.admin(method, path) for method, path in ROUTES}
    assert {path: a.status_code for path, a in answers.items()} == dict.fromkeys(answers, 200)
    assert_matches("ConnectorHealth", answers["/health"].json())
    assert_matches("ConnectorSessions", answers["/sessions"].json())
    assert_matches("ConnectorReconcile", answers["/reconcile"].json())
    for path in ("/m-auth/join", "/m-auth/status", "/m-auth/leave", "/m-auth/reconnect"):
        assert_matches("ConnectorSession", answers[path].json())

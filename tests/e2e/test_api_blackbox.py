"""Black box: the stack as a user runs it (`ia up`), checked over real HTTP and WebSockets.

One stack per module (`ia up` as a subprocess, free ports, a temporary DATA_DIR) in
``AUTH_MODE=jwt`` against the local identity provider of ``tests/identity_provider.py``,
with the service-key fallback on. Checked: the auth matrix (every authenticated route of
``schemas/openapi.json`` × every kind of credential) and an audit record for each
request, the WebSocket split between user and service identities, the chunk edge cases,
and a real-speech meeting from start to report.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import time
import uuid
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from interview_analytics.ops.embedded import free_port
from tests.identity_provider import IdentityProvider, unsigned_token
from tests.speech import PAUSE_SEC, SCRIPT, Interview, espeak_available, make_interview
from tests.stack import IA, reap

pytestmark = pytest.mark.broker

ROOT = Path(__file__).resolve().parents[2]
AUDIENCE = "interview-analytics"
USER_KEY = "user-key-blackbox-000001"
SERVICE_KEY = "service-key-blackbox-0001"
MAX_CHUNK_BYTES = 262_144
TENANT = "acme"
E2E_TIMEOUT_SEC = 180
REPORT_KEYS = {"summary", "bullets", "risk_flags", "recommendation"}
PLATFORM_TOKEN = "platform-token-blackbox"
PLATFORM_SPEED = 2.0  # the simulated platform plays twice as fast as real time
PLATFORM_LINES = 4  # the first four lines of the script (Kafka is in the fourth)
CONNECTOR = "/v1/admin/connectors/sberjazz"


# ---------------------------------------------------------------------- the stack


@dataclass
class Running:
    base_url: str
    ws_url: str
    idp: IdentityProvider
    log: Path
    data_dir: Path

    def tokens(self) -> dict[str, str]:
        return credentials(self.idp)

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


@pytest.fixture(scope="module")
def idp() -> Iterator[IdentityProvider]:
    with IdentityProvider() as provider:
        yield provider


@dataclass
class Platform:
    """``ia sberjazz-sim`` (the SIMULATED SberJazz platform) playing a spoken interview."""

    base_url: str
    interview: Interview
    total_chunks: int

    def faults(self, **faults: Any) -> dict[str, Any]:
        answer = httpx.post(self.base_url + "/_sim/faults", json=faults, timeout=10)
        assert answer.status_code == 200, answer.text
        state: dict[str, Any] = answer.json()
        return state


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    if not espeak_available():
        pytest.fail("espeak-ng is not installed; `make test` installs it")
    tmp = tmp_path_factory.mktemp("platform")
    interview = make_interview(SCRIPT[:PLATFORM_LINES])
    audio_args: list[str] = []
    for index, line in enumerate(interview.lines):
        path = tmp / f"line-{index}.wav"
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(16_000)
            wav.writeframes(line.pcm + b"\x00\x00" * int(16_000 * PAUSE_SEC))
        audio_args += ["--audio", f"{path}:{line.speaker}"]
    port = free_port()
    command = [IA, "sberjazz-sim", "--port", str(port), "--token", PLATFORM_TOKEN]
    command += ["--speed", str(PLATFORM_SPEED), *audio_args]
    log = tmp / "sim.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            try:
                state = httpx.get(base_url + "/_sim/state", timeout=2).json()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield Platform(base_url, interview, int(state["total_chunks"]))
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def stack(
    idp: IdentityProvider, platform: Platform, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Running]:
    tmp = tmp_path_factory.mktemp("blackbox")
    api_port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "EVENT_STORE"))}
    env = {
        **clean,
        "DATA_DIR": str(tmp / "data"),
        "API_PORT": str(api_port),
        "RELAY_METRICS_PORT": str(free_port()),
        "TRANSCRIBER_METRICS_PORT": str(free_port()),
        "ENHANCER_METRICS_PORT": str(free_port()),
        "REPORTER_METRICS_PORT": str(free_port()),
        "PROJECTOR_METRICS_PORT": str(free_port()),
        "RELAY_POLL_INTERVAL_SEC": "0.05",
        "WHISPER_MODEL": "tiny.en",  # English test speech
        "AUTH_MODE": "jwt",
        "OIDC_ISSUER_URL": idp.issuer,
        "OIDC_JWKS_URL": idp.jwks_url,
        "OIDC_AUDIENCE": AUDIENCE,
        "JWT_TENANT_CLAIM": "tenant",
        "ALLOW_SERVICE_API_KEY_IN_JWT_MODE": "true",
        "API_KEYS": USER_KEY,
        "SERVICE_API_KEYS": SERVICE_KEY,
        "MAX_CHUNK_BYTES": str(MAX_CHUNK_BYTES),
        # The connector, against the simulated platform, with short timers.
        "SBERJAZZ_API_BASE": platform.base_url,
        "SBERJAZZ_API_TOKEN": PLATFORM_TOKEN,
        "SBERJAZZ_RETRY_BACKOFF_MS": "50",
        "SBERJAZZ_PULL_INTERVAL_SEC": "0.5",
        "SBERJAZZ_RECONCILE_STALE_SEC": "4",
        "RECONCILIATION_INTERVAL_SEC": "1",
    }
    log = tmp / "ia-up.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [IA, "up"], env=env, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT
        )
    running = Running(
        f"http://127.0.0.1:{api_port}", f"ws://127.0.0.1:{api_port}", idp, log, tmp / "data"
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, f"ia up exited:\n{running.log_tail()}"
            assert time.monotonic() < deadline, f"no /health in 120 s:\n{running.log_tail()}"
            try:
                if httpx.get(running.base_url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            assert reap(process, timeout=30), f"no stop on Ctrl-C in 30 s:\n{running.log_tail()}"
            assert process.returncode == 0, f"ia up stopped badly:\n{running.log_tail()}"


@pytest.fixture(scope="module")
def http(stack: Running) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        yield client


# ---------------------------------------------------------------------- credentials


def credentials(idp: IdentityProvider) -> dict[str, str]:
    """Bearer tokens by name (API keys are sent as X-API-Key instead)."""
    user = {"sub": "alice", "aud": AUDIENCE, "tenant": TENANT}
    service = {"sub": "svc-blackbox", "aud": AUDIENCE, "token_type": "service"}
    now = int(time.time())
    return {
        "user_jwt": idp.token(user),
        "service_jwt": idp.token(service),
        "expired_jwt": idp.token({**user, "exp": now - 3600, "iat": now - 7200}),
        "wrong_audience": idp.token({**user, "aud": "someone-else"}),
        "alg_none": unsigned_token(
            {"alg": "none", "typ": "JWT", "kid": idp.key.kid},
            {**service, "iss": idp.issuer, "exp": now + 300},
        ),
        "hs_rs_confusion": idp.forged_hs256(service),
        "other_tenant": idp.token({**user, "sub": "mallory", "tenant": "globex"}),
    }


CREDENTIALS = (
    "none",
    "user_key",
    "service_key",
    "user_jwt",
    "service_jwt",
    "expired_jwt",
    "wrong_audience",
    "alg_none",
    "hs_rs_confusion",
    "other_tenant",
)
BAD_TOKEN_CODES = {
    "expired_jwt": "token_expired",
    "wrong_audience": "invalid_audience",
    "alg_none": "unsupported_algorithm",
    # HS256 has no key here (no JWT_SHARED_SECRET): the RSA key is never an HMAC secret
    "hs_rs_confusion": "unsupported_algorithm",
}


def headers_for(credential: str, tokens: dict[str, str]) -> dict[str, str]:
    if credential == "none":
        return {}
    if credential == "user_key":
        return {"X-API-Key": USER_KEY}
    if credential == "service_key":
        return {"X-API-Key": SERVICE_KEY}
    return {"Authorization": f"Bearer {tokens[credential]}"}


def bearer(stack: Running, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.tokens()[name]}"}


def pcm_b64(size: int = 3200, fill: int = 0) -> str:
    return base64.b64encode(bytes([fill]) * size).decode()


# ---------------------------------------------------------------------- the auth matrix


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    admin: bool = False
    ok: int = 200
    """The answer of an allowed caller: a success, or the route's own refusal of a request
    that got past authentication (a report not ready yet, an unknown webhook)."""
    ok_code: str | None = None
    body: dict[str, Any] | None = None

    @property
    def meeting_route(self) -> bool:
        return "{meeting_id}" in self.template


ROUTES = (
    Route("GET", "/v1/meetings/{meeting_id}"),
    Route("POST", "/v1/meetings/start"),
    Route("POST", "/v1/meetings/{meeting_id}/chunks"),
    Route("POST", "/v1/meetings/{meeting_id}/finish"),
    Route("GET", "/v1/meetings"),
    Route("PATCH", "/v1/meetings/{meeting_id}", body={"consent": "granted"}),
    Route("DELETE", "/v1/meetings/{meeting_id}", ok=204),  # idempotent: every allowed call 204
    Route("GET", "/v1/meetings/{meeting_id}/deliveries"),
    Route("GET", "/v1/meetings/{meeting_id}/report.html", ok=409, ok_code="report_not_ready"),
    Route("GET", "/v1/meetings/{meeting_id}/report.md", ok=409, ok_code="report_not_ready"),
    Route(
        "POST",
        "/v1/meetings/{meeting_id}/speakers",
        ok=409,
        ok_code="transcript_not_final",
        body={"speakers": [{"label": "S1", "name": "Anna", "role": "interviewer"}]},
    ),
    Route(
        "POST",
        "/v1/webhooks",
        ok=201,
        body={"url": "https://hooks.example.com/ia", "events": ["report.ready"]},
    ),
    Route("GET", "/v1/webhooks"),
    Route("DELETE", "/v1/webhooks/{webhook_id}", ok=404, ok_code="webhook_not_found"),
    Route("GET", "/v1/admin/queues/health", admin=True),
    Route("GET", "/v1/admin/security/audit", admin=True),
    Route("GET", "/v1/admin/dead-letters", admin=True),
    # In this order, so that every service call succeeds: join, look, rejoin, leave.
    Route("POST", CONNECTOR + "/{meeting_id}/join", admin=True),
    Route("GET", CONNECTOR + "/{meeting_id}/status", admin=True),
    Route("POST", CONNECTOR + "/{meeting_id}/reconnect", admin=True),
    Route("POST", CONNECTOR + "/{meeting_id}/leave", admin=True),
    Route("GET", CONNECTOR + "/health", admin=True),
    Route("GET", CONNECTOR + "/sessions", admin=True),
    Route("POST", CONNECTOR + "/reconcile", admin=True),
)


def expected_status(route: Route, credential: str) -> int:
    if credential in ("none", "user_key", *BAD_TOKEN_CODES):
        return 401  # user keys are not accepted in jwt mode, only service keys
    if credential in ("service_key", "service_jwt"):
        return route.ok
    if route.admin:
        return 403  # a user on a service route
    if credential == "other_tenant" and route.meeting_route:
        return 404  # another tenant's meeting looks like no meeting (docs/security.md)
    return route.ok


def expected_code(route: Route, credential: str) -> str | None:
    status = expected_status(route, credential)
    if status == route.ok:
        return route.ok_code
    if credential == "none":
        return "missing_credentials"
    if credential == "user_key":
        return "invalid_api_key"
    if credential in BAD_TOKEN_CODES:
        return BAD_TOKEN_CODES[credential]
    if status == 403:
        return "forbidden_identity_kind"
    return "meeting_not_found"


@dataclass
class Cell:
    route: Route
    credential: str
    request_id: str
    response: httpx.Response


def test_every_authenticated_route_of_the_contract_is_in_the_matrix() -> None:
    document = json.loads((ROOT / "schemas" / "openapi.json").read_text())
    secured = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if operation.get("security")
    }
    assert secured == {(r.method, r.template) for r in ROUTES}


@pytest.fixture(scope="module")
def matrix(stack: Running, http: httpx.Client) -> dict[tuple[str, str, str], Cell]:
    """Every (route, credential) request, sent once; each test cell checks one answer."""
    tokens = stack.tokens()
    owner = bearer(stack, "user_jwt")
    open_meeting = http.post("/v1/meetings/start", json={"language": "en"}, headers=owner)
    to_finish = http.post("/v1/meetings/start", json={"language": "en"}, headers=owner)
    live = http.post("/v1/meetings/start", json={"language": "en"}, headers=owner)
    to_erase = http.post("/v1/meetings/start", json={"language": "en"}, headers=owner)
    assert open_meeting.status_code == to_finish.status_code == live.status_code == 200
    assert to_erase.status_code == 200
    meetings = {
        **{r.template: open_meeting.json()["meeting_id"] for r in ROUTES if r.meeting_route},
        "/v1/meetings/{meeting_id}": open_meeting.json()["meeting_id"],
        "/v1/meetings/{meeting_id}/chunks": open_meeting.json()["meeting_id"],
        "/v1/meetings/{meeting_id}/finish": to_finish.json()["meeting_id"],
        **{r.template: live.json()["meeting_id"] for r in ROUTES if CONNECTOR in r.template},
    }
    erase_route = next(r for r in ROUTES if r.method == "DELETE" and r.meeting_route)
    cells: dict[tuple[str, str, str], Cell] = {}
    for route in ROUTES:
        meeting_id = meetings.get(route.template, "")
        if route is erase_route:
            meeting_id = to_erase.json()["meeting_id"]
        path = route.template.replace("{meeting_id}", meeting_id)
        path = path.replace("{webhook_id}", "whk_" + "0" * 32)  # nobody's: 404 once allowed
        for seq, credential in enumerate(CREDENTIALS):
            request_id = f"bb-{uuid.uuid4().hex[:16]}"
            body: dict[str, Any] | None = None
            if route.template.endswith("/chunks"):
                body = {"seq": seq, "content_b64": pcm_b64()}
            elif route.body is not None:
                body = route.body
            elif route.method == "POST":
                body = {}
            response = http.request(
                route.method,
                path,
                json=body,
                headers={**headers_for(credential, tokens), "X-Request-ID": request_id},
            )
            cells[(route.method, route.template, credential)] = Cell(
                route, credential, request_id, response
            )
    return cells


@pytest.mark.parametrize("credential", CREDENTIALS)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.template}")
def test_auth_matrix(
    matrix: dict[tuple[str, str, str], Cell], route: Route, credential: str
) -> None:
    cell = matrix[(route.method, route.template, credential)]
    response = cell.response
    status = expected_status(route, credential)
    assert response.status_code == status, response.text
    assert response.headers.get("X-Request-ID") == cell.request_id
    if status == 204:
        assert not response.content
        return
    if status in (200, 201) and route.ok_code is None:
        assert isinstance(response.json(), dict)
        return
    detail = response.json()["detail"]
    assert set(detail) >= {"code", "message", "details"}
    assert detail["code"] == expected_code(route, credential)
    assert isinstance(detail["message"], str)
    assert detail["message"]
    if status == 401:
        challenge = response.headers.get("WWW-Authenticate", "")
        assert challenge.startswith("Bearer"), response.headers
        if credential != "none":
            assert 'error="invalid_token"' in challenge
    else:
        assert "WWW-Authenticate" not in response.headers


def test_every_matrix_request_has_its_audit_record(
    matrix: dict[tuple[str, str, str], Cell], http: httpx.Client
) -> None:
    """The decision went API → security-audit topic → ClickHouse; poll until it is there."""
    admin = {"X-API-Key": SERVICE_KEY}
    wanted = {cell.request_id: cell for cell in matrix.values()}
    found: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + 60
    while True:
        for route in ROUTES:
            answer = http.get(
                "/v1/admin/security/audit",
                params={"endpoint": route.template, "limit": 500},
                headers=admin,
            )
            assert answer.status_code == 200, answer.text
            for decision in answer.json()["decisions"]:
                if decision["request_id"] in wanted:
                    found[decision["request_id"]] = decision
        if len(found) == len(wanted) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    missing = [(c.route.template, c.credential) for r, c in wanted.items() if r not in found]
    assert not missing, f"no audit record for {missing}"
    for request_id, cell in wanted.items():
        decision = found[request_id]
        status = cell.response.status_code
        allowed = status not in (401, 403)
        where = (cell.route.template, cell.credential, decision)
        assert decision["endpoint"] == cell.route.template, where
        assert decision["method"] == cell.route.method, where
        assert decision["allowed"] is allowed, where
        assert decision["event"] == ("security_audit_allow" if allowed else "security_audit_deny")
        if allowed:
            assert decision["error_code"] is None, where
        else:
            assert decision["status_code"] == status, where
            assert decision["error_code"] == cell.response.json()["detail"]["code"], where
        assert SERVICE_KEY not in json.dumps(decision)
        assert USER_KEY not in json.dumps(decision)


# ---------------------------------------------------------------------- WebSockets


def ws_status(url: str, headers: dict[str, str]) -> int:
    """101 when the socket opens and answers a ping; the HTTP status of a refusal."""
    try:
        with connect(url, additional_headers=headers, open_timeout=10) as socket:
            socket.send(json.dumps({"event_type": "ping", "timestamp_ms": 7}))
            frame = json.loads(socket.recv(timeout=10))
            assert frame["event_type"] == "pong", frame
            assert frame["timestamp_ms"] == 7
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code


@pytest.mark.parametrize(
    ("path", "credential", "status"),
    [
        ("/v1/ws", "user_jwt", 101),
        ("/v1/ws", "service_jwt", 403),
        ("/v1/ws", "service_key", 403),
        ("/v1/ws", "none", 403),
        ("/v1/ws", "expired_jwt", 403),
        ("/v1/ws", "user_key", 403),
        ("/v1/ws/internal", "service_jwt", 101),
        ("/v1/ws/internal", "service_key", 101),
        ("/v1/ws/internal", "user_jwt", 403),
        ("/v1/ws/internal", "none", 403),
        ("/v1/ws/internal", "hs_rs_confusion", 403),
    ],
)
def test_websocket_auth_split(stack: Running, path: str, credential: str, status: int) -> None:
    headers = headers_for(credential, stack.tokens())
    assert ws_status(stack.ws_url + path, headers) == status


# ---------------------------------------------------------------------- chunk edge cases


@pytest.fixture
def meeting(http: httpx.Client) -> Callable[[], str]:
    def started() -> str:
        answer = http.post("/v1/meetings/start", json={}, headers={"X-API-Key": SERVICE_KEY})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["meeting_id"])

    return started


def post_chunk(http: httpx.Client, meeting_id: str, body: dict[str, Any] | bytes) -> httpx.Response:
    headers = {"X-API-Key": SERVICE_KEY}
    path = f"/v1/meetings/{meeting_id}/chunks"
    if isinstance(body, bytes):
        return http.post(
            path, content=body, headers={**headers, "Content-Type": "application/json"}
        )
    return http.post(path, json=body, headers=headers)


def assert_refused(response: httpx.Response, status: int, code: str) -> None:
    """The API refused the request with ``status`` and this error code in its body."""
    assert response.status_code == status, response.text
    assert response.json()["detail"]["code"] == code, response.text


def test_a_repeated_chunk_is_answered_as_a_duplicate_with_the_same_result(
    http: httpx.Client, meeting: Callable[[], str]
) -> None:
    meeting_id = meeting()
    body = {"seq": 0, "content_b64": pcm_b64(fill=1), "idempotency_key": "k-0"}
    first = post_chunk(http, meeting_id, body)
    again = post_chunk(http, meeting_id, body)
    assert first.status_code == again.status_code == 200, again.text
    assert first.json()["duplicate"] is False
    assert again.json()["duplicate"] is True
    same = ("seq", "blob_key", "sha256", "version", "idempotency_key", "meeting_id")
    assert {k: again.json()[k] for k in same} == {k: first.json()[k] for k in same}
    # the same seq and bytes without the key is the same chunk too
    keyless = post_chunk(http, meeting_id, {"seq": 0, "content_b64": pcm_b64(fill=1)})
    assert keyless.status_code == 200, keyless.text
    assert keyless.json()["duplicate"] is True
    assert keyless.json()["version"] == first.json()["version"]


def test_the_same_seq_with_other_bytes_is_a_conflict(
    http: httpx.Client, meeting: Callable[[], str]
) -> None:
    meeting_id = meeting()
    assert post_chunk(http, meeting_id, {"seq": 0, "content_b64": pcm_b64(fill=1)}).is_success
    other = post_chunk(http, meeting_id, {"seq": 0, "content_b64": pcm_b64(fill=2)})
    assert_refused(other, 409, "chunk_conflict")


def test_chunks_out_of_order_are_accepted(http: httpx.Client, meeting: Callable[[], str]) -> None:
    meeting_id = meeting()
    versions = []
    for seq in (5, 2, 0, 3):
        answer = post_chunk(http, meeting_id, {"seq": seq, "content_b64": pcm_b64(fill=seq)})
        assert answer.status_code == 200, answer.text
        assert answer.json()["seq"] == seq
        assert answer.json()["duplicate"] is False
        versions.append(answer.json()["version"])
    assert len(set(versions)) == 4


def test_an_oversized_chunk_is_413(http: httpx.Client, meeting: Callable[[], str]) -> None:
    meeting_id = meeting()
    just_fits = post_chunk(http, meeting_id, {"seq": 0, "content_b64": pcm_b64(MAX_CHUNK_BYTES)})
    assert just_fits.status_code == 200, just_fits.text
    too_big = post_chunk(http, meeting_id, {"seq": 1, "content_b64": pcm_b64(MAX_CHUNK_BYTES + 2)})
    assert_refused(too_big, 413, "chunk_too_large")


def test_malformed_base64_is_400_and_the_key_can_be_retried(
    http: httpx.Client, meeting: Callable[[], str]
) -> None:
    meeting_id = meeting()
    bad = post_chunk(
        http, meeting_id, {"seq": 0, "content_b64": "@@not base64!!", "idempotency_key": "k-r"}
    )
    assert_refused(bad, 400, "bad_base64")
    retry = post_chunk(
        http, meeting_id, {"seq": 0, "content_b64": pcm_b64(), "idempotency_key": "k-r"}
    )
    assert retry.status_code == 200, retry.text
    assert retry.json()["duplicate"] is False


@pytest.mark.parametrize("body", [b"{not json", b"", b'{"seq": 0, "content_b64": NaN}'])
def test_malformed_json_is_400(http: httpx.Client, meeting: Callable[[], str], body: bytes) -> None:
    answer = post_chunk(http, meeting(), body)
    assert_refused(answer, 400, "bad_json")


def test_a_chunk_for_an_unknown_meeting_is_404(http: httpx.Client) -> None:
    answer = post_chunk(
        http, f"nobody-{uuid.uuid4().hex[:8]}", {"seq": 0, "content_b64": pcm_b64()}
    )
    assert_refused(answer, 404, "meeting_not_found")


def test_a_chunk_for_a_finished_meeting_is_409(
    http: httpx.Client, meeting: Callable[[], str]
) -> None:
    meeting_id = meeting()
    finished = http.post(
        f"/v1/meetings/{meeting_id}/finish", json={}, headers={"X-API-Key": SERVICE_KEY}
    )
    assert finished.status_code == 200, finished.text
    late = post_chunk(http, meeting_id, {"seq": 0, "content_b64": pcm_b64()})
    assert_refused(late, 409, "meeting_finished")


# ---------------------------------------------------------------------- real speech


def test_a_spoken_interview_ends_with_an_enhanced_transcript_and_a_report(
    stack: Running, http: httpx.Client
) -> None:
    if not espeak_available():
        pytest.fail("espeak-ng is not installed; `make test` installs it")
    interview = make_interview()
    user = bearer(stack, "user_jwt")
    started = http.post("/v1/meetings/start", json={"language": "en"}, headers=user)
    assert started.status_code == 200, started.text
    meeting_id = started.json()["meeting_id"]
    for seq, (pcm, speaker) in enumerate(interview.chunks(2.0)):
        body = {
            "seq": seq,
            "content_b64": base64.b64encode(pcm).decode(),
            "speaker_hint": speaker,
            "idempotency_key": f"speech-{seq}",
        }
        answer = http.post(f"/v1/meetings/{meeting_id}/chunks", json=body, headers=user)
        assert answer.status_code == 200, answer.text
    finished = http.post(f"/v1/meetings/{meeting_id}/finish", json={}, headers=user)
    assert finished.status_code == 200, finished.text

    deadline = time.monotonic() + E2E_TIMEOUT_SEC
    meeting: dict[str, Any] = {}
    while time.monotonic() < deadline:
        answer = http.get(f"/v1/meetings/{meeting_id}", headers=user)
        assert answer.status_code == 200, answer.text
        meeting = answer.json()
        if meeting["status"] == "done" and meeting["enhanced_transcript"] and meeting["report"]:
            break
        time.sleep(1)
    else:
        pytest.fail(f"not done in {E2E_TIMEOUT_SEC} s: {meeting}\n{stack.log_tail()}")

    assert meeting["meeting_id"] == meeting_id
    assert "kafka" in meeting["raw_transcript"].lower()
    assert "kafka" in meeting["enhanced_transcript"].lower()
    report = meeting["report"]
    assert set(report) >= REPORT_KEYS
    assert isinstance(report["summary"], str)
    assert report["summary"].strip()
    assert isinstance(report["bullets"], list)
    assert report["bullets"]
    assert all(isinstance(b, str) and b for b in report["bullets"])
    assert isinstance(report["risk_flags"], list)
    assert all(isinstance(f, str) for f in report["risk_flags"])
    assert isinstance(report["recommendation"], str)
    assert report["recommendation"].strip()
    # another tenant cannot read it
    other = http.get(f"/v1/meetings/{meeting_id}", headers=bearer(stack, "other_tenant"))
    assert other.status_code == 404, other.text


# ---------------------------------------------------------------------- the connector, live


def connector_session(http: httpx.Client, service: dict[str, str], meeting_id: str) -> Any:
    answer = http.get(f"{CONNECTOR}/{meeting_id}/status", headers=service)
    return answer.json() if answer.status_code == 200 else {"status_code": answer.status_code}


def wait_for_session(
    http: httpx.Client,
    service: dict[str, str],
    meeting_id: str,
    done: Callable[[dict[str, Any]], bool],
    what: str,
    stack: Running,
    timeout: float = 60,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    session: dict[str, Any] = {}
    while time.monotonic() < deadline:
        session = connector_session(http, service, meeting_id)
        if done(session):
            return session
        time.sleep(0.25)
    pytest.fail(f"{what}: not in {timeout} s: {session}\n{stack.log_tail()}")


def test_a_live_meeting_joined_on_start_is_transcribed_with_the_platform_speakers(
    stack: Running, http: httpx.Client, platform: Platform
) -> None:
    """Auto-join on start → the reconciler joins and pulls the live audio → the platform
    drops the stream mid-meeting → the reconciler reconnects → every seq arrives exactly
    once → finish → the transcript has the platform's speaker labels."""
    service = bearer(stack, "service_jwt")
    started = http.post(
        "/v1/meetings/start",
        json={"language": "en", "auto_join_connector": True},
        headers=service,
    )
    assert started.status_code == 200, started.text
    meeting_id = started.json()["meeting_id"]
    wait_for_session(http, service, meeting_id, lambda s: s.get("connected"), "join", stack)
    wait_for_session(http, service, meeting_id, lambda s: s.get("cursor", 0) >= 2, "audio", stack)

    platform.faults(drop_stream=meeting_id)
    reconnected = wait_for_session(
        http,
        service,
        meeting_id,
        lambda s: s.get("reconnects", 0) >= 1 and s.get("connected"),
        "reconnect",
        stack,
    )
    assert reconnected["attempts"] >= 2
    everything = wait_for_session(
        http,
        service,
        meeting_id,
        lambda s: s.get("cursor") == platform.total_chunks,
        "all live audio",
        stack,
        timeout=90,
    )
    assert everything["chunks"] == platform.total_chunks  # each seq recorded once

    finished = http.post(f"/v1/meetings/{meeting_id}/finish", json={}, headers=service)
    assert finished.status_code == 200, finished.text
    deadline = time.monotonic() + E2E_TIMEOUT_SEC
    meeting: dict[str, Any] = {}
    while time.monotonic() < deadline:
        meeting = http.get(f"/v1/meetings/{meeting_id}", headers=service).json()
        if meeting.get("status") == "done" and meeting.get("report"):
            break
        time.sleep(1)
    else:
        pytest.fail(f"not done in {E2E_TIMEOUT_SEC} s: {meeting}\n{stack.log_tail()}")
    assert "kafka" in meeting["raw_transcript"].lower()
    speakers = {segment["speaker"] for segment in meeting["segments"]}
    assert speakers == {"interviewer", "candidate"}, speakers
    left = wait_for_session(
        http, service, meeting_id, lambda s: s.get("state") == "left", "leave", stack
    )
    assert left["connected"] is False

    shown = subprocess.run(
        [IA, "events", "show", meeting_id, "--json"],
        env={**os.environ, "DATA_DIR": str(stack.data_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    events = [json.loads(line) for line in shown.stdout.splitlines() if line.strip()]
    seqs = [e["fields"]["seq"] for e in events if e["event_type"].endswith("ChunkReceived")]
    assert sorted(seqs) == list(range(platform.total_chunks))  # none lost, none twice


def test_a_failing_platform_opens_the_circuit_breaker_and_health_says_so(
    stack: Running, http: httpx.Client, platform: Platform
) -> None:
    service = bearer(stack, "service_jwt")
    assert http.get(f"{CONNECTOR}/health", headers=service).json()["healthy"] is True
    platform.faults(fail_5xx_count=10_000)
    try:
        deadline = time.monotonic() + 60
        health: dict[str, Any] = {}
        while time.monotonic() < deadline:
            health = http.get(f"{CONNECTOR}/health", headers=service).json()
            if health["details"].get("circuit_state") == "open":
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"the breaker did not open: {health}")
        assert health["healthy"] is False
        assert health["configured"] is True
    finally:
        platform.faults(fail_5xx_count=0)

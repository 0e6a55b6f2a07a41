"""The REST front door on real components: SQLite event store, group commit, chDB read model.

Requests go through ``httpx.ASGITransport`` into the app (``TestOverRealSocket`` uses a
real uvicorn server); projections are filled by the real projector over the stored
events (``ApiHarness.project``). Every answer is also checked against the OpenAPI
document's schema.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import io
import re
import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry

from interview_analytics.http.app import create_app
from interview_analytics.http.deps import ApiLimits
from interview_analytics.http.ports import DependencyUnavailableError
from interview_analytics.projections import security_audit
from interview_analytics.projections.queue_health import KNOWN_GROUPS
from interview_analytics.projections.store import ReadStore
from interview_analytics.streams.audit_sink import encode
from tests.api_schemas import assert_error, assert_matches
from tests.api_stack import (
    SERVICE,
    TENANT_A,
    TENANT_B,
    TEST_LIMITS,
    USER,
    ApiHarness,
    ServerThread,
    bearer,
)
from tests.factories import pcm, unique_meeting_id

GENERATED_ID = re.compile(r"mtg_\d{14}_[0-9a-f]{10}")


@pytest.fixture
async def client(api: ApiHarness) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=api.app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers=bearer(USER)
    ) as http:
        yield http


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def wav(seconds: float = 0.25) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(pcm(seconds))
    return buffer.getvalue()


async def start(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    body.setdefault("meeting_id", unique_meeting_id())
    body.setdefault("language", "en")
    response = await client.post("/v1/meetings/start", json=body)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


async def send_chunk(
    client: httpx.AsyncClient, meeting_id: str, seq: int, audio: bytes | None = None, **extra: Any
) -> httpx.Response:
    body = {"seq": seq, "content_b64": b64(audio if audio is not None else pcm(tone=300 + seq))}
    return await client.post(f"/v1/meetings/{meeting_id}/chunks", json={**body, **extra})


class TestStart:
    async def test_a_start_without_an_id_gets_a_generated_one(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post("/v1/meetings/start", json={"language": "en"})
        assert response.status_code == 200
        body = response.json()
        assert_matches("StartMeetingResponse", body)
        assert GENERATED_ID.fullmatch(body["meeting_id"])
        assert (body["status"], body["version"], body["created"]) == ("queued", 1, True)

    async def test_an_empty_body_is_a_start_with_every_default(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post("/v1/meetings/start", content=b"")
        assert response.status_code == 200
        body = response.json()
        assert (body["mode"], body["consent"], body["language"]) == ("realtime", "unknown", "ru")

    async def test_mode_language_and_recipients_are_stored(
        self, client: httpx.AsyncClient, api: ApiHarness
    ) -> None:
        started = await start(
            client,
            mode="postmeeting",
            language="EN",
            consent="granted",
            context={"vacancy": "backend"},
            recipients=["hr@example.com"],
        )
        assert (started["mode"], started["language"]) == ("postmeeting", "en")
        api.project()
        response = await client.get(f"/v1/meetings/{started['meeting_id']}")
        body = response.json()
        assert_matches("Meeting", body)
        assert body["source"] == "read_model"
        assert (body["mode"], body["language"], body["consent"]) == ("postmeeting", "en", "granted")
        assert body["recipients"] == ["hr@example.com"]
        assert body["context"] == {"vacancy": "backend"}
        assert body["status"] == "queued"

    async def test_an_identical_repeat_answers_the_original_and_a_different_one_409(
        self, client: httpx.AsyncClient
    ) -> None:
        first = await start(client, meeting_id="interview-42", recipients=["a@example.com"])
        again = await client.post(
            "/v1/meetings/start",
            json={"meeting_id": "interview-42", "language": "en", "recipients": ["a@example.com"]},
        )
        assert again.status_code == 200
        assert again.json()["created"] is False
        assert again.json()["version"] == first["version"]
        different = await client.post(
            "/v1/meetings/start",
            json={"meeting_id": "interview-42", "language": "en", "mode": "postmeeting"},
        )
        assert different.status_code == 409
        assert_error(different.json(), "meeting_already_exists")

    @pytest.mark.parametrize("meeting_id", ["a/b", "has space", "x" * 129, "", "..", "."])
    async def test_bad_meeting_ids_are_422(
        self, client: httpx.AsyncClient, meeting_id: str
    ) -> None:
        response = await client.post("/v1/meetings/start", json={"meeting_id": meeting_id})
        assert response.status_code == 422
        assert_error(response.json(), "invalid_meeting_id")

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"mode": "live"}, "mode"),
            ({"consent": "yes"}, "consent"),
            ({"language": 7}, "language"),
            ({"language": "english language"}, "language"),
            ({"context": []}, "context"),
            ({"recipients": "hr@example.com"}, "recipients"),
            ({"recipients": [1]}, "recipients"),
            ({"api_version": "v9"}, "api_version"),
        ],
    )
    async def test_every_field_is_validated(
        self, client: httpx.AsyncClient, body: dict[str, Any], field: str
    ) -> None:
        response = await client.post("/v1/meetings/start", json=body)
        assert response.status_code == 422
        assert_error(response.json(), "validation_error")
        assert response.json()["detail"]["details"]["field"] == field

    @pytest.mark.parametrize("language", ["ru", "auto"])
    async def test_a_language_the_model_cannot_do_is_422(
        self, tmp_path: Path, read_store: ReadStore, language: str
    ) -> None:
        from interview_analytics.domain.application import LanguagePolicy

        harness = ApiHarness(tmp_path / "h", read_store)
        harness.meetings.languages = LanguagePolicy("en", frozenset({"en"}))
        transport = httpx.ASGITransport(app=harness.app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
                response = await http.post(
                    "/v1/meetings/start", json={"language": language}, headers=bearer(USER)
                )
        finally:
            harness.close()
        assert response.status_code == 422
        assert_error(response.json(), "unsupported_language")
        assert response.json()["detail"]["details"]["supported"] == ["en"]
        assert "supported: en" in response.json()["detail"]["message"]

    async def test_a_multilingual_model_takes_auto_and_lists_its_languages_on_a_refusal(
        self, tmp_path: Path, read_store: ReadStore
    ) -> None:
        from interview_analytics.domain.application import LanguagePolicy
        from interview_analytics.streams.speech_models import model_languages

        harness = ApiHarness(tmp_path / "h", read_store)
        harness.meetings.languages = LanguagePolicy("ru", model_languages("base"))
        transport = httpx.ASGITransport(app=harness.app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
                auto = await http.post(
                    "/v1/meetings/start", json={"language": "auto"}, headers=bearer(USER)
                )
                refused = await http.post(
                    "/v1/meetings/start", json={"language": "tlh"}, headers=bearer(USER)
                )
        finally:
            harness.close()
        assert auto.status_code == 200, auto.text
        assert refused.status_code == 422
        supported = refused.json()["detail"]["details"]["supported"]
        assert {"ru", "en", "de"} <= set(supported)

    @pytest.mark.parametrize("raw", [b"{", b"[1,", b'{"a": NaN}', b"\xff\xfe", b"[" * 10_000])
    async def test_invalid_json_is_400(self, client: httpx.AsyncClient, raw: bytes) -> None:
        response = await client.post("/v1/meetings/start", content=raw)
        assert response.status_code == 400
        assert_error(response.json(), "bad_json")

    async def test_a_body_that_is_not_an_object_is_422(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/v1/meetings/start", json=["meeting"])
        assert response.status_code == 422
        assert_error(response.json(), "validation_error")


class TestChunks:
    async def test_a_chunk_is_accepted_with_its_version(self, client: httpx.AsyncClient) -> None:
        meeting_id = (await start(client))["meeting_id"]
        response = await send_chunk(client, meeting_id, 0, idempotency_key="k0", speaker_hint="A")
        assert response.status_code == 200
        body = response.json()
        assert_matches("ChunkResponse", body)
        assert body["accepted"] is True
        assert (body["meeting_id"], body["seq"], body["idempotency_key"]) == (meeting_id, 0, "k0")
        assert (body["duplicate"], body["version"]) == (False, 2)
        assert body["blob_key"].startswith(f"meetings/{meeting_id}/chunks/")

    async def test_an_unknown_meeting_is_404(self, client: httpx.AsyncClient) -> None:
        response = await send_chunk(client, unique_meeting_id(), 0)
        assert response.status_code == 404
        assert_error(response.json(), "meeting_not_found")

    async def test_a_finished_meeting_is_409(self, client: httpx.AsyncClient) -> None:
        meeting_id = (await start(client))["meeting_id"]
        assert (await client.post(f"/v1/meetings/{meeting_id}/finish")).status_code == 200
        response = await send_chunk(client, meeting_id, 0)
        assert response.status_code == 409
        assert_error(response.json(), "meeting_finished")

    async def test_undecodable_base64_is_400(self, client: httpx.AsyncClient) -> None:
        meeting_id = (await start(client))["meeting_id"]
        response = await client.post(
            f"/v1/meetings/{meeting_id}/chunks", json={"seq": 0, "content_b64": "***not base64"}
        )
        assert response.status_code == 400
        assert_error(response.json(), "bad_base64")
        assert response.json()["detail"]["details"]["field"] == "content_b64"

    async def test_bad_audio_is_422_and_a_retry_with_the_same_key_still_works(
        self, client: httpx.AsyncClient
    ) -> None:
        meeting_id = (await start(client))["meeting_id"]
        odd = await send_chunk(client, meeting_id, 0, b"\x01\x02\x03", idempotency_key="k")
        assert odd.status_code == 422
        assert_error(odd.json(), "invalid_audio")
        retried = await send_chunk(client, meeting_id, 0, idempotency_key="k")
        assert retried.status_code == 200
        assert retried.json()["duplicate"] is False

    async def test_container_audio_is_probed_and_garbage_refused(
        self, client: httpx.AsyncClient, api: ApiHarness
    ) -> None:
        meeting_id = (await start(client))["meeting_id"]
        good = await send_chunk(client, meeting_id, 0, wav(0.25), codec="wav")
        assert good.status_code == 200, good.text
        assert api.meetings.get(meeting_id).chunks[0].duration_sec == pytest.approx(0.25)
        bad = await send_chunk(client, meeting_id, 1, b"RIFF....not a wav", codec="wav")
        assert bad.status_code == 422
        assert_error(bad.json(), "invalid_audio")

    async def test_a_repeat_answers_the_original_and_says_so(
        self, client: httpx.AsyncClient
    ) -> None:
        meeting_id = (await start(client))["meeting_id"]
        first = (await send_chunk(client, meeting_id, 0, idempotency_key="k0")).json()
        by_key = (await send_chunk(client, meeting_id, 0, idempotency_key="k0")).json()
        by_bytes = (await send_chunk(client, meeting_id, 0)).json()
        for repeat in (by_key, by_bytes):
            assert repeat["duplicate"] is True
            assert (repeat["version"], repeat["blob_key"]) == (first["version"], first["blob_key"])

    async def test_the_same_seq_with_other_bytes_is_409(self, client: httpx.AsyncClient) -> None:
        meeting_id = (await start(client))["meeting_id"]
        await send_chunk(client, meeting_id, 0)
        response = await send_chunk(client, meeting_id, 0, pcm(tone=999))
        assert response.status_code == 409
        assert_error(response.json(), "chunk_conflict")
        key_reused = await send_chunk(client, meeting_id, 1, idempotency_key="x")
        assert key_reused.status_code == 200
        other = await send_chunk(client, meeting_id, 2, idempotency_key="x")
        assert other.status_code == 409
        assert_error(other.json(), "idempotency_key_conflict")

    async def test_oversized_chunks_and_bodies_are_413(self, client: httpx.AsyncClient) -> None:
        meeting_id = (await start(client))["meeting_id"]
        big_chunk = b"\x00" * (TEST_LIMITS.max_chunk_bytes + 2)
        response = await send_chunk(client, meeting_id, 0, big_chunk)
        assert response.status_code == 413
        assert_error(response.json(), "chunk_too_large")
        huge_body = b'{"seq": 0, "content_b64": "' + b"A" * TEST_LIMITS.max_request_body_bytes
        response = await client.post(f"/v1/meetings/{meeting_id}/chunks", content=huge_body)
        assert response.status_code == 413
        assert_error(response.json(), "payload_too_large")

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"content_b64": "AAAA"}, "seq"),
            ({"seq": -1, "content_b64": "AAAA"}, "seq"),
            ({"seq": "1", "content_b64": "AAAA"}, "seq"),
            ({"seq": True, "content_b64": "AAAA"}, "seq"),
            ({"seq": 1.5, "content_b64": "AAAA"}, "seq"),
            ({"seq": 0}, "content_b64"),
            ({"seq": 0, "content_b64": "AAAA", "codec": "aac"}, "codec"),
            ({"seq": 0, "content_b64": "AAAA", "sample_rate": 100}, "sample_rate"),
            ({"seq": 0, "content_b64": "AAAA", "channels": 3}, "channels"),
            ({"seq": 0, "content_b64": "AAAA", "idempotency_key": ""}, "idempotency_key"),
            ({"seq": 0, "content_b64": "AAAA", "speaker_hint": "x" * 201}, "speaker_hint"),
        ],
    )
    async def test_every_field_is_validated(
        self, client: httpx.AsyncClient, body: dict[str, Any], field: str
    ) -> None:
        meeting_id = (await start(client))["meeting_id"]
        response = await client.post(f"/v1/meetings/{meeting_id}/chunks", json=body)
        assert response.status_code == 422
        assert response.json()["detail"]["details"]["field"] == field

    async def test_a_bad_meeting_id_in_the_path_is_422(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/v1/meetings/bad%20id/chunks", json={"seq": 0})
        assert response.status_code == 422
        assert_error(response.json(), "invalid_meeting_id")


class TestGet:
    async def test_an_unknown_meeting_is_404(self, client: httpx.AsyncClient) -> None:
        response = await client.get(f"/v1/meetings/{unique_meeting_id()}")
        assert response.status_code == 404
        assert_error(response.json(), "meeting_not_found")

    async def test_the_write_model_answers_until_the_read_model_has_the_meeting(
        self, client: httpx.AsyncClient, api: ApiHarness
    ) -> None:
        meeting_id = (await start(client))["meeting_id"]
        await send_chunk(client, meeting_id, 0)
        early = await client.get(f"/v1/meetings/{meeting_id}")
        assert early.status_code == 200
        assert_matches("Meeting", early.json())
        assert early.json()["source"] == "write_model"
        assert (early.json()["status"], early.json()["chunks_received"]) == ("processing", 1)
        api.project()
        late = (await client.get(f"/v1/meetings/{meeting_id}")).json()
        assert late["source"] == "read_model"
        assert (late["version"], late["chunks_received"]) == (2, 1)
        for key in ("raw_transcript", "enhanced_transcript", "report", "segments", "metrics"):
            assert key in late

    @pytest.mark.parametrize(
        ("projected_after_sec", "wait_ms", "source"),
        [(0.3, 2500, "read_model"), (None, 50, "write_model")],
        ids=["the-read-model-catches-up-within-the-wait", "it-stays-behind"],
    )
    async def test_min_version_waits_for_the_read_model_else_the_write_model_answers(
        self,
        client: httpx.AsyncClient,
        api: ApiHarness,
        projected_after_sec: float | None,
        wait_ms: int,
        source: str,
    ) -> None:
        meeting_id = (await start(client))["meeting_id"]
        api.project()
        version = (await send_chunk(client, meeting_id, 0)).json()["version"]

        async def project_later() -> None:
            if projected_after_sec is not None:
                await asyncio.sleep(projected_after_sec)
                await asyncio.to_thread(api.project)

        projecting = asyncio.create_task(project_later())
        response = await client.get(
            f"/v1/meetings/{meeting_id}", params={"min_version": version, "wait_ms": wait_ms}
        )
        await projecting
        body = response.json()
        assert (body["source"], body["version"]) == (source, version)

    @pytest.mark.parametrize("params", [{"min_version": "0"}, {"wait_ms": "-1"}, {"wait_ms": "x"}])
    async def test_query_parameters_are_validated(
        self, client: httpx.AsyncClient, params: dict[str, str]
    ) -> None:
        response = await client.get(f"/v1/meetings/{unique_meeting_id()}", params=params)
        assert response.status_code == 422
        assert_error(response.json(), "validation_error")


class TestListAndFinish:
    async def test_pages_follow_the_cursor_newest_first(
        self, client: httpx.AsyncClient, api: ApiHarness
    ) -> None:
        ids = [(await start(client, language="en"))["meeting_id"] for _ in range(3)]
        await client.post(f"/v1/meetings/{ids[0]}/finish")
        api.project()
        first = await client.get("/v1/meetings", params={"limit": 2})
        assert first.status_code == 200
        assert_matches("MeetingList", first.json())
        page = first.json()
        assert [item["meeting_id"] for item in page["items"]] == ids[::-1][:2]
        second = (
            await client.get("/v1/meetings", params={"limit": 2, "cursor": page["next_cursor"]})
        ).json()
        assert [item["meeting_id"] for item in second["items"]] == [ids[0]]
        assert second["next_cursor"] is None
        finalizing = (await client.get("/v1/meetings", params={"status": "finalizing"})).json()
        assert [item["meeting_id"] for item in finalizing["items"]] == [ids[0]]

    @pytest.mark.parametrize(
        ("params", "status", "code"),
        [
            ({"cursor": "not-a-cursor"}, 400, "bad_cursor"),
            ({"limit": "0"}, 422, "validation_error"),
            ({"limit": "501"}, 422, "validation_error"),
            ({"status": "running"}, 422, "validation_error"),
            ({"started_from": "yesterday"}, 422, "validation_error"),
        ],
    )
    async def test_bad_filters_are_refused(
        self, client: httpx.AsyncClient, params: dict[str, str], status: int, code: str
    ) -> None:
        response = await client.get("/v1/meetings", params=params)
        assert response.status_code == status
        assert_error(response.json(), code)

    async def test_started_filters_take_iso_times(
        self, client: httpx.AsyncClient, api: ApiHarness
    ) -> None:
        meeting_id = (await start(client))["meeting_id"]
        api.project()
        found = await client.get("/v1/meetings", params={"started_from": "2000-01-01T00:00:00Z"})
        assert meeting_id in [item["meeting_id"] for item in found.json()["items"]]
        none = await client.get("/v1/meetings", params={"started_to": "2000-01-01T00:00:00+00:00"})
        assert none.json()["items"] == []

    async def test_finish_is_idempotent(self, client: httpx.AsyncClient) -> None:
        meeting_id = (await start(client))["meeting_id"]
        first = await client.post(f"/v1/meetings/{meeting_id}/finish", json={"reason": "done"})
        assert first.status_code == 200
        assert_matches("FinishResponse", first.json())
        assert (first.json()["status"], first.json()["duplicate"]) == ("finalizing", False)
        again = (await client.post(f"/v1/meetings/{meeting_id}/finish")).json()
        assert (again["duplicate"], again["version"]) == (True, first.json()["version"])
        unknown = await client.post(f"/v1/meetings/{unique_meeting_id()}/finish")
        assert unknown.status_code == 404


class TestTenants:
    async def test_a_tenant_sees_only_its_own_meetings(
        self, client: httpx.AsyncClient, api: ApiHarness
    ) -> None:
        mine = (await start(client))["meeting_id"]
        started = await client.post(
            "/v1/meetings/start", json={"language": "en"}, headers=bearer(TENANT_A)
        )
        theirs = started.json()["meeting_id"]
        assert started.json()["tenant"] == "a"
        api.project()
        other = bearer(TENANT_B)
        assert (await client.get(f"/v1/meetings/{theirs}", headers=other)).status_code == 404
        chunk = await client.post(
            f"/v1/meetings/{theirs}/chunks",
            json={"seq": 0, "content_b64": b64(pcm())},
            headers=other,
        )
        assert chunk.status_code == 404
        assert (
            await client.post(f"/v1/meetings/{theirs}/finish", headers=other)
        ).status_code == 404
        listed_b = (await client.get("/v1/meetings", headers=other)).json()["items"]
        assert listed_b == []
        listed_a = (await client.get("/v1/meetings", headers=bearer(TENANT_A))).json()["items"]
        assert [item["meeting_id"] for item in listed_a] == [theirs]
        service = (await client.get("/v1/meetings", headers=bearer(SERVICE))).json()["items"]
        assert {item["meeting_id"] for item in service} == {mine, theirs}
        taken = await client.post(
            "/v1/meetings/start", json={"meeting_id": theirs, "language": "en"}, headers=other
        )
        assert taken.status_code == 409
        assert "existing" not in taken.json()["detail"]["details"]


class TestAuthAndAdmin:
    async def test_no_credentials_is_401_with_a_challenge_and_an_audit_record(
        self, client: httpx.AsyncClient, api: ApiHarness
    ) -> None:
        meeting_id = unique_meeting_id()
        del client.headers["Authorization"]
        response = await client.get(f"/v1/meetings/{meeting_id}")
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert_error(response.json(), "missing_credentials")
        denied = api.audit.decisions[-1]
        assert (denied.allowed, denied.endpoint, denied.status_code) == (
            False,
            "/v1/meetings/{meeting_id}",
            401,
        )
        assert (denied.subject, denied.meeting_id, denied.method) == (
            "anonymous",
            meeting_id,
            "GET",
        )

    async def test_every_v1_request_is_audited(
        self, client: httpx.AsyncClient, api: ApiHarness
    ) -> None:
        await client.get("/health")
        await start(client)
        allowed = api.audit.decisions
        assert [(d.allowed, d.endpoint, d.subject) for d in allowed] == [
            (True, "/v1/meetings/start", "alice")
        ]
        assert allowed[0].request_id

    async def test_admin_routes_are_for_services(
        self, client: httpx.AsyncClient, api: ApiHarness
    ) -> None:
        refused = await client.get("/v1/admin/queues/health")
        assert refused.status_code == 403
        assert_matches("Error", refused.json())
        assert api.audit.decisions[-1].error_code == refused.json()["detail"]["code"]
        response = await client.get("/v1/admin/queues/health", headers=bearer(SERVICE))
        assert response.status_code == 200
        body = response.json()
        assert_matches("QueueHealth", body)
        groups = {row["group"]: row for row in body["queues"]}
        assert set(KNOWN_GROUPS) <= set(groups)
        for row in groups.values():
            assert (row["depth"], row["pending"], row["dlq_depth"]) == (0, 0, 0)
        letters = await client.get("/v1/admin/dead-letters", headers=bearer(SERVICE))
        assert letters.status_code == 200
        assert_matches("DeadLetters", letters.json())
        bad = await client.get(
            "/v1/admin/dead-letters", params={"stage": "x"}, headers=bearer(SERVICE)
        )
        assert bad.status_code == 422

    async def test_the_security_audit_shows_decisions_with_filters(
        self, client: httpx.AsyncClient, api: ApiHarness, read_store: ReadStore
    ) -> None:
        await start(client)
        await client.get("/v1/meetings", headers={"Authorization": "Bearer wrong"})
        # What the projector does with the security-audit topic's messages.
        messages = [encode(decision) for decision in api.audit.decisions]
        read_store.insert(security_audit.TABLE, security_audit.rows_from_messages(messages))
        response = await client.get(
            "/v1/admin/security/audit", params={"allowed": "false"}, headers=bearer(SERVICE)
        )
        assert response.status_code == 200, response.text
        assert_matches("SecurityAudit", response.json())
        (denied,) = response.json()["decisions"]
        assert (denied["endpoint"], denied["status_code"], denied["error_code"]) == (
            "/v1/meetings",
            401,
            "invalid_token",
        )
        bad = await client.get(
            "/v1/admin/security/audit", params={"since": "soon"}, headers=bearer(SERVICE)
        )
        assert bad.status_code == 422

    async def test_with_auth_off_the_admin_api_is_usable(
        self, tmp_path: Path, read_store: ReadStore
    ) -> None:
        harness = ApiHarness(tmp_path / "open", read_store, no_auth=True)
        transport = httpx.ASGITransport(app=harness.app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
                response = await http.get("/v1/admin/queues/health")
        finally:
            harness.close()
        assert response.status_code == 200
        assert harness.audit.decisions[-1].auth_type == "none"


class TestErrorsMetricsReadiness:
    @pytest.mark.parametrize(
        ("method", "path", "status", "code"),
        [
            ("GET", "/nowhere", 404, "not_found"),
            ("GET", "/v1/meetings/x/chunks", 405, "method_not_allowed"),
            ("DELETE", "/v1/meetings", 405, "method_not_allowed"),
            ("POST", "/health", 405, "method_not_allowed"),
        ],
    )
    async def test_routing_errors_have_the_error_body(
        self, client: httpx.AsyncClient, method: str, path: str, status: int, code: str
    ) -> None:
        response = await client.request(method, path)
        assert response.status_code == status
        assert_error(response.json(), code)

    async def test_metrics_are_labelled_by_route_template(self, client: httpx.AsyncClient) -> None:
        meeting_id = (await start(client))["meeting_id"]
        await client.get(f"/v1/meetings/{meeting_id}")
        await client.get("/nowhere/else")
        text = (await client.get("/metrics")).text
        assert meeting_id not in text
        assert "/nowhere" not in text
        assert (
            'agent_requests_total{method="GET",route="/v1/meetings/{meeting_id}",'
            'service="ia-api",status="200"} 1.0' in text
        )
        assert 'route="<unmatched>"' in text
        assert "agent_http_request_latency_ms_bucket" in text

    async def test_readiness_reports_each_dependency(
        self, tmp_path: Path, read_store: ReadStore
    ) -> None:
        async def fine() -> None:
            return None

        async def broken() -> None:
            raise ConnectionError("broker unreachable")

        async def hangs() -> None:
            await asyncio.sleep(60)

        checks = {"event_store": fine, "broker": broken, "clickhouse": fine, "speech_model": hangs}
        limits = ApiLimits(readiness_timeout_sec=0.2)
        harness = ApiHarness(tmp_path / "r", read_store, readiness=checks, limits=limits)
        transport = httpx.ASGITransport(app=harness.app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
                response = await http.get("/ready")
                health = await http.get("/health")
        finally:
            harness.close()
        assert response.status_code == 503
        body = response.json()
        assert_matches("Ready", body)
        assert body["ready"] is False
        assert body["checks"]["event_store"]["ok"] is True
        assert "broker unreachable" in body["checks"]["broker"]["error"]
        assert "no answer" in body["checks"]["speech_model"]["error"]
        assert body["detail"]["details"]["failing"] == ["broker", "speech_model"]
        assert health.json() == {"ok": True}

    async def test_ready_when_every_check_passes(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/ready")
        assert (response.status_code, response.json()["ready"]) == (200, True)


class ReadStoreDownDouble:
    """TEST DOUBLE of ``http.ports.MeetingReads`` whose every read fails as a store that is
    down does (``ops.read_errors`` turns ``ReadStoreError`` into this)."""

    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise DependencyUnavailableError("clickhouse", "the read store failed")

        return fail


class TestDegradedAndCors:
    async def test_a_read_store_that_is_down_is_503_and_get_falls_back(
        self, api: ApiHarness
    ) -> None:
        app = create_app(
            dataclasses.replace(api.deps, reads=ReadStoreDownDouble(), registry=CollectorRegistry())
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://api", headers=bearer(USER)
        ) as http:
            meeting_id = (await start(http))["meeting_id"]
            got = await http.get(f"/v1/meetings/{meeting_id}")
            listed = await http.get("/v1/meetings")
        assert (got.status_code, got.json()["source"]) == (200, "write_model")
        assert listed.status_code == 503
        assert listed.headers["Retry-After"]
        assert_error(listed.json(), "dependency_unavailable")
        assert listed.json()["detail"]["details"] == {"dependency": "clickhouse"}

    async def test_cors_headers_only_for_configured_origins(self, api: ApiHarness) -> None:
        origin = "https://recruiting.example"
        app = create_app(
            dataclasses.replace(
                api.deps, cors_allowed_origins=(origin,), registry=CollectorRegistry()
            )
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
            preflight = await http.options(
                "/v1/meetings/start",
                headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
            )
            other = await http.get("/health", headers={"Origin": "https://elsewhere.example"})
        assert preflight.headers["access-control-allow-origin"] == origin
        assert "access-control-allow-origin" not in other.headers


class TestOverRealSocket:
    """The same app on a real uvicorn server and socket."""

    def test_health_request_ids_and_the_body_limit(self, api: ApiHarness) -> None:
        with ServerThread(api.app) as server, httpx.Client(base_url=server.base_url) as http:
            health = http.get("/health", headers={"X-Request-ID": "req-1"})
            assert health.json() == {"ok": True}
            assert health.headers["X-Request-ID"] == "req-1"
            started = http.post("/v1/meetings/start", json={"language": "en"}, headers=bearer(USER))
            assert started.status_code == 200
            meeting_id = started.json()["meeting_id"]
            declared = http.post(
                f"/v1/meetings/{meeting_id}/chunks",
                content=b"x" * (TEST_LIMITS.max_request_body_bytes + 1),
                headers={**bearer(USER), "Content-Type": "application/json"},
            )
            assert declared.status_code == 413
            assert_error(declared.json(), "payload_too_large")

            def endless() -> Iterator[bytes]:
                yield b'{"seq": 0, "content_b64": "'
                for _ in range(100):
                    yield b"A" * 4096

            streamed = http.post(
                f"/v1/meetings/{meeting_id}/chunks", content=endless(), headers=bearer(USER)
            )
            assert streamed.status_code == 413
            accepted = http.post(
                f"/v1/meetings/{meeting_id}/chunks",
                json={"seq": 0, "content_b64": b64(pcm())},
                headers=bearer(USER),
            )
            assert accepted.json()["accepted"] is True

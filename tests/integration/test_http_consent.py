"""Consent and least exposure over real HTTP and WebSocket (a uvicorn server on loopback,
the SQLite event store, the projector into chDB): a denied meeting's audio is refused with
403 ``consent_denied`` and nothing is stored; ``PATCH /v1/meetings/{id}`` records every
consent change (event stream, event log, security audit); the raw transcript and words go
only to identities allowed to read personal data."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from interview_analytics.domain.commands import RecordEnhancement, RecordReport, RecordTranscript
from interview_analytics.domain.meeting import Meeting
from tests.api_schemas import assert_error, assert_matches
from tests.api_stack import PII_READER, SERVICE, TENANT_B, USER, ApiHarness, ServerThread, bearer
from tests.factories import pcm, segment, unique_meeting_id

PHONE = "+7 912 345 67 89"
EMAIL = "ivan.petrov@example.com"
SPOKEN = f"call me on {PHONE} or write to {EMAIL} please"


@pytest.fixture
def server(api: ApiHarness) -> Iterator[ServerThread]:
    with ServerThread(api.app) as running:
        yield running


def client(server: ServerThread, token: str) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, headers=bearer(token), timeout=20)


def started(http: httpx.Client, consent: str = "unknown") -> str:
    meeting_id = unique_meeting_id("consent")
    body = {"meeting_id": meeting_id, "language": "en", "consent": consent}
    answer = http.post("/v1/meetings/start", json=body)
    assert answer.status_code == 200, answer.text
    return meeting_id


def chunk_body(seq: int) -> dict[str, Any]:
    return {"seq": seq, "content_b64": base64.b64encode(pcm(tone=300 + seq)).decode()}


def stored_blobs(api: ApiHarness) -> list[Path]:
    return [p for p in api.blob_dir.rglob("*") if p.is_file()] if api.blob_dir.exists() else []


def event_types(api: ApiHarness, meeting_id: str) -> list[str]:
    return [type(e).__name__ for e in api.meetings.stream(meeting_id)]


# ---------------------------------------------------------------------- denied


def test_a_denied_meeting_refuses_rest_audio_with_403_and_stores_nothing(
    server: ServerThread, api: ApiHarness
) -> None:
    with client(server, USER) as http:
        meeting_id = started(http, "denied")
        refused = http.post(f"/v1/meetings/{meeting_id}/chunks", json=chunk_body(0))
        assert refused.status_code == 403
        assert_error(refused.json(), "consent_denied")
        assert http.get(f"/v1/meetings/{meeting_id}").json()["raw_transcript"] == ""
    assert event_types(api, meeting_id) == ["Started"]
    assert stored_blobs(api) == []


def test_a_denied_meeting_refuses_websocket_audio_and_stores_nothing(
    server: ServerThread, api: ApiHarness
) -> None:
    with client(server, USER) as http:
        meeting_id = started(http, "denied")
    frame = {
        "event_type": "audio.chunk",
        "meeting_id": meeting_id,
        "schema_version": "v1",
        "codec": "pcm",
        "sample_rate": 16000,
        "channels": 1,
        **chunk_body(0),
    }
    with connect(f"{server.ws_url}/v1/ws", additional_headers=bearer(USER)) as ws:
        ws.send(json.dumps(frame))
        error = json.loads(ws.recv(timeout=10))
    assert (error["event_type"], error["code"]) == ("error", "consent_denied")
    assert error["details"]["status"] == 403
    assert event_types(api, meeting_id) == ["Started"]
    assert stored_blobs(api) == []


# ---------------------------------------------------------------------- PATCH


def test_every_consent_change_is_an_event_in_the_audit_trail(
    server: ServerThread, api: ApiHarness
) -> None:
    with client(server, USER) as http:
        meeting_id = started(http)
        path = f"/v1/meetings/{meeting_id}"
        granted = http.patch(path, json={"consent": "granted"})
        assert granted.status_code == 200, granted.text
        assert_matches("UpdateMeetingResponse", granted.json())
        body = granted.json()
        assert (body["consent"], body["previous_consent"], body["duplicate"]) == (
            "granted",
            "unknown",
            False,
        )
        repeat = http.patch(path, json={"consent": "granted"}).json()
        assert repeat["duplicate"] is True
        assert http.patch(path, json={"consent": "unknown"}).status_code == 200
        for bad in ({"consent": "maybe"}, {}):
            refused = http.patch(path, json=bad)
            assert refused.status_code == 422, refused.text
        unknown = http.patch(f"/v1/meetings/{unique_meeting_id()}", json={"consent": "granted"})
        assert unknown.status_code == 404
        assert_error(unknown.json(), "meeting_not_found")
    with client(server, TENANT_B) as other:
        assert other.patch(path, json={"consent": "denied"}).status_code == 404

    changes = [e for e in api.meetings.stream(meeting_id) if isinstance(e, Meeting.ConsentChanged)]
    assert [(e.previous, e.consent, e.actor) for e in changes] == [
        ("unknown", "granted", "alice"),
        ("granted", "unknown", "alice"),
    ]
    api.project()
    logged = api.store.query_rows(
        f"SELECT event_type FROM {api.store.table('event_log')} FINAL"  # noqa: S608
        " WHERE meeting_id = {m:String} ORDER BY version",
        {"m": meeting_id},
    )
    assert [row["event_type"] for row in logged].count("ia.meeting.ConsentChanged") == 2
    patches = [d for d in api.audit.decisions if d.method == "PATCH"]
    assert sum(d.allowed for d in patches) >= 3
    assert any(not d.allowed and d.subject == "bob" for d in patches) or len(patches) >= 6


def test_denial_after_audio_erases_the_meeting(server: ServerThread, api: ApiHarness) -> None:
    with client(server, USER) as http:
        meeting_id = started(http)
        sent = http.post(f"/v1/meetings/{meeting_id}/chunks", json=chunk_body(0))
        assert sent.status_code == 200, sent.text
        assert stored_blobs(api)
        denied = http.patch(f"/v1/meetings/{meeting_id}", json={"consent": "denied"})
        assert denied.status_code == 200, denied.text
        assert denied.json()["erased"] is True
        gone = http.get(f"/v1/meetings/{meeting_id}")
        assert gone.status_code == 410
        assert_error(gone.json(), "meeting_erased")
    assert stored_blobs(api) == []
    types = event_types(api, meeting_id)
    assert types.index("ConsentChanged") < types.index("Erased")


# ---------------------------------------------------------------------- least exposure


def transcribed(api: ApiHarness, http: httpx.Client) -> str:
    """A finished meeting whose final transcript holds a phone number and an e-mail."""
    meeting_id = started(http, "granted")
    assert http.post(f"/v1/meetings/{meeting_id}/chunks", json=chunk_body(0)).status_code == 200
    assert http.post(f"/v1/meetings/{meeting_id}/finish").status_code == 200
    line = segment(0.0, 4.0, SPOKEN, "seg0")
    line["words"] = [
        {"word": f" {w}", "start_sec": i * 0.2, "end_sec": i * 0.2 + 0.2, "probability": 0.9}
        for i, w in enumerate(SPOKEN.split())
    ]
    api.meetings.record_transcript(
        RecordTranscript(
            meeting_id=meeting_id, input_version=api.meetings.get(meeting_id).finished_version or 0,
            seqs=[0], segments=[line], final=True, model="tiny.en", language="en",
            audio_sec=4.0, processing_sec=0.1,
        )
    )  # fmt: skip
    return meeting_id


@pytest.mark.parametrize("projected", [False, True], ids=["write_model", "read_model"])
def test_raw_text_and_words_only_for_identities_that_may_read_personal_data(
    server: ServerThread, api: ApiHarness, projected: bool
) -> None:
    with client(server, SERVICE) as service:
        meeting_id = transcribed(api, service)
    if projected:
        api.project()
    answers: dict[str, dict[str, Any]] = {}
    for token in (USER, PII_READER, SERVICE, USER):  # the user again: after the cache filled
        with client(server, token) as http:
            got = http.get(f"/v1/meetings/{meeting_id}")
            assert got.status_code == 200, got.text
            assert_matches("Meeting", got.json())
            answers[token] = got.json()
    for token in (PII_READER, SERVICE):
        document = answers[token]
        assert PHONE in document["raw_transcript"]
        assert EMAIL in document["raw_transcript"]
        assert document["segments"][0]["text"] == SPOKEN
        assert len(document["segments"][0]["words"]) == len(SPOKEN.split())
    plain = answers[USER]
    assert "[PHONE]" in plain["raw_transcript"]
    assert "[EMAIL]" in plain["raw_transcript"]
    assert "call me on" in plain["raw_transcript"]
    for document_text in (json.dumps(plain), plain["raw_transcript"]):
        assert "912" not in document_text
        assert EMAIL not in document_text
    assert plain["segments"][0]["words"] == []


def test_report_pages_mask_the_transcript_for_a_plain_user(
    server: ServerThread, api: ApiHarness
) -> None:
    with client(server, SERVICE) as service:
        meeting_id = transcribed(api, service)
    # A report as stored before quotes were masked: its evidence quotes the raw text.
    quoted = {"speaker": "S1", "start_sec": 0.0, "end_sec": 4.0, "quote": SPOKEN}
    report = {
        "summary": "s",
        "bullets": [],
        "risk_flags": ["Shared contact details"],
        "risk_flags_evidence": [[quoted]],
        "recommendation": "r",
    }
    meeting = api.meetings.get(meeting_id)

    api.meetings.record_enhancement(
        RecordEnhancement(
            meeting_id=meeting_id, input_version=meeting.version, text=SPOKEN,
            segments=[{"speaker": "S1", "start_sec": 0.0, "end_sec": 4.0, "text": SPOKEN}],
            final=True, pii_masked=False,
        )
    )  # fmt: skip
    enhanced = api.meetings.get(meeting_id).version
    api.meetings.record_report(
        RecordReport(meeting_id=meeting_id, input_version=enhanced, report=report, final=True)
    )
    pages = {}
    for token in (USER, PII_READER):
        with client(server, token) as http:
            page = http.get(f"/v1/meetings/{meeting_id}/report.md")
            assert page.status_code == 200, page.text
            pages[token] = page.text
    assert "912" in pages[PII_READER]
    assert "example" in pages[PII_READER]
    assert "912" not in pages[USER]
    assert "example" not in pages[USER]
    assert "PHONE" in pages[USER]

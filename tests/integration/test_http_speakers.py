"""``POST /v1/meetings/{id}/speakers`` on real components: the SQLite event store, the real
enhancer and reporter in-process (``tests.text_stages``), the projector into chDB, and the
meeting document read back over HTTP (``httpx.ASGITransport`` into the app). Every answer is
checked against the OpenAPI document. The final transcript is recorded the way the
transcriber records it, so no speech model is loaded."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from interview_analytics.domain.commands import RecordTranscript
from interview_analytics.http.meeting_document import from_write_model
from tests.api_schemas import assert_error, assert_matches
from tests.api_stack import USER, ApiHarness, bearer
from tests.factories import pcm, segment, unique_meeting_id
from tests.integration.test_http_api import b64
from tests.text_stages import TextStages

LINES = [
    ("S1", 0.0, 3.0, "Tell me about your last project?"),
    ("S2", 3.5, 12.0, "I built a payment service and owned its architecture."),
    ("S1", 12.5, 15.0, "What was the hardest part of it?"),
    ("S2", 15.5, 25.0, "Scaling the queue. I moved it to Kafka and measured the latency."),
]
SWAP = {
    "speakers": [
        {"label": "S1", "name": "Anna", "role": "candidate"},
        {"label": "S2", "name": "Boris", "role": "interviewer"},
    ]
}


@pytest.fixture
async def client(api: ApiHarness) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=api.app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers=bearer(USER)
    ) as http:
        yield http


async def hinted_meeting(client: httpx.AsyncClient) -> str:
    """Started and given one chunk per speaker hint, over HTTP; not finished."""
    meeting_id = unique_meeting_id("speakers")
    body = {"meeting_id": meeting_id, "language": "en"}
    started = await client.post("/v1/meetings/start", json=body)
    assert started.status_code == 200, started.text
    for seq, hint in enumerate(("S1", "S2")):
        chunk = {"seq": seq, "content_b64": b64(pcm(tone=300 + seq)), "speaker_hint": hint}
        sent = await client.post(f"/v1/meetings/{meeting_id}/chunks", json=chunk)
        assert sent.status_code == 200, sent.text
    return meeting_id


async def finished_meeting(client: httpx.AsyncClient, api: ApiHarness) -> str:
    """Finished over HTTP, with the final transcript the transcriber would record from the
    hinted chunks (S1 asks, S2 answers)."""
    meeting_id = await hinted_meeting(client)
    finished = await client.post(f"/v1/meetings/{meeting_id}/finish")
    assert finished.status_code == 200, finished.text
    segments = []
    for index, (speaker, start_sec, end_sec, text) in enumerate(LINES):
        line = segment(start_sec, end_sec, text, f"seg{index}")
        line["speaker"] = speaker
        segments.append(line)
    api.meetings.record_transcript(
        RecordTranscript(
            meeting_id=meeting_id, input_version=api.meetings.get(meeting_id).finished_version or 0,
            seqs=[0, 1], segments=segments, final=True, model="tiny.en", language="en",
            audio_sec=25.0, processing_sec=1.0,
        )
    )  # fmt: skip
    return meeting_id


def stored_kinds(api: ApiHarness, meeting_id: str) -> Counter[str]:
    return Counter(type(event).__name__ for event in api.meetings.stream(meeting_id))


async def document(client: httpx.AsyncClient, api: ApiHarness, meeting_id: str) -> dict[str, Any]:
    api.project()
    response = await client.get(f"/v1/meetings/{meeting_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert_matches("Meeting", body)
    assert body["source"] == "read_model"
    return body


async def test_renaming_and_re_roling_derives_the_transcript_and_report_again(
    client: httpx.AsyncClient, api: ApiHarness
) -> None:
    stages = TextStages(api.meetings)
    meeting_id = await finished_meeting(client, api)
    await stages.drain()
    first = await document(client, api, meeting_id)
    assert first["report"]["roles"]["candidate"] == "S2"  # inferred: S1 asks the questions
    assert {(s["speaker"], s["speaker_label"]) for s in first["segments"]} == {
        ("S1", "S1"),
        ("S2", "S2"),
    }
    before = stored_kinds(api, meeting_id)

    response = await client.post(f"/v1/meetings/{meeting_id}/speakers", json=SWAP)

    assert response.status_code == 200, response.text
    answer = response.json()
    assert_matches("EditSpeakersResponse", answer)
    assert (answer["meeting_id"], answer["duplicate"]) == (meeting_id, False)
    assert {(s["label"], s["name"], s["role"]) for s in answer["speakers"]} == {
        ("S1", "Anna", "candidate"),
        ("S2", "Boris", "interviewer"),
    }
    await stages.drain()
    assert stages.dead_letters.letters == []
    after = stored_kinds(api, meeting_id)
    assert after - before == Counter({"SpeakersEdited": 1, "Enhanced": 1, "Reported": 1})
    assert after["Transcribed"] == before["Transcribed"] == 1  # nothing transcribed again

    body = await document(client, api, meeting_id)
    assert body["report_final"]
    assert body["status"] == "done"
    roles = body["report"]["roles"]
    assert (roles["candidate"], roles["interviewer"], roles["basis"]) == ("Anna", "Boris", "edited")
    assert roles["confidence"] == 1.0
    assert roles["known"]
    assert body["report"]["analytics"]["candidate"]["speaker"] == "Anna"
    assert set(body["report"]["analytics"]["speakers"]) == {"Anna", "Boris"}
    named = {
        s["segment_id"]: (s["speaker"], s["speaker_label"], s["role"]) for s in body["segments"]
    }
    assert named == {
        "seg0": ("Anna", "S1", "candidate"),
        "seg1": ("Boris", "S2", "interviewer"),
        "seg2": ("Anna", "S1", "candidate"),
        "seg3": ("Boris", "S2", "interviewer"),
    }
    assert body["enhanced_transcript"].startswith("Anna: Tell me about your last project?")
    assert "Boris: " in body["enhanced_transcript"]
    assert body["raw_transcript"] == first["raw_transcript"]
    assert sorted(body["speakers"]) == ["Anna", "Boris"]
    # The write model (read-your-writes fallback) answers the same names.
    fallback = from_write_model(api.meetings.get(meeting_id))
    assert {
        s["segment_id"]: (s["speaker"], s["speaker_label"], s["role"]) for s in fallback["segments"]
    } == named

    again = await client.post(f"/v1/meetings/{meeting_id}/speakers", json=SWAP)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert stored_kinds(api, meeting_id) == after  # the same edit again records nothing


async def test_an_unknown_meeting_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/v1/meetings/{unique_meeting_id()}/speakers", json=SWAP)
    assert response.status_code == 404
    assert_error(response.json(), "meeting_not_found")


async def test_before_the_final_transcript_it_is_409(
    client: httpx.AsyncClient, api: ApiHarness
) -> None:
    meeting_id = await hinted_meeting(client)
    response = await client.post(f"/v1/meetings/{meeting_id}/speakers", json=SWAP)
    assert response.status_code == 409
    assert_error(response.json(), "transcript_not_final")
    assert stored_kinds(api, meeting_id)["SpeakersEdited"] == 0


@pytest.mark.parametrize(
    ("speakers", "code"),
    [
        ([{"label": "S9", "name": "Nobody"}], "unknown_speaker"),
        ([{"label": "S1", "role": "boss"}], "unknown_role"),
        ([{"label": "S1", "role": "candidate"}, {"label": "S2", "role": "candidate"}],
         "invalid_argument"),
        ([{"label": "S1", "name": "Anna"}, {"label": "S2", "name": "Anna"}], "invalid_argument"),
        ([{"label": "S1", "name": "Anna"}, {"label": "S1", "name": "Ann"}], "invalid_argument"),
        ([], "validation_error"),
        ([{"name": "Anna"}], "validation_error"),
        ([{"label": "S1", "role": 3}], "validation_error"),
    ],
)  # fmt: skip
async def test_an_edit_the_rules_refuse_is_422_and_records_nothing(
    client: httpx.AsyncClient, api: ApiHarness, speakers: list[Any], code: str
) -> None:
    meeting_id = await finished_meeting(client, api)
    response = await client.post(f"/v1/meetings/{meeting_id}/speakers", json={"speakers": speakers})
    assert response.status_code == 422, response.text
    assert_error(response.json(), code)
    assert stored_kinds(api, meeting_id)["SpeakersEdited"] == 0

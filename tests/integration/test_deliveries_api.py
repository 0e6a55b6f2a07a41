"""``GET /v1/meetings/{id}/deliveries`` on the real stack: attempts recorded in the event
store, projected into chDB's ``deliveries`` table, read back tenant-scoped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest

from interview_analytics.domain.commands import RecordDeliveryAttempt, StartMeeting
from interview_analytics.domain.deliveries import DELIVERED, FAILED
from interview_analytics.projections.projector import ProjectionWriter, Projector
from interview_analytics.projections.replay import stored_events
from interview_analytics.streams.delivery.channels import Delivery
from tests.api_stack import SERVICE, TENANT_A, TENANT_B, ApiHarness, bearer
from tests.factories import unique_meeting_id

ADDRESS = "hr@example.test"


@pytest.fixture
async def client(api: ApiHarness) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=api.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        yield http


def attempt(meeting_id: str, number: int, outcome: str) -> RecordDeliveryAttempt:
    return RecordDeliveryAttempt(
        meeting_id=meeting_id,
        delivery_id=Delivery.create_id(meeting_id, "report.ready", "email", ADDRESS),
        channel="email",
        target=ADDRESS,
        notice="report.ready",
        attempt=number,
        outcome=outcome,
        status_code=451 if outcome == FAILED else 250,
        error="451 mailbox busy" if outcome == FAILED else None,
        next_attempt_at="2030-01-02T03:04:05+00:00" if outcome == FAILED else None,
    )


async def test_every_attempt_is_listed_to_its_tenant_only(
    api: ApiHarness, client: httpx.AsyncClient
) -> None:
    meeting_id = unique_meeting_id("dlv")
    api.meetings.start(StartMeeting(meeting_id=meeting_id, tenant="a", recipients=[ADDRESS]))
    api.meetings.record_delivery_attempt(attempt(meeting_id, 1, FAILED))
    api.meetings.record_delivery_attempt(attempt(meeting_id, 2, DELIVERED))
    assert not api.meetings.record_delivery_attempt(attempt(meeting_id, 2, DELIVERED))
    api.project()
    # A replayed projection writes every row again: the row key keeps one of each.
    again = Projector().project(list(stored_events(api.meetings)))
    assert len(again["deliveries"]) == 2
    ProjectionWriter(api.store).write({"deliveries": again["deliveries"]})

    answer = await client.get(f"/v1/meetings/{meeting_id}/deliveries", headers=bearer(TENANT_A))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["meeting_id"] == meeting_id
    rows = body["deliveries"]
    assert [(r["attempt"], r["outcome"], r["status_code"]) for r in rows] == [
        (1, FAILED, 451),
        (2, DELIVERED, 250),
    ]
    first = rows[0]
    # A plain user identity: the recipient's address is personal data, masked (least
    # exposure); a service identity reads it as it is.
    assert first["target"] == "[EMAIL]"
    served = await client.get(f"/v1/meetings/{meeting_id}/deliveries", headers=bearer(SERVICE))
    assert served.json()["deliveries"][0]["target"] == ADDRESS
    assert (first["channel"], first["notice"]) == ("email", "report.ready")
    assert first["delivery_id"].startswith("dlv_")
    assert first["error"] == "451 mailbox busy"
    assert datetime.fromisoformat(first["next_attempt_at"]) == datetime.fromisoformat(
        "2030-01-02T03:04:05+00:00"
    )
    assert datetime.fromisoformat(first["attempted_at"]).tzinfo is not None
    assert rows[1]["next_attempt_at"] is None
    assert rows[1]["redrive"] is False

    other = await client.get(f"/v1/meetings/{meeting_id}/deliveries", headers=bearer(TENANT_B))
    assert other.status_code == 404
    assert other.json()["detail"]["code"] == "meeting_not_found"


async def test_a_meeting_not_projected_yet_has_no_attempts_and_an_unknown_one_is_404(
    api: ApiHarness, client: httpx.AsyncClient
) -> None:
    meeting_id = unique_meeting_id("dlv")
    api.meetings.start(StartMeeting(meeting_id=meeting_id, tenant="a"))
    answer = await client.get(f"/v1/meetings/{meeting_id}/deliveries", headers=bearer(TENANT_A))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"meeting_id": meeting_id, "deliveries": []}
    unknown = await client.get("/v1/meetings/nope-404/deliveries", headers=bearer(TENANT_A))
    assert unknown.status_code == 404

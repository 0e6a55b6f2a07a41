"""``/v1/webhooks`` over a real socket: register, list, remove, per tenant, audited.

The app is the real front door on a SQLite event store (``tests/api_stack.ApiHarness``),
served by uvicorn; every answer is checked against the OpenAPI document's schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from interview_analytics.domain.webhooks import MAX_ENDPOINTS_PER_TENANT, WebhookEndpoints
from tests.api_schemas import assert_error, assert_matches
from tests.api_stack import SERVICE, TENANT_A, TENANT_B, USER, ApiHarness, ServerThread, bearer
from tests.factories import start, unique_meeting_id

SECRET = re.compile(r"whsec_[A-Za-z0-9+/]{43}=")
ENDPOINT_ID = re.compile(r"whk_[0-9a-f]{32}")


@pytest.fixture
def http(api: ApiHarness) -> Iterator[httpx.Client]:
    with ServerThread(api.app) as server, httpx.Client(base_url=server.base_url) as client:
        yield client


def register(http: httpx.Client, token: str, **body: object) -> httpx.Response:
    payload = {"url": "https://hooks.example/ia", "events": ["report.ready"], **body}
    return http.post("/v1/webhooks", json=payload, headers=bearer(token))


def test_register_answers_201_with_the_secret_once_then_lists_without_it(
    http: httpx.Client,
) -> None:
    created = register(http, TENANT_A, events=["report.ready", "meeting.finished"])
    assert created.status_code == 201, created.text
    body = created.json()
    assert_matches("RegisteredWebhook", body)
    assert ENDPOINT_ID.fullmatch(body["id"])
    assert SECRET.fullmatch(body["secret"])
    assert body["events"] == ["meeting.finished", "report.ready"]
    assert body["url"] == "https://hooks.example/ia"

    listed = http.get("/v1/webhooks", headers=bearer(TENANT_A))
    assert listed.status_code == 200
    assert_matches("WebhookList", listed.json())
    assert listed.json() == {
        "webhooks": [
            {k: body[k] for k in ("id", "url", "events", "created_at")},
        ]
    }
    assert body["secret"] not in listed.text
    second = register(http, TENANT_A).json()
    assert second["secret"] != body["secret"]
    assert second["id"] != body["id"]
    ids = [w["id"] for w in http.get("/v1/webhooks", headers=bearer(TENANT_A)).json()["webhooks"]]
    assert ids == [body["id"], second["id"]]


def test_tenants_see_and_remove_only_their_own(http: httpx.Client) -> None:
    mine = register(http, TENANT_A).json()["id"]
    assert http.get("/v1/webhooks", headers=bearer(TENANT_B)).json() == {"webhooks": []}
    # Callers without a tenant (a user without one, a service) share the registry of none.
    assert http.get("/v1/webhooks", headers=bearer(SERVICE)).json() == {"webhooks": []}
    theirs = http.delete(f"/v1/webhooks/{mine}", headers=bearer(TENANT_B))
    assert theirs.status_code == 404
    assert_error(theirs.json(), "webhook_not_found")

    removed = http.delete(f"/v1/webhooks/{mine}", headers=bearer(TENANT_A))
    assert removed.status_code == 204
    assert removed.content == b""
    assert http.get("/v1/webhooks", headers=bearer(TENANT_A)).json() == {"webhooks": []}
    again = http.delete(f"/v1/webhooks/{mine}", headers=bearer(TENANT_A))
    assert again.status_code == 404
    unknown = http.delete("/v1/webhooks/not-an-id", headers=bearer(USER))
    assert_error(unknown.json(), "webhook_not_found")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"url": "ftp://hooks.example/x"}, 422, "invalid_webhook"),
        ({"url": "not a url"}, 422, "invalid_webhook"),
        ({"events": ["report.done"]}, 422, "invalid_webhook"),
        ({"events": []}, 422, "invalid_webhook"),
        ({"events": "report.ready"}, 422, "validation_error"),
        ({"url": None}, 422, "validation_error"),
    ],
)
def test_bad_registrations_are_refused_with_the_error_body(
    http: httpx.Client, body: dict[str, object], status: int, code: str
) -> None:
    refused = register(http, USER, **body)
    assert refused.status_code == status
    assert_error(refused.json(), code)
    assert http.get("/v1/webhooks", headers=bearer(USER)).json() == {"webhooks": []}


def test_more_than_the_limit_is_409(http: httpx.Client) -> None:
    for _ in range(MAX_ENDPOINTS_PER_TENANT):
        assert register(http, TENANT_B).status_code == 201
    refused = register(http, TENANT_B)
    assert refused.status_code == 409
    assert_error(refused.json(), "too_many_webhooks")


def test_every_call_needs_credentials_and_is_audited(http: httpx.Client, api: ApiHarness) -> None:
    anonymous = http.get("/v1/webhooks")
    assert anonymous.status_code == 401
    assert_error(anonymous.json(), "missing_credentials")
    created = register(http, TENANT_A).json()["id"]
    http.delete(f"/v1/webhooks/{created}", headers=bearer(TENANT_A))
    assert [(d.allowed, d.method, d.endpoint, d.subject) for d in api.audit.decisions] == [
        (False, "GET", "/v1/webhooks", "anonymous"),
        (True, "POST", "/v1/webhooks", "ann"),
        (True, "DELETE", "/v1/webhooks/{webhook_id}", "ann"),
    ]


def test_the_registry_shares_the_store_without_reaching_the_read_models(
    http: httpx.Client, api: ApiHarness
) -> None:
    """Its events sit in the meetings' notification log; the projections skip them."""
    assert register(http, TENANT_A).status_code == 201
    meeting_id = unique_meeting_id("wh")
    api.meetings.start(start(meeting_id))
    assert api.project() == 1  # the meeting's Started, not the two webhook events
    head = api.meetings.recorder.max_notification_id()
    assert head == 3
    stored = list(api.meetings.events.get(WebhookEndpoints.create_id("a")))
    assert [type(e).__name__ for e in stored] == ["Created", "EndpointRegistered"]

"""Webhook endpoints: the per-tenant aggregate's rules, and the application service."""

from __future__ import annotations

import copy
import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.errors import (
    InvalidWebhookError,
    WebhookLimitError,
    WebhookNotFoundError,
)
from interview_analytics.domain.events import EventMeta
from interview_analytics.domain.ids import meeting_aggregate_id
from interview_analytics.domain.webhooks import (
    MAX_ENDPOINTS_PER_TENANT,
    WEBHOOK_EVENTS,
    WebhookEndpoints,
    endpoint_id_from,
    secret_from,
    validate_url,
)


def new_id() -> str:
    return endpoint_id_from(secrets.token_hex(16))


def new_secret() -> str:
    return secret_from(secrets.token_bytes(32))


def register(
    endpoints: WebhookEndpoints,
    url: str = "https://hooks.example/x",
    events: list[str] | None = None,
) -> str:
    endpoint_id = new_id()
    endpoints.register(
        endpoint_id=endpoint_id, url=url, events=events or ["report.ready"], secret=new_secret()
    )
    return endpoint_id


@pytest.fixture
def meetings(memory_meetings: Meetings) -> Meetings:
    return memory_meetings


def test_each_tenant_has_its_own_aggregate_apart_from_meetings() -> None:
    ids = {WebhookEndpoints.create_id(t) for t in ("a", "b", None)}
    assert len(ids) == 3
    assert WebhookEndpoints.create_id("a") not in {meeting_aggregate_id("a")}
    assert WebhookEndpoints.create_id(None) == WebhookEndpoints.create_id(None)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example/x",
        "hooks.example/x",
        "https://",
        "https://hooks.example:notaport/x",
        "https://hooks.example/x#part",
        "https://hooks.example/a b",
        "javascript:alert(1)",
        "https://hooks.example/" + "x" * 2048,
        "",
    ],
)
def test_a_url_that_is_not_http_or_https_with_a_host_is_refused(url: str) -> None:
    with pytest.raises(InvalidWebhookError) as refused:
        register(WebhookEndpoints.create("a"), url=url)
    assert refused.value.code == "invalid_webhook"


def test_http_and_https_urls_with_ports_and_queries_are_accepted() -> None:
    for url in ("http://127.0.0.1:8080/h", "https://hooks.example/x?k=v", "https://[::1]:9/"):
        assert validate_url(url) == url


@pytest.mark.parametrize("events", [[], ["report.done"], ["report.ready", "meeting.started"]])
def test_events_must_be_a_non_empty_subset_of_the_notices(events: list[str]) -> None:
    endpoints = WebhookEndpoints.create("a")
    with pytest.raises(InvalidWebhookError):
        endpoints.register(
            endpoint_id=new_id(), url="https://h.example/", events=events, secret=new_secret()
        )
    assert endpoints.listed() == []


@given(st.lists(st.sampled_from(WEBHOOK_EVENTS), min_size=1))
def test_events_are_kept_once_each_in_meeting_order(events: list[str]) -> None:
    endpoints = WebhookEndpoints.create("a")
    endpoint_id = register(endpoints, events=events)
    [endpoint] = endpoints.listed()
    assert endpoint.endpoint_id == endpoint_id
    assert list(endpoint.events) == [e for e in WEBHOOK_EVENTS if e in events]
    assert {e for e in WEBHOOK_EVENTS if endpoint.wants(e)} == set(events)


@pytest.mark.parametrize(
    ("endpoint_id", "secret"),
    [
        ("whk_short", secret_from(b"k" * 32)),
        (endpoint_id_from("0" * 32), "sk_" + "A" * 40),
        (endpoint_id_from("0" * 32), "whsec_not*base64"),
        (endpoint_id_from("0" * 32), secret_from(b"k" * 16)),
    ],
)
def test_malformed_ids_and_weak_secrets_are_refused(endpoint_id: str, secret: str) -> None:
    with pytest.raises(InvalidWebhookError):
        WebhookEndpoints.create("a").register(
            endpoint_id=endpoint_id,
            url="https://h.example/",
            events=["report.ready"],
            secret=secret,
        )


def test_a_tenant_has_at_most_the_limit_of_endpoints() -> None:
    endpoints = WebhookEndpoints.create("a")
    for _ in range(MAX_ENDPOINTS_PER_TENANT):
        register(endpoints)
    with pytest.raises(WebhookLimitError) as refused:
        register(endpoints)
    assert refused.value.code == "too_many_webhooks"
    endpoints.remove(endpoints.listed()[0].endpoint_id)
    register(endpoints)  # a removal makes room again
    assert len(endpoints.listed()) == MAX_ENDPOINTS_PER_TENANT


def test_removing_an_unknown_endpoint_is_not_found() -> None:
    endpoints = WebhookEndpoints.create("a")
    endpoint_id = register(endpoints)
    endpoints.remove(endpoint_id)
    with pytest.raises(WebhookNotFoundError):
        endpoints.remove(endpoint_id)


def test_the_secret_stays_out_of_the_repr() -> None:
    endpoints = WebhookEndpoints.create("a")
    register(endpoints)
    [endpoint] = endpoints.listed()
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret not in repr(endpoint)


def test_the_service_registers_lists_and_removes_per_tenant(meetings: Meetings) -> None:
    meta = EventMeta(actor="ann", correlation_id="req-1")
    first = meetings.register_webhook(
        "a", endpoint_id=new_id(), url="https://a.example/1", events=["report.ready"],
        secret=new_secret(), meta=meta,
    )  # fmt: skip
    second = meetings.register_webhook(
        "a", endpoint_id=new_id(), url="https://a.example/2", events=WEBHOOK_EVENTS,
        secret=new_secret(),
    )  # fmt: skip
    assert [e.endpoint_id for e in meetings.webhook_endpoints("a")] == [
        first.endpoint_id,
        second.endpoint_id,
    ]
    assert meetings.webhook_endpoints("b") == []
    assert meetings.webhook_endpoints(None) == []
    with pytest.raises(WebhookNotFoundError):
        meetings.remove_webhook("b", first.endpoint_id)
    meetings.remove_webhook("a", first.endpoint_id)
    assert meetings.webhook_endpoints("a") == [second]
    stored = list(meetings.events.get(WebhookEndpoints.create_id("a")))
    names = [type(event).__name__ for event in stored]
    assert names == ["Created", "EndpointRegistered", "EndpointRegistered", "EndpointRemoved"]
    assert stored[1].actor == "ann"
    assert stored[1].correlation_id == "req-1"


def test_rebuilt_from_stored_events_equals_the_live_aggregate(meetings: Meetings) -> None:
    live = WebhookEndpoints.create("a")
    kept = register(live)
    register(live, events=["meeting.finished"])
    live.remove(live.listed()[1].endpoint_id)
    meetings.save(live)
    rebuilt = meetings.repository.get(WebhookEndpoints.create_id("a"))
    assert rebuilt.endpoints == copy.deepcopy(live.endpoints)
    assert [e.endpoint_id for e in rebuilt.listed()] == [kept]

"""The webhook channel against a real receiver on a loopback socket (uvicorn in a thread).

The receiver answers each request with the next status of its script; what it received
(headers and raw body) is checked with the receiver's side of the signature, ``verify``.
The endpoints come from the application service, as in production.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.webhooks import WebhookEndpoint, endpoint_id_from, secret_from
from interview_analytics.streams.delivery.channels import (
    NOTICE_MEETING_FINISHED,
    NOTICE_REPORT_READY,
    Delivery,
    Notice,
    RetryPolicy,
)
from interview_analytics.streams.delivery.webhook import (
    EndpointLookup,
    WebhookChannel,
    WebhookSettings,
    classify,
    is_public_address,
)
from interview_analytics.streams.delivery.webhook_signing import verify
from tests.api_stack import ServerThread

RETRY = RetryPolicy(first_delay_sec=1, factor=2, max_delay_sec=60, give_up_after_sec=600)
LOCAL = WebhookSettings(timeout_sec=5, allow_private_targets=True)


@dataclass
class Receiver:
    """A webhook receiver that answers from a script and keeps what it got."""

    script: list[int] = field(default_factory=list)
    received: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        self.received.append((request.url.path, dict(request.headers), body))
        status = self.script.pop(0) if self.script else 200
        headers = {"location": "/elsewhere"} if 300 <= status < 400 else None
        return Response(f"answer {status}", status_code=status, headers=headers)

    async def slow(self, request: Request) -> Response:
        await asyncio.sleep(3)
        return Response("late")

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/hook", self.hook, methods=["POST"]),
                Route("/elsewhere", self.hook, methods=["POST", "GET"]),
                Route("/slow", self.slow, methods=["POST"]),
            ]
        )


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    receiving = Receiver()
    with ServerThread(receiving.app()) as server:
        yield receiving, server.base_url


@pytest.fixture
def meetings(memory_meetings: Meetings) -> Meetings:
    return memory_meetings


def register(
    meetings: Meetings, url: str, events: tuple[str, ...] = (NOTICE_REPORT_READY,)
) -> WebhookEndpoint:
    return meetings.register_webhook(
        "acme", endpoint_id=endpoint_id_from(secrets.token_hex(16)), url=url,
        events=events, secret=secret_from(secrets.token_bytes(32)),
    )  # fmt: skip


def lookup(meetings: Meetings) -> EndpointLookup:
    """The endpoints off the event loop, as the notifier's gateway calls them."""

    async def endpoints(tenant: str | None) -> Sequence[WebhookEndpoint]:
        return await asyncio.to_thread(meetings.webhook_endpoints, tenant)

    return endpoints


def notice(event: str = NOTICE_REPORT_READY) -> Notice:
    return Notice(
        event=event,
        meeting_id="mtg-webhook-1",
        tenant="acme",
        event_id="5b1f0e4e-1111-4c1e-9b0a-2f6f3d7c9e41",
        occurred_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        language="ru",
        recipients=(),
        data={"status": "done", "report": {"summary": "Хорошо", "bullets": ["a"]}},
    )


def test_targets_are_the_tenants_endpoints_subscribed_to_the_notice(meetings: Meetings) -> None:
    report = register(meetings, "https://a.example/1")
    both = register(meetings, "https://a.example/2", (NOTICE_MEETING_FINISHED, NOTICE_REPORT_READY))
    channel = WebhookChannel(lookup(meetings), RETRY)
    assert asyncio.run(channel.targets(notice())) == [report.endpoint_id, both.endpoint_id]
    assert asyncio.run(channel.targets(notice(NOTICE_MEETING_FINISHED))) == [both.endpoint_id]
    other = Notice(**{**notice().__dict__, "tenant": "other"})
    assert asyncio.run(channel.targets(other)) == []


def test_a_signed_post_that_the_receiver_verifies_500_then_200(
    receiver: tuple[Receiver, str], meetings: Meetings
) -> None:
    receiving, base = receiver
    endpoint = register(meetings, f"{base}/hook")
    receiving.script = [500, 200]
    channel = WebhookChannel(lookup(meetings), RETRY, LOCAL)
    first = Delivery.first(notice(), channel.name, endpoint.endpoint_id)
    failed = asyncio.run(channel.send(first))
    assert (failed.delivered, failed.permanent, failed.status_code) == (False, False, 500)
    retried = Delivery(**{**first.__dict__, "attempt": 2})
    delivered = asyncio.run(channel.send(retried))
    assert (delivered.delivered, delivered.status_code) == (True, 200)

    assert len(receiving.received) == 2
    for _path, headers, body in receiving.received:
        verify(endpoint.secret, headers, body)  # raises unless genuine and fresh
        assert headers["webhook-id"] == first.delivery_id  # the same on every retry
        assert headers["content-type"] == "application/json"
    payload = json.loads(receiving.received[0][2])
    assert payload == {
        "type": "report.ready",
        "timestamp": "2024-05-01T12:00:00+00:00",
        "data": {
            "meeting_id": "mtg-webhook-1",
            "status": "done",
            "report": {"summary": "Хорошо", "bullets": ["a"]},
        },
    }


def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    receiver: tuple[Receiver, str], meetings: Meetings
) -> None:
    receiving, base = receiver
    endpoint = register(meetings, f"{base}/hook")
    receiving.script = [307]
    channel = WebhookChannel(lookup(meetings), RETRY, LOCAL)
    result = asyncio.run(channel.send(Delivery.first(notice(), channel.name, endpoint.endpoint_id)))
    assert (result.delivered, result.permanent, result.status_code) == (False, False, 307)
    assert "not followed" in (result.error or "")
    assert [path for path, _, _ in receiving.received] == ["/hook"]  # never /elsewhere


@pytest.mark.parametrize(
    ("status", "permanent"), [(400, True), (410, True), (408, False), (429, False)]
)
def test_client_errors_are_permanent_except_408_and_429(
    receiver: tuple[Receiver, str], meetings: Meetings, status: int, permanent: bool
) -> None:
    receiving, base = receiver
    endpoint = register(meetings, f"{base}/hook")
    receiving.script = [status]
    channel = WebhookChannel(lookup(meetings), RETRY, LOCAL)
    result = asyncio.run(channel.send(Delivery.first(notice(), channel.name, endpoint.endpoint_id)))
    assert (result.delivered, result.permanent, result.status_code) == (False, permanent, status)


def test_a_private_target_is_refused_for_good_unless_allowed(
    receiver: tuple[Receiver, str], meetings: Meetings
) -> None:
    receiving, base = receiver
    by_name = register(meetings, base.replace("127.0.0.1", "localhost") + "/hook")
    by_address = register(meetings, f"{base}/hook")
    channel = WebhookChannel(lookup(meetings), RETRY, WebhookSettings(timeout_sec=5))
    for endpoint in (by_name, by_address):
        delivery = Delivery.first(notice(), channel.name, endpoint.endpoint_id)
        result = asyncio.run(channel.send(delivery))
        assert (result.delivered, result.permanent) == (False, True)
        assert "WEBHOOK_ALLOW_PRIVATE_TARGETS" in (result.error or "")
    assert receiving.received == []


def test_no_answer_within_the_timeout_is_a_transient_failure(
    receiver: tuple[Receiver, str], meetings: Meetings
) -> None:
    _, base = receiver
    endpoint = register(meetings, f"{base}/slow")
    settings = WebhookSettings(timeout_sec=0.5, allow_private_targets=True)
    channel = WebhookChannel(lookup(meetings), RETRY, settings)
    result = asyncio.run(channel.send(Delivery.first(notice(), channel.name, endpoint.endpoint_id)))
    assert (result.delivered, result.permanent, result.status_code) == (False, False, None)
    assert "no answer within 0.5 s" in (result.error or "")


def test_a_removed_endpoint_or_a_closed_port_fails(meetings: Meetings) -> None:
    endpoint = register(meetings, "http://127.0.0.1:9/hook")  # discard port: nobody listens
    channel = WebhookChannel(lookup(meetings), RETRY, LOCAL)
    delivery = Delivery.first(notice(), channel.name, endpoint.endpoint_id)
    refused = asyncio.run(channel.send(delivery))
    assert (refused.delivered, refused.permanent) == (False, False)
    meetings.remove_webhook("acme", endpoint.endpoint_id)
    gone = asyncio.run(channel.send(delivery))
    assert (gone.delivered, gone.permanent, gone.error) == (False, True, "the endpoint was removed")


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("224.0.0.1", False),
        ("0.0.0.0", False),  # noqa: S104 - an address judged, not bound
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:93.184.216.34", True),
    ],
)
def test_which_addresses_count_as_public(address: str, public: bool) -> None:
    assert is_public_address(address) is public


def test_statuses_map_to_outcomes() -> None:
    assert classify(204).delivered
    assert not classify(302, "https://x").delivered
    assert not classify(302).permanent
    assert classify(503).permanent is False
    assert classify(404).permanent is True

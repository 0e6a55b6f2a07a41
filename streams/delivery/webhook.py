"""The webhook channel: a notice POSTed as signed JSON to each endpoint that asked for it.

``targets``: the tenant's registered endpoints subscribed to the notice's event, read from
the event store through the application service (``Meetings.webhook_endpoints``, passed in
as an async function: the notifier's gateway thread calls it). ``send`` reads them again,
so an endpoint removed since is not posted to. ``send``: one attempt, ``POST`` of

    {"type": "report.ready", "timestamp": "<the event's time, ISO 8601>", "data": {...}}

with the Standard Webhooks headers (``webhook_signing``): ``webhook-id`` is the delivery id,
the same on every retry, so a receiver drops repeats by it. What an attempt comes to:

- 2xx: delivered;
- 3xx: failed and retried — redirects are never followed (a redirect could lead the
  request, and its signature, to a host nobody registered), as Stripe and Svix do;
- 408, 429, 5xx, a timeout (``WEBHOOK_TIMEOUT_SEC``), a network or DNS error: failed,
  retried with the channel's ``RetryPolicy`` (``WEBHOOK_RETRY_*``, up to 24 hours);
- any other 4xx, a removed endpoint, or a target that resolves to a loopback, private,
  link-local, multicast or otherwise non-global address: failed for good. Such targets
  are allowed only with ``WEBHOOK_ALLOW_PRIVATE_TARGETS=true`` (tests, local receivers).

The address check runs on the resolved addresses just before the request; httpx resolves
the name again when it connects, so a DNS answer that changes in between (rebinding) is
not caught here — an egress proxy or firewall is the place for that in production.
Each attempt opens its own httpx client: webhooks are few, and no connection outlives the
event loop that made it. Only the status of an answer is read, never its body.

Must not: retry, sleep or record anything (the notifier does), follow a redirect, or log
a secret or a body.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from interview_analytics.domain.webhooks import WebhookEndpoint
from interview_analytics.streams.delivery.channels import (
    CHANNEL_WEBHOOK,
    AttemptResult,
    Delivery,
    Notice,
    RetryPolicy,
)
from interview_analytics.streams.delivery.webhook_signing import signature_headers

USER_AGENT = "interview-analytics-webhooks/1"

EndpointLookup = Callable[[str | None], Awaitable[Sequence[WebhookEndpoint]]]
"""A tenant's endpoints, as the event store has them now (``Meetings.webhook_endpoints``
called off the event loop)."""


@dataclass(frozen=True)
class WebhookSettings:
    """The channel's settings (``WEBHOOK_TIMEOUT_SEC``, ``WEBHOOK_ALLOW_PRIVATE_TARGETS``)."""

    timeout_sec: float = 10.0
    allow_private_targets: bool = False


class RefusedTargetError(Exception):
    """The endpoint resolves to an address webhooks may not reach."""


def is_public_address(address: str) -> bool:
    """True for a global unicast address; False for loopback, private, link-local,
    multicast, reserved and unspecified ones (IPv4-mapped IPv6 judged as its IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an IP literal is its own answer)."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return sorted({str(info[4][0]) for info in infos})


def payload(notice: Notice) -> bytes:
    """The request body: ``type``, ``timestamp`` and ``data`` (the notice's own data with
    its meeting id), compact JSON in UTF-8."""
    body = {
        "type": notice.event,
        "timestamp": _iso(notice.occurred_at),
        "data": {"meeting_id": notice.meeting_id, **dict(notice.data)},
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=_json).encode()


class WebhookChannel:
    """The ``webhook`` :class:`~.channels.Channel`."""

    name = CHANNEL_WEBHOOK

    def __init__(
        self,
        endpoints: EndpointLookup,
        retry: RetryPolicy,
        settings: WebhookSettings | None = None,
        *,
        clock: Callable[[], float] = time.time,
        resolver: Callable[[str, int], Any] = resolve,
    ) -> None:
        self.endpoints = endpoints
        self.retry = retry
        self.settings = settings or WebhookSettings()
        self.clock = clock
        self.resolver = resolver

    async def targets(self, notice: Notice) -> Sequence[str]:
        endpoints = await self.endpoints(notice.tenant)
        return [endpoint.endpoint_id for endpoint in endpoints if endpoint.wants(notice.event)]

    async def send(self, delivery: Delivery) -> AttemptResult:
        endpoints = await self.endpoints(delivery.notice.tenant)
        endpoint = next((e for e in endpoints if e.endpoint_id == delivery.target), None)
        if endpoint is None:
            return AttemptResult(False, permanent=True, error="the endpoint was removed")
        try:
            await self._check_target(endpoint.url)
        except RefusedTargetError as refused:
            return AttemptResult(False, permanent=True, error=str(refused))
        except OSError as error:  # DNS failure: the name may resolve later
            return AttemptResult(False, error=f"cannot resolve the endpoint's host: {error}")
        return await self._post(endpoint, delivery)

    async def _check_target(self, url: str) -> None:
        if self.settings.allow_private_targets:
            return
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = await self.resolver(host, port)
        refused = [address for address in addresses if not is_public_address(address)]
        if refused or not addresses:
            raise RefusedTargetError(
                f"{host} resolves to a non-public address ({', '.join(refused) or 'none'}); "
                "set WEBHOOK_ALLOW_PRIVATE_TARGETS=true to allow it"
            )

    async def _post(self, endpoint: WebhookEndpoint, delivery: Delivery) -> AttemptResult:
        body = payload(delivery.notice)
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            **signature_headers(endpoint.secret, delivery.delivery_id, int(self.clock()), body),
        }
        try:
            async with (
                httpx.AsyncClient(
                    timeout=self.settings.timeout_sec, follow_redirects=False, trust_env=False
                ) as client,
                client.stream("POST", endpoint.url, content=body, headers=headers) as answer,
            ):
                status = answer.status_code
                location = answer.headers.get("location")
        except httpx.TimeoutException:
            return AttemptResult(False, error=f"no answer within {self.settings.timeout_sec:g} s")
        except httpx.HTTPError as error:
            return AttemptResult(False, error=f"{type(error).__name__}: {error}"[:500])
        return classify(status, location)


def classify(status: int, location: str | None = None) -> AttemptResult:
    """What an answer with HTTP ``status`` comes to (see the module docstring)."""
    if 200 <= status < 300:
        return AttemptResult(True, status_code=status)
    if 300 <= status < 400:
        where = f" to {location[:200]}" if location else ""
        return AttemptResult(False, status_code=status, error=f"redirect{where} not followed")
    if status in (408, 429) or status >= 500 or status < 200:
        return AttemptResult(False, status_code=status, error=f"HTTP {status}")
    return AttemptResult(False, permanent=True, status_code=status, error=f"HTTP {status}")


def _iso(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")

"""Webhook endpoints: where a tenant wants its meetings' notices POSTed, and the rules.

One small aggregate per tenant, ``WebhookEndpoints`` (id = uuid5 of the tenant, ``-`` for
callers without one), holds that tenant's endpoints. Its events, ``Created``,
``EndpointRegistered`` and ``EndpointRemoved``, are not meeting events: they live in the
same event store and notification log as the meetings, and the relay and the read-model
replay skip them (they carry the signing secret, which must not reach Kafka or
ClickHouse). An endpoint's ``created_at`` is its registration event's timestamp.

The rules: the URL is ``http``/``https`` with a host; the events are a non-empty subset of
``WEBHOOK_EVENTS``; a tenant has at most ``MAX_ENDPOINTS_PER_TENANT``; a secret is
``whsec_`` + base64 of at least 24 bytes; an endpoint id is ``whk_`` + 32 hex digits.
Ids and secrets are drawn by the caller (this layer draws no random numbers).

Must not: do I/O, draw random numbers, read a clock other than the events' own timestamps,
or deliver anything (``streams/delivery/webhook.py`` does).
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from eventsourcing.domain import Aggregate

from interview_analytics.domain.errors import (
    InvalidWebhookError,
    WebhookLimitError,
    WebhookNotFoundError,
)
from interview_analytics.domain.events import EventMeta

#: The notices an endpoint may subscribe to (the notifier's ``NOTICES``), in meeting order.
WEBHOOK_EVENTS: tuple[str, ...] = ("meeting.finished", "transcript.ready", "report.ready")
MAX_ENDPOINTS_PER_TENANT = 20
MAX_URL_LENGTH = 2048
SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
MIN_SECRET_BYTES = 24
ENDPOINT_ID_PATTERN = re.compile(r"whk_[0-9a-f]{32}")
NO_TENANT = "-"
"""The aggregate of callers without a tenant (services, API keys, ``AUTH_MODE=none``)."""

# A namespace of its own, so that no tenant's aggregate id can equal a meeting's.
WEBHOOKS_NAMESPACE = uuid.UUID("0b5c9e52-3f1d-4a8e-8d27-6a4f1c2e7b90")


def endpoint_id_from(random_hex: str) -> str:
    """``whk_<32 hex>``: an endpoint id from 16 random bytes as hex (drawn by the caller)."""
    return f"whk_{random_hex}"


def secret_from(random_bytes: bytes) -> str:
    """``whsec_<base64>``: a signing secret from random bytes (drawn by the caller)."""
    return SECRET_PREFIX + base64.b64encode(random_bytes).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key a ``whsec_`` secret stands for (Standard Webhooks: base64 after the
    prefix)."""
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidWebhookError(f"a webhook secret starts with {SECRET_PREFIX}")
    try:
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error as error:
        raise InvalidWebhookError("a webhook secret is base64 after its prefix") from error


def validate_url(url: str) -> str:
    """The URL unchanged, or :class:`InvalidWebhookError`: http(s), a host, no fragment."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise InvalidWebhookError(f"url must be 1-{MAX_URL_LENGTH} characters", field="url")
    if any(c.isspace() for c in url):
        raise InvalidWebhookError("url must not contain whitespace", field="url")
    try:
        parts = urlsplit(url)
        _ = parts.port  # a port that is not a number raises here
    except ValueError as error:
        raise InvalidWebhookError(f"url is not a URL: {error}", field="url") from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidWebhookError("url must be an http:// or https:// URL with a host", field="url")
    if parts.fragment:
        raise InvalidWebhookError("url must not have a #fragment", field="url")
    return url


def validate_events(events: Sequence[str]) -> list[str]:
    """The events, deduplicated in ``WEBHOOK_EVENTS`` order, or :class:`InvalidWebhookError`."""
    unknown = sorted({str(e) for e in events} - set(WEBHOOK_EVENTS))
    if unknown:
        raise InvalidWebhookError(
            f"unknown webhook events {unknown}; known: {', '.join(WEBHOOK_EVENTS)}",
            field="events",
            unknown=unknown,
            supported=list(WEBHOOK_EVENTS),
        )
    chosen = [event for event in WEBHOOK_EVENTS if event in events]
    if not chosen:
        raise InvalidWebhookError("events must name at least one event", field="events")
    return chosen


@dataclass(frozen=True)
class WebhookEndpoint:
    """One registered endpoint. The secret is kept out of reprs (and logs)."""

    endpoint_id: str
    url: str
    events: tuple[str, ...]
    secret: str = field(repr=False)
    created_at: datetime

    def wants(self, event: str) -> bool:
        return event in self.events


class WebhookEndpoints(Aggregate):
    """The webhook endpoints of one tenant (``create_id``)."""

    class Event(Aggregate.Event):
        actor: str | None
        correlation_id: str | None

    class Created(Event, Aggregate.Created):
        tenant: str | None

    class EndpointRegistered(Event):
        endpoint_id: str
        url: str
        events: list[str]
        secret: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, WebhookEndpoints)
            aggregate.endpoints[self.endpoint_id] = WebhookEndpoint(
                endpoint_id=self.endpoint_id,
                url=self.url,
                events=tuple(self.events),
                secret=self.secret,
                created_at=self.timestamp,
            )

    class EndpointRemoved(Event):
        endpoint_id: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, WebhookEndpoints)
            aggregate.endpoints.pop(self.endpoint_id, None)

    @staticmethod
    def create_id(tenant: str | None) -> uuid.UUID:
        return uuid.uuid5(WEBHOOKS_NAMESPACE, tenant or NO_TENANT)

    def __init__(self, tenant: str | None, actor: str | None, correlation_id: str | None) -> None:
        self.tenant = tenant
        self.endpoints: dict[str, WebhookEndpoint] = {}

    @classmethod
    def create(cls, tenant: str | None, meta: EventMeta = EventMeta()) -> WebhookEndpoints:
        return cls._create(
            cls.Created,
            id=cls.create_id(tenant),
            tenant=tenant,
            actor=meta.actor,
            correlation_id=meta.correlation_id,
        )

    # ------------------------------------------------------------------ commands

    def register(
        self,
        *,
        endpoint_id: str,
        url: str,
        events: Sequence[str],
        secret: str,
        meta: EventMeta = EventMeta(),
    ) -> WebhookEndpoint:
        if not ENDPOINT_ID_PATTERN.fullmatch(endpoint_id):
            raise InvalidWebhookError("an endpoint id is whk_ + 32 hex digits")
        if endpoint_id in self.endpoints:
            raise InvalidWebhookError("that endpoint id is taken", endpoint_id=endpoint_id)
        if len(secret_key(secret)) < MIN_SECRET_BYTES:
            raise InvalidWebhookError(f"a webhook secret holds at least {MIN_SECRET_BYTES} bytes")
        fields: dict[str, Any] = {
            "endpoint_id": endpoint_id,
            "url": validate_url(url),
            "events": validate_events(events),
            "secret": secret,
        }
        if len(self.endpoints) >= MAX_ENDPOINTS_PER_TENANT:
            raise WebhookLimitError(
                f"at most {MAX_ENDPOINTS_PER_TENANT} webhook endpoints per tenant",
                limit=MAX_ENDPOINTS_PER_TENANT,
            )
        self._record(self.EndpointRegistered, meta, **fields)
        return self.endpoints[endpoint_id]

    def remove(self, endpoint_id: str, meta: EventMeta = EventMeta()) -> None:
        if endpoint_id not in self.endpoints:
            raise WebhookNotFoundError("webhook endpoint not found", webhook_id=endpoint_id[:100])
        self._record(self.EndpointRemoved, meta, endpoint_id=endpoint_id)

    # ------------------------------------------------------------------ queries

    def listed(self) -> list[WebhookEndpoint]:
        """The endpoints, oldest first (registration order)."""
        return list(self.endpoints.values())

    def subscribed_to(self, event: str) -> list[WebhookEndpoint]:
        return [endpoint for endpoint in self.endpoints.values() if endpoint.wants(event)]

    def _record(self, event_class: type[Event], meta: EventMeta, **fields: Any) -> None:
        self.trigger_event(
            event_class, actor=meta.actor, correlation_id=meta.correlation_id, **fields
        )

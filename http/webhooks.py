"""The webhook endpoint routes: register, list, remove (``/v1/webhooks``).

A caller registers a URL and the notices it wants (``meeting.finished``,
``transcript.ready``, ``report.ready``) for its tenant — the same tenant its meetings are
started under (``identity.tenant``; callers without one share the registry of no tenant).
The answer to a registration is the only place the signing secret (``whsec_`` + base64 of
32 random bytes from ``secrets``) is ever shown; the list never shows it. Another
tenant's endpoint is 404 to a caller, exactly like one that does not exist.

The list is read from the tenant's ``WebhookEndpoints`` aggregate in the event store, not
from a read model: the aggregate is small (at most 20 endpoints), and reading it gives
read-your-writes — an endpoint is listed (and removed from the list) as soon as its
command answered. Who may call: whoever may start a meeting (``any``); every call is
authenticated and audited by its route (``access``).

Must not: talk to stores directly, show a secret anywhere but the registration's answer,
or let a caller see or remove another tenant's endpoint.
"""

from __future__ import annotations

import secrets

from starlette.responses import JSONResponse, Response

from interview_analytics.domain.webhooks import (
    MAX_URL_LENGTH,
    WEBHOOK_EVENTS,
    WebhookEndpoint,
    endpoint_id_from,
    secret_from,
)
from interview_analytics.http.answers import STR, STRINGS, TIME, Answer, Prop
from interview_analytics.http.fields import Field, Spec
from interview_analytics.http.operations import Call, Operation
from interview_analytics.http.ports import DependencyUnavailableError, WebhookRegistry

SECRET_BYTES = 32
"""Random bytes in a signing secret (Standard Webhooks asks for 24 to 64)."""

_EVENTS = ", ".join(WEBHOOK_EVENTS)

REGISTER = Spec(
    "RegisterWebhookRequest",
    (
        Field(
            "url",
            "string",
            "Where to POST the notices: an http:// or https:// URL. Addresses that resolve "
            "to loopback, private, link-local or multicast networks are refused at delivery "
            "unless the server sets WEBHOOK_ALLOW_PRIVATE_TARGETS.",
            required=True,
            min_length=1,
            max_length=MAX_URL_LENGTH,
            example="https://example.com/hooks/interviews",
        ),
        Field(
            "events",
            "string_list",
            f"The notices to send, at least one of: {_EVENTS}; others are 422 invalid_webhook.",
            required=True,
            max_items=len(WEBHOOK_EVENTS),
            max_length=64,
            example=["report.ready"],
        ),
    ),
    "Registers an endpoint for the caller's tenant (at most 20; more is 409 "
    "too_many_webhooks). The answer holds the signing secret, shown only this once.",
)

_ID = Prop("id", STR, "whk_<32 hex>.", get=lambda endpoint: endpoint.endpoint_id)
_URL = Prop("url", STR)
_EVENTS_PROP = Prop("events", STRINGS, get=lambda endpoint: list(endpoint.events))
_CREATED_AT = Prop("created_at", TIME, "When it was registered (UTC).")

WEBHOOK = Answer("Webhook", (_ID, _URL, _EVENTS_PROP, _CREATED_AT))

REGISTERED = Answer(
    "RegisteredWebhook",
    (
        _ID,
        _URL,
        _EVENTS_PROP,
        Prop(
            "secret",
            STR,
            "whsec_<base64>: the key of the webhook-signature header (Standard Webhooks). "
            "Shown only in this answer: store it now.",
        ),
        _CREATED_AT,
    ),
)

WEBHOOK_LIST = Answer(
    "WebhookList",
    (Prop("webhooks", WEBHOOK, many=True, get=lambda found: [WEBHOOK.build(e) for e in found]),),
)

REGISTER_WEBHOOK = Operation(
    "register_webhook",
    "Register a webhook endpoint",
    "any",
    "webhooks",
    REGISTERED,
    description=REGISTER.description,
    body=REGISTER,
    body_required=True,
    errors=(400, 409, 413, 422, 503),
    status=201,
)

LIST_WEBHOOKS = Operation(
    "list_webhooks",
    "List the caller's webhook endpoints",
    "any",
    "webhooks",
    WEBHOOK_LIST,
    description="Oldest first, read from the event store (read-your-writes); no secrets.",
    errors=(503,),
)

REMOVE_WEBHOOK = Operation(
    "remove_webhook",
    "Remove a webhook endpoint",
    "any",
    "webhooks",
    None,
    description="204; 404 webhook_not_found for an unknown id or another tenant's endpoint. "
    "Deliveries already under way to it fail for good at their next attempt.",
    errors=(404, 503),
    status=204,
)


def _registry(call: Call) -> WebhookRegistry:
    registry = call.deps.webhooks
    if registry is None:
        raise DependencyUnavailableError("webhooks", "webhooks are not available here")
    return registry


async def register_webhook(call: Call) -> Response:
    """Register an endpoint; the answer shows its secret, once."""
    values = await call.body()
    endpoint: WebhookEndpoint = await _registry(call).register(
        call.identity.tenant,
        endpoint_id=endpoint_id_from(secrets.token_hex(16)),
        url=values["url"],
        events=values["events"],
        secret=secret_from(secrets.token_bytes(SECRET_BYTES)),
        meta=call.meta,
    )
    return JSONResponse(REGISTERED.build(endpoint), status_code=201)


async def list_webhooks(call: Call) -> Response:
    """The caller's tenant's endpoints, without their secrets."""
    return WEBHOOK_LIST.response(await _registry(call).endpoints(call.identity.tenant))


async def remove_webhook(call: Call) -> Response:
    """Remove one of the caller's tenant's endpoints."""
    webhook_id = str(call.request.path_params["webhook_id"])
    await _registry(call).remove(call.identity.tenant, webhook_id, meta=call.meta)
    return Response(status_code=204)

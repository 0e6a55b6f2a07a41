"""The whole URL table of the front door, written out.

Each REST route names its method (``get``/``post``), its path, its handler and its
:class:`~.operations.Operation` (access guard, body and query specs, answer, error
statuses), both declared in the route's resource module; the OpenAPI document is made
from this table. The two WebSockets come last.
Paths and field names are the contract's.

Must not: build anything that needs dependencies (the table is the same for every app,
so ``python -m interview_analytics.http.openapi`` can print the document without any).
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from interview_analytics.http import (
    chunks,
    connectors,
    deliveries,
    meetings,
    queues,
    report_page,
    security_audit,
    speakers,
    system,
    webhooks,
)
from interview_analytics.http.operations import ApiRoute, Handler, Operation
from interview_analytics.http.ws import websocket_route

MEETING = "/v1/meetings/{meeting_id}"
ADMIN = "/v1/admin"
SBERJAZZ = f"{ADMIN}/connectors/sberjazz"
SESSION = f"{SBERJAZZ}/{{meeting_id}}"


def routes() -> list[BaseRoute]:
    return [
        get("/health", system.health, system.HEALTH),
        get("/ready", system.ready, system.READY),
        get("/metrics", system.metrics, system.METRICS),
        get("/openapi.json", system.openapi, system.OPENAPI),
        post("/v1/meetings/start", meetings.start_meeting, meetings.START_MEETING),
        get("/v1/meetings", meetings.list_meetings, meetings.LIST_MEETINGS),
        get(MEETING, meetings.get_meeting, meetings.GET_MEETING),
        delete(MEETING, meetings.erase_meeting, meetings.ERASE_MEETING),
        patch(MEETING, meetings.update_meeting, meetings.UPDATE_MEETING),
        post(f"{MEETING}/chunks", chunks.receive_chunk, chunks.RECEIVE_CHUNK),
        post(f"{MEETING}/finish", meetings.finish_meeting, meetings.FINISH_MEETING),
        post(f"{MEETING}/speakers", speakers.edit_speakers, speakers.EDIT_SPEAKERS),
        get(f"{MEETING}/report.html", report_page.report_html, report_page.REPORT_HTML),
        get(f"{MEETING}/report.md", report_page.report_markdown, report_page.REPORT_MARKDOWN),
        get(f"{MEETING}/deliveries", deliveries.get_deliveries, deliveries.GET_DELIVERIES),
        post("/v1/webhooks", webhooks.register_webhook, webhooks.REGISTER_WEBHOOK),
        get("/v1/webhooks", webhooks.list_webhooks, webhooks.LIST_WEBHOOKS),
        delete("/v1/webhooks/{webhook_id}", webhooks.remove_webhook, webhooks.REMOVE_WEBHOOK),
        get(f"{ADMIN}/queues/health", queues.queue_health, queues.QUEUE_HEALTH),
        get(f"{ADMIN}/dead-letters", queues.dead_letters, queues.DEAD_LETTERS),
        get(f"{ADMIN}/security/audit", security_audit.decisions, security_audit.SECURITY_AUDIT),
        get(f"{SBERJAZZ}/health", connectors.health, connectors.HEALTH),
        get(f"{SBERJAZZ}/sessions", connectors.sessions, connectors.SESSIONS),
        post(f"{SBERJAZZ}/reconcile", connectors.reconcile, connectors.RECONCILE),
        post(f"{SESSION}/join", connectors.join, connectors.JOIN),
        get(f"{SESSION}/status", connectors.status, connectors.STATUS),
        post(f"{SESSION}/leave", connectors.leave, connectors.LEAVE),
        post(f"{SESSION}/reconnect", connectors.reconnect, connectors.RECONNECT),
        websocket_route("/v1/ws", "user"),
        websocket_route("/v1/ws/internal", "service"),
    ]


def get(path: str, handler: Handler, operation: Operation) -> ApiRoute:
    return ApiRoute(path, handler, methods=["GET"], operation=operation)


def post(path: str, handler: Handler, operation: Operation) -> ApiRoute:
    return ApiRoute(path, handler, methods=["POST"], operation=operation)


def delete(path: str, handler: Handler, operation: Operation) -> ApiRoute:
    return ApiRoute(path, handler, methods=["DELETE"], operation=operation)


def patch(path: str, handler: Handler, operation: Operation) -> ApiRoute:
    return ApiRoute(path, handler, methods=["PATCH"], operation=operation)

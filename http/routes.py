"""The whole URL table of the front door, written out.

Each REST route names its handler and its :class:`Operation` (access guard, body and
query specs, answer schema, error statuses), from which the OpenAPI document is made; the
two WebSockets come last. Paths and field names are the contract's.

Must not: build anything that needs dependencies (the table is the same for every app,
so ``python -m interview_analytics.http.openapi`` can print the document without any).
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute

from interview_analytics.http import admin, bodies, connectors, meetings, system
from interview_analytics.http.operations import ApiRoute, Operation
from interview_analytics.http.ws import websocket_route

MEETING = "/v1/meetings/{meeting_id}"


def routes() -> list[BaseRoute]:
    return [
        ApiRoute(
            "/health",
            system.health,
            methods=["GET"],
            operation=Operation("health", "Liveness", "public", "system", "Health"),
        ),
        ApiRoute(
            "/ready",
            system.ready,
            methods=["GET"],
            operation=Operation(
                "ready",
                "Readiness of each dependency",
                "public",
                "system",
                "Ready",
                description="event store, broker, ClickHouse and speech model, checked "
                "separately; 503 (with every check's result) unless all pass.",
                errors=(503,),
            ),
        ),
        ApiRoute(
            "/metrics",
            system.metrics,
            methods=["GET"],
            operation=Operation(
                "metrics", "Prometheus metrics", "public", "system", None, media_type="text/plain"
            ),
        ),
        ApiRoute(
            "/openapi.json",
            system.openapi,
            methods=["GET"],
            operation=Operation("openapi", "This document", "public", "system", None),
        ),
        ApiRoute(
            "/v1/meetings/start",
            meetings.start_meeting,
            methods=["POST"],
            operation=Operation(
                "start_meeting",
                "Start a meeting",
                "any",
                "meetings",
                "StartMeetingResponse",
                description=bodies.START.description,
                body=bodies.START,
                errors=(400, 409, 413, 422, 503),
            ),
        ),
        ApiRoute(
            "/v1/meetings",
            meetings.list_meetings,
            methods=["GET"],
            operation=Operation(
                "list_meetings",
                "List meetings, newest first",
                "any",
                "meetings",
                "MeetingList",
                description="A user identity with a tenant sees only its tenant's meetings.",
                query=bodies.LIST_MEETINGS,
                errors=(400, 422, 503),
            ),
        ),
        ApiRoute(
            MEETING,
            meetings.get_meeting,
            methods=["GET"],
            operation=Operation(
                "get_meeting",
                "Get a meeting",
                "any",
                "meetings",
                "Meeting",
                description="404 only when the meeting does not exist (or belongs to another "
                "tenant). With min_version the answer reflects at least that version.",
                query=bodies.GET_MEETING,
                errors=(404, 422, 503),
            ),
        ),
        ApiRoute(
            f"{MEETING}/chunks",
            meetings.receive_chunk,
            methods=["POST"],
            operation=Operation(
                "receive_chunk",
                "Send an audio chunk",
                "any",
                "meetings",
                "ChunkResponse",
                description="Unknown meeting 404; finished 409 meeting_finished; bad base64 "
                "400 bad_base64; unusable audio 422 invalid_audio; too large 413; the same seq "
                "with other bytes 409 chunk_conflict; a repeat answers the original with "
                "duplicate: true.",
                body=bodies.CHUNK,
                body_required=True,
                errors=(400, 404, 409, 413, 422, 503),
            ),
        ),
        ApiRoute(
            f"{MEETING}/finish",
            meetings.finish_meeting,
            methods=["POST"],
            operation=Operation(
                "finish_meeting",
                "Finish a meeting",
                "any",
                "meetings",
                "FinishResponse",
                description=bodies.FINISH.description,
                body=bodies.FINISH,
                errors=(400, 404, 413, 422, 503),
            ),
        ),
        ApiRoute(
            "/v1/admin/queues/health",
            admin.queue_health,
            methods=["GET"],
            operation=Operation(
                "queue_health",
                "Queue health per consumer group",
                "service",
                "admin",
                "QueueHealth",
                description="depth = events not yet processed by the group, pending = events "
                "not yet relayed, dlq_depth = dead letters; groups without samples are zeros.",
                errors=(503,),
            ),
        ),
        ApiRoute(
            "/v1/admin/dead-letters",
            admin.dead_letters,
            methods=["GET"],
            operation=Operation(
                "dead_letters",
                "Dead letters",
                "service",
                "admin",
                "DeadLetters",
                query=bodies.DEAD_LETTERS,
                errors=(422, 503),
            ),
        ),
        ApiRoute(
            "/v1/admin/security/audit",
            admin.security_audit,
            methods=["GET"],
            operation=Operation(
                "security_audit",
                "Security audit: allow/deny decisions",
                "service",
                "admin",
                "SecurityAudit",
                description="Every authentication decision of the front door, newest first.",
                query=bodies.SECURITY_AUDIT,
                errors=(422, 503),
            ),
        ),
        *connector_routes(),
        websocket_route("/v1/ws", "user"),
        websocket_route("/v1/ws/internal", "service"),
    ]


SBERJAZZ = "/v1/admin/connectors/sberjazz"
_CONNECTOR_FAILURES = (503,)


def connector_routes() -> list[BaseRoute]:
    """The seven SberJazz admin routes of the contract (``http/connectors.py``)."""

    def route(
        path: str,
        handler: Any,
        method: str,
        operation_id: str,
        summary: str,
        response: str,
        errors: tuple[int, ...],
        **extra: Any,
    ) -> ApiRoute:
        return ApiRoute(
            f"{SBERJAZZ}{path}",
            handler,
            methods=[method],
            operation=Operation(
                operation_id, summary, "service", "connectors", response, errors=errors, **extra
            ),
        )

    session_errors = (404, 409, 422, 503)
    return [
        route(
            "/health",
            connectors.health,
            "GET",
            "sberjazz_health",
            "SberJazz platform health and circuit breaker",
            "ConnectorHealth",
            (503,),
        ),
        route(
            "/sessions",
            connectors.sessions,
            "GET",
            "sberjazz_sessions",
            "SberJazz sessions, newest first",
            "ConnectorSessions",
            (422, 503),
            query=bodies.CONNECTOR_SESSIONS,
        ),
        route(
            "/reconcile",
            connectors.reconcile,
            "POST",
            "sberjazz_reconcile",
            "Run one reconciliation pass now",
            "ConnectorReconcile",
            (422, 503),
            query=bodies.CONNECTOR_RECONCILE,
            description="Reconnects stale (no audio or heartbeat for "
            "SBERJAZZ_RECONCILE_STALE_SEC) and dropped sessions, joins requested ones, leaves "
            "finished meetings, expires sessions older than SBERJAZZ_SESSION_TTL_SEC.",
        ),
        route(
            "/{meeting_id}/join",
            connectors.join,
            "POST",
            "sberjazz_join",
            "Join a live meeting",
            "ConnectorSession",
            (*session_errors, 413),
            body=bodies.CONNECTOR_JOIN,
            description="Unknown meeting 404; finished meeting 409 meeting_finished; platform "
            "failure 503 connector_<kind> (the session records it: reconnecting when a retry "
            "may help, else failed).",
        ),
        route(
            "/{meeting_id}/status",
            connectors.status,
            "GET",
            "sberjazz_status",
            "A meeting's connector session",
            "ConnectorSession",
            (404, 422, 503),
            description="404 never_joined when the connector was never asked to join.",
        ),
        route(
            "/{meeting_id}/leave",
            connectors.leave,
            "POST",
            "sberjazz_leave",
            "Leave a live meeting",
            "ConnectorSession",
            session_errors,
        ),
        route(
            "/{meeting_id}/reconnect",
            connectors.reconnect,
            "POST",
            "sberjazz_reconnect",
            "Reconnect a session now",
            "ConnectorSession",
            session_errors,
            description="A connected or waiting session rejoins; a failed one joins again; "
            "one that has left is 409 connector_state_conflict.",
        ),
    ]

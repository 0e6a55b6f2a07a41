"""The API's Prometheus metrics, and the middleware that counts every HTTP request.

Names kept from the older service's dashboards: ``agent_requests_total{service, route,
method, status}`` and the histogram ``agent_http_request_latency_ms{service, route,
method}``. ``route`` is the route TEMPLATE (``/v1/meetings/{meeting_id}``), never the raw
path, so meeting ids never become label values; a path no route matches is
``<unmatched>`` and an unusual method ``OTHER``, so clients cannot grow the label sets.
New metrics follow ``ia_<subsystem>_<what>_<unit>``.

Must not: label anything with client-chosen text.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "<unmatched>"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS_MS = (1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)


class ApiMetrics:
    def __init__(self, registry: CollectorRegistry, service: str) -> None:
        self.service = service
        self.requests = Counter(
            "agent_requests",
            "HTTP requests answered, by route template, method and status.",
            ["service", "route", "method", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "agent_http_request_latency_ms",
            "Time to answer an HTTP request, milliseconds.",
            ["service", "route", "method"],
            buckets=LATENCY_BUCKETS_MS,
            registry=registry,
        )
        self.ws_connections = Gauge(
            "ia_api_websocket_connections",
            "Open WebSocket connections, by route.",
            ["route"],
            registry=registry,
        )
        self.ws_frames = Counter(
            "ia_api_websocket_frames",
            "WebSocket frames, by route, direction (in/out) and event type.",
            ["route", "direction", "event_type"],
            registry=registry,
        )
        self.live_dropped = Counter(
            "ia_api_live_subscribers_dropped",
            "Live-update subscribers dropped for reading too slowly.",
            registry=registry,
        )
        self.live_events = Counter(
            "ia_api_live_events",
            "meeting-events messages the live feed decoded, by event type.",
            ["event_type"],
            registry=registry,
        )

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        method = method if method in METHODS else "OTHER"
        self.requests.labels(self.service, route, method, str(status)).inc()
        self.latency.labels(self.service, route, method).observe(seconds * 1000)


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    if isinstance(route, BaseRoute):
        path = getattr(route, "path", None)
        if isinstance(path, str):
            return path
    return UNMATCHED


class MetricsMiddleware:
    """Counts and times every HTTP request by route template (set by the router)."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            self.metrics.observe(
                route_template(scope),
                str(scope.get("method", "")),
                status,
                time.perf_counter() - started,
            )

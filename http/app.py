"""The front door's Starlette application: ``create_app(deps)``.

Middleware, outermost first: CORS (only when origins are configured), request ids,
request metrics (by route template), the catch-all that turns an unexpected exception into
a logged 500; then Starlette's exception handlers map every known error (``errors``) to
the contract's body. The lifespan starts the dependencies' ``services`` in order before
the first request (the live feed, an audit sink that sends to Kafka, whatever ``ops``
gives) and stops them in reverse after the last. The live feed, when there is one, feeds
the :class:`~.live.LiveHub` of the WebSockets and keeps the meeting cache fresh.

``app.state`` holds ``deps``, ``metrics``, ``live_hub``, the ``meeting_cache`` (used only
while the feed follows the stream) and the ``openapi`` document.

Must not: build adapters or read the environment (``ops/api.py`` does both).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from interview_analytics.domain.meeting import Meeting
from interview_analytics.http import openapi
from interview_analytics.http.cache import MeetingCache
from interview_analytics.http.deps import ApiDependencies
from interview_analytics.http.errors import KNOWN_ERRORS, CatchAllMiddleware, handle_known_error
from interview_analytics.http.live import LiveHub
from interview_analytics.http.metrics import ApiMetrics, MetricsMiddleware
from interview_analytics.http.ports import Service
from interview_analytics.http.request_ids import HEADER as REQUEST_ID_HEADER
from interview_analytics.http.request_ids import RequestIdMiddleware
from interview_analytics.http.routes import routes

log = logging.getLogger(__name__)


def create_app(deps: ApiDependencies) -> Starlette:
    metrics = ApiMetrics(deps.registry, deps.service_name)
    middleware = [
        Middleware(RequestIdMiddleware),
        Middleware(MetricsMiddleware, metrics=metrics),
        Middleware(CatchAllMiddleware),
    ]
    if deps.cors_allowed_origins:
        middleware.insert(
            0,
            Middleware(
                CORSMiddleware,
                allow_origins=list(deps.cors_allowed_origins),
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["Authorization", "X-API-Key", "Content-Type", REQUEST_ID_HEADER],
                expose_headers=[REQUEST_ID_HEADER, "WWW-Authenticate", "Retry-After"],
            ),
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        started: list[Service] = []
        try:
            for service in deps.services:
                await service.start()
                started.append(service)
            yield
        finally:
            for service in reversed(started):
                try:
                    await service.stop()
                except Exception:
                    log.exception("%s did not stop cleanly", type(service).__name__)

    table = routes()
    app = Starlette(
        routes=table,
        middleware=middleware,
        exception_handlers=dict.fromkeys(KNOWN_ERRORS, handle_known_error),
        lifespan=lifespan,
    )
    hub = LiveHub(deps.limits.live_queue_frames, on_drop=metrics.live_dropped.inc)
    cache = MeetingCache()
    if deps.live_feed is not None:

        def on_event(event_type: str, event: Meeting.Event) -> None:
            metrics.live_events.labels(event_type).inc()
            cache.saw(event.meeting_id, event.originator_version)
            hub.publish(event)

        deps.live_feed.listen(on_event, cache.set_active)
    app.state.deps = deps
    app.state.metrics = metrics
    app.state.live_hub = hub
    app.state.meeting_cache = cache
    app.state.openapi = openapi.document(table)
    return app

"""The front door's Starlette application: ``create_app(deps)``.

Middleware, outermost first: CORS (only when origins are configured), request ids,
request metrics (by route template), the catch-all that turns an unexpected exception into
a logged 500; then Starlette's exception handlers map every known error (``errors``) to
the contract's body. The lifespan starts the live feed (one ``meeting-events`` consumer
for the process) when the dependencies name a broker, and stops it on shutdown; an audit
sink with ``start()``/``stop()`` coroutines (a managed sink, e.g. one that sends to Kafka)
is started before the first request and stopped after the last.

``app.state`` holds ``deps``, ``metrics``, ``live_hub``, ``live_feed`` (or None), the
``meeting_cache`` (kept fresh by the feed; unused without one) and the ``openapi``
document.

Must not: build adapters or read the environment (``ops/api.py`` does both).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from interview_analytics.http import openapi
from interview_analytics.http.cache import MeetingCache
from interview_analytics.http.deps import ApiDependencies
from interview_analytics.http.errors import KNOWN_ERRORS, CatchAllMiddleware, handle_known_error
from interview_analytics.http.live import KafkaLiveFeed, LiveHub
from interview_analytics.http.metrics import ApiMetrics, MetricsMiddleware
from interview_analytics.http.request_ids import HEADER as REQUEST_ID_HEADER
from interview_analytics.http.request_ids import RequestIdMiddleware
from interview_analytics.http.routes import routes

log = logging.getLogger(__name__)

FEED_STOP_TIMEOUT_SEC = 10.0


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
        stop = asyncio.Event()
        task: asyncio.Task[None] | None = None
        await _call_if_present(deps.audit, "start")
        feed = app.state.live_feed
        if feed is not None:
            task = asyncio.create_task(feed.run(stop), name="live-feed")
        try:
            yield
        finally:
            stop.set()
            await _call_if_present(deps.audit, "stop")
            if task is not None:
                try:
                    await asyncio.wait_for(task, FEED_STOP_TIMEOUT_SEC)
                except TimeoutError:
                    log.warning("live feed did not stop within %s s", FEED_STOP_TIMEOUT_SEC)
                    task.cancel()

    table = routes()
    app = Starlette(
        routes=table,
        middleware=middleware,
        exception_handlers=dict.fromkeys(KNOWN_ERRORS, handle_known_error),
        lifespan=lifespan,
    )
    hub = LiveHub(deps.limits.live_queue_frames, on_drop=metrics.live_dropped.inc)
    cache = MeetingCache()
    feed: KafkaLiveFeed | None = None
    if deps.live_bootstrap_servers:
        feed = KafkaLiveFeed(
            hub,
            deps.live_bootstrap_servers,
            on_event=lambda event_type: metrics.live_events.labels(event_type).inc(),
        )
        feed.listeners.append(lambda event: cache.saw(event.meeting_id, event.originator_version))
        feed.on_state = cache.set_active
    app.state.deps = deps
    app.state.metrics = metrics
    app.state.live_hub = hub
    app.state.live_feed = feed
    app.state.meeting_cache = cache
    app.state.openapi = openapi.document(table)
    return app


async def _call_if_present(target: object, name: str) -> None:
    method = getattr(target, name, None)
    if callable(method):
        result = method()
        if inspect.isawaitable(result):
            await result

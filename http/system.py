"""Routes for machines: liveness, readiness per dependency, Prometheus metrics, OpenAPI.

``/ready`` runs every readiness check at once, each bounded by
``limits.readiness_timeout_sec``, and answers 200 when all pass, else 503 with every
check's result (and the contract's error body naming the failing ones). Each route's
answer and OpenAPI operation are declared beside its handler.

Must not: do work beyond the checks it is given.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import JSONResponse, Response

from interview_analytics.http.answers import BOOL, NUM, STR, Answer, Prop
from interview_analytics.http.errors import ERROR_DETAIL, RETRY_AFTER_SEC, error_body
from interview_analytics.http.operations import Call, Operation
from interview_analytics.http.ports import ReadinessCheck

HEALTH_ANSWER = Answer("Health", (Prop("ok", {"const": True}),))
HEALTH = Operation("health", "Liveness", "public", "system", HEALTH_ANSWER)

CHECK = Answer(
    "",
    (
        Prop("ok", BOOL),
        Prop("error", STR, maybe=True),
        Prop("note", STR, "What a passing check found worth saying.", maybe=True),
        Prop("duration_ms", NUM),
    ),
)
READY_ANSWER = Answer(
    "Ready",
    (
        Prop("ready", BOOL),
        Prop(
            "checks",
            {
                "type": "object",
                "additionalProperties": CHECK.json_schema(),
                "description": "By dependency: event_store, broker, clickhouse, speech_model.",
            },
        ),
        Prop("detail", ERROR_DETAIL, "When not ready.", required=False),
    ),
)
READY = Operation(
    "ready",
    "Readiness of each dependency",
    "public",
    "system",
    READY_ANSWER,
    description="event store, broker, ClickHouse and speech model, checked separately; 503 "
    "(with every check's result) unless all pass.",
    errors=(503,),
)
METRICS = Operation(
    "metrics", "Prometheus metrics", "public", "system", None, media_type="text/plain"
)
OPENAPI = Operation("openapi", "This document", "public", "system", None)


async def health(call: Call) -> Response:
    """Liveness: the process answers."""
    return HEALTH_ANSWER.response()


async def ready(call: Call) -> Response:
    """Readiness: every dependency, checked separately."""
    deps = call.deps
    timeout = deps.limits.readiness_timeout_sec
    names = list(deps.readiness)
    results = await asyncio.gather(*(_run(deps.readiness[n], timeout) for n in names))
    checks = dict(zip(names, results, strict=True))
    failing = sorted(name for name, result in checks.items() if not result["ok"])
    if not failing:
        return READY_ANSWER.response(ready=True, checks=checks)
    body = READY_ANSWER.build(
        ready=False,
        checks=checks,
        **error_body("not_ready", f"not ready: {', '.join(failing)}", {"failing": failing}),
    )
    return JSONResponse(body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SEC)})


async def _run(check: ReadinessCheck, limit_sec: float) -> dict[str, Any]:
    started = time.perf_counter()
    error: str | None = None
    note: str | None = None
    try:
        note = await asyncio.wait_for(check(), limit_sec)
    except TimeoutError:
        error = f"no answer within {limit_sec:g} s"
    except Exception as failure:
        error = (f"{type(failure).__name__}: {failure}")[:500]
    return {
        "ok": error is None,
        "error": error,
        "note": note,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
    }


async def metrics(call: Call) -> Response:
    """Prometheus text exposition of this process's registry."""
    payload = generate_latest(call.deps.registry)
    return Response(payload, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def openapi(call: Call) -> Response:
    """The OpenAPI 3.1 document of this API."""
    return JSONResponse(call.request.app.state.openapi)

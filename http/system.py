"""Routes for machines: liveness, readiness per dependency, Prometheus metrics, OpenAPI.

``/ready`` runs every readiness check at once, each bounded by
``limits.readiness_timeout_sec``, and answers 200 when all pass, else 503 with every
check's result (and the contract's error body naming the failing ones).

Must not: do work beyond the checks it is given.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from interview_analytics.http.deps import deps_of
from interview_analytics.http.errors import RETRY_AFTER_SEC, error_body
from interview_analytics.http.ports import ReadinessCheck


async def health(request: Request) -> Response:
    """Liveness: the process answers."""
    return JSONResponse({"ok": True})


async def ready(request: Request) -> Response:
    """Readiness: every dependency, checked separately."""
    deps = deps_of(request)
    timeout = deps.limits.readiness_timeout_sec
    names = list(deps.readiness)
    results = await asyncio.gather(*(_run(deps.readiness[n], timeout) for n in names))
    checks = dict(zip(names, results, strict=True))
    failing = sorted(name for name, result in checks.items() if not result["ok"])
    if not failing:
        return JSONResponse({"ready": True, "checks": checks})
    body = {
        "ready": False,
        "checks": checks,
        **error_body("not_ready", f"not ready: {', '.join(failing)}", {"failing": failing}),
    }
    return JSONResponse(body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SEC)})


async def _run(check: ReadinessCheck, limit_sec: float) -> dict[str, Any]:
    started = time.perf_counter()
    error: str | None = None
    try:
        await asyncio.wait_for(check(), limit_sec)
    except TimeoutError:
        error = f"no answer within {limit_sec:g} s"
    except Exception as failure:
        error = (f"{type(failure).__name__}: {failure}")[:500]
    return {
        "ok": error is None,
        "error": error,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
    }


async def metrics(request: Request) -> Response:
    """Prometheus text exposition of this process's registry."""
    payload = generate_latest(deps_of(request).registry)
    return Response(payload, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def openapi(request: Request) -> Response:
    """The OpenAPI 3.1 document of this API."""
    document = request.app.state.openapi
    return JSONResponse(document)

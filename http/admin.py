"""Admin views for operators (service identities only): queue health, dead letters and
the security audit (every allow/deny decision of the front door, from its own table).

Queue health answers the contract's ``{"queues": [{queue, group, depth, pending,
dlq_depth, …}]}`` from the read model's latest samples: ``depth`` is the group's lag and
``pending`` the relay's backlog, both in event-store positions; a consumer group that has
not reported yet is a row of zeros, never a 503 for the whole view.

Must not: change anything (re-driving dead letters is ``ia dead-letters redrive``).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from interview_analytics.http import bodies, views
from interview_analytics.http.deps import deps_of


async def queue_health(request: Request) -> Response:
    """Lag, relay backlog and dead letters per consumer group."""
    rows = await run_in_threadpool(deps_of(request).reads.queue_health)
    return JSONResponse({"queues": views.jsonable(rows)})


async def dead_letters(request: Request) -> Response:
    """What the pipeline gave up on, newest first, resolved or not."""
    # The query specs name exactly the read methods' keyword arguments.
    query = bodies.DEAD_LETTERS.validate_query(request.query_params)
    reads = deps_of(request).reads
    letters = await run_in_threadpool(lambda: reads.dead_letters(**query))
    return JSONResponse({"dead_letters": views.jsonable(letters)})


async def security_audit(request: Request) -> Response:
    """The front door's allow/deny decisions, newest first, with filters."""
    query = bodies.SECURITY_AUDIT.validate_query(request.query_params)
    reads = deps_of(request).reads
    decisions = await run_in_threadpool(lambda: reads.security_audit(**query))
    return JSONResponse({"decisions": views.jsonable(decisions)})

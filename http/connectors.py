"""Admin routes of the meeting-platform connector (SberJazz), service identities only.

``POST …/{meeting_id}/join|leave|reconnect`` act now and answer the session as the event
store has it afterwards; ``GET …/{meeting_id}/status`` and ``GET …/sessions`` read the
``connector_sessions`` read model (status falls back to the event store while the read
model has no row yet, saying ``"source": "write_model"``); ``GET …/health`` asks the
platform (and shows the circuit breaker); ``POST …/reconcile`` runs one reconciliation
pass here and now. Platform failures are 503 with a ``connector_*`` code; a meeting the
connector never joined is 404 ``never_joined``.

Session fields: the contract's ``meeting_id``, ``provider``, ``connected``, ``attempts``,
``last_error``, ``updated_at``, plus ``state`` and the session's counters and times.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from interview_analytics.http import bodies, views
from interview_analytics.http.deps import deps_of
from interview_analytics.http.fields import Spec
from interview_analytics.http.meetings import path_meeting_id
from interview_analytics.http.operations import identity_of
from interview_analytics.http.ports import ConnectorAdmin, ConnectorUnavailableError
from interview_analytics.http.reading import read_json

MAX_LIMIT = bodies.MAX_LIST_LIMIT

# Read-model columns that are not part of the answer.
_INTERNAL_FIELDS = frozenset({"tenant", "version"})


def _connector(request: Request) -> ConnectorAdmin:
    connector = deps_of(request).connector
    if connector is None:
        raise ConnectorUnavailableError(
            "connector_disabled",
            "the meeting connector is turned off (MEETING_CONNECTOR_PROVIDER=none)",
            {},
        )
    return connector


def session_document(session: dict[str, Any]) -> dict[str, Any]:
    """The contract's fields first, then the session's others (state, cursor, times, …)."""
    document: dict[str, Any] = {
        "meeting_id": session["meeting_id"],
        "provider": session["provider"],
        "connected": bool(session["connected"]),
        "attempts": int(session["attempts"]),
        "last_error": session.get("last_error"),
        "updated_at": session["updated_at"],
    }
    for name, value in session.items():
        if name not in document and name not in _INTERNAL_FIELDS:
            document[name] = value
    return dict(views.jsonable(document))


def _clamped_limit(request: Request, spec: Spec) -> int:
    limit = int(spec.validate_query(request.query_params)["limit"])
    return max(1, min(MAX_LIMIT, limit))


async def join(request: Request) -> Response:
    """Join the live meeting now (an active session is answered as it is)."""
    meeting_id = path_meeting_id(request)
    body = bodies.CONNECTOR_JOIN.validate(
        await read_json(request, deps_of(request).limits.max_request_body_bytes, optional=True)
    )
    session = await _connector(request).join(
        meeting_id,
        participants=body["participants"] or [],
        language=body["language"],
        actor=identity_of(request).subject,
    )
    return JSONResponse(session_document(session))


async def leave(request: Request) -> Response:
    """Leave the live meeting (a session that has ended is answered as it is)."""
    session = await _connector(request).leave(
        path_meeting_id(request), actor=identity_of(request).subject
    )
    return JSONResponse(session_document(session))


async def reconnect(request: Request) -> Response:
    """Rejoin now; a failed session joins again; one that has left is 409."""
    session = await _connector(request).reconnect(
        path_meeting_id(request), actor=identity_of(request).subject
    )
    return JSONResponse(session_document(session))


async def status(request: Request) -> Response:
    """The session; 404 never_joined when the connector was never asked to join."""
    session = await _connector(request).status(path_meeting_id(request))
    return JSONResponse(session_document(session))


async def sessions(request: Request) -> Response:
    """Sessions, newest first."""
    limit = _clamped_limit(request, bodies.CONNECTOR_SESSIONS)
    found = await _connector(request).sessions(limit)
    return JSONResponse({"sessions": [session_document(s) for s in found]})


async def health(request: Request) -> Response:
    """Whether the platform answers, and the circuit breaker's state."""
    return JSONResponse(views.jsonable(await _connector(request).health()))


async def reconcile(request: Request) -> Response:
    """One reconciliation pass now."""
    limit = _clamped_limit(request, bodies.CONNECTOR_RECONCILE)
    return JSONResponse(views.jsonable(await _connector(request).reconcile(limit)))

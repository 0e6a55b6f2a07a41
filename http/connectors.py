"""Admin routes of the meeting-platform connector (SberJazz), service identities only.

``POST …/{meeting_id}/join|leave|reconnect`` act now and answer the session as the event
store has it afterwards; ``GET …/{meeting_id}/status`` and ``GET …/sessions`` read the
``connector_sessions`` read model (status falls back to the event store while the read
model has no row yet, saying ``"source": "write_model"``); ``GET …/health`` asks the
platform (and shows the circuit breaker); ``POST …/reconcile`` runs one reconciliation
pass here and now. Platform failures are 503 with a ``connector_*`` code; a meeting the
connector never joined is 404 ``never_joined``; with the connector turned off every
route is 503 ``connector_disabled``.

Session fields: the contract's ``meeting_id``, ``provider``, ``connected``, ``attempts``,
``last_error``, ``updated_at``, plus ``state`` and the session's counters and times.

Must not: talk to the platform or the stores itself (the ``ConnectorAdmin`` port does).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from interview_analytics.domain.read_filters import MAX_LIMIT, ConnectorSessionsFilter
from interview_analytics.http.answers import BOOL, INT, NUM, STR, TIME, Answer, Prop
from interview_analytics.http.common import MAX_NAME_LENGTH, MAX_NAMES, language_field
from interview_analytics.http.fields import Field, Spec, filter_spec
from interview_analytics.http.operations import Call, Operation
from interview_analytics.http.ports import ConnectorAdmin, ConnectorUnavailableError

SESSION_ANSWER = Answer(
    "ConnectorSession",
    (
        Prop("meeting_id", STR),
        Prop("provider", STR),
        Prop("connected", BOOL, get=lambda session: bool(session["connected"])),
        Prop(
            "attempts",
            INT,
            "Join attempts, the first and every reconnect.",
            get=lambda session: int(session["attempts"]),
        ),
        Prop("last_error", STR, maybe=True, get=lambda session: session.get("last_error")),
        Prop("updated_at", TIME),
    ),
    "Also: state (requested, joining, connected, reconnecting, leaving, left, failed), "
    "reconnects, cursor, chunks, last_error_kind, failed_stage, last_seen_at, source "
    "(read_model or write_model).",
    open=True,
    hidden=frozenset({"tenant", "version"}),  # read-model columns, not the session's
)
SESSIONS_ANSWER = Answer(
    "ConnectorSessions", (Prop("sessions", SESSION_ANSWER, many=True),), "Newest first."
)
HEALTH_ANSWER = Answer(
    "ConnectorHealth",
    (
        Prop("provider", STR),
        Prop("configured", BOOL),
        Prop("healthy", BOOL),
        Prop("details", {"type": "object", "additionalProperties": STR}),
        Prop("updated_at", TIME),
    ),
    "details.circuit_state is the circuit breaker: closed, half_open or open.",
)
RECONCILE_ANSWER = Answer(
    "ConnectorReconcile",
    (
        Prop("scanned", INT),
        Prop("stale", INT),
        Prop("reconnected", INT),
        Prop("failed", INT),
        Prop("stale_threshold_sec", NUM),
        Prop("updated_at", TIME),
    ),
)

JOIN_BODY = Spec(
    "ConnectorJoinRequest",
    (
        Field(
            "participants",
            "string_list",
            "Participants passed to the platform's join call.",
            max_items=MAX_NAMES,
            max_length=MAX_NAME_LENGTH,
        ),
        language_field("Language passed to the platform; absent = the meeting's."),
    ),
    "Optional body. An active session is answered as it is (no second join).",
)
SESSIONS_QUERY = filter_spec("ConnectorSessionsQuery", ConnectorSessionsFilter)
RECONCILE_QUERY = Spec(
    "ConnectorReconcileQuery",
    (Field("limit", "integer", "Most sessions looked at; clamped to 1..500.", default=200),),
)


def _operation(
    operation_id: str, summary: str, answer: Answer, errors: tuple[int, ...], **extra: Any
) -> Operation:
    return Operation(operation_id, summary, "service", "connectors", answer, errors=errors, **extra)


_SESSION_ERRORS = (404, 409, 422, 503)

HEALTH = _operation(
    "sberjazz_health", "SberJazz platform health and circuit breaker", HEALTH_ANSWER, (503,)
)
SESSIONS = _operation(
    "sberjazz_sessions",
    "SberJazz sessions, newest first",
    SESSIONS_ANSWER,
    (422, 503),
    query=SESSIONS_QUERY,
)
RECONCILE = _operation(
    "sberjazz_reconcile",
    "Run one reconciliation pass now",
    RECONCILE_ANSWER,
    (422, 503),
    query=RECONCILE_QUERY,
    description="Reconnects stale (no audio or heartbeat for SBERJAZZ_RECONCILE_STALE_SEC) "
    "and dropped sessions, joins requested ones, leaves finished meetings, expires sessions "
    "older than SBERJAZZ_SESSION_TTL_SEC.",
)
JOIN = _operation(
    "sberjazz_join",
    "Join a live meeting",
    SESSION_ANSWER,
    (*_SESSION_ERRORS, 413),
    body=JOIN_BODY,
    description="Unknown meeting 404; finished meeting 409 meeting_finished; platform "
    "failure 503 connector_<kind> (the session records it: reconnecting when a retry "
    "may help, else failed).",
)
STATUS = _operation(
    "sberjazz_status",
    "A meeting's connector session",
    SESSION_ANSWER,
    (404, 422, 503),
    description="404 never_joined when the connector was never asked to join.",
)
LEAVE = _operation("sberjazz_leave", "Leave a live meeting", SESSION_ANSWER, _SESSION_ERRORS)
RECONNECT = _operation(
    "sberjazz_reconnect",
    "Reconnect a session now",
    SESSION_ANSWER,
    _SESSION_ERRORS,
    description="A connected or waiting session rejoins; a failed one joins again; "
    "one that has left is 409 connector_state_conflict.",
)


def _connector(call: Call) -> ConnectorAdmin:
    connector = call.deps.connector
    if connector is None:
        raise ConnectorUnavailableError(
            "connector_disabled",
            "the meeting connector is turned off (MEETING_CONNECTOR_PROVIDER=none)",
            {},
        )
    return connector


async def join(call: Call) -> Response:
    """Join the live meeting now (an active session is answered as it is)."""
    meeting_id = call.meeting_id
    body = await call.body()
    session = await _connector(call).join(
        meeting_id,
        participants=body["participants"] or [],
        language=body["language"],
        actor=call.identity.subject,
    )
    return SESSION_ANSWER.response(session)


async def leave(call: Call) -> Response:
    """Leave the live meeting (a session that has ended is answered as it is)."""
    session = await _connector(call).leave(call.meeting_id, actor=call.identity.subject)
    return SESSION_ANSWER.response(session)


async def reconnect(call: Call) -> Response:
    """Rejoin now; a failed session joins again; one that has left is 409."""
    session = await _connector(call).reconnect(call.meeting_id, actor=call.identity.subject)
    return SESSION_ANSWER.response(session)


async def status(call: Call) -> Response:
    """The session; 404 never_joined when the connector was never asked to join."""
    return SESSION_ANSWER.response(await _connector(call).status(call.meeting_id))


async def sessions(call: Call) -> Response:
    """Sessions, newest first."""
    selection = ConnectorSessionsFilter(**call.query())  # the read clamps its limit
    found = await _connector(call).sessions(selection)
    return SESSIONS_ANSWER.response(sessions=[SESSION_ANSWER.build(s) for s in found])


async def health(call: Call) -> Response:
    """Whether the platform answers, and the circuit breaker's state."""
    return HEALTH_ANSWER.response(await _connector(call).health())


async def reconcile(call: Call) -> Response:
    """One reconciliation pass now."""
    limit = max(1, min(MAX_LIMIT, int(call.query()["limit"])))
    return RECONCILE_ANSWER.response(await _connector(call).reconcile(limit))

"""Who may call what: authenticate, apply the route's guard, audit the decision.

Every ``/v1`` route and both WebSockets call :func:`authorize` before doing anything else
(before reading a body, before accepting a socket). The guards:

- ``any``: a user or a service identity (the meeting routes);
- ``service``: service identities only (``/v1/admin/*``, ``/v1/ws/internal``);
- ``user``: user identities only (``/v1/ws``).

A caller of the wrong kind is 403 ``forbidden_identity_kind``. An identity authenticated
with ``auth_type == "none"`` (``AUTH_MODE=none``, refused in production by the settings)
passes every guard, which is how the admin API is usable on a developer's machine. Each
decision, allow or deny, goes to the audit sink as one :class:`AuditDecision` whose
``endpoint`` is the route template, never the raw path.

Must not: decide how credentials are checked (the ``Authenticator`` does) or swallow a
refusal.
"""

from __future__ import annotations

import functools
import logging
from typing import Literal

from starlette.requests import HTTPConnection

from interview_analytics.http.audit import AuditDecision
from interview_analytics.http.credentials import attempted_auth_type
from interview_analytics.http.deps import deps_of
from interview_analytics.http.identity import AuthError, Identity
from interview_analytics.http.request_ids import request_id_of

log = logging.getLogger(__name__)

Access = Literal["public", "any", "service", "user"]


def guard(identity: Identity, access: Access) -> None:
    """Refuse (403 ``forbidden_identity_kind``) an identity of the wrong kind for a route
    with ``access``; ``AUTH_MODE=none`` identities pass every guard."""
    if access in ("public", "any") or identity.auth_type == "none" or identity.kind == access:
        return
    raise AuthError(
        403,
        "forbidden_identity_kind",
        f"this endpoint needs a {access} identity; the caller is a {identity.kind}",
    )


async def authorize(connection: HTTPConnection, access: Access, endpoint: str) -> Identity:
    """The caller's identity, allowed on ``endpoint``; raises ``AuthError`` (audited)."""
    deps = deps_of(connection)
    identity: Identity | None = None
    try:
        identity = await deps.authenticator.authenticate(connection.headers)
        guard(identity, access)
    except AuthError as error:
        _record(connection, endpoint, identity, error)
        raise
    _record(connection, endpoint, identity, None)
    return identity


def method_of(connection: HTTPConnection) -> str:
    return str(connection.scope.get("method") or "WS")


def _record(
    connection: HTTPConnection,
    endpoint: str,
    identity: Identity | None,
    error: AuthError | None,
) -> None:
    method = method_of(connection)
    client_ip = connection.client.host if connection.client else ""
    meeting_id = _short(connection.path_params.get("meeting_id"))
    request_id = request_id_of(connection)
    if error is None:
        assert identity is not None
        decide = functools.partial(AuditDecision.allow, identity)
    else:
        attempted = attempted_auth_type(connection.headers)
        decide = functools.partial(
            AuditDecision.deny, error, identity=identity, auth_type=attempted
        )
    decision = decide(
        endpoint=endpoint,
        method=method,
        client_ip=client_ip,
        meeting_id=meeting_id,
        request_id=request_id,
    )
    try:
        deps_of(connection).audit.record(decision)
    except Exception:
        # The sink promises not to block or fail; if it does, the request still gets its
        # answer and the failure is loud in the log.
        log.exception("audit sink failed to record %s", decision.event)


def _short(value: str | None, limit: int = 200) -> str | None:
    return value[:limit] if value is not None else None

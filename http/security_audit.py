"""The security audit view (service identities only): every allow/deny decision of the
front door, newest first, from its own table (``security_audit_log``), with filters.

Must not: change anything, or show a decision's fields beyond those recorded.
"""

from __future__ import annotations

from starlette.responses import Response

from interview_analytics.domain.read_filters import SecurityAuditFilter
from interview_analytics.http.answers import BOOL, INT, STR, TIME, Answer, Prop, one_of
from interview_analytics.http.fields import filter_spec
from interview_analytics.http.operations import Call, Operation

SECURITY_AUDIT_QUERY = filter_spec("SecurityAuditQuery", SecurityAuditFilter)

AUDIT_DECISION = Answer(
    "AuditDecision",
    (
        Prop("decision_id", STR),
        Prop("occurred_at", TIME),
        Prop("allowed", BOOL),
        Prop("event", one_of("security_audit_allow", "security_audit_deny")),
        Prop("endpoint", STR, "Route template."),
        Prop("method", STR),
        Prop("subject", STR),
        Prop("auth_type", STR),
        Prop("reason", STR),
        Prop("client_ip", STR),
        Prop("status_code", INT, maybe=True),
        Prop("error_code", STR, maybe=True),
        Prop("meeting_id", STR, maybe=True),
        Prop("request_id", STR, maybe=True),
    ),
    open=True,
)

SECURITY_AUDIT_ANSWER = Answer("SecurityAudit", (Prop("decisions", AUDIT_DECISION, many=True),))

SECURITY_AUDIT = Operation(
    "security_audit",
    "Security audit: allow/deny decisions",
    "service",
    "admin",
    SECURITY_AUDIT_ANSWER,
    description="Every authentication decision of the front door, newest first.",
    query=SECURITY_AUDIT_QUERY,
    errors=(422, 503),
)


async def decisions(call: Call) -> Response:
    """The front door's allow/deny decisions, newest first, with filters."""
    selection = SecurityAuditFilter(**call.query())
    found = await call.deps.read(call.deps.reads.security_audit, selection)
    return SECURITY_AUDIT_ANSWER.response(decisions=[AUDIT_DECISION.build(d) for d in found])

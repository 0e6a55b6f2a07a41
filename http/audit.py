"""Security audit: every allow/deny decision of the front door, as one record.

The routes build an :class:`AuditDecision` for each request they authenticate and hand it
to an :class:`AuditSink`; the sinks (structured log line, ``security-audit`` topic) are
built by ``ops/``. Field names follow the older service's ``security_audit_allow`` /
``security_audit_deny`` log events.

Must not: read the environment.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class AuditDecision:
    allowed: bool
    endpoint: str
    """The route template (``/v1/meetings/{meeting_id}``), never the raw path."""
    method: str
    subject: str
    """Who asked; ``anonymous`` when no credentials were given."""
    auth_type: str
    reason: str
    client_ip: str
    occurred_at: datetime
    status_code: int | None = None
    """Deny only: 401 or 403."""
    error_code: str | None = None
    """Deny only: the error body's ``code``."""
    meeting_id: str | None = None
    request_id: str | None = None

    @property
    def event(self) -> str:
        return "security_audit_allow" if self.allowed else "security_audit_deny"

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["occurred_at"] = self.occurred_at.isoformat()
        record["event"] = self.event
        return record


class AuditSink(Protocol):
    def record(self, decision: AuditDecision) -> None:
        """Take one decision; must not block the request (buffer and send later)."""
        ...

"""Security audit: every allow/deny decision of the front door, as one record, and its sinks.

The routes build an :class:`AuditDecision` for each request they authenticate and hand it
to an :class:`AuditSink`; ``ops/`` chooses the sinks. Field names follow the older
service's ``security_audit_allow`` / ``security_audit_deny`` log events.

- :class:`LoggingAuditSink`: one line per decision on the ``interview_analytics.security``
  logger, message ``security_audit_allow`` / ``security_audit_deny`` followed by the key
  fields, and every field of :meth:`AuditDecision.to_dict` as a log-record attribute (so
  ``LOG_FORMAT=json`` writes them as JSON keys). Allows at INFO, denies at WARNING.
- :class:`FanOutAuditSink`: hands each decision to several sinks (the log line, and
  ``streams.audit_sink.KafkaAuditSink`` for the ``security-audit`` topic); one failing
  sink does not keep the others from recording, nor fails the request. It starts and
  stops the sinks that have a lifetime.

Must not: block the request, read the environment, or talk to a broker.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from interview_analytics.http.identity import AuthError, Identity
from interview_analytics.http.ports import Service

SECURITY_LOGGER = "interview_analytics.security"

log = logging.getLogger(__name__)


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
    decision_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    """Made once, when the decision is taken: a redelivered record keeps it, so the
    ``security_audit_log`` table stores it once."""

    @classmethod
    def allow(
        cls,
        identity: Identity,
        *,
        endpoint: str,
        method: str,
        client_ip: str,
        reason: str = "authenticated",
        meeting_id: str | None = None,
        request_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> AuditDecision:
        """The record of a request that ``identity`` was allowed to make."""
        return cls(
            allowed=True,
            endpoint=endpoint,
            method=method,
            subject=identity.subject,
            auth_type=identity.auth_type,
            reason="auth_disabled" if identity.auth_type == "none" else reason,
            client_ip=client_ip,
            occurred_at=occurred_at or datetime.now(UTC),
            meeting_id=meeting_id,
            request_id=request_id,
        )

    @classmethod
    def deny(
        cls,
        error: AuthError,
        *,
        endpoint: str,
        method: str,
        client_ip: str,
        identity: Identity | None = None,
        auth_type: str = "none",
        meeting_id: str | None = None,
        request_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> AuditDecision:
        """The record of a refusal: ``identity`` when authentication succeeded (403),
        else ``anonymous`` with the ``auth_type`` the request attempted (401)."""
        return cls(
            allowed=False,
            endpoint=endpoint,
            method=method,
            subject=identity.subject if identity is not None else "anonymous",
            auth_type=identity.auth_type if identity is not None else auth_type,
            reason=error.message,
            client_ip=client_ip,
            occurred_at=occurred_at or datetime.now(UTC),
            status_code=error.status,
            error_code=error.code,
            meeting_id=meeting_id,
            request_id=request_id,
        )

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


class LoggingAuditSink:
    """One structured log line per decision."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger(SECURITY_LOGGER)

    def record(self, decision: AuditDecision) -> None:
        fields = decision.to_dict()
        # The text format shows only the message, so it carries the fields people look for.
        message = (
            f"{decision.event} {decision.method} {decision.endpoint} "
            f"subject={decision.subject} auth_type={decision.auth_type} "
            f"client_ip={decision.client_ip}"
        )
        if not decision.allowed:
            message += f" status={decision.status_code} code={decision.error_code}"
        message += f" reason={decision.reason!r}"
        level = logging.INFO if decision.allowed else logging.WARNING
        self.logger.log(level, message, extra=fields)


class FanOutAuditSink:
    """Every decision to every sink; ``start``/``stop`` reach the sinks that have them."""

    def __init__(self, sinks: Iterable[AuditSink]) -> None:
        self.sinks = list(sinks)

    def record(self, decision: AuditDecision) -> None:
        for sink in self.sinks:
            try:
                sink.record(decision)
            except Exception:
                # An audit sink must not turn an answered request into a 500.
                log.exception("security audit sink %s failed", type(sink).__name__)

    async def start(self) -> None:
        for sink in self.sinks:
            if isinstance(sink, Service):
                await sink.start()

    async def stop(self) -> None:
        for sink in reversed(self.sinks):
            if isinstance(sink, Service):
                await sink.stop()

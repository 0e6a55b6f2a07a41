"""The ``security_audit_log`` table: the front door's allow/deny decisions, and their reads.

Messages on ``security-audit`` are JSON objects as ``AuditDecision.to_dict`` writes them
(docs/events.md). ``rows_from_messages`` turns a batch of message values into rows and
skips (and counts) values that are not such objects, so one bad message cannot stop the
projector. A row is keyed by the decision's ``decision_id`` and ``occurred_at``, which a
redelivered message repeats: writing it again changes nothing a ``FINAL`` read sees.
(A record without ``decision_id``, from a producer that predates it, gets an id derived
from its content, so its redeliveries dedupe too.)

``audit_records`` reads the table newest first, with the admin view's filters.

Must not: write to the store (the projector does), read the clock or the environment.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from interview_analytics.domain.read_filters import SecurityAuditFilter
from interview_analytics.projections.sql import Filters, clamp_limit
from interview_analytics.projections.store import ReadStore

TABLE = "security_audit_log"

# Content-derived ids for records without a decision_id (uuid5 in this namespace).
_NAMESPACE = uuid.UUID("6f1c0f4e-3d4e-5b8a-9a51-8e1f2b7c9d30")

log = logging.getLogger(__name__)


class BadAuditRecordError(ValueError):
    """A message value that is not an audit decision record."""


def audit_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """The table row of one decision record (the topic's JSON, decoded)."""
    allowed = record.get("allowed")
    if not isinstance(allowed, bool):
        raise BadAuditRecordError("allowed must be true or false")
    decision_id = record.get("decision_id")
    if decision_id is None:
        canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), default=str)
        decision_id = str(uuid.uuid5(_NAMESPACE, canonical))
    return {
        "decision_id": _text(record, "decision_id", decision_id),
        "occurred_at": _time(record.get("occurred_at")),
        "allowed": int(allowed),
        "event": "security_audit_allow" if allowed else "security_audit_deny",
        "endpoint": _text(record, "endpoint"),
        "method": _text(record, "method"),
        "subject": _text(record, "subject"),
        "auth_type": _text(record, "auth_type"),
        "reason": _text(record, "reason", ""),
        "client_ip": _text(record, "client_ip", ""),
        "status_code": _optional_int(record.get("status_code")),
        "error_code": _optional_text(record, "error_code"),
        "meeting_id": _optional_text(record, "meeting_id"),
        "request_id": _optional_text(record, "request_id"),
    }


def rows_and_rejects(values: Sequence[bytes]) -> tuple[list[dict[str, Any]], int]:
    """Rows of the decodable values, and how many values were not audit records."""
    rows: list[dict[str, Any]] = []
    rejected = 0
    for value in values:
        try:
            record = json.loads(value)
            if not isinstance(record, dict):
                raise BadAuditRecordError("not a JSON object")
            rows.append(audit_row(record))
        except (ValueError, TypeError):  # JSON, UTF-8 and BadAuditRecordError are ValueErrors
            rejected += 1
    return rows, rejected


def rows_from_messages(values: Sequence[bytes]) -> list[dict[str, Any]]:
    """Rows of a batch of ``security-audit`` message values; bad ones are skipped and
    counted in a warning (use :func:`rows_and_rejects` to get the count)."""
    rows, rejected = rows_and_rejects(values)
    if rejected:
        log.warning("skipped %d undecodable security-audit message(s) of %d", rejected, len(values))
    return rows


def audit_records(
    store: ReadStore, selection: SecurityAuditFilter | None = None
) -> list[dict[str, Any]]:
    """Decisions newest first, as the records on the topic (``occurred_at`` ISO-8601 UTC).

    ``since`` is inclusive and ``until`` exclusive; ``limit`` is clamped to 1..500.
    """
    wanted = selection or SecurityAuditFilter()
    filters = Filters(limit=clamp_limit(wanted.limit))
    if wanted.allowed is not None:
        filters.add("allowed = {allowed:UInt8}", allowed=int(wanted.allowed))
    if wanted.subject is not None:
        filters.add("subject = {subject:String}", subject=wanted.subject)
    if wanted.endpoint is not None:
        filters.add("endpoint = {endpoint:String}", endpoint=wanted.endpoint)
    filters.time_range("occurred_at", wanted.since, wanted.until)
    # Only constant fragments are joined; every value is a bound parameter.
    rows = store.query_rows(
        "SELECT decision_id, occurred_at, allowed, event, endpoint, method, subject,"  # noqa: S608
        " auth_type, reason, client_ip, status_code, error_code, meeting_id, request_id"
        f" FROM {TABLE} FINAL"
        + filters.where()
        + " ORDER BY occurred_at DESC, decision_id DESC LIMIT {limit:UInt32}",
        filters.parameters,
    )
    return [
        {
            **row,
            "allowed": bool(row["allowed"]),
            "occurred_at": row["occurred_at"].astimezone(UTC).isoformat(),
            "status_code": None if row["status_code"] is None else int(row["status_code"]),
        }
        for row in rows
    ]


def _text(record: Mapping[str, Any], name: str, default: str | None = None) -> str:
    value = record.get(name, default)
    if not isinstance(value, str) or (default is None and not value):
        raise BadAuditRecordError(f"{name} must be a non-empty string")
    return value


def _optional_text(record: Mapping[str, Any], name: str) -> str | None:
    value = record.get(name)
    if value is not None and not isinstance(value, str):
        raise BadAuditRecordError(f"{name} must be a string or null")
    return value


def _optional_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 65536:
        raise BadAuditRecordError("status_code must be an HTTP status or null")
    return value


def _time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise BadAuditRecordError("occurred_at must be an ISO-8601 string")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)

"""The security audit table: records from the topic, redeliveries, filters and order."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from interview_analytics.domain.read_filters import SecurityAuditFilter
from interview_analytics.http.audit import AuditDecision
from interview_analytics.http.identity import AuthError, Identity
from interview_analytics.projections.queries import Queries
from interview_analytics.projections.security_audit import (
    TABLE,
    audit_records,
    rows_and_rejects,
    rows_from_messages,
)
from interview_analytics.projections.store import ReadStore
from interview_analytics.streams.audit_sink import encode

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def decisions() -> list[AuditDecision]:
    """Five decisions a minute apart: three allowed, two denied."""
    alice = Identity("alice", "user", "jwt", "acme")
    robot = Identity("key:0123456789ab", "service", "service_api_key")
    missing = AuthError(401, "missing_credentials", "send an API key in X-API-Key")
    wrong_kind = AuthError(403, "forbidden_identity_kind", "needs a service identity")
    meeting = "/v1/meetings/{meeting_id}"
    return [
        AuditDecision.allow(alice, endpoint=meeting, method="GET", client_ip="10.0.0.1",
                            meeting_id="mtg-1", occurred_at=T0),
        AuditDecision.deny(missing, endpoint="/v1/meetings/start", method="POST",
                           client_ip="10.0.0.9", auth_type="api_key",
                           occurred_at=T0 + timedelta(minutes=1)),
        AuditDecision.allow(robot, endpoint="/v1/admin/queues/health", method="GET",
                            client_ip="10.0.0.2", occurred_at=T0 + timedelta(minutes=2)),
        AuditDecision.deny(wrong_kind, identity=alice, endpoint="/v1/admin/queues/health",
                           method="GET", client_ip="10.0.0.1", request_id="req-4",
                           occurred_at=T0 + timedelta(minutes=3)),
        AuditDecision.allow(alice, endpoint=meeting, method="GET", client_ip="10.0.0.1",
                            meeting_id="mtg-2", occurred_at=T0 + timedelta(minutes=4)),
    ]  # fmt: skip


def project(store: ReadStore, values: list[bytes]) -> None:
    store.insert(TABLE, rows_from_messages(values))


def test_records_round_trip_through_the_table(read_store: ReadStore) -> None:
    made = decisions()
    project(read_store, [encode(d) for d in made])
    newest_first = [d.to_dict() for d in reversed(made)]
    assert audit_records(read_store) == newest_first
    assert Queries(read_store).security_audit(SecurityAuditFilter(limit=500)) == newest_first


def test_a_redelivered_record_is_one_row(read_store: ReadStore) -> None:
    values = [encode(d) for d in decisions()]
    project(read_store, values)
    project(read_store, values)  # the whole batch again, as after a crash before commit
    project(read_store, values[:2])  # and part of it once more
    assert len(audit_records(read_store)) == 5
    read_store.command(f"OPTIMIZE TABLE {TABLE} FINAL")
    [count] = read_store.query_rows(f"SELECT count() AS n FROM {TABLE}")  # noqa: S608
    assert count["n"] == 5


def test_records_without_a_decision_id_dedupe_by_content(read_store: ReadStore) -> None:
    record = decisions()[1].to_dict()
    del record["decision_id"]
    value = json.dumps(record).encode()
    project(read_store, [value, value])
    project(read_store, [value])
    [found] = audit_records(read_store)
    assert found["decision_id"]
    assert {k: v for k, v in found.items() if k != "decision_id"} == record


def test_filters(read_store: ReadStore) -> None:
    made = decisions()
    project(read_store, [encode(d) for d in made])
    queries = Queries(read_store)

    def ids(**filters: Any) -> list[str]:
        return [r["decision_id"] for r in queries.security_audit(SecurityAuditFilter(**filters))]

    assert ids(allowed=False) == [made[3].decision_id, made[1].decision_id]
    assert ids(allowed=True) == [made[4].decision_id, made[2].decision_id, made[0].decision_id]
    assert ids(subject="alice") == [made[4].decision_id, made[3].decision_id, made[0].decision_id]
    assert ids(endpoint="/v1/admin/queues/health") == [made[3].decision_id, made[2].decision_id]
    # since inclusive, until exclusive
    window = ids(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=3))
    assert window == [made[2].decision_id, made[1].decision_id]
    assert ids(allowed=False, subject="alice", since=T0) == [made[3].decision_id]
    assert ids(limit=2) == [made[4].decision_id, made[3].decision_id]
    assert len(ids(limit=0)) == 1  # clamped to 1..500
    assert ids(subject="nobody") == []
    # A naive time is taken as UTC.
    assert ids(since=(T0 + timedelta(minutes=4)).replace(tzinfo=None)) == [made[4].decision_id]


def test_undecodable_values_are_skipped_and_counted(read_store: ReadStore) -> None:
    good = encode(decisions()[0])
    no_time = json.loads(good)
    no_time["occurred_at"] = "yesterday"
    not_bool = json.loads(good)
    not_bool["allowed"] = "yes"
    bad = [
        b"\xff\xfe not utf-8",
        b"not json",
        b"[1, 2]",
        b"{}",
        json.dumps(no_time).encode(),
        json.dumps(not_bool).encode(),
    ]
    rows, rejected = rows_and_rejects([*bad, good])
    assert (len(rows), rejected) == (1, len(bad))
    project(read_store, [*bad, good])
    assert [r["subject"] for r in audit_records(read_store)] == ["alice"]

"""Audit sinks: the structured log line, fan-out, and a Kafka sink that never blocks."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest

from interview_analytics.http.audit import (
    SECURITY_LOGGER,
    AuditDecision,
    FanOutAuditSink,
    LoggingAuditSink,
)
from interview_analytics.http.identity import AuthError, Identity
from interview_analytics.ops.logging import JsonFormatter
from interview_analytics.streams.audit_sink import KafkaAuditSink, encode

WHEN = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def allow() -> AuditDecision:
    return AuditDecision.allow(
        Identity("alice", "user", "jwt", "acme"),
        endpoint="/v1/meetings/{meeting_id}",
        method="GET",
        client_ip="10.0.0.7",
        meeting_id="mtg-1",
        request_id="req-1",
        occurred_at=WHEN,
    )


def deny() -> AuditDecision:
    return AuditDecision.deny(
        AuthError(403, "forbidden_identity_kind", "this endpoint needs a service identity"),
        identity=Identity("alice", "user", "jwt"),
        endpoint="/v1/admin/queues/health",
        method="GET",
        client_ip="10.0.0.7",
        occurred_at=WHEN,
    )


def test_a_decision_is_one_json_line_with_every_field(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=SECURITY_LOGGER)
    LoggingAuditSink().record(allow())
    LoggingAuditSink().record(deny())
    allowed, denied = caplog.records
    assert allowed.name == SECURITY_LOGGER
    assert (allowed.levelno, denied.levelno) == (logging.INFO, logging.WARNING)
    line = json.loads(JsonFormatter().format(denied))
    assert line["message"].startswith("security_audit_deny GET /v1/admin/queues/health")
    expected = {**deny().to_dict(), "decision_id": line["decision_id"]}
    assert {key: line[key] for key in expected} == expected
    assert line["event"] == "security_audit_deny"
    assert (line["status_code"], line["error_code"]) == (403, "forbidden_identity_kind")
    assert line["occurred_at"] == "2026-03-01T12:00:00.123456+00:00"
    text = logging.Formatter("%(message)s").format(allowed)
    assert "security_audit_allow GET /v1/meetings/{meeting_id} subject=alice" in text


def test_the_topic_record_is_the_decision_as_json() -> None:
    decision = deny()
    record = json.loads(encode(decision))
    assert record == decision.to_dict()
    assert record["decision_id"] == decision.decision_id
    assert set(record) >= {
        "event", "allowed", "endpoint", "method", "subject", "auth_type", "reason",
        "client_ip", "occurred_at", "status_code", "error_code", "meeting_id", "request_id",
    }  # fmt: skip


class Broken:
    def record(self, decision: AuditDecision) -> None:
        raise RuntimeError("disk full")


class Remembering:
    def __init__(self) -> None:
        self.decisions: list[AuditDecision] = []

    def record(self, decision: AuditDecision) -> None:
        self.decisions.append(decision)


def test_a_failing_sink_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    remembering = Remembering()
    FanOutAuditSink([Broken(), remembering]).record(allow())
    assert len(remembering.decisions) == 1
    assert "Broken failed" in caplog.text


async def test_a_full_queue_drops_and_counts_instead_of_waiting(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Never started: nothing drains the queue, so the third decision finds it full.
    sink = KafkaAuditSink("127.0.0.1:9", max_queue=2)
    for _ in range(5):
        sink.record(allow())
    assert sink.dropped == 3
    assert caplog.text.count("decision dropped") == 1  # one warning, not one per drop
    await sink.stop()
    assert sink.dropped == 5  # the queued ones were never sent either
    sink.record(allow())
    assert sink.dropped == 6


async def test_fan_out_starts_and_stops_the_sinks_that_have_a_lifetime() -> None:
    events: list[str] = []

    class Managed(Remembering):
        async def start(self) -> None:
            events.append("start")

        async def stop(self) -> None:
            events.append("stop")

    sink = FanOutAuditSink([LoggingAuditSink(), Managed()])
    await sink.start()
    await sink.stop()
    assert events == ["start", "stop"]

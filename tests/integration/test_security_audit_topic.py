"""The security-audit topic on the real (embedded) broker: what the API records is what a
consumer reads back, and what the projector turns into rows."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from aiokafka.errors import KafkaConnectionError

from interview_analytics.http.audit import AuditDecision
from interview_analytics.http.identity import AuthError, Identity
from interview_analytics.ops.embedded import EmbeddedBroker
from interview_analytics.projections.security_audit import rows_from_messages
from interview_analytics.streams.audit_sink import KafkaAuditSink
from interview_analytics.streams.contract import SECURITY_AUDIT
from interview_analytics.streams.topics import TopicSpec, ensure_topics, read_from_beginning

pytestmark = pytest.mark.broker


async def test_decisions_arrive_on_the_topic_keyed_by_subject(broker: EmbeddedBroker) -> None:
    bootstrap = broker.bootstrap_servers
    await ensure_topics(bootstrap, [TopicSpec(SECURITY_AUDIT, 1)])
    run = uuid.uuid4().hex[:8]  # the broker is shared by the session: find our records
    user = Identity(f"alice-{run}", "user", "jwt")
    made = [
        AuditDecision.allow(user, endpoint="/v1/meetings/start", method="POST", client_ip="::1"),
        AuditDecision.deny(
            AuthError(401, "token_expired", "the token has expired"),
            endpoint="/v1/ws",
            method="GET",
            client_ip="::1",
            auth_type="jwt",
            request_id=run,
        ),
    ]
    sink = KafkaAuditSink(bootstrap)
    sink.record(made[0])  # before start: queued, sent once started
    await sink.start()
    sink.record(made[1])
    # A sync route records from a worker thread.
    thread_made = AuditDecision.allow(
        user, endpoint="/v1/meetings/{meeting_id}", method="GET", client_ip="::1"
    )
    await asyncio.to_thread(sink.record, thread_made)
    made.append(thread_made)
    await sink.stop()  # flushes
    assert (sink.sent, sink.dropped, sink.failed) == (3, 0, 0)

    received = []
    async for message in read_from_beginning(bootstrap, SECURITY_AUDIT, idle_sec=2.0):
        record = json.loads(message.value)
        if record["subject"] == user.subject or record["request_id"] == run:
            received.append(message)
    records = [json.loads(m.value) for m in received]
    assert sorted(r["decision_id"] for r in records) == sorted(d.decision_id for d in made)
    by_id = {d.decision_id: d for d in made}
    for message, record in zip(received, records, strict=True):
        decision = by_id[record["decision_id"]]
        assert record == decision.to_dict()
        assert message.key == decision.subject.encode()
        assert dict(message.headers)["event_type"] == decision.event.encode()
    rows = rows_from_messages([m.value for m in received])
    assert sorted(r["decision_id"] for r in rows) == sorted(by_id)


async def test_an_unreachable_broker_fails_start_not_the_requests() -> None:
    sink = KafkaAuditSink("127.0.0.1:1", request_timeout_ms=1000)
    sink.record(
        AuditDecision.allow(
            Identity("x", "user", "api_key"), endpoint="/health", method="GET", client_ip="::1"
        )
    )
    with pytest.raises(KafkaConnectionError):
        await sink.start()
    await sink.stop()
    assert sink.dropped == 1

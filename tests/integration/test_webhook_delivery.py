"""Webhooks end to end: a registered endpoint, the notifier, a real SQLite event store and
a real receiver on loopback (uvicorn in a thread).

The endpoint gets ``report.ready`` once per ``webhook-id`` however often the Reported event
is redelivered; a 500 is retried from the durable schedule with the same ``webhook-id``;
every request verifies with the secret the registration answered.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from interview_analytics.domain.deliveries import DELIVERED, FAILED
from interview_analytics.domain.webhooks import endpoint_id_from, secret_from
from interview_analytics.ops.notifier import build_notifier
from interview_analytics.ops.settings import Settings
from interview_analytics.streams.delivery.channels import CHANNEL_WEBHOOK, Delivery
from interview_analytics.streams.delivery.webhook_signing import verify
from interview_analytics.streams.pipeline import MeetingsGateway
from tests.api_stack import ServerThread
from tests.integration.test_email_delivery import (
    Letters,
    handle_all,
    messages_of,
    reported_meeting,
    settled,
    sqlite_meetings,
)
from tests.integration.test_webhook_channel import Receiver


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    receiving = Receiver()
    with ServerThread(receiving.app()) as server:
        yield receiving, server.base_url


def webhook_settings(tmp_path: Path) -> Settings:
    return Settings.from_env(
        {
            "DATA_DIR": str(tmp_path),
            "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",  # the receiver is on loopback
            "WEBHOOK_TIMEOUT_SEC": "10",
            "WEBHOOK_RETRY_FIRST_DELAY_SEC": "0.05",
            "WEBHOOK_RETRY_MAX_DELAY_SEC": "0.2",
            "WEBHOOK_RETRY_GIVE_UP_AFTER_SEC": "5",
        }
    )


async def test_report_ready_reaches_the_endpoint_once_per_webhook_id(
    tmp_path: Path, receiver: tuple[Receiver, str]
) -> None:
    receiving, base = receiver
    receiving.script = [500]  # the first attempt fails, the retry is answered 200
    settings = webhook_settings(tmp_path)
    app = sqlite_meetings(tmp_path)
    secret = secret_from(secrets.token_bytes(32))
    endpoint_id = endpoint_id_from(secrets.token_hex(16))
    app.register_webhook(
        None, endpoint_id=endpoint_id, url=f"{base}/hook", events=["report.ready"], secret=secret
    )
    meeting_id = reported_meeting(app, [])
    messages = messages_of(app, meeting_id)
    delivery_id = Delivery.create_id(meeting_id, "report.ready", CHANNEL_WEBHOOK, endpoint_id)
    gateway = MeetingsGateway(app)
    letters = Letters()
    try:
        first = build_notifier(settings, gateway, letters)
        await handle_all(first, messages)
        reported = [m for m in messages if b"Reported" in dict(m.headers)["event_type"]]
        await handle_all(first, reported * 2)  # the Reported message redelivered twice
        record = app.get(meeting_id).deliveries[delivery_id]
        assert (record.attempt, record.outcome, record.status_code) == (1, FAILED, 500)

        restarted = build_notifier(settings, gateway, letters)
        assert await restarted.restore() == 1
        retries = asyncio.create_task(restarted.run_retries())
        try:
            record = await settled(app, meeting_id, delivery_id)
        finally:
            retries.cancel()
        await handle_all(restarted, messages)  # a consumer whose offsets went back
    finally:
        gateway.close()

    assert (record.attempt, record.outcome, record.status_code) == (2, DELIVERED, 200)
    assert [path for path, _, _ in receiving.received] == ["/hook", "/hook"]
    for _path, headers, body in receiving.received:
        verify(secret, headers, body)
        assert headers["webhook-id"] == delivery_id
        assert json.loads(body)["type"] == "report.ready"
        assert json.loads(body)["data"]["meeting_id"] == meeting_id
    assert not letters.letters

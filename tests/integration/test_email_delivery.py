"""The e-mail channel end to end: the notifier, a real SQLite event store and a real SMTP
server (aiosmtpd) on loopback.

One report e-mail per recipient per meeting, whatever is redelivered or restarted; a 451
is retried from the durable schedule; a 550 or a bad address is given up on, dead-lettered,
and ``ia dead-letters redrive`` delivers it once the address is fixed.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiosmtpd.controller import Controller

from interview_analytics.domain.application import LanguagePolicy, Meetings
from interview_analytics.domain.commands import RecordEnhancement, RecordReport
from interview_analytics.domain.deliveries import DELIVERED, FAILED, GAVE_UP
from interview_analytics.ops.dead_letter_commands import (
    KafkaDeadLetterSink,
    read_dead_letters,
    redrive,
    status_of,
)
from interview_analytics.ops.embedded import EmbeddedBroker
from interview_analytics.ops.notifier import build_channels, build_notifier
from interview_analytics.ops.settings import Settings
from interview_analytics.ops.wiring import topic_specs
from interview_analytics.streams.contract import EventCodec
from interview_analytics.streams.dead_letters import DeadLetter, OriginalMessage
from interview_analytics.streams.delivery.channels import NOTICE_REPORT_READY, Delivery
from interview_analytics.streams.delivery.notifier import DELIVER, Notifier
from interview_analytics.streams.pipeline import MeetingsGateway
from interview_analytics.streams.topics import ensure_topics
from tests.factories import chunk, segment, start, transcript, unique_meeting_id
from tests.stack import sqlite_meetings as stack_meetings

ALICE = "alice@example.test"
BOB = "bob@example.test"


@dataclass
class Mailbox:
    """An aiosmtpd handler: keeps every message, answers RCPT as told."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    transient: dict[str, int] = field(default_factory=dict)
    """Address → how many more RCPTs to answer 451."""
    rejected: set[str] = field(default_factory=set)
    """Addresses answered 550."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.transient.get(address, 0) > 0:
            self.transient[address] -= 1
            return "451 4.3.0 mailbox busy, try later"
        if address in self.rejected:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK queued"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for rcpts, message in self.messages if address in rcpts]


def sqlite_meetings(directory: Path) -> Meetings:
    return stack_meetings(directory, LanguagePolicy(default="ru"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    handler = Mailbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def smtp_settings(tmp_path: Path, port: int, **extra: str) -> Settings:
    return Settings.from_env(
        {
            "DATA_DIR": str(tmp_path),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(port),
            "SMTP_STARTTLS": "false",
            "SMTP_FROM": "reports@example.test",
            "SMTP_TIMEOUT_SEC": "10",
            "EMAIL_RETRY_FIRST_DELAY_SEC": "0.05",
            "EMAIL_RETRY_FACTOR": "2",
            "EMAIL_RETRY_MAX_DELAY_SEC": "0.2",
            "EMAIL_RETRY_GIVE_UP_AFTER_SEC": "5",
            **extra,
        }
    )


class Letters:
    """A dead-letter sink that keeps what it is given (``DeadLetterSink``)."""

    def __init__(self) -> None:
        self.letters: list[DeadLetter] = []

    async def publish(self, letter: DeadLetter) -> None:
        self.letters.append(letter)


def reported_meeting(app: Meetings, recipients: list[str], language: str = "ru") -> str:
    """A meeting through its final report, as the pipeline leaves it."""
    meeting_id = unique_meeting_id("mail")
    app.start(start(meeting_id, language=language, recipients=recipients))
    app.receive_chunk(chunk(meeting_id, 0))
    finished = app.finish(meeting_id).version
    words = "Расскажите о себе" if language == "ru" else "Tell me about yourself"
    app.record_transcript(
        transcript(
            meeting_id, finished, [0], [segment(0.0, 1.0, words)], final=True, language=language
        )
    )
    transcribed = app.get(meeting_id).version
    app.record_enhancement(
        RecordEnhancement(
            meeting_id=meeting_id,
            input_version=transcribed,
            text=words,
            segments=[],
            final=True,
            pii_masked=True,
        )
    )
    enhanced = app.get(meeting_id).version
    report = {"language": language, "summary": "Кандидат уверенно рассказал о себе."}
    app.record_report(
        RecordReport(meeting_id=meeting_id, input_version=enhanced, report=report, final=True)
    )
    return meeting_id


def messages_of(app: Meetings, meeting_id: str) -> list[OriginalMessage]:
    """Every stored event of the meeting as the relay puts it on meeting-events."""
    codec = EventCodec()
    out = []
    for offset, event in enumerate(app.stream(meeting_id)):
        built = codec.message(event, notification_id=offset + 1)
        out.append(OriginalMessage(built.topic, 0, offset, built.key, built.value,
                                   tuple(built.headers)))  # fmt: skip
    return out


def notifier_for(settings: Settings, gateway: MeetingsGateway, letters: Letters) -> Notifier:
    return build_notifier(settings, gateway, letters)


async def handle_all(notifier: Notifier, messages: list[OriginalMessage]) -> None:
    for message in messages:
        await notifier.handle(message)


async def settled(app: Meetings, meeting_id: str, delivery_id: str, limit_sec: float = 30) -> Any:
    """Wait (bounded) until the delivery is delivered or given up on; its latest record."""
    for _ in range(int(limit_sec / 0.05)):
        record = app.get(meeting_id).deliveries.get(delivery_id)
        if record is not None and record.outcome != FAILED:
            return record
        await asyncio.sleep(0.05)
    raise AssertionError(f"delivery {delivery_id} did not settle")


def delivery_id(meeting_id: str, address: str) -> str:
    return Delivery.create_id(meeting_id, NOTICE_REPORT_READY, "email", address)


async def test_one_email_per_recipient_despite_redelivery_and_restart(
    tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    settings = smtp_settings(tmp_path, port)
    app = sqlite_meetings(tmp_path)
    meeting_id = reported_meeting(app, [ALICE, BOB, ALICE])
    messages = messages_of(app, meeting_id)
    gateway = MeetingsGateway(app)
    try:
        letters = Letters()
        first = notifier_for(settings, gateway, letters)
        await handle_all(first, messages)
        reported = [m for m in messages if b"Reported" in dict(m.headers)["event_type"]]
        await handle_all(first, reported * 2)  # the Reported message redelivered twice

        restarted = notifier_for(settings, gateway, letters)
        assert await restarted.restore() == 0  # nothing is waiting for a retry
        await handle_all(restarted, messages)  # a consumer whose offsets went back
    finally:
        gateway.close()

    assert len(box.to(ALICE)) == 1
    assert len(box.to(BOB)) == 1
    assert len(box.messages) == 2  # report.ready only: no mail per chunk, none on finish
    message = box.to(ALICE)[0]
    assert message["Subject"] == f"Отчёт по встрече {meeting_id}"
    assert message.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type(): part.get_content() for part in message.iter_parts()}
    assert set(parts) == {"text/plain", "text/html"}
    assert "Кандидат уверенно рассказал о себе." in parts["text/plain"]
    assert "<html" in parts["text/html"].lower()
    assert message["X-Delivery-Id"] == delivery_id(meeting_id, ALICE)
    attempts = app.get(meeting_id).deliveries
    assert {(r.target, r.attempt, r.outcome) for r in attempts.values()} == {
        (ALICE, 1, DELIVERED),
        (BOB, 1, DELIVERED),
    }
    kinds = [type(e).__name__ for e in app.stream(meeting_id)]
    assert kinds.count("DeliveryAttempted") == 2
    assert not letters.letters


async def test_english_meeting_gets_an_english_subject(
    tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    app = sqlite_meetings(tmp_path)
    meeting_id = reported_meeting(app, [BOB], language="en")
    gateway = MeetingsGateway(app)
    try:
        await handle_all(notifier_for(smtp_settings(tmp_path, port), gateway, Letters()),
                         messages_of(app, meeting_id))  # fmt: skip
    finally:
        gateway.close()
    [message] = box.to(BOB)
    assert message["Subject"] == f"Interview report {meeting_id}"


async def test_transient_refusal_is_retried_then_delivered(
    tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    box.transient[ALICE] = 1  # the first RCPT is answered 451
    settings = smtp_settings(tmp_path, port)
    app = sqlite_meetings(tmp_path)
    meeting_id = reported_meeting(app, [ALICE])
    gateway = MeetingsGateway(app)
    letters = Letters()
    try:
        first = notifier_for(settings, gateway, letters)
        await handle_all(first, messages_of(app, meeting_id))
        record = app.get(meeting_id).deliveries[delivery_id(meeting_id, ALICE)]
        assert (record.attempt, record.outcome, record.status_code) == (1, FAILED, 451)
        assert record.next_attempt_at is not None
        assert not box.messages

        # The process that failed is gone; a new one finds the retry in the event store.
        restarted = notifier_for(settings, gateway, letters)
        assert await restarted.restore() == 1
        retries = asyncio.create_task(restarted.run_retries())
        try:
            record = await settled(app, meeting_id, delivery_id(meeting_id, ALICE))
        finally:
            retries.cancel()
    finally:
        gateway.close()
    assert (record.attempt, record.outcome) == (2, DELIVERED)
    assert len(box.to(ALICE)) == 1
    assert not letters.letters


async def test_permanent_refusal_and_bad_address_give_up_as_dead_letters(
    tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    box.rejected.add(BOB)
    app = sqlite_meetings(tmp_path)
    meeting_id = reported_meeting(app, [BOB, "not an address", ALICE])
    gateway = MeetingsGateway(app)
    letters = Letters()
    try:
        notifier = notifier_for(smtp_settings(tmp_path, port), gateway, letters)
        await handle_all(notifier, messages_of(app, meeting_id))
        assert notifier.pending() == []
    finally:
        gateway.close()
    deliveries = app.get(meeting_id).deliveries
    bob = deliveries[delivery_id(meeting_id, BOB)]
    assert (bob.attempt, bob.outcome, bob.status_code) == (1, GAVE_UP, 550)
    bad = deliveries[delivery_id(meeting_id, "not an address")]
    assert (bad.outcome, bad.status_code, bad.error) == (GAVE_UP, None, "not an e-mail address")
    assert len(box.to(ALICE)) == 1
    assert sorted((x.stage, x.kind, x.version) for x in letters.letters) == sorted(
        [(DELIVER, "failed", bob.version), (DELIVER, "failed", bad.version)]
    )
    # The letters name the deliveries, not the addresses (personal data, issue 17): the
    # error is masked and the original message keeps the stored ciphertext.
    for letter in letters.letters:
        assert BOB.encode() not in letter.to_json()


@pytest.mark.broker
async def test_redrive_delivers_a_given_up_email_once_fixed(
    tmp_path: Path, mailbox: tuple[Mailbox, int], own_broker: EmbeddedBroker
) -> None:
    box, port = mailbox
    box.rejected.add(BOB)
    bootstrap = own_broker.bootstrap_servers
    settings = smtp_settings(tmp_path, port, KAFKA_BOOTSTRAP_SERVERS=bootstrap)
    await ensure_topics(bootstrap, topic_specs(settings))
    app = sqlite_meetings(tmp_path)
    meeting_id = reported_meeting(app, [BOB])
    gateway = MeetingsGateway(app)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        notifier = build_notifier(settings, gateway, KafkaDeadLetterSink(producer))
        await handle_all(notifier, messages_of(app, meeting_id))
    finally:
        await producer.stop()
        gateway.close()
    [letter] = await read_dead_letters(bootstrap)
    assert (letter.stage, letter.meeting_id, letter.attempts) == (DELIVER, meeting_id, 1)
    assert [s.resolved for s in status_of(app, [letter])] == [False]

    box.rejected.clear()  # the mailbox exists now
    [(redriven, outcome)] = await redrive(settings, app, bootstrap)
    assert (redriven.letter_id, outcome) == (letter.letter_id, DELIVERED)
    record = app.get(meeting_id).deliveries[delivery_id(meeting_id, BOB)]
    assert (record.attempt, record.outcome) == (2, DELIVERED)
    assert len(box.to(BOB)) == 1
    assert [s.resolved for s in status_of(app, [letter])] == [True]
    assert await redrive(settings, app, bootstrap) == []  # resolved: nothing to do again


def test_channels_list_is_empty_without_smtp(tmp_path: Path) -> None:
    app = sqlite_meetings(tmp_path)
    gateway = MeetingsGateway(app)
    try:
        channels = build_channels(Settings.from_env({"DATA_DIR": str(tmp_path)}), gateway)
        assert [channel.name for channel in channels] == ["webhook"]  # no e-mail channel
    finally:
        gateway.close()

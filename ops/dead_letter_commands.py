"""``ia dead-letters list|redrive``: look at what the pipeline gave up on, and try again.

Re-driving runs the stage's own code on the original message, in this process, through
the same ``StageRunner`` (so a second failure is dead-lettered again, under the same
letter id). A letter is *resolved* once its meeting has a result for that stage and
input; resolved letters are skipped. Rejections (bad audio) are final and are only
listed. A ``deliver`` letter (a notice delivery given up on) is re-driven by the notifier's
``redrive``: one more attempt, numbered after the last; it is resolved once a later
attempt of that delivery exists.

Must not: re-drive a rejection or a resolved letter, or run a stage other than through
``StageRunner``.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.deliveries import GAVE_UP
from interview_analytics.ops.notifier import build_notifier
from interview_analytics.ops.settings import Settings
from interview_analytics.ops.wiring import event_codec
from interview_analytics.ops.workers import build_stage
from interview_analytics.streams.contract.codec import EventCodec
from interview_analytics.streams.contract.groups import ROLE_OF_STAGE
from interview_analytics.streams.contract.topics import DEAD_LETTERS
from interview_analytics.streams.dead_letters import FAILED, DeadLetter
from interview_analytics.streams.delivery.notifier import (
    DELIVER,
    letter_delivery,
    letter_resolved,
)
from interview_analytics.streams.pipeline import FAILED_OUTCOME, MeetingsGateway, StageRunner
from interview_analytics.streams.topics import read_from_beginning


@dataclass(frozen=True)
class LetterStatus:
    letter: DeadLetter
    resolved: bool


async def read_dead_letters(bootstrap_servers: str, idle_sec: float = 2.0) -> list[DeadLetter]:
    """Every dead letter on the topic, the latest copy per letter id."""
    letters: dict[str, DeadLetter] = {}
    async for record in read_from_beginning(bootstrap_servers, DEAD_LETTERS, idle_sec=idle_sec):
        letter = DeadLetter.from_json(record.value)
        letters[letter.letter_id] = letter
    return list(letters.values())


def status_of(meetings: Meetings, letters: list[DeadLetter]) -> list[LetterStatus]:
    statuses = []
    codec = EventCodec()
    for letter in letters:
        try:
            meeting = meetings.get(letter.meeting_id)
        except Exception:  # the meeting itself may be unknown to this store
            statuses.append(LetterStatus(letter, False))
            continue
        if letter.stage == DELIVER:  # a delivery given up on: settled by a later attempt
            statuses.append(LetterStatus(letter, letter_resolved(meeting, letter, codec)))
            continue
        done = meeting.results.done
        statuses.append(LetterStatus(letter, (letter.stage, letter.version) in done))
    return statuses


def print_letters(statuses: list[LetterStatus], as_json: bool) -> None:
    for status in statuses:
        letter = status.letter
        if as_json:
            body = json.loads(letter.to_json())
            body["resolved"] = status.resolved
            print(json.dumps(body), flush=True)
            continue
        state = "resolved" if status.resolved else "open"
        print(
            f"{letter.letter_id}  {state:8}  {letter.kind:8}  {letter.stage:10}  "
            f"{letter.meeting_id} v{letter.version}  {letter.error_code}: "
            f"{letter.error_message[:80]}  (attempts {letter.attempts}, {letter.failed_at})",
            flush=True,
        )


class KafkaDeadLetterSink:
    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer

    async def publish(self, letter: DeadLetter) -> None:
        await self.producer.send_and_wait(
            DEAD_LETTERS,
            key=letter.meeting_id.encode(),
            value=letter.to_json(),
            headers=[("stage", letter.stage.encode()), ("kind", letter.kind.encode())],
        )


async def redrive(
    settings: Settings,
    meetings: Meetings,
    bootstrap_servers: str,
    *,
    stage: str | None = None,
    meeting_id: str | None = None,
) -> list[tuple[DeadLetter, str]]:
    """Run each open, failed letter's stage again; returns (letter, outcome) pairs."""
    letters = await read_dead_letters(bootstrap_servers)
    todo = [
        s.letter
        for s in status_of(meetings, letters)
        if not s.resolved
        and s.letter.kind == FAILED
        and (stage is None or s.letter.stage == stage)
        and (meeting_id is None or s.letter.meeting_id == meeting_id)
    ]
    if not todo:
        return []
    gateway = MeetingsGateway(meetings)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    await producer.start()
    results = []
    try:
        runners: dict[str, StageRunner] = {}
        sink = KafkaDeadLetterSink(producer)
        notifier = build_notifier(settings, gateway, sink)
        for letter in todo:
            if letter.stage == DELIVER:  # one more try at the delivery, numbering continuing
                delivery_id, _ = letter_delivery(letter, notifier.codec)
                outcome = await notifier.redrive(letter.meeting_id, delivery_id)
                results.append((letter, FAILED_OUTCOME if outcome == GAVE_UP else outcome))
                continue
            if letter.stage not in runners:
                runners[letter.stage] = StageRunner(
                    build_stage(ROLE_OF_STAGE[letter.stage], settings, gateway),
                    gateway=gateway,
                    dead_letters=KafkaDeadLetterSink(producer),
                    codec=event_codec(meetings),
                    max_attempts=settings.stage_max_attempts,
                    retry_backoff_sec=settings.stage_retry_backoff_sec,
                )
            results.append((letter, await runners[letter.stage].process(letter.original)))
    finally:
        await producer.stop()
        gateway.close()
    return results


def run_list(settings: Settings, meetings: Meetings, bootstrap: str, as_json: bool) -> int:
    letters = asyncio.run(read_dead_letters(bootstrap))
    print_letters(status_of(meetings, letters), as_json)
    return 0


def run_redrive(
    settings: Settings,
    meetings: Meetings,
    bootstrap: str,
    stage: str | None,
    meeting_id: str | None,
) -> int:
    results = asyncio.run(
        redrive(settings, meetings, bootstrap, stage=stage, meeting_id=meeting_id)
    )
    for letter, outcome in results:
        print(
            f"{letter.letter_id}  {letter.stage}  {letter.meeting_id} v{letter.version}: {outcome}"
        )
    print(f"re-driven: {len(results)}", flush=True)
    return 0 if all(outcome != "failed" for _, outcome in results) else 1

"""Dead letters on the real broker: a stage that fails publishes one; once the cause is
fixed, `ia dead-letters redrive` runs the stage again and the letter shows as resolved."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from interview_analytics.ops.dead_letter_commands import KafkaDeadLetterSink, read_dead_letters
from interview_analytics.ops.embedded import EmbeddedBroker
from interview_analytics.ops.settings import Settings
from interview_analytics.ops.wiring import topic_specs
from interview_analytics.streams.contract import EventCodec
from interview_analytics.streams.dead_letters import OriginalMessage
from interview_analytics.streams.pipeline import FAILED_OUTCOME, MeetingsGateway, StageRunner
from interview_analytics.streams.speech import SpeechRecognizer
from interview_analytics.streams.topics import ensure_topics
from interview_analytics.streams.transcriber import Transcriber
from tests.factories import chunk, start, unique_meeting_id
from tests.speech import Interview
from tests.stack import sqlite_meetings

pytestmark = pytest.mark.broker

IA = str(Path(sys.executable).with_name("ia"))


async def test_failed_chunk_is_dead_lettered_then_redriven(
    tmp_path: Path,
    own_broker: EmbeddedBroker,
    recognizer: SpeechRecognizer,
    interview: Interview,
) -> None:
    bootstrap = own_broker.bootstrap_servers
    settings = Settings.from_env({"DATA_DIR": str(tmp_path), "KAFKA_BOOTSTRAP_SERVERS": bootstrap})
    await ensure_topics(bootstrap, topic_specs(settings))
    app = sqlite_meetings(tmp_path)
    blobs = app.blobs
    meeting_id = unique_meeting_id("dlq")
    app.start(start(meeting_id))
    pcm, speaker = interview.chunks(2.0)[0]
    accepted = app.receive_chunk(chunk(meeting_id, 0, audio=pcm, speaker_hint=speaker))

    # The blob store loses the file (an unmounted volume, say): the stage fails.
    blob_path = tmp_path / "blobs" / accepted.blob_key
    saved = blob_path.read_bytes()
    blob_path.unlink()
    codec = EventCodec()
    built = codec.message(app.stream(meeting_id)[-1], notification_id=2)
    message = OriginalMessage(built.topic, 0, 1, built.key, built.value, tuple(built.headers))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    gateway = MeetingsGateway(app)
    try:
        runner = StageRunner(
            Transcriber(gateway=gateway, blobs=blobs, recognizer=recognizer),
            gateway=gateway,
            dead_letters=KafkaDeadLetterSink(producer),
            codec=codec,
            max_attempts=2,
            retry_backoff_sec=0.01,
        )
        assert await runner.process(message) == FAILED_OUTCOME
    finally:
        await producer.stop()
        gateway.close()
    [letter] = await read_dead_letters(bootstrap)
    assert (letter.stage, letter.kind, letter.attempts) == ("transcribe", "failed", 2)
    assert letter.error_code == "BlobNotFoundError"
    assert [type(e).__name__ for e in app.stream(meeting_id)][-1] == "ProcessingFailed"

    env = {**os.environ, "DATA_DIR": str(tmp_path), "KAFKA_BOOTSTRAP_SERVERS": bootstrap}
    listed = subprocess.run([IA, "dead-letters", "list", "--json"], env=env,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    [row] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (row["resolved"], row["meeting_id"]) == (False, meeting_id)

    blob_path.write_bytes(saved)  # the volume is back
    redriven = subprocess.run([IA, "dead-letters", "redrive"], env=env,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
    assert redriven.returncode == 0, redriven.stdout + redriven.stderr
    assert "recorded" in redriven.stdout
    assert app.get(meeting_id).results.transcriptions

    listed = subprocess.run([IA, "dead-letters", "list", "--json"], env=env,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert json.loads(listed.stdout.splitlines()[0])["resolved"] is True

"""The pipeline stages on the real speech model and a real event store, without Kafka.

Messages are built exactly as the relay builds them, so each stage sees what it would see
on the topic, and can be handed the same message twice (redelivery).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from interview_analytics.domain.application import LanguagePolicy, Meetings
from interview_analytics.domain.audio import AudioFormat
from interview_analytics.domain.errors import UnsupportedLanguageError
from interview_analytics.domain.wer import word_error_rate
from interview_analytics.ops.workers import BUNDLED_RUBRIC
from interview_analytics.streams.contract import EventCodec
from interview_analytics.streams.dead_letters import DeadLetter, OriginalMessage
from interview_analytics.streams.enhancer import Enhancer, EnhancerSettings
from interview_analytics.streams.pipeline import (
    DUPLICATE,
    RECORDED,
    REJECTED_OUTCOME,
    MeetingsGateway,
    StageRunner,
)
from interview_analytics.streams.reporter import Reporter, ReporterSettings
from interview_analytics.streams.speech import SpeechRecognizer
from interview_analytics.streams.speech_models import model_languages
from interview_analytics.streams.transcriber import Transcriber
from tests.factories import chunk, start, unique_meeting_id
from tests.speech import Interview
from tests.stack import sqlite_meetings

# tiny.en on espeak-ng voices: 0.06 measured for this script (whole file and chunked
# final pass alike); 0.15 leaves room for CPU/library differences without letting a
# broken pipeline (wrong order, lost or doubled chunks: > 0.3) pass.
MAX_WER = 0.15


class RecordingDeadLetters:
    """Test double of the dead-letter topic: keeps what was published."""

    def __init__(self) -> None:
        self.letters: list[DeadLetter] = []

    async def publish(self, letter: DeadLetter) -> None:
        self.letters.append(letter)


class Harness:
    def __init__(self, app: Meetings, recognizer: SpeechRecognizer, rubric_json: str) -> None:
        import json

        from interview_analytics.domain.report import Rubric

        self.app = app
        self.codec = EventCodec()
        self.gateway = MeetingsGateway(app)
        self.dead_letters = RecordingDeadLetters()
        rubric = Rubric.from_dict(json.loads(rubric_json))
        stages = {
            "transcribe": Transcriber(gateway=self.gateway, blobs=app.blobs, recognizer=recognizer),
            "enhance": Enhancer(gateway=self.gateway, settings=EnhancerSettings(pii_masking=True)),
            "report": Reporter(gateway=self.gateway, settings=ReporterSettings(rubric)),
        }
        self.runners = {name: self._runner(stage) for name, stage in stages.items()}
        self.position = 0

    def _runner(self, stage: Any) -> StageRunner:
        return StageRunner(
            stage,
            gateway=self.gateway,
            dead_letters=self.dead_letters,
            codec=self.codec,
            max_attempts=2,
            retry_backoff_sec=0.01,
        )

    def message(self, event: object, notification_id: int) -> OriginalMessage:
        built = self.codec.message(event, notification_id)
        return OriginalMessage(
            built.topic, 0, notification_id, built.key, built.value, tuple(built.headers)
        )

    async def drain(self) -> list[tuple[str, str]]:
        """Feed every new stored event to every stage, in store order, until quiet."""
        outcomes = []
        while True:
            notifications = self.app.recorder.select_notifications(self.position + 1, 100)
            if not notifications:
                return outcomes
            for notification in notifications:
                self.position = notification.id
                event = self.app.mapper.to_domain_event(notification)
                message = self.message(event, notification.id)
                for name, runner in self.runners.items():
                    outcome = await runner.process(message)
                    if outcome != "ignored":
                        outcomes.append((name, outcome))


@pytest.fixture
def app(tmp_path: Path) -> Meetings:
    return sqlite_meetings(tmp_path, LanguagePolicy("en", model_languages("tiny.en")))


@pytest.fixture
def harness(app: Meetings, recognizer: SpeechRecognizer) -> Harness:
    return Harness(app, recognizer, BUNDLED_RUBRIC.read_text())


def send_interview(
    app: Meetings, meeting_id: str, interview: Interview, mode: str = "realtime"
) -> None:
    app.start(start(meeting_id, mode=mode))
    for seq, (pcm, speaker) in enumerate(interview.chunks(2.0)):
        app.receive_chunk(chunk(meeting_id, seq, audio=pcm, speaker_hint=speaker))


def stream_types(app: Meetings, meeting_id: str) -> list[str]:
    return [type(e).__name__ for e in app.stream(meeting_id)]


async def test_a_chunked_meeting_is_as_accurate_as_the_whole_file(
    harness: Harness, app: Meetings, interview: Interview, recognizer: SpeechRecognizer
) -> None:
    meeting_id = unique_meeting_id("stage")
    send_interview(app, meeting_id, interview)
    await harness.drain()
    drafts = app.get(meeting_id)
    assert drafts.status == "processing"
    draft_wer = word_error_rate(interview.text, drafts.raw_transcript())
    app.finish(meeting_id)
    await harness.drain()

    meeting = app.get(meeting_id)
    assert meeting.status == "done"
    whole = recognizer.transcribe(_float_samples(interview.pcm), language="en", final=True)
    whole_wer = word_error_rate(interview.text, " ".join(s.text for s in whole.segments))
    final_wer = word_error_rate(interview.text, meeting.raw_transcript())
    print(f"WER whole file {whole_wer:.3f}, chunked final {final_wer:.3f}, drafts {draft_wer:.3f}")
    assert final_wer <= MAX_WER
    assert final_wer <= whole_wer + 0.01
    assert draft_wer <= 0.3

    # Speakers come from the chunks' hints and match who said each line.
    for segment in meeting.transcript():
        middle = (segment["start_sec"] + segment["end_sec"]) / 2
        line = min(interview.lines, key=lambda ln: abs((ln.start_sec + ln.end_sec) / 2 - middle))
        assert segment["speaker"] == line.speaker, segment

    report = meeting.latest_report()
    assert report is not None
    assert report.final
    speakers = report.report["analytics"]["speakers"]
    for speaker in ("interviewer", "candidate"):
        assert abs(speakers[speaker]["talk_sec"] - interview.talk_sec(speaker)) <= 0.5, speaker
    for key in ("summary", "bullets", "risk_flags", "recommendation"):
        assert report.report[key] is not None
    enhancement = meeting.latest_enhancement()
    assert enhancement is not None
    assert "interviewer" in enhancement.text.lower()


async def test_redelivered_messages_never_record_a_second_result(
    harness: Harness, app: Meetings, interview: Interview
) -> None:
    meeting_id = unique_meeting_id("redeliver")
    send_interview(app, meeting_id, interview)
    app.finish(meeting_id)
    await harness.drain()
    before = stream_types(app, meeting_id)

    # Every stored event delivered again, to every stage (crash before commit, relay
    # republish after a broker restart, rebalance).
    harness.position = 0
    outcomes = await harness.drain()
    assert {o for _, o in outcomes} <= {DUPLICATE, "skipped"}
    assert stream_types(app, meeting_id) == before
    assert before.count("Transcribed") == 1  # postmeeting-style: finished before drafts ran
    assert before.count("Reported") == 1


async def test_undecodable_audio_is_rejected_and_dead_lettered(
    harness: Harness, app: Meetings, interview: Interview
) -> None:
    meeting_id = unique_meeting_id("bad")
    app.start(start(meeting_id))
    good, speaker = interview.chunks(2.0)[0]
    app.receive_chunk(chunk(meeting_id, 0, audio=good, speaker_hint=speaker))
    from interview_analytics.domain.commands import ReceiveChunk

    app.receive_chunk(
        ReceiveChunk(
            meeting_id, 1, b"not really an ogg file", AudioFormat(codec="ogg"), duration_sec=2.0
        )
    )
    outcomes = await harness.drain()
    assert ("transcribe", REJECTED_OUTCOME) in outcomes
    assert ("transcribe", RECORDED) in outcomes
    [letter] = harness.dead_letters.letters
    assert (letter.kind, letter.stage, letter.error_code) == (
        "rejected",
        "transcribe",
        "undecodable_audio",
    )
    assert letter.meeting_id == meeting_id
    assert EventCodec().decode(letter.original.value).fields["seq"] == 1
    meeting = app.get(meeting_id)
    assert 1 in meeting.results.rejections

    app.finish(meeting_id)
    await harness.drain()
    assert app.get(meeting_id).status == "done"  # one bad chunk does not stop the meeting


async def test_a_failing_stage_records_the_failure_and_moves_on(
    harness: Harness, app: Meetings, interview: Interview, monkeypatch: pytest.MonkeyPatch
) -> None:
    meeting_id = unique_meeting_id("fail")
    send_interview(app, meeting_id, interview)

    async def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("model exploded")

    monkeypatch.setattr(harness.runners["transcribe"].stage, "handle", broken)
    outcomes = await harness.drain()
    assert outcomes.count(("transcribe", "failed")) == len(interview.chunks(2.0))
    assert {letter.kind for letter in harness.dead_letters.letters} == {"failed"}
    assert harness.dead_letters.letters[0].attempts == 2
    assert "ProcessingFailed" in stream_types(app, meeting_id)


def test_a_language_the_model_cannot_transcribe_is_refused_at_start(app: Meetings) -> None:
    with pytest.raises(UnsupportedLanguageError) as refused:
        app.start(start(unique_meeting_id(), language="ru"))
    assert "en" in refused.value.message


def _float_samples(pcm: bytes) -> object:
    import numpy as np

    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768

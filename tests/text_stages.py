"""The stages that work on recorded text (enhancer, reporter), run in-process without Kafka.

``TextStages.drain()`` hands every event stored since the last call to each stage's real
``StageRunner``, in store order, as the relay would publish it (``EventCodec.message``), and
repeats until nothing new is recorded. The transcriber is left out on purpose: tests that
use this record the transcript themselves, so no speech model is loaded, and a stage that
wrongly transcribed again would show as a new ``Transcribed`` event, not be hidden.
"""

from __future__ import annotations

import json

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.report import Rubric
from interview_analytics.ops.workers import BUNDLED_RUBRIC
from interview_analytics.streams.contract import EventCodec
from interview_analytics.streams.dead_letters import DeadLetter, OriginalMessage
from interview_analytics.streams.enhancer import Enhancer, EnhancerSettings
from interview_analytics.streams.pipeline import IGNORED, MeetingsGateway, StageRunner
from interview_analytics.streams.reporter import Reporter, ReporterSettings


class RecordingDeadLetters:
    """TEST DOUBLE of the dead-letter topic: keeps what was published."""

    def __init__(self) -> None:
        self.letters: list[DeadLetter] = []

    async def publish(self, letter: DeadLetter) -> None:
        self.letters.append(letter)


class TextStages:
    def __init__(self, app: Meetings) -> None:
        self.app = app
        self.codec = EventCodec()
        gateway = MeetingsGateway(app)
        self.dead_letters = RecordingDeadLetters()
        rubric = Rubric.from_dict(json.loads(BUNDLED_RUBRIC.read_text()))
        stages = (
            Enhancer(gateway=gateway, settings=EnhancerSettings(pii_masking=True)),
            Reporter(gateway=gateway, settings=ReporterSettings(rubric)),
        )
        self.runners = [
            StageRunner(
                stage,
                gateway=gateway,
                dead_letters=self.dead_letters,
                codec=self.codec,
                max_attempts=1,
                retry_backoff_sec=0.01,
            )
            for stage in stages
        ]
        self.position = 0

    async def drain(self) -> list[tuple[str, str, str]]:
        """(stage, event type, outcome) for every message a stage handled."""
        outcomes = []
        while True:
            notifications = self.app.recorder.select_notifications(self.position + 1, 100)
            if not notifications:
                return outcomes
            for notification in notifications:
                self.position = notification.id
                event = self.app.mapper.to_domain_event(notification)
                built = self.codec.message(event, notification.id)
                message = OriginalMessage(
                    built.topic, 0, notification.id, built.key, built.value, tuple(built.headers)
                )
                for runner in self.runners:
                    outcome = await runner.process(message)
                    if outcome != IGNORED:
                        outcomes.append((runner.stage.name, type(event).__name__, outcome))

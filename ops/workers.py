"""Pipeline worker processes: ``ia worker transcriber|enhancer|reporter``.

Builds one stage with its adapters, wraps it in a Faust app of its own consumer group
and runs it until SIGINT/SIGTERM. The transcriber loads the speech model (assembling the
bundled ``base`` first, the first time) before it joins the group, so it never holds
partitions it cannot serve yet.

Must not: join the consumer group before the stage can serve its partitions.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

import faust

from interview_analytics.domain.report import Rubric
from interview_analytics.ops.metrics import WorkerMetrics
from interview_analytics.ops.positions import PositionRecorder
from interview_analytics.ops.settings import Settings, SettingsError
from interview_analytics.ops.wiring import (
    build_meetings,
    event_codec,
    prepare_speech_model,
    whisper_settings,
)
from interview_analytics.streams.app import (
    FaustDeadLetterSink,
    FaustSettings,
    create_app,
    install_stage_agent,
)
from interview_analytics.streams.contract.groups import (
    ENHANCER,
    REPORTER,
    STAGE_ROLES,
    TRANSCRIBER,
    group_of,
)
from interview_analytics.streams.contract.topics import MEETING_EVENTS
from interview_analytics.streams.diarization.engines import build_diarizer
from interview_analytics.streams.enhancer import Enhancer, EnhancerSettings
from interview_analytics.streams.narrative import NarratorSettings, OpenAINarrator
from interview_analytics.streams.pipeline import MeetingsGateway, Stage, StageRunner
from interview_analytics.streams.reporter import Reporter, ReporterSettings
from interview_analytics.streams.speech import SpeechRecognizer
from interview_analytics.streams.transcriber import Transcriber, TranscriberSettings

log = logging.getLogger(__name__)

BUNDLED_RUBRIC = Path(__file__).parent / "config" / "rubric.json"
LAG_SAMPLE_INTERVAL_SEC = 2.0


def load_rubric(settings: Settings) -> Rubric:
    path = Path(settings.report_rubric_path) if settings.report_rubric_path else BUNDLED_RUBRIC
    try:
        return Rubric.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as error:
        raise SettingsError(f"REPORT_RUBRIC_PATH={str(path)!r}: {error}") from error


def load_recognizer(settings: Settings, say: bool = True) -> SpeechRecognizer:
    """The speech model, loaded: a bundled ``base`` is assembled first if it is not yet."""

    def tell(line: str) -> None:
        if say:
            print(f"[{TRANSCRIBER}] {line}", flush=True)

    resolved = prepare_speech_model(settings, tell)
    recognizer = SpeechRecognizer(whisper_settings(settings))
    started = time.perf_counter()
    tell(f"loading speech model {settings.speech_model} …")
    recognizer.load(resolved)
    tell(
        f"speech model ready in {time.perf_counter() - started:.1f} s "
        f"({recognizer.cpu_threads} threads × {settings.speech_max_concurrent_decodes} decode(s))"
    )
    return recognizer


def build_stage(
    role: str,
    settings: Settings,
    gateway: MeetingsGateway,
    metrics: WorkerMetrics | None = None,
    recognizer: SpeechRecognizer | None = None,
) -> Stage:
    if role == TRANSCRIBER:
        return Transcriber(
            gateway=gateway,
            # The meetings' own blob store: it decrypts with their data keys.
            blobs=gateway.meetings.blobs,
            recognizer=recognizer or load_recognizer(settings),
            settings=TranscriberSettings(draft_context_sec=settings.draft_context_sec),
            diarizer=build_diarizer(
                settings.diarization_engine, min_speakers=settings.diarization_min_speakers
            ),
            on_recognition=metrics.observe_speech if metrics else None,
        )
    if role == ENHANCER:
        return Enhancer(gateway=gateway, settings=EnhancerSettings(settings.pii_masking))
    if role == REPORTER:
        narrator = (
            OpenAINarrator(
                NarratorSettings(
                    base_url=settings.llm_base_url,
                    api_key=str(settings.llm_api_key),
                    model=settings.llm_model,
                    timeout_sec=settings.llm_timeout_sec,
                )
            )
            if settings.llm_base_url
            else None
        )
        return Reporter(gateway=gateway, settings=ReporterSettings(load_rubric(settings), narrator))
    raise SettingsError(f"unknown worker role {role!r}; one of {', '.join(STAGE_ROLES)}")


def faust_settings(settings: Settings, bootstrap_servers: str) -> FaustSettings:
    return FaustSettings(
        bootstrap_servers=bootstrap_servers,
        data_dir=settings.data_dir,
        session_timeout_sec=settings.resolved_faust_session_timeout_sec,
        rebalance_timeout_sec=settings.resolved_faust_rebalance_timeout_sec,
        heartbeat_interval_sec=max(settings.resolved_faust_session_timeout_sec / 6, 0.5),
        commit_interval_sec=settings.faust_commit_interval_sec,
    )


def metrics_port(settings: Settings, role: str) -> int:
    port: int = getattr(settings, f"{role}_metrics_port")
    return port


def run_worker(role: str, settings: Settings, bootstrap_servers: str) -> None:
    """Run one worker until it is told to stop (blocks; Faust handles the signals)."""
    meetings = build_meetings(settings)
    gateway = MeetingsGateway(meetings)
    metrics = WorkerMetrics(role)
    stage = build_stage(role, settings, gateway, metrics)
    app = create_app(role, faust_settings(settings, bootstrap_servers))
    runner = StageRunner(
        stage,
        gateway=gateway,
        dead_letters=FaustDeadLetterSink(app),
        codec=event_codec(meetings),
        max_attempts=settings.stage_max_attempts,
        retry_backoff_sec=settings.stage_retry_backoff_sec,
        observe=metrics.observe_stage,
    )
    install_stage_agent(app, runner)

    positions = PositionRecorder(meetings.factory.tracking_recorder(), role)

    async def sample_lag() -> None:
        """Lag in store positions, exported and recorded in the store for queue health."""
        head = await gateway.call(meetings.recorder.max_notification_id) or 0
        position = runner.stats.last_notification_id
        metrics.observe_lag(head, position)
        await positions.record(position)

    app.timer(interval=LAG_SAMPLE_INTERVAL_SEC)(sample_lag)

    if metrics_port(settings, role):
        metrics.serve(metrics_port(settings, role))
    announce = f"[{role}] consuming {MEETING_EVENTS} as group {group_of(role)}"
    run_faust_app(app, settings, announce, gateway.close, meetings.close)


def run_faust_app(
    app: faust.App, settings: Settings, announce: str, *close: Callable[[], None]
) -> None:
    """Say what the worker does, run the Faust app as this process's worker until
    SIGINT/SIGTERM (Faust handles the signals and leaves through ``SystemExit``, which ends
    the run normally here), then call ``close`` in order, whatever happened."""
    print(announce, flush=True)
    worker = faust.Worker(app, loglevel=settings.log_level.upper(), quiet=True)
    try:
        with contextlib.suppress(SystemExit):
            worker.execute_from_commandline()
    finally:
        for closing in close:
            closing()

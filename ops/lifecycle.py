"""The lifecycle worker: ``ia worker lifecycle``, meetings that end by themselves.

Runs the idle finisher (``streams/idle_finisher.py``) on the configured event store until
SIGINT/SIGTERM: a meeting without a chunk for MEETING_IDLE_FINISH_SEC (or its context's
``idle_finish_sec``) is finished with reason ``idle`` by actor ``ia-lifecycle``. It needs no
broker and no read store; ``ia up`` runs it as a child like every other role. One replica
is enough; a second would only repeat checks that record nothing (finish is idempotent).

Must not: decide when a meeting is idle (the domain rule does) or need a broker.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from interview_analytics.domain.events import EventMeta
from interview_analytics.ops.metrics import serve_lifecycle_metrics
from interview_analytics.ops.settings import Settings
from interview_analytics.ops.wiring import build_meetings
from interview_analytics.streams.contract.groups import LIFECYCLE, LIFECYCLE_ACTOR
from interview_analytics.streams.idle_finisher import IdleFinisher, IdleFinisherConfig

log = logging.getLogger(__name__)


def build_idle_finisher(settings: Settings) -> IdleFinisher:
    return IdleFinisher(
        meetings=build_meetings(settings),
        config=IdleFinisherConfig(
            default_idle_sec=settings.meeting_idle_finish_sec,
            poll_interval_sec=settings.lifecycle_poll_interval_sec,
        ),
        meta=EventMeta(actor=LIFECYCLE_ACTOR),
    )


def run_lifecycle(settings: Settings) -> None:
    """Run the lifecycle worker until it is told to stop (blocks)."""
    asyncio.run(_run(settings))


async def _run(settings: Settings) -> None:
    finisher = build_idle_finisher(settings)
    if settings.lifecycle_metrics_port:
        try:
            serve_lifecycle_metrics(finisher, settings.lifecycle_metrics_port)
        except OSError as error:  # idle finishes matter more than their metrics
            log.warning(
                "lifecycle: no metrics on port %s: %s", settings.lifecycle_metrics_port, error
            )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    idle = settings.meeting_idle_finish_sec
    print(
        f"[{LIFECYCLE}] finishing meetings idle for {idle:g} s (0 = never) as {LIFECYCLE_ACTOR}",
        flush=True,
    )
    try:
        await finisher.run(stop)
    finally:
        finisher.close()
        finisher.meetings.close()
        log.info(
            "lifecycle stopped at notification %s (%s idle finishes this run)",
            finisher.stats.position,
            finisher.stats.finished_total,
        )

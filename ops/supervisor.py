"""``ia up``: the embedded stack as one command.

Makes the speech model ready (assembles the bundled ``base`` the first time), starts the
embedded broker (unless ``KAFKA_BOOTSTRAP_SERVERS`` is set), creates the topics, then
runs each role as a child process — the relay, one worker per pipeline stage, the
lifecycle worker (idle finishes), the retention worker, the API (which runs the projector
too when the read store is chDB) — exactly the processes a
production deployment runs as separate services. A child that dies is restarted (with
backoff); Ctrl-C or SIGTERM stops the children, then the broker.

Must not: run a role's work in its own process; each role is a child, as in production.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from interview_analytics.ops import runtime
from interview_analytics.ops.event_store import redacted
from interview_analytics.ops.reconciler import reconciler_wanted
from interview_analytics.ops.settings import Settings
from interview_analytics.ops.wiring import broker, prepare_speech_model, topic_specs
from interview_analytics.ops.workers import metrics_port
from interview_analytics.streams.contract.groups import (
    LIFECYCLE,
    NOTIFIER,
    PROJECTOR,
    RECONCILER,
    RETENTION,
    STAGE_ROLES,
)
from interview_analytics.streams.topics import ensure_topics

STOP_GRACE_SEC = 20.0
MAX_RESTART_BACKOFF_SEC = 30.0


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    next_start: float = 0.0
    started_at: float = 0.0


def ia_command(*args: str) -> list[str]:
    executable = Path(sys.executable).with_name("ia")
    if executable.exists():
        return [str(executable), *args]
    return [sys.executable, "-m", "interview_analytics.ops.cli", *args]


def run_stack(settings: Settings) -> int:
    stop = _stop_flag()
    # Once, before the children start: the transcriber and the API then only re-verify it.
    model = prepare_speech_model(settings, lambda line: print(line, flush=True))
    with broker(settings) as running:
        asyncio.run(ensure_topics(running.bootstrap_servers, topic_specs(settings)))
        runtime.write(
            settings.data_dir,
            bootstrap_servers=running.bootstrap_servers,
            api_url=settings.api_url,
        )
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": running.bootstrap_servers,
            "KAFKA_PROFILE": "embedded" if running.embedded else "kafka",
            "DATA_DIR": str(settings.data_dir.resolve()),
        }
        children = [
            Child("relay", ia_command("relay")),
            *(Child(role, ia_command("worker", role)) for role in STAGE_ROLES),
            Child(LIFECYCLE, ia_command("worker", LIFECYCLE)),
            Child(RETENTION, ia_command("worker", RETENTION)),
            Child(NOTIFIER, ia_command("worker", NOTIFIER)),
            Child("api", ia_command("api")),
        ]
        if not settings.embedded_read_store:
            # On chDB the API process runs the projector and the reconciler (docs/adr/0003).
            children.append(Child(PROJECTOR, ia_command("worker", PROJECTOR)))
            if reconciler_wanted(settings):
                children.append(Child(RECONCILER, ia_command("worker", RECONCILER)))
        _banner(settings, running.bootstrap_servers, running.embedded is not None, model)
        try:
            for child in children:
                _start(child, env)
            while not stop["stop"]:
                for child in children:
                    if not stop["stop"]:  # a Ctrl-C also stops the children: no restarts then
                        _watch(child, env)
                time.sleep(0.2)
        finally:
            print("stopping …", flush=True)
            _stop_all(children)
            runtime.clear(settings.data_dir)
    print("stopped", flush=True)
    return 0


def _banner(settings: Settings, bootstrap: str, embedded: bool, model: str) -> None:
    print("Interview Analytics — embedded stack", flush=True)
    print(f"  event store : {redacted(settings.resolved_event_store_url)}")
    print(f"  audio blobs : {settings.blob_dir.resolve()}")
    print(f"  broker      : {bootstrap} ({'embedded Tansu' if embedded else 'external Kafka'})")
    print(f"  topics      : {', '.join(s.name for s in topic_specs(settings))}")
    where = "" if model == settings.speech_model else f" ({model})"
    print(f"  speech model: {settings.speech_model}{where}")
    if settings.relay_metrics_port:
        print(f"  metrics     : relay http://127.0.0.1:{settings.relay_metrics_port}/metrics")
    for role in STAGE_ROLES:
        port = metrics_port(settings, role)
        if port:
            print(f"                {role} http://127.0.0.1:{port}/metrics")
    if settings.lifecycle_metrics_port:
        port = settings.lifecycle_metrics_port
        print(f"                {LIFECYCLE} http://127.0.0.1:{port}/metrics")
    if settings.retention_metrics_port:
        port = settings.retention_metrics_port
        print(f"                {RETENTION} http://127.0.0.1:{port}/metrics")
    if settings.notifier_metrics_port:
        port = settings.notifier_metrics_port
        print(f"                {NOTIFIER} http://127.0.0.1:{port}/metrics")
    idle = settings.meeting_idle_finish_sec
    print(f"  idle finish : after {idle:g} s without a chunk" if idle else "  idle finish : off")
    email = f"SMTP {settings.smtp_host}" if settings.smtp_host else "off (SMTP_HOST)"
    print(f"  e-mail      : {email}")
    print(f"  read store  : {redacted(settings.resolved_clickhouse_url)}")
    print(f"  API         : {settings.api_url}  (OpenAPI: {settings.api_url}/openapi.json)")
    projector = "in the API process" if settings.embedded_read_store else "its own process"
    print(f"  projector   : {projector}")
    if reconciler_wanted(settings):
        platform = settings.sberjazz_api_base or "not configured (SBERJAZZ_API_BASE)"
        print(f"  connector   : SberJazz {platform}; reconciler {projector}")
    print(
        f"  processes   : relay, {', '.join(STAGE_ROLES)}, {LIFECYCLE}, {RETENTION}, {NOTIFIER}, "
        "api "
        "(Ctrl-C to stop)",
        flush=True,
    )


def _start(child: Child, env: dict[str, str]) -> None:
    child.process = subprocess.Popen(child.argv, env=env)
    child.started_at = time.monotonic()


def _watch(child: Child, env: dict[str, str]) -> None:
    process = child.process
    if process is None:
        if time.monotonic() >= child.next_start:
            _start(child, env)
        return
    code = process.poll()
    if code is None:
        return
    # A child that ran for a while earned a fresh backoff.
    if time.monotonic() - child.started_at > 60:
        child.restarts = 0
    child.restarts += 1
    delay = min(2 ** (child.restarts - 1), MAX_RESTART_BACKOFF_SEC)
    print(f"[{child.name}] exited with {code}; restarting in {delay:.0f} s", flush=True)
    child.process = None
    child.next_start = time.monotonic() + delay


def _stop_all(children: list[Child]) -> None:
    running = [c.process for c in children if c.process and c.process.poll() is None]
    for process in running:
        process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SEC
    for process in running:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _stop_flag() -> dict[str, bool]:
    flag = {"stop": False}

    def request_stop(signum: int, frame: object) -> None:
        flag["stop"] = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    return flag

"""``ia``: the one command a user runs.

    ia up                      start the embedded stack (broker, relay, workers) and run it
    ia setup                   create topics, read-store and event-store tables, then exit
    ia relay                   run the relay against the configured broker
    ia api                     serve the REST/WS API (with the projector on embedded chDB)
    ia worker ROLE             run one pipeline stage (transcriber, enhancer, reporter),
                               the projector, the reconciler, the lifecycle worker
                               (idle finishes) or the notifier (e-mail and other
                               deliveries); production layout: each its own process
    ia sberjazz-sim            serve a simulated SberJazz platform (development, tests)
    ia events show MEETING_ID  print a meeting's stream from the event store
    ia events tail             decode and print the meeting-events topic
    ia dead-letters list       what the pipeline gave up on (and whether it is resolved)
    ia dead-letters redrive    run the open failures' stages again
    ia replay [TABLE …]        rebuild ClickHouse projections from the event store
    ia transcribe FILE         one recording through the pipeline: transcript and report
    ia settings                print every setting with its current value

Every command reads Settings once from the environment (and ``.env`` when present).

Must not: hold logic a command shares with a process (the ``ops`` modules do); it parses and
dispatches.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
import time
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import uvicorn

from interview_analytics.connectors.sberjazz.simulator import SberJazzSimulator
from interview_analytics.domain.errors import DomainError
from interview_analytics.domain.results import STAGES
from interview_analytics.ops import dead_letter_commands, runtime
from interview_analytics.ops.api import run_api
from interview_analytics.ops.lifecycle import run_lifecycle
from interview_analytics.ops.logging import configure as configure_logging
from interview_analytics.ops.metrics import serve_relay_metrics
from interview_analytics.ops.notifier import run_notifier
from interview_analytics.ops.projector import run_projector
from interview_analytics.ops.reconciler import run_reconciler
from interview_analytics.ops.retention import run_retention
from interview_analytics.ops.settings import Settings, SettingsError, describe, load_dotenv
from interview_analytics.ops.setup import DEFAULT_WAIT_SEC, cmd_setup
from interview_analytics.ops.supervisor import run_stack
from interview_analytics.ops.transcribe import transcribe
from interview_analytics.ops.wiring import build_meetings, build_relay, topic_specs
from interview_analytics.ops.workers import run_worker
from interview_analytics.projections.projector import MEETING_TABLES
from interview_analytics.projections.replay import rebuild
from interview_analytics.projections.store import ReadStore
from interview_analytics.streams.contract import MEETING_EVENTS, EventCodec
from interview_analytics.streams.contract.groups import (
    LIFECYCLE,
    NOTIFIER,
    PROJECTOR,
    RECONCILER,
    RETENTION,
    ROLES,
)
from interview_analytics.streams.delivery.notifier import DELIVER
from interview_analytics.streams.speech_models import SpeechModelError
from interview_analytics.streams.topics import ensure_topics, read_from_beginning

log = logging.getLogger("ia")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(load_dotenv(Path(".env")))
    except SettingsError as error:
        print(f"ia: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    try:
        result: int = args.handler(settings, args)
    except DomainError as error:
        print(f"ia: {error.code}: {error.message}", file=sys.stderr)
        return 1
    except SpeechModelError as error:
        print(f"ia: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ia", description="Interview Analytics")
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="run the embedded stack until Ctrl-C")
    up.set_defaults(handler=cmd_up)

    setup = commands.add_parser(
        "setup", help="create the topics, read-store and event-store tables, then exit"
    )
    setup.add_argument(
        "--wait-sec",
        type=float,
        default=DEFAULT_WAIT_SEC,
        help="how long to retry stores that are still starting",
    )
    setup.set_defaults(handler=cmd_setup)

    relay = commands.add_parser("relay", help="run the relay (event store -> Kafka)")
    relay.set_defaults(handler=cmd_relay)

    api = commands.add_parser("api", help="serve the REST and WebSocket API")
    api.set_defaults(handler=cmd_api)

    worker = commands.add_parser(
        "worker", help="run one pipeline stage or the projector (a Faust worker)"
    )
    worker.add_argument("role", choices=ROLES)
    worker.set_defaults(handler=cmd_worker)

    events = commands.add_parser("events", help="look inside the event store and the topic")
    events_commands = events.add_subparsers(dest="events_command", required=True)
    show = events_commands.add_parser("show", help="a meeting's stream from the event store")
    show.add_argument("meeting_id")
    show.add_argument("--json", action="store_true", help="one JSON object per line")
    show.add_argument(
        "--decrypt",
        action="store_true",
        help="open the personal fields while the meeting's key exists (operators only); "
        "by default they show as the stored ciphertext markers",
    )
    show.set_defaults(handler=cmd_events_show)
    tail = events_commands.add_parser("tail", help="decode and print the meeting-events topic")
    tail.add_argument("--meeting", help="only this meeting id")
    tail.add_argument("--follow", "-f", action="store_true", help="keep waiting for more")
    tail.add_argument("--json", action="store_true", help="one JSON object per line")
    tail.add_argument(
        "--idle-sec", type=float, default=3.0, help="without --follow, stop after this much quiet"
    )
    tail.add_argument("--bootstrap-servers", help="default: configured or running embedded broker")
    tail.set_defaults(handler=cmd_events_tail)

    letters = commands.add_parser("dead-letters", help="list or re-drive dead letters")
    letters_commands = letters.add_subparsers(dest="dead_letters_command", required=True)
    listing = letters_commands.add_parser(
        "list", help="every dead letter and whether it is resolved"
    )
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(handler=cmd_dead_letters_list)
    again = letters_commands.add_parser("redrive", help="run open failed letters' stages again")
    again.add_argument("--stage", choices=(*STAGES, DELIVER))
    again.add_argument("--meeting", help="only this meeting id")
    again.set_defaults(handler=cmd_dead_letters_redrive)

    replay_cmd = commands.add_parser(
        "replay", help="rebuild ClickHouse projections from the event store (all, or some)"
    )
    replay_cmd.add_argument("tables", nargs="*", help=f"default: {', '.join(MEETING_TABLES)}")
    replay_cmd.set_defaults(handler=cmd_replay)

    transcribe_cmd = commands.add_parser(
        "transcribe", help="run one recording through the pipeline and print the results"
    )
    transcribe_cmd.add_argument("file", type=Path, help="wav, flac, ogg, opus, mp3 or webm")
    transcribe_cmd.add_argument("--language", help="default: the configured language")
    transcribe_cmd.add_argument(
        "--api", default="", help="API base URL (default: the running stack, or start one)"
    )
    transcribe_cmd.add_argument("--api-key", default="", help="X-API-Key, when AUTH_MODE=api_key")
    transcribe_cmd.add_argument("--timeout", type=float, default=1800.0, help="seconds")
    transcribe_cmd.add_argument("--json", action="store_true", help="print the meeting as JSON")
    transcribe_cmd.add_argument(
        "--out",
        type=Path,
        help="folder for meeting.json, report.html and report.md (default: <FILE>.ia/)",
    )
    transcribe_cmd.set_defaults(handler=cmd_transcribe)

    sim = commands.add_parser(
        "sberjazz-sim",
        help="serve a SIMULATED SberJazz platform (development and tests) on --port",
    )
    sim.add_argument("--port", type=int, default=8090)
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument(
        "--audio",
        action="append",
        required=True,
        metavar="FILE.wav:SPEAKER",
        help="16 kHz mono WAV played as every joined meeting's live audio, labelled SPEAKER "
        "(repeat: played one after another)",
    )
    sim.add_argument("--token", default=None, help="require this bearer token")
    sim.add_argument("--speed", type=float, default=1.0, help="> 1 plays faster than real time")
    sim.set_defaults(handler=cmd_sberjazz_sim)

    settings = commands.add_parser("settings", help="print every setting and its value")
    settings.set_defaults(handler=cmd_settings)
    return parser


# ---------------------------------------------------------------------- up / relay


def cmd_up(settings: Settings, args: argparse.Namespace) -> int:
    return run_stack(settings)


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    if args.role == LIFECYCLE:  # follows the event store: no broker needed
        run_lifecycle(settings)
        return 0
    if args.role == RETENTION:  # follows the event store too
        run_retention(settings)
        return 0
    bootstrap = _bootstrap_or_explain(settings, "worker")
    if not bootstrap:
        return 2
    if args.role == PROJECTOR:
        run_projector(settings, bootstrap)
    elif args.role == RECONCILER:
        run_reconciler(settings, bootstrap)
    elif args.role == NOTIFIER:
        run_notifier(settings, bootstrap)
    else:
        run_worker(args.role, settings, bootstrap)
    return 0


def cmd_api(settings: Settings, args: argparse.Namespace) -> int:
    bootstrap = settings.kafka_bootstrap_servers or runtime.bootstrap_servers(settings.data_dir)
    run_api(
        settings, bootstrap_servers=bootstrap or None, with_projector=settings.embedded_read_store
    )
    return 0


def cmd_relay(settings: Settings, args: argparse.Namespace) -> int:
    bootstrap = _bootstrap_or_explain(settings, "relay")
    if not bootstrap:
        return 2
    asyncio.run(_run_relay(settings, build_meetings(settings), bootstrap))
    return 0


async def _run_relay(settings: Settings, meetings: Any, bootstrap_servers: str) -> None:
    await ensure_topics(bootstrap_servers, topic_specs(settings))
    relay = build_relay(settings, meetings, bootstrap_servers)
    if settings.relay_metrics_port:
        serve_relay_metrics(relay, settings.relay_metrics_port)
    stop = _stop_on_signals()
    await relay.start()
    try:
        await relay.run(stop)
    finally:
        await relay.stop()
        log.info(
            "relay stopped at notification %s (%s published this run)",
            relay.stats.position,
            relay.stats.published_total,
        )


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


# ---------------------------------------------------------------------- events


def cmd_events_show(settings: Settings, args: argparse.Namespace) -> int:
    # Personal fields are shown as stored (ciphertext markers) unless --decrypt.
    meetings = build_meetings(settings, sealed_view=not args.decrypt)
    codec = EventCodec()
    for event in meetings.stream(args.meeting_id):
        event_type, record = codec.to_record(event)
        _print_event(event_type, record["metadata"], _fields(record), as_json=args.json)
    return 0


def cmd_events_tail(settings: Settings, args: argparse.Namespace) -> int:
    bootstrap = args.bootstrap_servers or _bootstrap_or_explain(settings, "events tail")
    if not bootstrap:
        return 2
    return asyncio.run(_tail(bootstrap, args))


async def _tail(bootstrap_servers: str, args: argparse.Namespace) -> int:
    codec = EventCodec()
    records = read_from_beginning(
        bootstrap_servers,
        MEETING_EVENTS,
        idle_sec=args.idle_sec,
        follow=args.follow,
        stop=_stop_on_signals(),
    )
    async for record in records:
        envelope = codec.decode(record.value)
        if args.meeting and envelope.meeting_id != args.meeting:
            continue
        _print_event(
            envelope.event_type,
            envelope.metadata,
            envelope.fields,
            as_json=args.json,
            where=f"p{record.partition}@{record.offset}",
        )
    return 0


def _fields(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "metadata"}


def _print_event(
    event_type: str,
    metadata: dict[str, Any],
    fields: dict[str, Any],
    *,
    as_json: bool,
    where: str = "",
) -> None:
    if as_json:
        line = {"event_type": event_type, "metadata": metadata, "fields": fields}
        print(json.dumps(line, default=str, ensure_ascii=False), flush=True)
        return
    short = event_type.rsplit(".", 1)[-1]
    summary = ", ".join(f"{k}={_short(v)}" for k, v in fields.items())
    prefix = f"{where} " if where else ""
    print(
        f"{prefix}#{metadata.get('notification_id') or '-'} {metadata['meeting_id']} "
        f"v{metadata['version']} {metadata['occurred_at']:%Y-%m-%dT%H:%M:%S.%fZ} "
        f"{short}: {summary}",
        flush=True,
    )


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------- dead letters


def _bootstrap_or_explain(settings: Settings, command: str) -> str:
    """The configured broker, else the one `ia up` is running; empty (and said why) if none."""
    bootstrap = settings.kafka_bootstrap_servers or runtime.bootstrap_servers(settings.data_dir)
    if not bootstrap:
        print(f"ia {command}: set KAFKA_BOOTSTRAP_SERVERS or run `ia up`", file=sys.stderr)
    return bootstrap


def cmd_dead_letters_list(settings: Settings, args: argparse.Namespace) -> int:
    bootstrap = _bootstrap_or_explain(settings, "dead-letters list")
    if not bootstrap:
        return 2
    return dead_letter_commands.run_list(settings, build_meetings(settings), bootstrap, args.json)


def cmd_dead_letters_redrive(settings: Settings, args: argparse.Namespace) -> int:
    bootstrap = _bootstrap_or_explain(settings, "dead-letters redrive")
    if not bootstrap:
        return 2
    return dead_letter_commands.run_redrive(
        settings, build_meetings(settings), bootstrap, args.stage, args.meeting
    )


# ---------------------------------------------------------------------- replay


def cmd_replay(settings: Settings, args: argparse.Namespace) -> int:
    unknown = sorted(set(args.tables) - set(MEETING_TABLES))
    if unknown:
        print(
            f"ia replay: unknown projection(s) {unknown}; one of {MEETING_TABLES}", file=sys.stderr
        )
        return 2
    url = settings.resolved_clickhouse_url
    if url.startswith("chdb:") and runtime.running_pid(settings.data_dir):
        # chDB hosts one process per directory, and the running API owns this one.
        print(
            "ia replay: the embedded stack is running and owns the chDB read store; "
            "stop it (Ctrl-C on ia up) and run ia replay again (docs/adr/0003)",
            file=sys.stderr,
        )
        return 2
    meetings = build_meetings(settings)
    head = meetings.recorder.max_notification_id() or 0
    store = ReadStore.connect(url)
    started = time.monotonic()
    shown = [0.0]

    def progress(done: int, seconds: float) -> None:
        if time.monotonic() - shown[0] < 0.5 and done < head:
            return
        shown[0] = time.monotonic()
        width = 30
        filled = int(width * done / head) if head else width
        rate = done / seconds if seconds > 0 else 0.0
        bar = "#" * filled + "." * (width - filled)
        print(f"\r[{bar}] {done}/{head} events, {rate:,.0f} events/s", end="", flush=True)

    try:
        store.migrate()
        stats = rebuild(store, meetings, args.tables or None, progress)
    finally:
        store.close()
    print(
        f"\nreplayed {stats.events} events into {', '.join(stats.tables)} "
        f"in {time.monotonic() - started:.1f} s ({stats.events_per_sec:,.0f} events/s)"
        + (f"; then {stats.caught_up} events stored meanwhile" if stats.caught_up else "")
    )
    return 0


def cmd_transcribe(settings: Settings, args: argparse.Namespace) -> int:
    return transcribe(
        settings,
        args.file,
        api_url=args.api,
        language=args.language,
        api_key=args.api_key,
        timeout=args.timeout,
        as_json=args.json,
        out_dir=args.out,
    )


# ---------------------------------------------------------------------- settings


def cmd_sberjazz_sim(settings: Settings, args: argparse.Namespace) -> int:
    files: list[tuple[Path, str]] = []
    for spec in args.audio:
        path, sep, speaker = spec.rpartition(":")
        if not sep or not path or not speaker:
            print(f"ia sberjazz-sim: --audio wants FILE.wav:SPEAKER, got {spec!r}", file=sys.stderr)
            return 2
        files.append((Path(path), speaker))
    try:
        simulator = SberJazzSimulator(files, token=args.token, speed=args.speed)
    except (OSError, ValueError, wave.Error) as error:
        print(f"ia sberjazz-sim: {error}", file=sys.stderr)
        return 2
    print(
        f"SIMULATED SberJazz platform on http://{args.host}:{args.port} "
        f"({len(simulator.chunks)} s of audio per meeting; faults: POST /_sim/faults)",
        flush=True,
    )
    uvicorn.run(simulator.app(), host=args.host, port=args.port, log_level="warning")
    return 0


def cmd_settings(settings: Settings, args: argparse.Namespace) -> int:
    for info in describe():
        print(
            f"{info.env}={getattr(settings, info.field)!r}  # default {info.default!r}: {info.doc}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``ia setup``: prepare the production stores once, before the services start.

Creates the Kafka topics with their configured partitions (``streams/topics.py``), applies
the ClickHouse read-store migrations, and creates the event store's tables (and the
PostgreSQL schema named in ``EVENT_STORE_URL``). Every step is idempotent, so the compose
stack runs it as a one-shot service on every ``up`` and the other services start after it
exited successfully. A store that is still starting is retried until ``wait_sec`` runs out.

Must not: start an embedded broker (its memory-only topics would vanish with this
process) or serve anything; it exits when the stores are ready.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import Callable
from typing import TypeVar

from interview_analytics.ops import runtime
from interview_analytics.ops.event_store import redacted
from interview_analytics.ops.settings import Settings, SettingsError
from interview_analytics.ops.wiring import build_meetings, topic_specs
from interview_analytics.projections.store import ReadStore
from interview_analytics.streams.topics import TopicCreationError, ensure_topics

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_WAIT_SEC = 120.0
RETRY_INTERVAL_SEC = 2.0
# Waiting cannot fix these: a topic with another partition count, a bad setting.
PERMANENT_ERRORS: tuple[type[Exception], ...] = (TopicCreationError, SettingsError)


def run_setup(settings: Settings, *, wait_sec: float = DEFAULT_WAIT_SEC) -> int:
    """Topics, read-store migrations, event-store tables; 0 when all are ready."""
    bootstrap = settings.kafka_bootstrap_servers or runtime.bootstrap_servers(settings.data_dir)
    if not bootstrap:
        print("ia setup: set KAFKA_BOOTSTRAP_SERVERS or run `ia up`", file=sys.stderr)
        return 2
    deadline = time.monotonic() + wait_sec
    try:
        created = _retrying("broker", deadline, lambda: _create_topics(settings, bootstrap))
        names = ", ".join(spec.name for spec in topic_specs(settings))
        print(f"topics      : {names} on {bootstrap}" + _created(created), flush=True)

        url = settings.resolved_clickhouse_url
        if url.startswith("chdb:") and runtime.running_pid(settings.data_dir):
            # chDB hosts one process per directory; the running API owns it and migrates it.
            print(f"read store  : {redacted(url)} (owned by the running stack)", flush=True)
        else:
            applied = _retrying("read store", deadline, lambda: _migrate_read_store(url))
            print(f"read store  : {redacted(url)}" + _applied(applied), flush=True)

        store_url = settings.resolved_event_store_url
        _retrying("event store", deadline, lambda: _create_event_store_tables(settings))
        print(f"event store : {redacted(store_url)} (tables ready)", flush=True)
    except _GaveUpError as error:
        print(f"ia setup: {error}", file=sys.stderr)
        return 1
    return 0


def cmd_setup(settings: Settings, args: argparse.Namespace) -> int:
    """The ``ia setup`` handler (its parser lines are in ``ops/cli.py``)."""
    wait_sec: float = args.wait_sec
    return run_setup(settings, wait_sec=wait_sec)


def _create_topics(settings: Settings, bootstrap: str) -> list[str]:
    return asyncio.run(ensure_topics(bootstrap, topic_specs(settings)))


def _migrate_read_store(url: str) -> list[str]:
    store = ReadStore.connect(url)
    try:
        return store.migrate()
    finally:
        store.close()


def _create_event_store_tables(settings: Settings) -> None:
    # eventsourcing creates the stored-events table when the application is built, and
    # the tracking table (relay and consumer positions) when a tracking recorder is.
    meetings = build_meetings(settings)
    try:
        meetings.factory.tracking_recorder()
    finally:
        meetings.close()


class _GaveUpError(RuntimeError):
    pass


def _retrying(what: str, deadline: float, step: Callable[[], T]) -> T:
    """``step()``, tried again while the service it needs may still be starting."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return step()
        except PERMANENT_ERRORS as error:
            raise _GaveUpError(f"{what}: {error}") from error
        except Exception as error:  # any driver's "not reachable yet" looks different
            if time.monotonic() + RETRY_INTERVAL_SEC > deadline:
                message = f"{what} not ready after {attempt} attempt(s): {error}"
                raise _GaveUpError(message) from error
            print(f"waiting for the {what}: {error}", file=sys.stderr, flush=True)
            time.sleep(RETRY_INTERVAL_SEC)


def _created(names: list[str]) -> str:
    return f" (created {', '.join(names)})" if names else " (already there)"


def _applied(migrations: list[str]) -> str:
    return f" (applied {', '.join(migrations)})" if migrations else " (up to date)"

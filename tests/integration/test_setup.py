"""``ia setup`` (the compose stack's one-shot service) on the embedded defaults.

A broker of the test's own (the shared one may hold topics other tests created with other
partition counts), the SQLite event store and chDB in a temporary data directory.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from interview_analytics.ops import cli
from interview_analytics.ops.embedded import EmbeddedBroker
from interview_analytics.ops.settings import Settings
from interview_analytics.ops.setup import run_setup
from interview_analytics.projections.store import ReadStore

pytestmark = pytest.mark.broker


async def _partitions(bootstrap: str) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics()}
    finally:
        await admin.close()


def test_setup_creates_topics_read_models_and_event_tables_and_can_run_again(
    tmp_path: Path,
    own_broker: EmbeddedBroker,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # no developer's .env
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", own_broker.bootstrap_servers)
    monkeypatch.setenv("KAFKA_MEETING_EVENTS_PARTITIONS", "3")

    assert cli.main(["setup", "--wait-sec", "10"]) == 0
    first = capsys.readouterr().out
    assert "created meeting-events, dead-letters, security-audit" in first
    assert "applied 0001_initial" in first

    partitions = asyncio.run(_partitions(own_broker.bootstrap_servers))
    assert partitions["meeting-events"] == 3
    assert partitions["dead-letters"] == partitions["security-audit"] == 1
    with ReadStore.connect(f"chdb:///{tmp_path / 'data' / 'clickhouse'}") as store:
        assert {"meetings", "event_log", "queue_health"} <= store.tables()
    with sqlite3.connect(tmp_path / "data" / "events.sqlite3") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert {"stored_events", "tracking"} <= tables

    # Idempotent: the compose stack runs it on every `up`.
    assert cli.main(["setup", "--wait-sec", "10"]) == 0
    again = capsys.readouterr().out
    assert "(already there)" in again
    assert "(up to date)" in again


def test_setup_without_a_broker_says_what_to_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings.from_env({"DATA_DIR": str(tmp_path)})
    assert run_setup(settings, wait_sec=1) == 2
    assert "KAFKA_BOOTSTRAP_SERVERS" in capsys.readouterr().err


def test_setup_gives_up_on_an_unreachable_broker_within_its_wait(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings.from_env(
        {"DATA_DIR": str(tmp_path), "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}
    )
    assert run_setup(settings, wait_sec=1) == 1
    assert "broker not ready" in capsys.readouterr().err

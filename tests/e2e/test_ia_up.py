"""Black box: `ia up` as a user runs it, then `ia events tail` and `ia events show`."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.read_filters import MeetingFilter
from interview_analytics.ops.blobs import FileBlobStore
from interview_analytics.ops.embedded import free_port
from interview_analytics.ops.event_store import eventsourcing_env
from tests.factories import chunk, start, unique_meeting_id

pytestmark = pytest.mark.broker

IA = str(Path(sys.executable).with_name("ia"))


def ia(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [IA, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "EVENT_STORE"))}
    return {
        **clean,
        "DATA_DIR": str(tmp_path / "data"),
        "RELAY_POLL_INTERVAL_SEC": "0.05",
        "RELAY_METRICS_PORT": str(free_port()),
        "WHISPER_MODEL": "tiny.en",  # English test speech
    }


@pytest.fixture
def stack(env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [IA, "up"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    runtime_file = Path(env["DATA_DIR"]) / "runtime.json"
    deadline = time.monotonic() + 60
    while not runtime_file.exists():
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        assert time.monotonic() < deadline, "ia up did not start"
        time.sleep(0.1)
    yield process
    if process.poll() is None:
        process.kill()
        process.wait()


def test_up_relays_what_is_stored_and_stops_cleanly_on_ctrl_c(
    stack: subprocess.Popen[str], env: dict[str, str]
) -> None:
    data_dir = Path(env["DATA_DIR"])
    app = Meetings(
        env=eventsourcing_env(f"sqlite:///{data_dir / 'events.sqlite3'}"),
        blobs=FileBlobStore(data_dir / "blobs"),
    )
    meeting_id = unique_meeting_id("e2e")
    app.start(start(meeting_id))
    for seq in range(3):
        app.receive_chunk(chunk(meeting_id, seq))
    app.finish(meeting_id)

    tail = ia("events", "tail", "--meeting", meeting_id, "--json", "--idle-sec", "3", env=env)
    assert tail.returncode == 0, tail.stderr
    # The first five are ours; the stack's final pass may have added its results already.
    lines = [json.loads(line) for line in tail.stdout.splitlines()][:5]
    assert [line["metadata"]["version"] for line in lines] == [1, 2, 3, 4, 5]
    assert [line["event_type"].rsplit(".", 1)[1] for line in lines] == [
        "Started", "ChunkReceived", "ChunkReceived", "ChunkReceived", "Finished",
    ]  # fmt: skip

    published = re.compile(r'ia_relay_published_events_total\{topic="meeting-events"\} (\S+)')
    deadline = time.monotonic() + 15  # the final pass may be storing its results right now
    while True:
        metrics = httpx.get(f"http://127.0.0.1:{env['RELAY_METRICS_PORT']}/metrics").text
        caught_up = 'ia_relay_backlog_events{topic="meeting-events"} 0.0' in metrics
        if caught_up or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert caught_up, metrics
    count = published.search(metrics)
    assert count is not None, metrics
    assert float(count.group(1)) >= 5  # ours, and whatever the final pass added

    show = ia("events", "show", meeting_id, env=env)
    assert show.returncode == 0, show.stderr
    shown = show.stdout.splitlines()
    # The stack's final pass may already have added its results after Finished.
    assert [line.split()[2] for line in shown[:5]] == ["v1", "v2", "v3", "v4", "v5"]
    assert [line.split()[4].rstrip(":") for line in shown[:5]] == [
        "Started", "ChunkReceived", "ChunkReceived", "ChunkReceived", "Finished",
    ]  # fmt: skip

    stack.send_signal(signal.SIGINT)
    output, _ = stack.communicate(timeout=30)
    assert stack.returncode == 0, output
    assert "broker" in output
    assert "stopped" in output
    assert not (data_dir / "runtime.json").exists()


def test_show_of_an_unknown_meeting_says_so(env: dict[str, str]) -> None:
    result = ia("events", "show", "nobody-here", env=env)
    assert result.returncode == 1
    assert "meeting_not_found" in result.stderr


def test_bad_settings_fail_with_every_problem_listed(env: dict[str, str]) -> None:
    result = ia("settings", env={**env, "RELAY_BATCH_SIZE": "-1", "LOG_FORMAT": "xml"})
    assert result.returncode == 2
    assert "RELAY_BATCH_SIZE" in result.stderr
    assert "LOG_FORMAT" in result.stderr


def test_replay_rebuilds_the_read_models_from_the_event_store(env: dict[str, str]) -> None:
    from interview_analytics.projections.queries import Queries
    from interview_analytics.projections.store import ReadStore

    data_dir = Path(env["DATA_DIR"])
    app = Meetings(
        env=eventsourcing_env(f"sqlite:///{data_dir / 'events.sqlite3'}"),
        blobs=FileBlobStore(data_dir / "blobs"),
    )
    meeting_ids = [unique_meeting_id("replay") for _ in range(3)]
    for meeting_id in meeting_ids:
        app.start(start(meeting_id))
        for seq in range(4):
            app.receive_chunk(chunk(meeting_id, seq))
    app.finish(meeting_ids[0])

    for _ in range(2):  # a second replay swaps in identical tables
        result = ia("replay", env=env, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "replayed 16 events" in result.stdout
        assert "events/s" in result.stdout

    store = ReadStore.connect(f"chdb:///{(data_dir / 'clickhouse').resolve()}")
    try:
        queries = Queries(store)
        views = {m: queries.get_meeting(m) for m in meeting_ids}
        assert views[meeting_ids[0]].status == "finalizing"  # type: ignore[union-attr]
        assert {v.status for m, v in views.items() if m != meeting_ids[0]} == {"processing"}  # type: ignore[union-attr]
        assert len(queries.list_meetings(MeetingFilter(limit=10)).items) == 3
    finally:
        store.close()

    refused = ia("replay", "no_such_table", env=env)
    assert refused.returncode == 2
    assert "unknown projection" in refused.stderr

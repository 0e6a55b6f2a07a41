"""The README's Python examples run as written: the topic consumer against the real broker,
the ClickHouse query against an embedded chDB store."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from interview_analytics.domain.application import Meetings
from interview_analytics.ops.embedded import EmbeddedBroker
from interview_analytics.ops.settings import Settings
from interview_analytics.ops.wiring import build_relay
from interview_analytics.projections.store import ReadStore
from tests.conformance.read_store.scenario import all_events, project, run_interview
from tests.factories import chunk, start, unique_meeting_id

REPO = Path(__file__).resolve().parents[2]
README_CHDB_DIR = "/path/to/data/clickhouse"  # where the README's query example opens chDB


def readme_python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), flags=re.DOTALL)


@pytest.mark.broker
def test_readme_consumer_decodes_every_event_with_only_the_avsc_files(
    sqlite_store_url: str,
    own_broker: EmbeddedBroker,
    meetings_on: Callable[[str], Meetings],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    [example] = [block for block in readme_python_blocks() if "AIOKafkaConsumer" in block]
    app = meetings_on(sqlite_store_url)
    meeting_id = unique_meeting_id("readme")
    app.start(start(meeting_id))
    app.receive_chunk(chunk(meeting_id, 0))
    app.finish(meeting_id)
    settings = Settings.from_env(
        {"DATA_DIR": str(tmp_path), "KAFKA_BOOTSTRAP_SERVERS": own_broker.bootstrap_servers}
    )
    relay = build_relay(settings, app, own_broker.bootstrap_servers)

    async def relay_then_consume(namespace: dict[str, object]) -> None:
        await relay.start()
        try:
            await relay.publish_available()
        finally:
            await relay.stop()
        consume = namespace["consume"]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(consume(own_broker.bootstrap_servers), timeout=8)  # type: ignore[operator]

    monkeypatch.chdir(REPO)  # the example reads schemas/avro relative to the checkout
    namespace: dict[str, object] = {}
    exec(compile(example, "README.md", "exec"), namespace)  # noqa: S102
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        asyncio.run(relay_then_consume(namespace))
    assert printed.getvalue().splitlines() == [
        f"ia.meeting.Started {meeting_id} 1",
        f"ia.meeting.ChunkReceived {meeting_id} 2",
        f"ia.meeting.Finished {meeting_id} 3",
    ]


def test_readme_query_counts_the_meetings_by_status(
    chdb_read_store: ReadStore,
    chdb_dir: Path,
    memory_meetings: Meetings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    [example] = [block for block in readme_python_blocks() if README_CHDB_DIR in block]
    run_interview(memory_meetings, "readme-done")
    run_interview(memory_meetings, "readme-running", finish=False)
    project(chdb_read_store, all_events(memory_meetings))
    namespace: dict[str, object] = {}
    code = example.replace(README_CHDB_DIR, str(chdb_dir))
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102
    namespace["client"].close()  # type: ignore[attr-defined]  # chDB: no client may linger
    printed = capsys.readouterr().out.strip()
    assert sorted(ast.literal_eval(printed)) == [("done", 1), ("processing", 1)]


def test_readme_webhook_verification_accepts_genuine_requests_only() -> None:
    """The receiver's check in the README agrees with the signer, and with the spec's vector."""
    import time

    from interview_analytics.streams.delivery.webhook_signing import sign, signature_headers

    [example] = [block for block in readme_python_blocks() if "def verify_webhook" in block]
    namespace: dict[str, object] = {}
    exec(compile(example, "README.md", "exec"), namespace)  # noqa: S102
    verify_webhook = namespace["verify_webhook"]
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"type":"report.ready","data":{"meeting_id":"m-1"}}'
    now = int(time.time())
    headers = signature_headers(secret, "dlv_1", now, body)
    verify_webhook(secret, headers, body)  # type: ignore[operator]
    spec = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}') == spec
    refused = [
        (secret, headers, body + b" "),
        ("whsec_" + "QUJD" * 8, headers, body),
        (secret, {**headers, "webhook-id": "dlv_2"}, body),
        (secret, signature_headers(secret, "dlv_1", now - 600, body), body),
    ]
    for key, sent, received in refused:
        with pytest.raises(ValueError, match="webhook"):
            verify_webhook(key, sent, received)  # type: ignore[operator]

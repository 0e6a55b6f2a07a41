"""The README's consumer example runs, as written, against the real broker."""

from __future__ import annotations

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
from tests.factories import chunk, start, unique_meeting_id

pytestmark = pytest.mark.broker

REPO = Path(__file__).resolve().parents[2]


def readme_python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), flags=re.DOTALL)


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

"""Crypto-shredding end to end: a known phrase never reaches the SQLite or PostgreSQL
event store, the blob files or the meeting-events topic in clear, yet reads back while
the meeting's keys exist, and is gone (the meeting still loading) once they are destroyed.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.audio import sha256_hex
from interview_analytics.ops import cli
from interview_analytics.ops.blobs import BlobErasedError, FileBlobStore
from interview_analytics.ops.data_keys import DataKeyError
from interview_analytics.ops.embedded import EmbeddedBroker
from interview_analytics.ops.settings import Settings
from interview_analytics.ops.wiring import build_meetings, build_relay, data_keys_of, event_codec
from interview_analytics.streams.contract import EventCodec
from tests.factories import chunk, pcm, segment, start, transcript, unique_meeting_id
from tests.integration.test_relay import run_relay_until_caught_up
from tests.kafka_helpers import read_topic_sync

pytestmark = pytest.mark.broker

PHRASE = "marmalade submarine forty-two"
NAME = "Zebulon Quartermaine"
EMAIL = "zebulon@example.org"


def settings_for(tmp_path: Path, store_url: str) -> Settings:
    return Settings.from_env(
        {
            "DATA_DIR": str(tmp_path / "data"),
            "EVENT_STORE_URL": store_url,
            "WHISPER_MODEL": "tiny.en",
        }
    )


def record_personal_meeting(app: Meetings, meeting_id: str, audio: bytes) -> None:
    app.start(
        start(
            meeting_id,
            context={"candidate": NAME, "idle_finish_sec": 0},
            recipients=[EMAIL],
        )
    )
    app.receive_chunk(chunk(meeting_id, 0, audio=audio, speaker_hint=NAME))
    app.record_transcript(transcript(meeting_id, 2, [0], [segment(0.0, 1.0, PHRASE)]))


def stored_bytes(store_url: str, tmp_path: Path) -> bytes:
    """Every row of every table of the event store's database, as bytes."""
    if store_url.startswith("sqlite"):
        path = Path(store_url.removeprefix("sqlite:///"))
        with sqlite3.connect(path) as connection:
            tables = [
                row[0]
                for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            rows = [r for t in tables for r in connection.execute(f'SELECT * FROM "{t}"')]  # noqa: S608
        files = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        return files + repr(rows).encode()
    import psycopg

    base, _, schema = store_url.partition("?schema=")
    with psycopg.connect(base) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            )
        ]
        assert tables, "the test must look at the store's tables"
        rows = [r for t in tables for r in connection.execute(f'SELECT * FROM "{schema}"."{t}"')]  # noqa: S608
    return b"".join(
        bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
        for row in rows
        for value in row
    )


def clear_values(data: bytes, audio_excerpt: bytes) -> list[str]:
    found = [text for text in (PHRASE, NAME, EMAIL) if text.encode() in data]
    return found + (["audio"] if audio_excerpt in data else [])


def test_personal_data_is_sealed_everywhere_and_shredded_by_destroy(
    store_url: str, tmp_path: Path, own_broker: EmbeddedBroker
) -> None:
    settings = settings_for(tmp_path, store_url)
    app = build_meetings(settings)
    meeting_id = unique_meeting_id("shred")
    audio = pcm(seconds=0.5, tone=523)
    excerpt = audio[4000:4064]
    record_personal_meeting(app, meeting_id, audio)

    # Read back in clear while the keys exist, from a process of its own.
    fresh = build_meetings(settings)
    meeting = fresh.get(meeting_id)
    assert meeting.context["candidate"] == NAME
    assert meeting.recipients == [EMAIL]
    assert PHRASE in repr(meeting.results.transcriptions[-1].segments)
    chunk_record = meeting.chunks[0]
    assert chunk_record.sha256 == sha256_hex(audio)
    assert fresh.blobs.get(chunk_record.blob_key) == audio

    # ... but nothing in clear in the store, nor in the blob files.
    assert clear_values(stored_bytes(store_url, tmp_path), excerpt) == []
    blob_files = [p for p in settings.blob_dir.rglob("*") if p.is_file()]
    assert blob_files
    assert clear_values(b"".join(p.read_bytes() for p in blob_files), excerpt) == []
    with pytest.raises(DataKeyError, match="no data keys"):
        FileBlobStore(settings.blob_dir).get(chunk_record.blob_key)

    # The topic carries markers; our consumers' codec opens them.
    head = app.recorder.max_notification_id() or 0
    run_relay_until_caught_up(build_relay(settings, app, own_broker.bootstrap_servers), head)
    received = read_topic_sync(own_broker.bootstrap_servers, expect_at_least=head)
    assert len(received) == head
    plain = EventCodec()
    values = [
        plain.encode(r.envelope.event_type, {"metadata": r.envelope.metadata, **r.envelope.fields})
        for r in received
    ]
    assert clear_values(b"".join(values), excerpt) == []
    opened = [event_codec(fresh).decode(value) for value in values]
    assert PHRASE in repr([e.fields for e in opened])

    # Shred: the keys are destroyed; the meeting still loads, with erased values.
    keys = data_keys_of(app)
    assert keys is not None
    assert sorted(keys.destroy(meeting_id)) == ["audio", "raw_text"]
    after = build_meetings(settings).get(meeting_id)
    assert after.context["candidate"] is None
    assert after.context["idle_finish_sec"] == 0
    assert after.recipients == [""]
    assert [s["text"] for s in after.results.transcriptions[-1].segments] == [""]
    with pytest.raises(BlobErasedError):
        build_meetings(settings).blobs.get(chunk_record.blob_key)
    assert PHRASE not in repr([e.fields for e in (event_codec(fresh).decode(v) for v in values)])
    # Operators' view (`ia events show`) shows the stored markers only.
    shown = build_meetings(settings, sealed_view=True).stream(meeting_id)
    assert "$enc:v1:" in repr([vars(e) for e in shown])
    assert clear_values(repr([vars(e) for e in shown]).encode(), excerpt) == []
    assert clear_values(stored_bytes(store_url, tmp_path), excerpt) == []


def test_ia_events_show_prints_markers_unless_asked_to_decrypt(
    sqlite_store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = settings_for(tmp_path, sqlite_store_url)
    meeting_id = unique_meeting_id("show")
    record_personal_meeting(build_meetings(settings), meeting_id, pcm(tone=611))
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("EVENT_STORE_URL", sqlite_store_url)

    assert cli.main(["events", "show", meeting_id, "--json"]) == 0
    shown = capsys.readouterr().out
    assert "$enc:v1:raw_text:" in shown
    assert clear_values(shown.encode(), b"\x00" * 64) == []

    assert cli.main(["events", "show", meeting_id, "--json", "--decrypt"]) == 0
    decrypted = capsys.readouterr().out
    assert PHRASE in decrypted
    assert NAME in decrypted

    data_keys_of(build_meetings(settings)).destroy(meeting_id)  # type: ignore[union-attr]
    assert cli.main(["events", "show", meeting_id, "--json", "--decrypt"]) == 0
    assert clear_values(capsys.readouterr().out.encode(), b"\x00" * 64) == []

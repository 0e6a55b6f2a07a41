"""Erasure over real HTTP: ``DELETE /v1/meetings/{id}`` on the front door wired as
``ops/api.py`` wires it (SQLite event store, file blobs, the key table, chDB read models).

A meeting whose transcript holds a known phrase is erased; then its routes answer 410, its
blobs and data keys are gone, no read-model table has a row of it but the ``Erased``
audit row, and neither the projector nor a replay brings its text back.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from interview_analytics.domain.commands import RecordTranscript
from interview_analytics.domain.meeting import Meeting
from interview_analytics.ops.embedded import EmbeddedBroker
from interview_analytics.ops.wiring import build_relay
from interview_analytics.projections.erasure import ERASED_TABLES
from interview_analytics.projections.replay import rebuild
from interview_analytics.projections.store import ReadStore
from interview_analytics.streams.contract.events import ERASED
from tests.api_stack import TENANT_A, TENANT_B, ApiHarness, ServerThread, bearer
from tests.factories import pcm, unique_meeting_id
from tests.integration.test_relay import run_relay_until_caught_up

PHRASE = "purple elephant seventeen"


@pytest.fixture
def server(api: ApiHarness) -> Iterator[ServerThread]:
    with ServerThread(api.app) as running:
        yield running


def as_tenant(server: ServerThread, token: str) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, headers=bearer(token), timeout=30)


def finished_meeting_with_phrase(api: ApiHarness, http: httpx.Client) -> str:
    """A meeting of the caller's tenant: two chunks, a transcript saying PHRASE, finished."""
    meeting_id = unique_meeting_id()
    started = http.post("/v1/meetings/start", json={"meeting_id": meeting_id, "language": "en"})
    assert started.status_code == 200, started.text
    for seq in (0, 1):
        body = {"seq": seq, "content_b64": _b64(pcm(tone=300 + seq))}
        sent = http.post(f"/v1/meetings/{meeting_id}/chunks", json=body)
        assert sent.status_code == 200, sent.text
    chunk_version = api.meetings.get(meeting_id).chunks[0].version
    api.meetings.record_transcript(
        RecordTranscript(
            meeting_id=meeting_id,
            input_version=chunk_version,
            seqs=[0],
            segments=[
                {
                    "segment_id": "s0",
                    "start_sec": 0.0,
                    "end_sec": 1.0,
                    "text": PHRASE,
                    "speaker": "A",
                    "confidence": 0.9,
                    "words": [],
                }
            ],
            final=False,
            model="test",
            language="en",
            audio_sec=1.0,
            processing_sec=0.1,
        )
    )
    assert http.post(f"/v1/meetings/{meeting_id}/finish").status_code == 200
    api.project()
    return meeting_id


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


def rows_of(store: ReadStore, meeting_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of the meeting in every table that has a meeting_id column."""
    found = {}
    for table in sorted(store.tables()):
        columns = store.query_rows(
            "SELECT name FROM system.columns WHERE database = {db:String} AND table = {t:String}",
            {"db": store.database, "t": table},
        )
        if "meeting_id" not in {c["name"] for c in columns}:
            continue
        rows = store.query_rows(
            f"SELECT * FROM {store.table(table)} WHERE meeting_id = {{m:String}}",  # noqa: S608
            {"m": meeting_id},
        )
        if rows:
            found[table] = rows
    return found


def phrase_in_read_models(store: ReadStore) -> list[str]:
    """The tables whose data mention PHRASE anywhere (any column, any meeting)."""
    hits = []
    for table in sorted(store.tables()):
        rows = store.query_rows(f"SELECT * FROM {store.table(table)}")  # noqa: S608
        if any(PHRASE in repr(row) for row in rows):
            hits.append(table)
    return hits


def test_delete_erases_the_meeting_everywhere_the_read_side_and_blobs_keep_it(
    api: ApiHarness, server: ServerThread
) -> None:
    with as_tenant(server, TENANT_A) as ann, as_tenant(server, TENANT_B) as bob:
        meeting_id = finished_meeting_with_phrase(api, ann)
        blobs = api.meetings.get(meeting_id).blob_keys()
        assert len(blobs) == 2
        assert all((api.blob_dir / key).is_file() for key in blobs)
        assert phrase_in_read_models(api.store) != []  # the test can see the phrase
        assert ann.get(f"/v1/meetings/{meeting_id}").status_code == 200

        assert bob.delete(f"/v1/meetings/{meeting_id}").status_code == 404
        erased = ann.delete(f"/v1/meetings/{meeting_id}", params={"reason": "candidate_request"})
        assert erased.status_code == 204, erased.text

        for path in ("", "/report.md", "/report.html", "/deliveries"):
            gone = ann.get(f"/v1/meetings/{meeting_id}{path}")
            assert gone.status_code == 410, (path, gone.text)
            assert gone.json()["detail"]["code"] == "meeting_erased"
        assert bob.get(f"/v1/meetings/{meeting_id}").status_code == 404
        refused = ann.post(
            f"/v1/meetings/{meeting_id}/chunks", json={"seq": 2, "content_b64": _b64(pcm())}
        )
        assert (refused.status_code, refused.json()["detail"]["code"]) == (410, "meeting_erased")

        again = ann.delete(f"/v1/meetings/{meeting_id}", params={"reason": "candidate_request"})
        assert (again.status_code, again.content) == (204, b"")

    assert not any((api.blob_dir / key).exists() for key in blobs)
    assert api.data_keys.destroyed(meeting_id) == {"audio", "raw_text"}
    assert api.data_keys.key(meeting_id, "raw_text", create=True) is None
    stream = api.meetings.stream(meeting_id)
    erasures = [event for event in stream if isinstance(event, Meeting.Erased)]
    assert [(e.reason, e.actor) for e in erasures] == [("candidate_request", "ann")]
    assert isinstance(stream[-1], Meeting.Erased)  # nothing recorded after it

    deletes = [d for d in api.audit.decisions if d.method == "DELETE"]
    assert [(d.allowed, d.subject, d.endpoint) for d in deletes][-1] == (
        True,
        "ann",
        "/v1/meetings/{meeting_id}",
    )

    def only_the_erasure_is_left() -> None:
        left = rows_of(api.store, meeting_id)
        assert list(left) == ["event_log"], left
        assert [row["event_type"] for row in left["event_log"]] == [ERASED]
        assert PHRASE not in repr(left)
        assert phrase_in_read_models(api.store) == []

    # The DELETE itself removed every row; the Erased audit row comes with the projector.
    assert rows_of(api.store, meeting_id) == {}
    assert phrase_in_read_models(api.store) == []
    api.project()  # the projector reaches the Erased event
    only_the_erasure_is_left()
    rebuild(api.store, api.meetings)  # ia replay: every meeting table from the store
    only_the_erasure_is_left()


def test_erasing_an_unknown_meeting_is_404_and_changes_nothing(
    api: ApiHarness, server: ServerThread
) -> None:
    with as_tenant(server, TENANT_A) as ann:
        missing = ann.delete(f"/v1/meetings/{unique_meeting_id()}")
    assert (missing.status_code, missing.json()["detail"]["code"]) == (404, "meeting_not_found")


def test_the_projector_drops_an_erased_meetings_rows_within_one_batch(
    api: ApiHarness, server: ServerThread
) -> None:
    """The whole history, Erased included, in one batch (a replay): nothing but the erasure
    reaches the tables."""
    with as_tenant(server, TENANT_A) as ann:
        meeting_id = unique_meeting_id()
        ann.post("/v1/meetings/start", json={"meeting_id": meeting_id, "language": "en"})
        ann.post(f"/v1/meetings/{meeting_id}/chunks", json={"seq": 0, "content_b64": _b64(pcm())})
    api.meetings.erase(meeting_id, "test")
    api.project()
    left = rows_of(api.store, meeting_id)
    assert {table: len(rows) for table, rows in left.items()} == {"event_log": 1}
    assert set(ERASED_TABLES) <= api.store.tables()


# ---------------------------------------------------------------------- done when (issue 17)


@pytest.fixture
def sealed_api(tmp_path: Path, read_store: ReadStore, store_url: str) -> Iterator[ApiHarness]:
    harness = ApiHarness(tmp_path, read_store, sealed=True, event_store_url=store_url)
    yield harness
    harness.close()


def event_store_dump(url: str) -> bytes:
    """Everything the event store holds, raw: the SQLite files' bytes (free pages and WAL
    included), or every row of every table of the PostgreSQL schema as text."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    import psycopg

    schema = url.partition("schema=")[2]
    dump = []
    with psycopg.connect(url.partition("?")[0], autocommit=True) as connection:
        tables = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchall()
        for (table,) in tables:
            query = f'SELECT * FROM "{schema}"."{table}"'  # noqa: S608 - names from the catalog
            for row in connection.execute(query).fetchall():
                dump.append(repr(row).encode())
                dump.extend(bytes(v) for v in row if isinstance(v, bytes | memoryview))
    return b"\n".join(dump)


def ia_events_show(api: ApiHarness, meeting_id: str, *flags: str) -> str:
    return ia(api, "events", "show", meeting_id, *flags)


def ia(api: ApiHarness, *args: str) -> str:
    """``ia ARGS`` as an operator runs it on the harness's data directory; its stdout."""
    shown = subprocess.run(
        [sys.executable, "-m", "interview_analytics.ops.cli", *args],
        env={
            **os.environ,
            "DATA_DIR": str(api.settings.data_dir),
            "EVENT_STORE_URL": api.settings.resolved_event_store_url,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return shown.stdout


@pytest.mark.broker
def test_after_delete_the_phrase_is_in_clear_nowhere(
    sealed_api: ApiHarness, store_url: str, broker: EmbeddedBroker
) -> None:
    """Run on the SQLite and the PostgreSQL event store (``store_url``, tests/conftest.py)."""
    api = sealed_api
    with ServerThread(api.app) as server, as_tenant(server, TENANT_A) as ann:
        meeting_id = finished_meeting_with_phrase(api, ann)
        shown = ann.get(f"/v1/meetings/{meeting_id}")
        assert PHRASE in shown.text  # readable while the key exists: the checks below can fail
        assert phrase_in_read_models(api.store) != []
        assert PHRASE in ia_events_show(api, meeting_id, "--json", "--decrypt")
        blobs = api.meetings.get(meeting_id).blob_keys()

        assert ann.delete(f"/v1/meetings/{meeting_id}").status_code == 204
        assert ann.get(f"/v1/meetings/{meeting_id}").status_code == 410

    assert PHRASE.encode() not in event_store_dump(store_url)
    assert not any((api.blob_dir / key).exists() for key in blobs)
    assert all(
        PHRASE.encode() not in f.read_bytes() for f in api.blob_dir.rglob("*") if f.is_file()
    )
    assert phrase_in_read_models(api.store) == []
    api.project()
    assert phrase_in_read_models(api.store) == []
    rebuild(api.store, api.meetings)
    assert phrase_in_read_models(api.store) == []
    for flags in (("--json",), ("--json", "--decrypt")):  # the text form shortens values
        output = ia_events_show(api, meeting_id, *flags)
        assert PHRASE not in output
        assert "Erased" in output

    # The topic: the relay publishes the whole stream (Erased included) as stored.
    head = api.meetings.recorder.max_notification_id() or 0
    run_relay_until_caught_up(
        build_relay(api.settings, api.meetings, broker.bootstrap_servers), head
    )
    tailed = ia(
        api, "events", "tail", "--meeting", meeting_id, "--json",
        "--bootstrap-servers", broker.bootstrap_servers, "--idle-sec", "3",
    )  # fmt: skip
    assert ERASED in tailed
    assert "$enc:v1:" in tailed  # the personal fields travelled, sealed
    assert PHRASE not in tailed


def test_raw_text_retention_reprojects_the_meeting_without_its_text(
    tmp_path: Path, read_store: ReadStore
) -> None:
    """RetentionApplied(raw_text): the key is destroyed and the projector rebuilds the
    meeting's rows from the store, where the text now reads as erased; the meeting stays."""
    api = ApiHarness(tmp_path, read_store, sealed=True)
    try:
        with ServerThread(api.app) as server, as_tenant(server, TENANT_A) as ann:
            meeting_id = finished_meeting_with_phrase(api, ann)
            assert phrase_in_read_models(api.store) != []
            assert api.eraser.shred(meeting_id, "raw_text", 30)
            api.project()
            assert phrase_in_read_models(api.store) == []
            kept = ann.get(f"/v1/meetings/{meeting_id}")
            assert kept.status_code == 200
            assert PHRASE not in kept.text
            rows = rows_of(api.store, meeting_id)
            assert {"meetings", "event_log", "transcript_segments"} <= set(rows)
            assert len(rows["event_log"]) == api.meetings.get(meeting_id).version
    finally:
        api.close()

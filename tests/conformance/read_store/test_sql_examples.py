"""Every ```sql block of docs/sql.md runs, and returns rows, on a store with interviews in it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from interview_analytics.domain.application import Meetings
from interview_analytics.projections.dead_letters import dead_letter_row
from interview_analytics.projections.queue_health import QueueSample, sample_row
from interview_analytics.projections.store import ReadStore
from interview_analytics.streams.dead_letters import FAILED, REJECTED, DeadLetter, OriginalMessage
from tests.conformance.read_store.scenario import all_events, project, run_interview

SQL_DOC = Path(__file__).resolve().parents[3] / "docs" / "sql.md"
SQL_BLOCK = re.compile(r"^```sql\n(.*?)^```", re.DOTALL | re.MULTILINE)


def sql_examples() -> list[str]:
    return [block.strip() for block in SQL_BLOCK.findall(SQL_DOC.read_text(encoding="utf-8"))]


def populate(store: ReadStore, app: Meetings) -> None:
    run_interview(app, "mtg-sql-0", language="en")
    run_interview(app, "mtg-sql-1", language="ru", model="small")
    run_interview(app, "mtg-sql-2", language="en", finish=False)
    project(store, all_events(app))
    letters = [
        DeadLetter(
            stage=stage,
            kind=kind,
            meeting_id="mtg-sql-2",
            event_type="ia.meeting.ChunkReceived",
            version=version,
            notification_id=version,
            error_code=code,
            error_message=f"{code} happened",
            attempts=3,
            failed_at="2026-01-01T12:00:00+00:00",
            original=OriginalMessage("meeting-events", 0, version, b"k", b"v", ()),
        )
        for stage, kind, version, code in [
            ("transcribe", REJECTED, 8, "undecodable_audio"),
            ("report", FAILED, 3, "timeout"),
        ]
    ]
    store.insert("dead_letters", [dead_letter_row(letter) for letter in letters])
    now = datetime.now(UTC).replace(microsecond=0)
    store.insert(
        "queue_health",
        [
            sample_row(QueueSample(now - timedelta(seconds=s), group, 100, 100 - s, 100))
            for s in (0, 30, 90)
            for group in ("ia-transcriber", "ia-projector")
        ],
    )


def test_the_page_has_ten_examples_and_the_reading_rules() -> None:
    assert len(sql_examples()) >= 12  # two "read it correctly" blocks + ten examples


def test_every_sql_example_runs_and_returns_rows(read_store: ReadStore, app: Meetings) -> None:
    populate(read_store, app)
    failures: list[str] = []
    for number, sql in enumerate(sql_examples(), start=1):
        parameters = {"meeting_id": "mtg-sql-0"} if "{meeting_id:String}" in sql else None
        try:
            rows = read_store.query_rows(sql.rstrip().removesuffix(";"), parameters)
        except Exception as error:  # report every broken example at once
            failures.append(f"block {number} failed: {error}\n{sql}")
            continue
        if not rows:
            failures.append(f"block {number} returned no rows:\n{sql}")
    assert not failures, "\n\n".join(failures)

"""docs/sql.md, run: every ```sql block returns exactly the result table shown under it.

The page's examples run against a known scenario (``populate``): three interviews and a
short meeting recorded through ``Meetings`` (``scenario.run_interview``) under a clock that
moves one second per event, so every time is known; projected into the read store; plus
two dead letters and a few queue-health samples. Under each query the page shows its
result as a Markdown table. ``test_every_example_returns_the_table_shown_under_it``
renders the rows the query returns the same way and compares them, so the page and the
store cannot drift (a failure prints the table to paste). The ``test_the_*_examples_show_*``
tests check the shown tables against what the scenario implies, worked out without SQL
from the aggregates, the stored events and the inserted rows, so a wrong query cannot
bless its own wrong answer. The page's Python example runs too, on the same chDB store.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import eventsourcing.domain
import pytest

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.events import EventMeta
from interview_analytics.domain.meeting import Meeting
from interview_analytics.projections.dead_letters import dead_letter_row
from interview_analytics.projections.queue_health import QueueSample, sample_row
from interview_analytics.projections.store import ReadStore
from interview_analytics.streams.dead_letters import FAILED, REJECTED, DeadLetter, OriginalMessage
from tests.conformance.read_store.scenario import (
    LINES,
    all_events,
    events_of,
    project,
    run_interview,
)
from tests.factories import chunk, start

SQL_DOC = Path(__file__).resolve().parents[3] / "docs" / "sql.md"
FENCE = re.compile(r"^```sql\n(.*?)^```\n", re.DOTALL | re.MULTILINE)
PYTHON = re.compile(r"^```python\n(.*?)^```\n", re.DOTALL | re.MULTILINE)
DOCS_CHDB_DIR = "/path/to/data/clickhouse"  # where the page's Python example opens chDB
CELL_SPLIT = re.compile(r"(?<!\\)\|")

# The Russian interview: the candidate asks a question of their own.
RU_LINES = [
    ("Interviewer", "Здравствуйте, расскажите о вашем последнем проекте."),
    ("Candidate", "Я делал платёжный сервис на Python, ну, с Kafka и PostgreSQL."),
    ("Interviewer", "Как вы обрабатывали повторные сообщения от брокера?"),
    ("Candidate", "Каждый потребитель был идемпотентным. А какой стек у вас?"),
    ("Interviewer", "У нас тоже Kafka. Что бы вы сделали иначе сегодня?"),
    ("Candidate", "Добавил бы мониторинг и раньше написал бы инструкции."),
]
# When each meeting starts; from there the clock moves one second per event.
STARTS = {
    "mtg-sql-0": datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
    "mtg-sql-1": datetime(2026, 1, 5, 14, 30, tzinfo=UTC),
    "mtg-sql-2": datetime(2026, 1, 6, 10, 0, tzinfo=UTC),
    "mtg-sql-3": datetime(2026, 1, 6, 11, 0, tzinfo=UTC),
}
AUDIT_TRAIL_OF = "mtg-sql-3"  # the {meeting_id:String} of the audit-trail example
LETTERS = [  # stage, kind, version, code: both of mtg-sql-2, at FAILED_AT
    ("transcribe", REJECTED, 8, "undecodable_audio"),
    ("report", FAILED, 3, "timeout"),
]
FAILED_AT = datetime(2026, 1, 6, 10, 5, tzinfo=UTC)
# queue_health samples: (time, group, head, position, relay position, dead letters). The
# first lies more than a day before the newest one, outside the lag example's window.
SAMPLES = [
    (datetime(2026, 1, 5, 8, 0, 0, tzinfo=UTC), "ia-transcriber", 50, 0, 50, 0),
    (datetime(2026, 1, 6, 11, 58, 20, tzinfo=UTC), "ia-transcriber", 100, 70, 90, 1),
    (datetime(2026, 1, 6, 11, 58, 20, tzinfo=UTC), "ia-projector", 100, 95, 90, 0),
    (datetime(2026, 1, 6, 11, 58, 50, tzinfo=UTC), "ia-transcriber", 110, 84, 110, 1),
    (datetime(2026, 1, 6, 11, 58, 50, tzinfo=UTC), "ia-projector", 110, 108, 110, 0),
    (datetime(2026, 1, 6, 11, 59, 20, tzinfo=UTC), "ia-transcriber", 120, 101, 114, 2),
    (datetime(2026, 1, 6, 11, 59, 20, tzinfo=UTC), "ia-projector", 120, 120, 114, 0),
    (datetime(2026, 1, 6, 11, 59, 50, tzinfo=UTC), "ia-transcriber", 120, 120, 120, 2),
    (datetime(2026, 1, 6, 11, 59, 50, tzinfo=UTC), "ia-projector", 120, 120, 120, 0),
]


class StepClock:
    """Stands in for eventsourcing's event clock: each event is one second after the last."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        now, self.now = self.now, self.now + timedelta(seconds=1)
        return now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> StepClock:
    step = StepClock()
    monkeypatch.setattr(eventsourcing.domain, "datetime_now_with_tzinfo", step)
    return step


def record_scenario(app: Meetings, clock: StepClock) -> None:
    """The write side: four meetings, each from its start time in ``STARTS``."""
    clock.now = STARTS["mtg-sql-0"]
    run_interview(app, "mtg-sql-0", language="en")
    clock.now = STARTS["mtg-sql-1"]
    run_interview(app, "mtg-sql-1", language="ru", model="small", chunks=7, lines=RU_LINES)
    clock.now = STARTS["mtg-sql-2"]
    run_interview(app, "mtg-sql-2", language="en", chunks=4, finish=False)
    clock.now = STARTS["mtg-sql-3"]
    meta = EventMeta(actor="user-2", correlation_id="req-mtg-sql-3")
    app.start(start("mtg-sql-3", language="en", mode="postmeeting"), meta)
    app.receive_chunk(chunk("mtg-sql-3", 0, speaker_hint=LINES[0][0]), meta)
    app.finish("mtg-sql-3", meta=meta)


def populate(store: ReadStore, app: Meetings, clock: StepClock) -> None:
    """The scenario, projected; then the dead letters and queue-health samples."""
    record_scenario(app, clock)
    project(store, all_events(app))
    store.insert(
        "dead_letters",
        [
            dead_letter_row(
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
                    failed_at="2026-01-06T10:05:00+00:00",
                    original=OriginalMessage("meeting-events", 0, version, b"k", b"v", ()),
                )
            )
            for stage, kind, version, code in LETTERS
        ],
    )
    # queue_health keeps 30 days (TTL): samples dated in January 2026 would be dropped as
    # they are inserted, so this store keeps them for good.
    store.command("ALTER TABLE queue_health REMOVE TTL")
    store.insert("queue_health", [sample_row(QueueSample(*sample)) for sample in SAMPLES])


# ------------------------------------------------------------------ the page and its tables


@dataclass(frozen=True)
class Example:
    number: int  # the ```sql block's place on the page, from 1
    sql: str
    shown: list[list[str]]  # the table under it: the header, then one list per row

    def query(self, store: ReadStore) -> list[dict[str, object]]:
        parameters = {"meeting_id": AUDIT_TRAIL_OF} if "{meeting_id:String}" in self.sql else None
        return store.query_rows(self.sql.rstrip().removesuffix(";"), parameters)

    def rows(self) -> list[dict[str, str]]:
        """The shown table as one dict per row (column → text)."""
        header, *body = self.shown
        return [dict(zip(header, row, strict=True)) for row in body]


def examples() -> list[Example]:
    text = SQL_DOC.read_text(encoding="utf-8")
    found = []
    for number, match in enumerate(FENCE.finditer(text), start=1):
        after = text[match.end() :].lstrip("\n").splitlines()
        found.append(Example(number, match.group(1).strip(), list(_leading_table(after))))
    return found


def _leading_table(lines: list[str]) -> Iterator[list[str]]:
    """The Markdown table the lines start with (its separator row left out), as cells."""
    for index, line in enumerate(lines):
        if not line.startswith("|"):
            return
        if index != 1:  # index 1 is the | --- | row
            cells = CELL_SPLIT.split(line.strip().removeprefix("|").removesuffix("|"))
            yield [cell.strip().replace("\\|", "|") for cell in cells]


def example(fragment: str) -> Example:
    """The one example whose SQL contains ``fragment``."""
    [chosen] = [e for e in examples() if fragment in e.sql]
    return chosen


def cell(value: object) -> str:
    """A value as the page writes it (ClickHouse's own text form, NULL for None)."""
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return value if value else "''"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, datetime):
        text = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        return f"{text}.{value.microsecond:06d}" if value.microsecond else text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_quoted(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_quoted(k)}: {_quoted(v)}" for k, v in value.items()) + "}"
    return str(value)


def _quoted(value: object) -> str:
    return f"'{value}'" if isinstance(value, str) else cell(value)


def rounded(shown: str, value: float, places: int) -> bool:
    """Whether ``shown`` is ``value`` rounded to ``places`` decimals (either way at a tie)."""
    return abs(float(shown) - value) <= 0.5 * 10**-places + 1e-9


def rendered(rows: list[dict[str, object]]) -> list[list[str]]:
    header = list(rows[0]) if rows else []
    return [header, *([cell(row[column]) for column in header] for row in rows)]


def markdown(table: list[list[str]]) -> str:
    header, *body = table
    lines = [header, ["---"] * len(header), *body]
    return "\n".join("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in lines)


@pytest.fixture
def filled(read_store: ReadStore, app: Meetings, clock: StepClock) -> ReadStore:
    populate(read_store, app, clock)
    return read_store


# ------------------------------------------------------------------ tests


def test_the_page_has_the_reading_rules_and_eleven_examples_each_with_its_result() -> None:
    found = examples()
    assert len(found) == 2 + 11
    assert [e.number for e in found if len(e.shown) < 2] == [], "blocks without a result table"


def test_every_example_returns_the_table_shown_under_it(filled: ReadStore) -> None:
    failures = []
    for shown in examples():
        try:
            returned = rendered(shown.query(filled))
        except Exception as error:  # report every broken example at once
            failures.append(f"block {shown.number} failed: {error}\n{shown.sql}")
            continue
        if returned != shown.shown:
            failures.append(
                f"block {shown.number} of docs/sql.md shows\n{markdown(shown.shown)}\n"
                f"but returns\n{markdown(returned)}\n{shown.sql}"
            )
    assert not failures, "\n\n".join(failures)


def test_the_python_example_prints_each_meeting_of_the_embedded_store(
    filled: ReadStore, chdb_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if filled.backend != "chdb":
        pytest.skip("the page's Python example opens a chDB directory")
    [example] = [
        b for b in PYTHON.findall(SQL_DOC.read_text(encoding="utf-8")) if DOCS_CHDB_DIR in b
    ]
    namespace: dict[str, Any] = {}
    exec(compile(example.replace(DOCS_CHDB_DIR, str(chdb_dir)), "docs/sql.md", "exec"), namespace)  # noqa: S102
    namespace["client"].close()  # chDB: one directory per process, so no client may linger
    expected = filled.query_rows("SELECT meeting_id, status FROM meetings FINAL")
    assert sorted(capsys.readouterr().out.splitlines()) == sorted(str(row) for row in expected)


# What the scenario implies, worked out from the write side and the inserted rows (no SQL).


@pytest.fixture
def recorded(app: Meetings, clock: StepClock) -> dict[str, Meeting]:
    record_scenario(app, clock)
    return {meeting_id: app.get(meeting_id) for meeting_id in STARTS}


def test_the_status_examples_show_each_aggregates_status_and_version(
    recorded: dict[str, Meeting],
) -> None:
    final, arg_max = examples()[0].rows(), examples()[1].rows()
    assert [list(row.values()) for row in final] == [list(row.values()) for row in arg_max]
    assert {r["meeting_id"]: (r["status"], int(r["version"])) for r in final} == {
        meeting_id: (meeting.status, meeting.version) for meeting_id, meeting in recorded.items()
    }
    per_day = example("toDate(started_at) AS day").rows()
    started = Counter(when.date().isoformat() for when in STARTS.values())
    done = Counter(STARTS[m].date().isoformat() for m, x in recorded.items() if x.status == "done")
    assert {r["day"]: (int(r["meetings"]), int(r["done"])) for r in per_day} == {
        day: (count, done[day]) for day, count in started.items()
    }
    audio: Counter[str] = Counter()
    for meeting_id, meeting in recorded.items():
        audio[STARTS[meeting_id].date().isoformat()] += meeting.audio_seconds() / 60
    for row in per_day:
        assert rounded(row["audio_minutes"], audio[row["day"]], places=3)


def test_the_report_examples_show_the_final_reports_figures(
    recorded: dict[str, Meeting],
) -> None:
    analytics = {
        meeting_id: meeting.results.reports[-1].report["analytics"]
        for meeting_id, meeting in recorded.items()
        if meeting.results.reports and meeting.results.reports[-1].final
    }
    assert sorted(analytics) == ["mtg-sql-0", "mtg-sql-1"]
    candidate = {m: a["candidate"]["speaker"] for m, a in analytics.items()}

    shares: dict[str, list[float]] = {}
    for meeting_id, figures in analytics.items():
        for speaker, stats in figures["speakers"].items():
            if speaker != candidate[meeting_id]:
                shares.setdefault(speaker, []).append(stats["talk_share"])
    talk = example("ARRAY JOIN mapKeys(talk_share)").rows()
    assert [(r["speaker"], int(r["meetings"])) for r in talk] == [
        (speaker, len(values)) for speaker, values in sorted(shares.items())
    ]
    for row in talk:
        values = shares[row["speaker"]]
        assert rounded(row["avg_talk_share"], sum(values) / len(values), places=3)

    slowest = example("ORDER BY response_latency_mean DESC").rows()
    assert {r["meeting_id"]: (r["candidate"], r["response_latency_mean"]) for r in slowest} == {
        m: (candidate[m], cell(a["response_latency_sec"]["mean"])) for m, a in analytics.items()
    }

    asking = example("questions_by_speaker[candidate]").rows()
    assert {r["meeting_id"]: (r["candidate_questions"], r["all_questions"]) for r in asking} == {
        m: (str(a["speakers"][candidate[m]]["questions"]), str(len(a["questions"])))
        for m, a in analytics.items()
    }
    assert asking[0]["meeting_id"] == "mtg-sql-1"  # the Russian candidate asked one

    quality = example("JSONExtract(words_json").rows()
    assert {(r["model"], r["language"]): r["words"] for r in quality} == {
        (recorded[m].results.transcriptions[-1].model, recorded[m].language): str(
            a["transcript_quality"]["words"]
        )
        for m, a in analytics.items()
    }


def test_the_audit_trail_examples_show_the_stored_events(
    app: Meetings, recorded: dict[str, Meeting]
) -> None:
    rejected = example("ia.meeting.ChunkRejected").rows()
    assert {r["meeting_id"]: int(r["rejected"]) for r in rejected} == {
        m: len(meeting.results.rejections)
        for m, meeting in recorded.items()
        if meeting.results.rejections
    }
    trail = example("{meeting_id:String}").rows()
    events = events_of(app, AUDIT_TRAIL_OF)
    assert [(r["version"], r["event_type"], r["occurred_at"]) for r in trail] == [
        (str(e.originator_version), f"ia.meeting.{type(e).__name__}", cell(e.timestamp))
        for e in events
    ]


def test_the_operations_examples_show_the_letters_samples_and_sessions(
    recorded: dict[str, Meeting],
) -> None:
    letters = example("FROM dead_letters FINAL").rows()
    assert sorted(
        (r["stage"], r["kind"], r["error_code"], r["last_failed_at"]) for r in letters
    ) == sorted((stage, kind, code, cell(FAILED_AT)) for stage, kind, _, code in LETTERS)

    newest = max(when for when, *_ in SAMPLES)
    expected: dict[tuple[str, str], list[int]] = {}
    for when, group, head, position, relay, dead in SAMPLES:
        if when >= newest - timedelta(days=1):
            figures = expected.setdefault((cell(when.replace(second=0)), group), [0, 0, 0])
            for index, value in enumerate((head - position, head - relay, dead)):
                figures[index] = max(figures[index], value)
    lag = example("FROM queue_health").rows()
    assert {
        (r["minute"], r["group_name"]): [
            int(r["lag"]),
            int(r["relay_backlog"]),
            int(r["dead_letters"]),
        ]
        for r in lag
    } == expected

    sessions = example("FROM connector_sessions FINAL").rows()
    states = Counter(x.connector.state for x in recorded.values() if x.connector is not None)
    assert {r["state"]: int(r["sessions"]) for r in sessions} == states

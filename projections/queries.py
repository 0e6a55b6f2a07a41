"""Reads of the read models, as ``http/`` and the admin views need them.

Every read is correct with duplicate rows present: ``FINAL`` on the ReplacingMergeTree
tables (``WHERE`` runs after the merge, so filters see only current rows). The filtered
reads take their filter object of ``domain/read_filters.py`` (the same declaration the
API's query parameters come from). ``Queries`` answers with plain dicts and small
dataclasses in the API contract's words:

- ``get_meeting``: the meeting (``api_version`` "v1", status, transcripts, report...) with
  its current segments and the latest report's figures; None when unknown;
- ``list_meetings``: newest first, keyset pagination on ``(started_at, meeting_id)`` with an
  opaque cursor (base64 JSON); ``limit`` clamped to 1..500;
- ``queue_health``: the latest sample per consumer group in the contract's fields
  (``queue``, ``group``, ``depth`` = relay backlog, ``pending`` = the group's lag,
  ``dlq_depth``);
  a known group without samples is a row of zeros;
- ``dead_letters``: letters with ``resolved`` worked out from ``event_log``;
- ``connector_session(s)``: connector sessions (``connector_sessions.py``);
- ``wait_for_version``: read-your-writes for a client that knows the version it wrote.

Must not: write, or read the environment; errors from the store arrive as
``ReadStoreError``, a bad cursor as ``InvalidCursorError``.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from interview_analytics.domain.read_filters import (
    ConnectorSessionsFilter,
    DeadLetterFilter,
    MeetingFilter,
    SecurityAuditFilter,
)
from interview_analytics.projections import connector_sessions, deliveries
from interview_analytics.projections.queue_health import KNOWN_GROUPS
from interview_analytics.projections.security_audit import audit_records
from interview_analytics.projections.sql import Filters, clamp_limit
from interview_analytics.projections.store import ReadStore
from interview_analytics.streams.contract.events import STAGE_RESULTS
from interview_analytics.streams.contract.topics import MEETING_EVENTS

API_VERSION = "v1"

# Results that resolve a dead letter: (meeting, stage, input version) from the audit trail.
# The event types and their stages come from the contract, as bound parameters.
_RESULTS_SQL = (
    "SELECT DISTINCT meeting_id,"
    " transform(event_type, {result_types:Array(String)}, {result_stages:Array(String)}, '')"
    " AS stage, JSONExtractUInt(payload_json, 'input_version') AS input_version"
    " FROM event_log FINAL WHERE has({result_types:Array(String)}, event_type)"
)
_RESULTS_PARAMETERS = {
    "result_types": [kind for kinds in STAGE_RESULTS.values() for kind in kinds],
    "result_stages": [stage for stage, kinds in STAGE_RESULTS.items() for _ in kinds],
}


class InvalidCursorError(ValueError):
    """A pagination cursor this service did not hand out (or that was tampered with)."""


@dataclass(frozen=True)
class MeetingView:
    """One meeting as ``GET /v1/meetings/{id}`` shows it."""

    meeting_id: str
    status: str
    raw_transcript: str
    enhanced_transcript: str
    report: dict[str, Any] | None
    mode: str
    language: str
    consent: str
    context: dict[str, Any]
    recipients: list[str]
    version: int
    started_at: datetime
    updated_at: datetime
    last_chunk_at: datetime | None
    finished_at: datetime | None
    chunks_received: int
    chunks_transcribed: int
    chunks_rejected: int
    audio_seconds: float
    speakers: list[str]
    report_final: bool
    segments: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, Any] | None = None
    tenant: str | None = None
    finish_reason: str | None = None
    speaker_attribution: dict[str, Any] | None = None
    api_version: str = API_VERSION

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: times as ISO-8601 UTC strings."""
        return {key: _jsonable(value) for key, value in asdict(self).items()}


@dataclass(frozen=True)
class MeetingSummary:
    """One item of ``list_meetings``."""

    meeting_id: str
    status: str
    mode: str
    language: str
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    chunks_received: int
    audio_seconds: float
    report_final: bool
    version: int
    tenant: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {key: _jsonable(value) for key, value in asdict(self).items()}


@dataclass(frozen=True)
class Page:
    items: list[MeetingSummary]
    next_cursor: str | None


_MEETING_COLUMNS = """
    meeting_id, status, mode, language, consent, context_json, recipients, started_at,
    updated_at, last_chunk_at, finished_at, chunks_received, chunks_transcribed,
    chunks_rejected, audio_seconds, speakers, raw_transcript, enhanced_transcript,
    report_json, report_final, version, tenant, finish_reason, speaker_attribution_json
"""

_METRIC_COLUMNS = """
    report_version, final, language, candidate, duration_sec, speech_sec, talk_share,
    talk_sec, wpm, filler_rate, questions_by_speaker, questions_count, silence_share,
    response_latency_mean, response_latency_max, mean_word_probability,
    low_confidence_share, risk_flag_codes
"""


class Queries:
    def __init__(self, store: ReadStore, *, groups: Sequence[str] = KNOWN_GROUPS) -> None:
        self.store = store
        self.groups = tuple(groups)

    # ------------------------------------------------------------------ meetings

    def get_meeting(self, meeting_id: str) -> MeetingView | None:
        found = self.store.query_rows(
            f"SELECT {_MEETING_COLUMNS} FROM meetings FINAL WHERE meeting_id = {{m:String}}",  # noqa: S608 (constant columns, bound value)
            {"m": meeting_id},
        )
        if not found:
            return None
        row = found[0]
        return MeetingView(
            meeting_id=row["meeting_id"],
            status=row["status"],
            raw_transcript=row["raw_transcript"],
            enhanced_transcript=row["enhanced_transcript"],
            report=json.loads(row["report_json"]) if row["report_json"] else None,
            mode=row["mode"],
            language=row["language"],
            consent=row["consent"],
            context=json.loads(row["context_json"]) if row["context_json"] else {},
            recipients=list(row["recipients"]),
            version=int(row["version"]),
            started_at=row["started_at"],
            updated_at=row["updated_at"],
            last_chunk_at=row["last_chunk_at"],
            finished_at=row["finished_at"],
            chunks_received=int(row["chunks_received"]),
            chunks_transcribed=int(row["chunks_transcribed"]),
            chunks_rejected=int(row["chunks_rejected"]),
            audio_seconds=float(row["audio_seconds"]),
            speakers=list(row["speakers"]),
            report_final=bool(row["report_final"]),
            segments=self.segments(meeting_id),
            metrics=self.report_metrics(meeting_id),
            tenant=row["tenant"],
            finish_reason=row["finish_reason"],
            speaker_attribution=(
                json.loads(row["speaker_attribution_json"])
                if row["speaker_attribution_json"]
                else None
            ),
        )

    def segments(self, meeting_id: str) -> list[dict[str, Any]]:
        """The current transcript's segments in timeline order: ``speaker`` is the name
        shown (after speaker edits), ``speaker_label`` the transcript's label."""
        rows = self.store.query_rows(
            "SELECT segment_id, start_sec, end_sec, speaker, speaker_name, role, raw_text,"
            " enhanced_text, confidence, words_json, final, model, transcription_version"
            " FROM transcript_segments FINAL WHERE meeting_id = {m:String}"
            " ORDER BY start_sec, end_sec, transcription_version, segment_id",
            {"m": meeting_id},
        )
        return [
            {
                "segment_id": row["segment_id"],
                "start_sec": float(row["start_sec"]),
                "end_sec": float(row["end_sec"]),
                "speaker": row["speaker_name"] or row["speaker"],
                "speaker_label": row["speaker"],
                "role": row["role"],
                "text": row["raw_text"],
                "enhanced_text": row["enhanced_text"],
                "confidence": float(row["confidence"]),
                "words": json.loads(row["words_json"]) if row["words_json"] else [],
                "final": bool(row["final"]),
                "model": row["model"],
            }
            for row in rows
        ]

    def report_metrics(self, meeting_id: str) -> dict[str, Any] | None:
        """The latest report's figures (per speaker maps, latency, quality), or None."""
        rows = self.store.query_rows(
            f"SELECT {_METRIC_COLUMNS} FROM reports FINAL WHERE meeting_id = {{m:String}}"  # noqa: S608
            " ORDER BY report_version DESC LIMIT 1",
            {"m": meeting_id},
        )
        if not rows:
            return None
        row = rows[0]
        return {
            **{key: value for key, value in row.items() if key not in ("final",)},
            "final": bool(row["final"]),
            "report_version": int(row["report_version"]),
            "talk_share": dict(row["talk_share"]),
            "talk_sec": dict(row["talk_sec"]),
            "wpm": dict(row["wpm"]),
            "filler_rate": dict(row["filler_rate"]),
            "questions_by_speaker": {k: int(v) for k, v in row["questions_by_speaker"].items()},
            "risk_flag_codes": list(row["risk_flag_codes"]),
        }

    def list_meetings(self, selection: MeetingFilter | None = None) -> Page:
        """Newest first; ``started_from`` inclusive, ``started_to`` exclusive; ``tenant``
        keeps only the meetings started under that tenant."""
        wanted = selection or MeetingFilter()
        limit = clamp_limit(wanted.limit)
        filters = Filters(limit=limit + 1)
        if wanted.status is not None:
            filters.add("status = {status:String}", status=wanted.status)
        if wanted.language is not None:
            filters.add("language = {language:String}", language=wanted.language.lower())
        if wanted.tenant is not None:
            filters.add("tenant = {tenant:String}", tenant=wanted.tenant)
        filters.time_range("started_at", wanted.started_from, wanted.started_to)
        if wanted.cursor is not None:
            after_us, after_id = decode_cursor(wanted.cursor)
            filters.add(
                "(toUnixTimestamp64Micro(started_at), meeting_id)"
                " < ({after_us:Int64}, {after_id:String})",
                after_us=after_us,
                after_id=after_id,
            )
        # Only constant fragments are joined; every value is a bound parameter.
        rows = self.store.query_rows(
            "SELECT meeting_id, status, mode, language, started_at, updated_at, finished_at,"  # noqa: S608
            " chunks_received, audio_seconds, report_final, version, tenant,"
            " toUnixTimestamp64Micro(started_at) AS started_us"
            " FROM meetings FINAL"
            + filters.where()
            + " ORDER BY started_at DESC, meeting_id DESC LIMIT {limit:UInt32}",
            filters.parameters,
        )
        more = len(rows) > limit
        rows = rows[:limit]
        items = [
            MeetingSummary(
                meeting_id=row["meeting_id"],
                status=row["status"],
                mode=row["mode"],
                language=row["language"],
                started_at=row["started_at"],
                updated_at=row["updated_at"],
                finished_at=row["finished_at"],
                chunks_received=int(row["chunks_received"]),
                audio_seconds=float(row["audio_seconds"]),
                report_final=bool(row["report_final"]),
                version=int(row["version"]),
                tenant=row["tenant"],
            )
            for row in rows
        ]
        next_cursor = (
            encode_cursor(int(rows[-1]["started_us"]), rows[-1]["meeting_id"])
            if more and rows
            else None
        )
        return Page(items, next_cursor)

    def meeting_version(self, meeting_id: str) -> int | None:
        rows = self.store.query_rows(
            "SELECT max(version) AS version, count() AS n FROM meetings"
            " WHERE meeting_id = {m:String}",
            {"m": meeting_id},
        )
        return int(rows[0]["version"]) if rows and rows[0]["n"] else None

    def wait_for_version(self, meeting_id: str, version: int, timeout_sec: float = 5.0) -> bool:
        """True once the meeting's row has reached ``version``; False after the timeout."""
        deadline = time.monotonic() + max(0.0, timeout_sec)
        pause = 0.01
        while True:
            current = self.meeting_version(meeting_id)
            if current is not None and current >= version:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(pause, remaining))
            pause = min(pause * 2, 0.1)

    # ------------------------------------------------------------------ operations

    def queue_health(self) -> list[dict[str, Any]]:
        """The latest sample per consumer group; known groups without one show zeros."""
        rows = self.store.query_rows(
            "SELECT group_name, argMax(topic, sampled_at) AS topic,"
            " max(sampled_at) AS last_sampled_at, argMax(head, sampled_at) AS head,"
            " argMax(position, sampled_at) AS position, argMax(lag, sampled_at) AS lag,"
            " argMax(relay_position, sampled_at) AS relay_position,"
            " argMax(relay_backlog, sampled_at) AS relay_backlog,"
            " argMax(dead_letters, sampled_at) AS dead_letters"
            " FROM queue_health GROUP BY group_name ORDER BY group_name"
        )
        by_group = {row["group_name"]: row for row in rows}
        result: list[dict[str, Any]] = []
        for group in [*self.groups, *sorted(set(by_group) - set(self.groups))]:
            row = by_group.get(group)
            if row is None:
                result.append(_health(group, MEETING_EVENTS, None, 0, 0, 0, 0, 0, 0))
            else:
                result.append(
                    _health(
                        group,
                        row["topic"],
                        row["last_sampled_at"],
                        row["lag"],
                        row["relay_backlog"],
                        row["dead_letters"],
                        row["head"],
                        row["position"],
                        row["relay_position"],
                    )
                )
        return result

    def dead_letters(self, selection: DeadLetterFilter | None = None) -> list[dict[str, Any]]:
        """Dead letters, newest first, with ``resolved`` from the meeting's results."""
        wanted = selection or DeadLetterFilter()
        filters = Filters(limit=clamp_limit(wanted.limit), **_RESULTS_PARAMETERS)
        if wanted.meeting_id is not None:
            filters.add("d.meeting_id = {m:String}", m=wanted.meeting_id)
        if wanted.stage is not None:
            filters.add("d.stage = {stage:String}", stage=wanted.stage)
        if not wanted.include_resolved:
            filters.add("NOT resolved")
        # Only constant fragments are joined; every value is a bound parameter.
        rows = self.store.query_rows(
            "SELECT d.letter_id AS letter_id, d.stage AS stage, d.kind AS kind,"  # noqa: S608
            " d.meeting_id AS meeting_id, d.version AS version, d.event_type AS event_type,"
            " d.notification_id AS notification_id, d.error_code AS error_code,"
            " d.error_message AS error_message, d.attempts AS attempts,"
            " d.failed_at AS failed_at, (d.resolved = 1 OR r.meeting_id != '') AS resolved"
            " FROM (SELECT * FROM dead_letters FINAL) AS d"
            f" LEFT JOIN ({_RESULTS_SQL}) AS r"
            " ON r.meeting_id = d.meeting_id AND r.stage = d.stage"
            " AND r.input_version = d.version"
            + filters.where()
            + " ORDER BY d.failed_at DESC, d.letter_id LIMIT {limit:UInt32}",
            filters.parameters,
        )
        return [{**row, "resolved": bool(row["resolved"])} for row in rows]

    def dead_letter_counts(self) -> dict[str, int]:
        """Unresolved dead letters per stage (``transcribe``, ``enhance``, ``report``)."""
        rows = self.store.query_rows(
            "SELECT d.stage AS stage,"  # noqa: S608 - constant SQL, values bound
            " countIf(NOT (d.resolved = 1 OR r.meeting_id != '')) AS open"
            " FROM (SELECT * FROM dead_letters FINAL) AS d"
            f" LEFT JOIN ({_RESULTS_SQL}) AS r"
            " ON r.meeting_id = d.meeting_id AND r.stage = d.stage"
            " AND r.input_version = d.version GROUP BY d.stage",
            _RESULTS_PARAMETERS,
        )
        return {row["stage"]: int(row["open"]) for row in rows}

    # ------------------------------------------------------------------ deliveries

    def deliveries(self, meeting_id: str) -> list[dict[str, Any]]:
        """A meeting's delivery attempts, oldest first (``deliveries.py``)."""
        return deliveries.delivery_records(self.store, meeting_id)

    # ------------------------------------------------------------------ connector sessions

    def connector_session(self, meeting_id: str) -> dict[str, Any] | None:
        found = connector_sessions.session_records(self.store, meeting_id=meeting_id, limit=1)
        return found[0] if found else None

    def connector_sessions(
        self, selection: ConnectorSessionsFilter | None = None
    ) -> list[dict[str, Any]]:
        """Sessions newest first (or longest unseen first), ``connector_sessions.py``."""
        wanted = selection or ConnectorSessionsFilter()
        return connector_sessions.session_records(
            self.store,
            states=wanted.states,
            stalest_first=wanted.stalest_first,
            limit=wanted.limit,
        )

    def connector_session_counts(self) -> dict[str, int]:
        """Sessions per state."""
        return connector_sessions.state_counts(self.store)

    # ------------------------------------------------------------------ security

    def security_audit(self, selection: SecurityAuditFilter | None = None) -> list[dict[str, Any]]:
        """The front door's allow/deny decisions, newest first (``security_audit.py``)."""
        return audit_records(self.store, selection)


def _health(
    group: str,
    topic: str,
    sampled_at: datetime | None,
    lag: int,
    relay_backlog: int,
    dead_letters: int,
    head: int,
    position: int,
    relay_position: int,
) -> dict[str, Any]:
    return {
        "queue": topic,
        "group": group,
        # The older service's names, as its dashboards read them: ``pending`` per group
        # (agent_queue_pending{queue,group}), ``depth`` per queue (agent_queue_depth{queue}).
        "depth": int(relay_backlog),
        "pending": int(lag),
        "dlq_depth": int(dead_letters),
        "lag": int(lag),
        "relay_backlog": int(relay_backlog),
        "head": int(head),
        "position": int(position),
        "relay_position": int(relay_position),
        "sampled_at": sampled_at.isoformat() if sampled_at is not None else None,
    }


def encode_cursor(started_us: int, meeting_id: str) -> str:
    raw = json.dumps({"s": started_us, "m": meeting_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        body = json.loads(raw)
        started_us, meeting_id = body["s"], body["m"]
    except (binascii.Error, ValueError, TypeError, KeyError) as error:
        raise InvalidCursorError("cursor is not one this service handed out") from error
    if not isinstance(started_us, int) or not isinstance(meeting_id, str):
        raise InvalidCursorError("cursor is not one this service handed out")
    return started_us, meeting_id


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value

"""Report stage: ``Enhanced`` → ``Reported`` (the interview analytics report).

Coalesced like the enhancer: a draft report is built only for the newest enhancement, so
reports refresh as chunks arrive without one report per chunk per stage; the final
enhancement always gets the final report, with an LLM narrative beside it when one is
configured (``streams/narrative.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from interview_analytics.domain.report import Rubric, build_report
from interview_analytics.streams.contract import Envelope
from interview_analytics.streams.narrative import OpenAINarrator, enrich
from interview_analytics.streams.pipeline import (
    DUPLICATE,
    RECORDED,
    SKIPPED,
    MeetingsGateway,
    StageResult,
    stage_meta,
)

ENHANCED = "ia.meeting.Enhanced"


@dataclass(frozen=True)
class ReporterSettings:
    rubric: Rubric
    narrator: OpenAINarrator | None = None
    """Optional LLM narrative for final reports (off unless configured)."""


class Reporter:
    name = "report"
    handles = frozenset({ENHANCED})

    def __init__(self, *, gateway: MeetingsGateway, settings: ReporterSettings) -> None:
        self.gateway = gateway
        self.settings = settings

    async def handle(self, envelope: Envelope) -> StageResult:
        meeting = await self.gateway.call(self.gateway.meetings.get, envelope.meeting_id)
        version, final = envelope.version, bool(envelope.fields["final"])
        if ("report", version) in meeting.results.done:
            return StageResult(DUPLICATE)
        enhancement = next(e for e in meeting.results.enhancements if e.version == version)
        newest = meeting.results.enhancements[-1].version
        if not final and newest > version:
            return StageResult(SKIPPED)
        report = build_report(
            list(enhancement.segments),
            meeting.transcript(),
            language=meeting.language,
            audio_sec=meeting.audio_seconds(),
            rubric=self.settings.rubric,
            final=final,
        )
        if final and self.settings.narrator is not None:
            report = await enrich(
                self.settings.narrator, report, enhancement.text, meeting.language
            )
        recorded = await self.gateway.call(
            self.gateway.meetings.record_report,
            meeting.meeting_id,
            stage_meta(self.name, envelope),
            input_version=version,
            report=report,
            final=final,
        )
        return StageResult(RECORDED if recorded else DUPLICATE)

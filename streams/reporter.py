"""Report stage: ``Enhanced`` → ``Reported`` (the interview analytics report).

Coalesced like the enhancer (``NewestInputStage``): a draft report is built only for the
newest enhancement, so reports refresh as chunks arrive without one report per chunk per
stage; the final enhancement always gets the final report, with an LLM narrative beside it
when one is configured (``streams/narrative.py``).

Must not: change the report the domain builds, other than adding the narrative.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from interview_analytics.domain.commands import RecordReport
from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.report import Rubric, build_report
from interview_analytics.domain.results import REPORT
from interview_analytics.streams.contract.codec import Envelope
from interview_analytics.streams.contract.events import ENHANCED
from interview_analytics.streams.narrative import OpenAINarrator, enrich
from interview_analytics.streams.pipeline import NewestInputStage, stage_meta


@dataclass(frozen=True)
class ReporterSettings:
    rubric: Rubric
    narrator: OpenAINarrator | None = None
    """Optional LLM narrative for final reports (off unless configured)."""


class Reporter(NewestInputStage[ReporterSettings]):
    name = REPORT
    handles = frozenset({ENHANCED})

    def input_versions(self, meeting: Meeting) -> Iterable[int]:
        return (enhancement.version for enhancement in meeting.results.enhancements)

    async def record(self, meeting: Meeting, envelope: Envelope, final: bool) -> bool:
        enhancement = next(e for e in meeting.results.enhancements if e.version == envelope.version)
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
        command = RecordReport(
            meeting_id=envelope.meeting_id,
            input_version=envelope.version,
            report=report,
            final=final,
        )
        return await self.gateway.call(
            self.gateway.meetings.record_report, command, stage_meta(self.name, envelope)
        )

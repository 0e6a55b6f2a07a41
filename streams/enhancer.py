"""Enhancement stage: ``Transcribed`` → ``Enhanced`` (speaker turns, clean text, PII masked).

Drafts are coalesced: when a newer transcription of the meeting is already recorded, this
one is skipped (the newer one follows in the stream), so a burst of chunks costs one
enhancement, not one per chunk. The final transcription is always enhanced.
"""

from __future__ import annotations

from dataclasses import dataclass

from interview_analytics.domain.enhance import enhance
from interview_analytics.streams.contract import Envelope
from interview_analytics.streams.pipeline import (
    DUPLICATE,
    RECORDED,
    SKIPPED,
    MeetingsGateway,
    StageResult,
    stage_meta,
)

TRANSCRIBED = "ia.meeting.Transcribed"


@dataclass(frozen=True)
class EnhancerSettings:
    pii_masking: bool = True


class Enhancer:
    name = "enhance"
    handles = frozenset({TRANSCRIBED})

    def __init__(self, *, gateway: MeetingsGateway, settings: EnhancerSettings) -> None:
        self.gateway = gateway
        self.settings = settings

    async def handle(self, envelope: Envelope) -> StageResult:
        meeting = await self.gateway.call(self.gateway.meetings.get, envelope.meeting_id)
        version, final = envelope.version, bool(envelope.fields["final"])
        if ("enhance", version) in meeting.results.done:
            return StageResult(DUPLICATE)
        newest = max(t.version for t in meeting.results.transcriptions)
        if not final and newest > version:
            return StageResult(SKIPPED)
        enhanced = enhance(
            meeting.transcript(), language=meeting.language, mask_pii=self.settings.pii_masking
        )
        recorded = await self.gateway.call(
            self.gateway.meetings.record_enhancement,
            meeting.meeting_id,
            stage_meta(self.name, envelope),
            input_version=version,
            text=enhanced.text,
            segments=enhanced.event_segments(),
            final=final,
            pii_masked=enhanced.pii_masked,
        )
        return StageResult(RECORDED if recorded else DUPLICATE)

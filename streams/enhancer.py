"""Enhancement stage: ``Transcribed`` → ``Enhanced`` (speaker turns, clean text, PII masked).

Drafts are coalesced (``NewestInputStage``): when a newer transcription of the meeting is
already recorded, this one is skipped (the newer one follows in the stream), so a burst of
chunks costs one enhancement, not one per chunk. The final transcription is always
enhanced.

Must not: read audio or call the recogniser; it works on the recorded transcript only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from interview_analytics.domain.commands import RecordEnhancement
from interview_analytics.domain.enhance import enhance
from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.results import ENHANCE
from interview_analytics.streams.contract.codec import Envelope
from interview_analytics.streams.contract.events import TRANSCRIBED
from interview_analytics.streams.pipeline import NewestInputStage, stage_meta


@dataclass(frozen=True)
class EnhancerSettings:
    pii_masking: bool = True


class Enhancer(NewestInputStage[EnhancerSettings]):
    name = ENHANCE
    handles = frozenset({TRANSCRIBED})

    def input_versions(self, meeting: Meeting) -> Iterable[int]:
        return (transcription.version for transcription in meeting.results.transcriptions)

    async def record(self, meeting: Meeting, envelope: Envelope, final: bool) -> bool:
        enhanced = enhance(
            meeting.transcript(), language=meeting.language, mask_pii=self.settings.pii_masking
        )
        command = RecordEnhancement(
            meeting_id=envelope.meeting_id,
            input_version=envelope.version,
            text=enhanced.text,
            segments=enhanced.event_segments(),
            final=final,
            pii_masked=enhanced.pii_masked,
        )
        return await self.gateway.call(
            self.gateway.meetings.record_enhancement, command, stage_meta(self.name, envelope)
        )

"""Enhancement stage: ``Transcribed`` or ``SpeakersEdited`` → ``Enhanced`` (speaker turns
with names and roles, clean text, PII masked).

Drafts are coalesced (``NewestInputStage``): when a newer transcription of the meeting is
already recorded, this one is skipped (the newer one follows in the stream), so a burst of
chunks costs one enhancement, not one per chunk. The final transcription is always
enhanced, and so is every speaker edit (a final input: the recorded transcript enhanced
again with the new names and roles, so a final report follows without re-transcribing).
The roles are decided here (``speaker_roles``, on the start's ``context.participants`` and
the edits recorded up to the input) and written into each turn.

Must not: read audio or call the recogniser; it works on the recorded transcript only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from interview_analytics.domain.commands import RecordEnhancement
from interview_analytics.domain.enhance import enhance
from interview_analytics.domain.languages import or_fallback
from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.report.roles import roles_for_turns
from interview_analytics.domain.results import ENHANCE
from interview_analytics.domain.speaker_roles import participants_from, with_roles
from interview_analytics.streams.contract.codec import Envelope
from interview_analytics.streams.contract.events import SPEAKERS_EDITED, TRANSCRIBED
from interview_analytics.streams.pipeline import NewestInputStage, stage_meta


@dataclass(frozen=True)
class EnhancerSettings:
    pii_masking: bool = True


class Enhancer(NewestInputStage[EnhancerSettings]):
    name = ENHANCE
    handles = frozenset({TRANSCRIBED, SPEAKERS_EDITED})

    def is_final(self, envelope: Envelope) -> bool:
        return envelope.event_type == SPEAKERS_EDITED or super().is_final(envelope)

    def input_versions(self, meeting: Meeting) -> Iterable[int]:
        yield from (transcription.version for transcription in meeting.results.transcriptions)
        yield from (version for version, _ in meeting.speaker_edits)

    async def record(self, meeting: Meeting, envelope: Envelope, final: bool) -> bool:
        enhanced = enhance(
            meeting.transcript(), language=meeting.language, mask_pii=self.settings.pii_masking
        )
        roles = roles_for_turns(
            enhanced.event_segments(),
            or_fallback(meeting.language),
            participants_from(meeting.context),
            meeting.speaker_edits_at(envelope.version),
        )
        text, turns = with_roles(enhanced, roles)
        command = RecordEnhancement(
            meeting_id=envelope.meeting_id,
            input_version=envelope.version,
            text=text,
            segments=turns,
            final=final,
            pii_masked=enhanced.pii_masked,
        )
        return await self.gateway.call(
            self.gateway.meetings.record_enhancement, command, stage_meta(self.name, envelope)
        )

"""The speaker attribution a final transcription records reaches the read model's meeting
row and the meeting document, and old transcriptions without it read as unknown."""

from __future__ import annotations

import json

from interview_analytics.domain.application import Meetings
from interview_analytics.http.meeting_document import from_write_model
from interview_analytics.projections import meetings
from interview_analytics.projections.folding import fold
from tests.conformance.read_store.scenario import events_of
from tests.factories import chunk, start, transcript, unique_meeting_id


def test_the_final_transcriptions_attribution_is_on_the_row_and_the_document(
    memory_meetings: Meetings,
) -> None:
    app = memory_meetings
    meeting_id = unique_meeting_id("attr")
    app.start(start(meeting_id))
    app.receive_chunk(chunk(meeting_id, 0))
    draft_version = app.get(meeting_id).version
    app.record_transcript(transcript(meeting_id, draft_version, [0], []))
    before = fold(events_of(app, meeting_id))
    assert before is not None
    assert meetings.meeting_row(before)["speaker_attribution_json"] == ""  # not recorded
    assert from_write_model(app.get(meeting_id))["speaker_attribution"] is None

    finished = app.finish(meeting_id).version
    app.record_transcript(
        transcript(
            meeting_id,
            finished,
            [0],
            [],
            final=True,
            speaker_method="model_free",
            speaker_confidence=0.8,
            speaker_count=2,
        )
    )
    state = fold(events_of(app, meeting_id))
    assert state is not None
    expected = {"method": "model_free", "confidence": 0.8, "speaker_count": 2}
    assert json.loads(meetings.meeting_row(state)["speaker_attribution_json"]) == expected
    assert from_write_model(app.get(meeting_id))["speaker_attribution"] == expected

"""``POST /v1/meetings/{meeting_id}/speakers``: name speakers or give them roles after the fact.

Body ``{"speakers": [{"label": "S1", "name": "Анна", "role": "interviewer"}, …]}``: each
entry names a label of the final transcript (``segments[*].speaker``) and a new ``name``
and/or ``role`` (interviewer | candidate | observer; omitted or null: unchanged). The edit
is a ``SpeakersEdited`` event; the enhanced transcript and the report are derived again
from the recorded transcript (no re-transcription), so a new final ``Enhanced`` and
``Reported`` follow. Access is as for finishing the meeting. Errors: 404 unknown meeting,
409 ``transcript_not_final`` before the final transcript, 422 ``unknown_speaker`` /
``unknown_role`` / ``invalid_argument`` (two candidates, a repeated label or name) /
``validation_error`` (a malformed body).

Must not: touch the transcript; only names and roles change.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from interview_analytics.domain.commands import EditSpeakers
from interview_analytics.domain.speaker_roles import ROLES, SpeakerEdit
from interview_analytics.http.answers import BOOL, INT, OBJ, STR, Answer, Prop
from interview_analytics.http.common import API_VERSION
from interview_analytics.http.errors import ApiError
from interview_analytics.http.fields import Field, Spec
from interview_analytics.http.operations import Call, Operation
from interview_analytics.http.reading import read_json
from interview_analytics.http.tenants import confine

MAX_SPEAKERS = 20

EDIT = Spec(
    "EditSpeakersRequest",
    (
        Field(
            "speakers",
            "object",
            "A list of {label, name?, role?}: role is one of " + ", ".join(ROLES) + ".",
            required=True,
            example=[{"label": "S1", "name": "Анна", "role": "interviewer"}],
        ),
    ),
    "Name speakers or give them roles; the enhanced transcript and report are rebuilt.",
)

EDIT_ANSWER = Answer(
    "EditSpeakersResponse",
    (
        Prop("api_version", STR, value=API_VERSION),
        Prop("meeting_id", STR),
        Prop("version", INT),
        Prop("duplicate", BOOL),
        Prop("speakers", OBJ, many=True),
    ),
)

EDIT_SPEAKERS = Operation(
    "edit_speakers",
    "Name speakers or give them roles",
    "any",
    "meetings",
    EDIT_ANSWER,
    description=EDIT.description,
    body=EDIT,
    errors=(400, 404, 409, 413, 422, 503),
)


async def edit_speakers(call: Call) -> Response:
    """Record the edit; the re-derived transcript and report follow on the stream."""
    meeting_id = call.meeting_id
    raw = await read_json(call.request, call.deps.limits.max_request_body_bytes)
    edits = _edits(raw)
    await confine(call.deps.commands, call.identity, meeting_id)
    outcome = await call.deps.commands.edit_speakers(
        EditSpeakers(meeting_id=meeting_id, speakers=edits), call.meta
    )
    return EDIT_ANSWER.response(
        outcome,
        speakers=[edit.as_json() for edit in outcome.speakers.values()],
    )


def _edits(raw: Any) -> tuple[SpeakerEdit, ...]:
    entries = raw.get("speakers") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not entries or len(entries) > MAX_SPEAKERS:
        raise ApiError(
            422, "validation_error", f"speakers must be a list of 1-{MAX_SPEAKERS} objects"
        )
    edits = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("label"), str):
            raise ApiError(
                422, "validation_error", "each speaker needs a string label", {"index": index}
            )
        name, role = entry.get("name"), entry.get("role")
        if (name is not None and not isinstance(name, str)) or (
            role is not None and not isinstance(role, str)
        ):
            raise ApiError(
                422, "validation_error", "name and role must be strings", {"index": index}
            )
        edits.append(SpeakerEdit(entry["label"], name, role))
    return tuple(edits)

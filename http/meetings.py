"""The meeting routes: start, get, list, finish, erase (chunks are ``chunks``).

Each route's request, answer and OpenAPI operation are declared here, beside its handler.
Commands go to the write model (``deps.commands``), reads to the read model (``deps.read``,
in worker threads). The behaviours the contract marks **fix**:

- start: mode, language, consent, context and recipients are stored; a repeated start
  with the identical payload answers 200 with the original (``created: false``), a
  different payload 409 ``meeting_already_exists``;
- get: 404 only when the meeting does not exist at all; ``min_version``/``wait_ms`` give
  read-your-writes, and the write model answers when the read model is behind. Answers
  of the read model are kept in the ``MeetingCache`` until the event stream shows a newer
  version of the meeting.

Tenants: a user identity with a tenant only sees (and finishes) meetings started under
that tenant; any other meeting is 404 to it, exactly as if it did not exist (``tenants``).

Erasure (``DELETE``): 204, and 204 again for a repeat; afterwards every route of the
meeting answers 410 ``meeting_erased`` (its own tenant) or 404 (anyone else).

Must not: talk to stores directly, or trust a field it has not validated.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from starlette.responses import JSONResponse, Response

from interview_analytics.domain.commands import ChangeConsent, StartMeeting
from interview_analytics.domain.consent import DENIAL_ERASURE_REASON, DENIED, ConsentOutcome
from interview_analytics.domain.lifecycle import CONSENTS, MODES
from interview_analytics.domain.read_filters import MeetingFilter
from interview_analytics.http import exposure, meeting_document
from interview_analytics.http.answers import BOOL, INT, NUM, STR, TIME, Answer, Prop
from interview_analytics.http.cache import CachedMeeting, MeetingCache
from interview_analytics.http.common import (
    API_VERSION,
    MAX_NAME_LENGTH,
    MAX_NAMES,
    MEETING_ID,
    STATUS,
    language_field,
)
from interview_analytics.http.deps import ApiDependencies
from interview_analytics.http.errors import ApiError
from interview_analytics.http.fields import Field, Spec, filter_spec
from interview_analytics.http.operations import Call, Operation
from interview_analytics.http.ports import DependencyUnavailableError
from interview_analytics.http.tenants import confine, load_visible, require_visible, tenant_scope

# ---------------------------------------------------------------------- start

START = Spec(
    "StartMeetingRequest",
    (
        Field("api_version", "string", "Contract version.", enum=(API_VERSION,)),
        dataclasses.replace(
            MEETING_ID,
            description="Absent: generated as mtg_<UTC yyyymmddHHMMSS>_<10 hex>. "
            + MEETING_ID.description,
            example="mtg_20240501120000_0a1b2c3d4e",
        ),
        Field("mode", "string", "How audio arrives.", enum=MODES, default=MODES[0]),
        language_field(
            "Spoken language: an ISO 639-1 code (ru, en, de, ...) or auto. Absent = the "
            "server's default (WHISPER_LANGUAGE; ru with the default multilingual model "
            "base, en with the English-only tiny.en). Any language the configured speech "
            "model supports is accepted (base: the 99 Whisper languages); others are 422 "
            "unsupported_language, whose details list the supported codes. auto (multilingual "
            "models only) detects the language from the first speech and records it as the "
            "LanguageDetected event; the meeting's language is the detected one from then on. "
            "The model is chosen per deployment with WHISPER_MODEL (base, tiny.en, another "
            "faster-whisper size name or a model directory).",
            example="ru",
            allow_auto=True,
        ),
        Field("consent", "string", "Recording consent.", enum=CONSENTS, default=CONSENTS[0]),
        Field("context", "object", "Free-form client context, stored with the meeting."),
        Field(
            "recipients",
            "string_list",
            "Who receives the report.",
            max_items=MAX_NAMES,
            max_length=MAX_NAME_LENGTH,
        ),
        Field(
            "auto_join_connector",
            "boolean",
            "Realtime meetings: ask the meeting-platform connector (SberJazz) to join and pull "
            "the live audio. Absent = the server's MEETING_AUTO_JOIN_ON_START.",
        ),
    ),
    "Every field is optional. A repeated start of an existing id with the identical "
    "payload answers 200 with the original meeting (created: false); a different payload "
    "is 409 meeting_already_exists.",
)

START_ANSWER = Answer(
    "StartMeetingResponse",
    (
        Prop("api_version", STR, value=API_VERSION),
        Prop("meeting_id", STR),
        Prop("status", STATUS),
        Prop("version", INT, "Stream version; pass as min_version to GET."),
        Prop("created", BOOL, "False for an identical repeated start."),
        *meeting_document.SETTINGS,
    ),
)

START_MEETING = Operation(
    "start_meeting",
    "Start a meeting",
    "any",
    "meetings",
    START_ANSWER,
    description=START.description,
    body=START,
    errors=(400, 409, 413, 422, 503),
)


def connector_to_join(deps: ApiDependencies, mode: str, asked: bool | None) -> str | None:
    """The connector provider a start should ask to join, if any: realtime meetings, when
    the request says so or (saying nothing) MEETING_AUTO_JOIN_ON_START is on. Asking
    explicitly where it cannot be done is an error; the server default just does not apply."""
    if asked and mode != "realtime":
        raise ApiError(
            422,
            "auto_join_needs_realtime",
            "auto_join_connector needs mode realtime (the connector pulls live audio)",
        )
    if asked and deps.connector is None:
        raise ApiError(
            422,
            "connector_disabled",
            "auto_join_connector: the meeting connector is turned off "
            "(MEETING_CONNECTOR_PROVIDER=none)",
        )
    wanted = deps.auto_join_connector if asked is None else asked
    if not wanted or mode != "realtime" or deps.connector is None:
        return None
    return deps.connector_provider


async def start_meeting(call: Call) -> Response:
    """Start a meeting (or confirm an identical earlier start)."""
    deps = call.deps
    values = await call.body()
    command = StartMeeting(
        meeting_id=values["meeting_id"] or deps.meeting_ids(),
        mode=values["mode"],
        language=values["language"],
        consent=values["consent"],
        context=values["context"],
        recipients=values["recipients"],
        tenant=call.identity.tenant,
        join_connector=connector_to_join(deps, values["mode"], values["auto_join_connector"]),
    )
    outcome = await deps.commands.start(command, call.meta)
    meeting = await deps.commands.load(outcome.meeting_id)
    return START_ANSWER.response(
        meeting, meeting_id=outcome.meeting_id, version=outcome.version, created=outcome.created
    )


# ---------------------------------------------------------------------- finish

FINISH = Spec(
    "FinishRequest",
    (Field("reason", "string", "Why the meeting ended.", max_length=200, default="client"),),
    "Optional body. Finishing a finished meeting answers the original result (duplicate: true).",
)

FINISH_ANSWER = Answer(
    "FinishResponse",
    (
        Prop("api_version", STR, value=API_VERSION),
        Prop("meeting_id", STR),
        Prop("status", STATUS),
        Prop("version", INT),
        Prop("duplicate", BOOL),
    ),
)

FINISH_MEETING = Operation(
    "finish_meeting",
    "Finish a meeting",
    "any",
    "meetings",
    FINISH_ANSWER,
    description=FINISH.description,
    body=FINISH,
    errors=(400, 404, 413, 422, 503),
)


async def finish_meeting(call: Call) -> Response:
    """Finish a meeting: no more chunks; the final transcript and report follow."""
    meeting_id = call.meeting_id
    values = await call.body()
    await confine(call.deps.commands, call.identity, meeting_id)
    outcome = await call.deps.commands.finish(meeting_id, reason=values["reason"], meta=call.meta)
    return FINISH_ANSWER.response(outcome)


# ---------------------------------------------------------------------- update (consent)

UPDATE = Spec(
    "UpdateMeetingRequest",
    (
        Field(
            "consent",
            "string",
            "The candidate's recording consent from now on.",
            required=True,
            enum=CONSENTS,
        ),
    ),
    "Change the recording consent; every change is a ConsentChanged event (the audit trail), "
    "the same consent again records nothing (duplicate: true). granted: audio held under "
    "CONSENT_UNKNOWN_POLICY=hold is released and transcribed. denied: further audio is "
    "refused with 403 consent_denied; when audio was already stored the meeting is erased "
    "(as DELETE does, reason consent_denied), and its routes answer 410 meeting_erased after.",
)

UPDATE_ANSWER = Answer(
    "UpdateMeetingResponse",
    (
        Prop("api_version", STR, value=API_VERSION),
        Prop("meeting_id", STR),
        Prop("consent", STR),
        Prop("previous_consent", STR, get=lambda outcome: outcome.previous),
        Prop("version", INT),
        Prop("duplicate", BOOL),
        Prop("released_seqs", INT, many=True, get=lambda outcome: list(outcome.released_seqs)),
        Prop("erased", BOOL, get=lambda outcome: outcome.erased_chunks > 0),
    ),
)

UPDATE_MEETING = Operation(
    "update_meeting",
    "Change a meeting's consent",
    "any",
    "meetings",
    UPDATE_ANSWER,
    description=UPDATE.description,
    body=UPDATE,
    body_required=True,
    errors=(400, 404, 410, 413, 422, 503),
)


async def update_meeting(call: Call) -> Response:
    """Record a new consent; a denial after audio erases what was stored."""
    meeting_id = call.meeting_id
    values = await call.body()
    await confine(call.deps.commands, call.identity, meeting_id)
    command = ChangeConsent(meeting_id, values["consent"])
    outcome: ConsentOutcome = await call.deps.commands.change_consent(command, call.meta)
    if outcome.consent == DENIED and outcome.erased_chunks:
        erasure = call.deps.erasure
        if erasure is None:
            raise DependencyUnavailableError("erasure", "erasure is not available here")
        erased = await erasure.erase(meeting_id, reason=DENIAL_ERASURE_REASON, meta=call.meta)
        cache: MeetingCache = call.request.app.state.meeting_cache
        cache.saw(meeting_id, erased.version)
    return UPDATE_ANSWER.response(outcome)


# ---------------------------------------------------------------------- get

GET_MEETING_QUERY = Spec(
    "GetMeetingQuery",
    (
        Field(
            "min_version",
            "integer",
            "Read-your-writes: the version a command answered. The read waits (up to wait_ms) "
            "until the read model has it, else answers from the write model.",
            minimum=1,
        ),
        Field(
            "wait_ms",
            "integer",
            "How long to wait for min_version, milliseconds; clamped to "
            "READ_YOUR_WRITES_MAX_WAIT_MS (the default when absent).",
            minimum=0,
        ),
    ),
)

GET_MEETING = Operation(
    "get_meeting",
    "Get a meeting",
    "any",
    "meetings",
    meeting_document.MEETING,
    description="404 only when the meeting does not exist (or belongs to another "
    "tenant); 410 meeting_erased once it was erased. With min_version the answer reflects "
    "at least that version. " + exposure.RULE,
    query=GET_MEETING_QUERY,
    errors=(404, 410, 422, 503),
)


async def get_meeting(call: Call) -> Response:
    """One meeting: status, transcripts, report, segments and metrics."""
    meeting_id = call.meeting_id
    query = call.query()
    min_version: int | None = query["min_version"]
    cache: MeetingCache = call.request.app.state.meeting_cache
    cached = cache.get(meeting_id, min_version)
    if cached is not None:
        require_visible(call.identity, meeting_id, cached.tenant)
        if exposure.may_read_personal_data(call.identity):
            return Response(cached.body, media_type="application/json")
        return JSONResponse(exposure.meeting_document(json.loads(cached.body), call.identity))
    document = await _from_read_model(call.deps, meeting_id, min_version, query["wait_ms"])
    if document is None:
        meeting = await load_visible(call.deps.commands, call.identity, meeting_id)
        answer = meeting_document.from_write_model(meeting)
        return JSONResponse(exposure.meeting_document(answer, call.identity))
    require_visible(call.identity, meeting_id, document.get("tenant"))
    # The cache keeps the whole document; what this caller may read is cut from it.
    full = meeting_document.from_read_model(document)
    body = bytes(JSONResponse(full).body)
    cache.put(meeting_id, CachedMeeting(int(document["version"]), document.get("tenant"), body))
    if exposure.may_read_personal_data(call.identity):
        return Response(body, media_type="application/json")
    return JSONResponse(exposure.meeting_document(full, call.identity))


async def _from_read_model(
    deps: ApiDependencies, meeting_id: str, min_version: int | None, wait_ms: int | None
) -> dict[str, Any] | None:
    """The read model's document, or None when it lacks the meeting (at ``min_version``)
    or is unavailable: the write model answers then."""
    try:
        if min_version is not None:
            limit = deps.limits.read_your_writes_max_wait_ms
            wait_sec = min(limit if wait_ms is None else wait_ms, limit) / 1000
            await deps.read(deps.reads.wait_for_version, meeting_id, min_version, wait_sec)
        view = await deps.read(deps.reads.get_meeting, meeting_id)
    except DependencyUnavailableError:
        return None
    if view is None or (min_version is not None and view.version < min_version):
        return None
    return view.to_dict()


# ---------------------------------------------------------------------- erase

ERASE_QUERY = Spec(
    "EraseMeetingQuery",
    (
        Field(
            "reason",
            "string",
            "Why it is erased (recorded on the Erased event; no personal data here).",
            max_length=200,
            default="erasure_request",
        ),
    ),
)

ERASE_MEETING = Operation(
    "erase_meeting",
    "Erase a meeting",
    "any",
    "meetings",
    None,
    description="204: the meeting's data keys are destroyed (its transcript, words, names "
    "and audio unreadable everywhere they were stored), its audio blobs and read-model rows "
    "deleted, and an Erased event (reason, who, when; nothing personal) recorded. A repeat "
    "answers 204 again and completes an interrupted erasure. Afterwards every route of the "
    "meeting answers 410 meeting_erased. 404 for an unknown meeting or another tenant's.",
    query=ERASE_QUERY,
    errors=(404, 422, 503),
    status=204,
)


async def erase_meeting(call: Call) -> Response:
    """Erase a meeting for good (idempotent)."""
    meeting_id = call.meeting_id
    erasure = call.deps.erasure
    if erasure is None:
        raise DependencyUnavailableError("erasure", "erasure is not available here")
    meeting = await call.deps.commands.load(meeting_id)
    require_visible(call.identity, meeting_id, meeting.tenant)
    outcome = await erasure.erase(meeting_id, reason=call.query()["reason"], meta=call.meta)
    # The cached answer must not outlive the meeting it shows.
    cache: MeetingCache = call.request.app.state.meeting_cache
    cache.saw(meeting_id, outcome.version)
    return Response(status_code=204)


# ---------------------------------------------------------------------- list

LIST_MEETINGS_QUERY = filter_spec("ListMeetingsQuery", MeetingFilter)

MEETING_SUMMARY = Answer(
    "MeetingSummary",
    (
        Prop("meeting_id", STR),
        Prop("status", STATUS),
        Prop("mode", STR),
        Prop("language", STR),
        Prop("tenant", STR, maybe=True),
        Prop("started_at", TIME),
        Prop("updated_at", TIME),
        Prop("finished_at", TIME, maybe=True),
        Prop("chunks_received", INT),
        Prop("audio_seconds", NUM),
        Prop("report_final", BOOL),
        Prop("version", INT),
    ),
)

MEETING_LIST = Answer(
    "MeetingList",
    (
        Prop(
            "items",
            MEETING_SUMMARY,
            many=True,
            get=lambda page: [MEETING_SUMMARY.build(item.to_dict()) for item in page.items],
        ),
        Prop("next_cursor", STR, maybe=True),
    ),
)

LIST_MEETINGS = Operation(
    "list_meetings",
    "List meetings, newest first",
    "any",
    "meetings",
    MEETING_LIST,
    description="A user identity with a tenant sees only its tenant's meetings.",
    query=LIST_MEETINGS_QUERY,
    errors=(400, 422, 503),
)


async def list_meetings(call: Call) -> Response:
    """Meetings, newest first, with filters and a cursor."""
    selection = MeetingFilter(**call.query(), tenant=tenant_scope(call.identity))
    page = await call.deps.read(call.deps.reads.list_meetings, selection)
    return MEETING_LIST.response(page)

"""The meeting routes: start, chunks, get, finish, list.

Commands go to the write model (``deps.commands``), reads to the read model
(``deps.reads``, synchronous, run in worker threads). Every handler validates its input
completely before it calls either (``bodies``), and answers with the documents of
``views``. The behaviours the contract marks **fix**:

- start: mode, language, consent, context and recipients are stored; a repeated start
  with the identical payload answers 200 with the original (``created: false``), a
  different payload 409 ``meeting_already_exists``;
- chunks: unknown meeting 404, finished 409, bad base64 400 ``bad_base64``, audio that
  cannot be used 422 ``invalid_audio`` (a refused attempt does not use up its idempotency
  key), a repeat answers the original with ``duplicate: true``, the same seq with other
  bytes 409 ``chunk_conflict``;
- get: 404 only when the meeting does not exist at all; ``min_version``/``wait_ms`` give
  read-your-writes, and the write model answers when the read model is behind. Answers
  of the read model are kept in the ``MeetingCache`` until the event stream shows a newer
  version of the meeting.

Tenants: a user identity with a tenant only sees (and feeds) meetings started under that
tenant; any other meeting is 404 to it, exactly as if it did not exist.

Must not: talk to stores directly, or trust a field it has not validated.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from interview_analytics.domain.application import ReceiveChunk, StartMeeting
from interview_analytics.domain.audio import AudioFormat
from interview_analytics.domain.errors import MeetingNotFoundError
from interview_analytics.domain.events import EventMeta
from interview_analytics.domain.ids import validate_meeting_id
from interview_analytics.domain.meeting import Meeting
from interview_analytics.http import bodies, views
from interview_analytics.http.access import request_id_of
from interview_analytics.http.auth import can_see_meeting
from interview_analytics.http.cache import CachedMeeting, MeetingCache
from interview_analytics.http.deps import ApiDependencies, deps_of
from interview_analytics.http.errors import ApiError
from interview_analytics.http.identity import Identity
from interview_analytics.http.operations import identity_of
from interview_analytics.http.ports import DependencyUnavailableError, MeetingCommands
from interview_analytics.http.reading import decode_audio_b64, read_json


def event_meta(request: Request, identity: Identity) -> EventMeta:
    return EventMeta(actor=identity.subject, correlation_id=request_id_of(request))


def tenant_scope(identity: Identity) -> str | None:
    """The tenant a caller is confined to (``http.auth.can_see_meeting``'s rule): None
    for services, users without a tenant and ``AUTH_MODE=none``."""
    if identity.auth_type == "none" or identity.is_service:
        return None
    return identity.tenant


def require_visible(identity: Identity, meeting_id: str, tenant: str | None) -> None:
    """Another tenant's meeting is 404, exactly like one that does not exist (a 403
    would tell the caller that the id is in use)."""
    if not can_see_meeting(identity, tenant):
        raise MeetingNotFoundError("meeting not found", meeting_id=meeting_id)


async def load_visible(commands: MeetingCommands, identity: Identity, meeting_id: str) -> Meeting:
    meeting = await commands.load(meeting_id)
    require_visible(identity, meeting_id, meeting.tenant)
    return meeting


def path_meeting_id(request: Request) -> str:
    return validate_meeting_id(str(request.path_params["meeting_id"]))


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


async def start_meeting(request: Request) -> Response:
    """Start a meeting (or confirm an identical earlier start)."""
    deps = deps_of(request)
    identity = identity_of(request)
    values = bodies.START.validate(
        await read_json(request, deps.limits.max_request_body_bytes, optional=True)
    )
    meeting_id = values["meeting_id"] or deps.meeting_ids()
    command = StartMeeting(
        meeting_id=meeting_id,
        mode=values["mode"],
        language=values["language"],
        consent=values["consent"],
        context=values["context"],
        recipients=values["recipients"],
        tenant=identity.tenant,
        join_connector=connector_to_join(deps, values["mode"], values["auto_join_connector"]),
    )
    outcome = await deps.commands.start(command, event_meta(request, identity))
    meeting = await deps.commands.load(outcome.meeting_id)
    return JSONResponse(views.start_document(outcome, meeting))


async def receive_chunk(request: Request) -> Response:
    """Accept one audio chunk of a meeting."""
    deps = deps_of(request)
    identity = identity_of(request)
    meeting_id = path_meeting_id(request)
    values = bodies.CHUNK.validate(await read_json(request, deps.limits.max_request_body_bytes))
    audio = decode_audio_b64(values["content_b64"], deps.limits.max_chunk_bytes)
    command = ReceiveChunk(
        meeting_id=meeting_id,
        seq=values["seq"],
        audio=audio,
        audio_format=AudioFormat(values["codec"], values["sample_rate"], values["channels"]),
        idempotency_key=values["idempotency_key"],
        speaker_hint=values["speaker_hint"],
    )
    if tenant_scope(identity) is not None:
        await load_visible(deps.commands, identity, meeting_id)
    outcome = await deps.commands.receive_chunk(command, event_meta(request, identity))
    return JSONResponse(views.chunk_document(outcome))


async def finish_meeting(request: Request) -> Response:
    """Finish a meeting: no more chunks; the final transcript and report follow."""
    deps = deps_of(request)
    identity = identity_of(request)
    meeting_id = path_meeting_id(request)
    values = bodies.FINISH.validate(
        await read_json(request, deps.limits.max_request_body_bytes, optional=True)
    )
    if tenant_scope(identity) is not None:
        await load_visible(deps.commands, identity, meeting_id)
    outcome = await deps.commands.finish(
        meeting_id, reason=values["reason"], meta=event_meta(request, identity)
    )
    return JSONResponse(views.finish_document(outcome))


async def get_meeting(request: Request) -> Response:
    """One meeting: status, transcripts, report, segments and metrics."""
    deps = deps_of(request)
    identity = identity_of(request)
    meeting_id = path_meeting_id(request)
    query = bodies.GET_MEETING.validate_query(request.query_params)
    min_version: int | None = query["min_version"]
    cache: MeetingCache = request.app.state.meeting_cache
    cached = cache.get(meeting_id, min_version)
    if cached is not None:
        require_visible(identity, meeting_id, cached.tenant)
        return Response(cached.body, media_type="application/json")
    document = await _from_read_model(request, meeting_id, min_version, query["wait_ms"])
    if document is None:
        meeting = await load_visible(deps.commands, identity, meeting_id)
        return JSONResponse(views.meeting_from_write_model(meeting))
    require_visible(identity, meeting_id, document.get("tenant"))
    response = JSONResponse(views.meeting_from_read_model(document))
    body = bytes(response.body)
    cache.put(meeting_id, CachedMeeting(int(document["version"]), document.get("tenant"), body))
    return response


async def _from_read_model(
    request: Request, meeting_id: str, min_version: int | None, wait_ms: int | None
) -> dict[str, Any] | None:
    """The read model's document, or None when it lacks the meeting (at ``min_version``)
    or is unavailable: the write model answers then."""
    deps = deps_of(request)
    reads = deps.reads
    try:
        if min_version is not None:
            limit = deps.limits.read_your_writes_max_wait_ms
            wait_sec = min(limit if wait_ms is None else wait_ms, limit) / 1000
            await run_in_threadpool(reads.wait_for_version, meeting_id, min_version, wait_sec)
        view = await run_in_threadpool(reads.get_meeting, meeting_id)
    except DependencyUnavailableError:
        return None
    if view is None or (min_version is not None and view.version < min_version):
        return None
    return view.to_dict()


async def list_meetings(request: Request) -> Response:
    """Meetings, newest first, with filters and a cursor."""
    deps = deps_of(request)
    identity = identity_of(request)
    query = bodies.LIST_MEETINGS.validate_query(request.query_params)
    # The query spec names exactly the read method's keyword arguments.
    page = await run_in_threadpool(
        lambda: deps.reads.list_meetings(**query, tenant=tenant_scope(identity))
    )
    return JSONResponse(
        {
            "items": [views.jsonable(item.to_dict()) for item in page.items],
            "next_cursor": page.next_cursor,
        }
    )

"""The report page routes: ``GET /v1/meetings/{id}/report.html`` and ``…/report.md``.

The page a recruiter forwards: header, summary, speaker timeline and talk-time charts
(inline SVG, no script), questions, competencies with their evidence, risk flags and the
recommendation, labelled in the meeting's language. It is rendered from the same
document ``GET /v1/meetings/{id}`` answers (read model, else write model) by the
``ReportPages`` port (``projections/report_page.py``). Access and tenants are those of the
GET: any identity, and another tenant's meeting is 404. No report yet (the reporter has
not run) is 409 ``report_not_ready``; a read model without the report while the event
store already has one answers from the event store.

Must not: build the page itself (the renderer is the port's), or serve the page with any
script allowed to run (the answer forbids scripts with its Content-Security-Policy).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, Response

from interview_analytics.http import exposure, meeting_document
from interview_analytics.http.cache import MeetingCache
from interview_analytics.http.errors import ApiError
from interview_analytics.http.operations import Call, Operation
from interview_analytics.http.ports import DependencyUnavailableError, ReportPages
from interview_analytics.http.tenants import load_visible, require_visible

NOT_READY = "report_not_ready"
# The page is self-contained: inline CSS and SVG only. Nothing else may load or run, so
# text from a meeting can never become script even if escaping were ever missed.
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
}
DESCRIPTION = (
    "The meeting's report as a page to read and forward. 404 when the meeting does not "
    "exist (or belongs to another tenant); 409 report_not_ready before the first report. "
    + exposure.RULE
)

REPORT_HTML = Operation(
    "get_report_html",
    "The report as an HTML page",
    "any",
    "meetings",
    None,
    description=DESCRIPTION
    + " Self-contained: inline CSS and SVG charts (speaker timeline, talk time), no script.",
    errors=(404, 409, 422, 503),
    media_type="text/html",
)

REPORT_MARKDOWN = Operation(
    "get_report_markdown",
    "The report as Markdown",
    "any",
    "meetings",
    None,
    description=DESCRIPTION + " The same sections as the HTML page; the timeline as a list.",
    errors=(404, 409, 422, 503),
    media_type="text/markdown",
)


async def report_html(call: Call) -> Response:
    """The report page, HTML."""
    pages, document = await _ready(call)
    page = await run_in_threadpool(pages.html, document)
    return HTMLResponse(page, headers=PAGE_HEADERS)


async def report_markdown(call: Call) -> Response:
    """The report page, Markdown."""
    pages, document = await _ready(call)
    page = await run_in_threadpool(pages.markdown, document)
    return Response(page, media_type="text/markdown", headers=PAGE_HEADERS)


async def _ready(call: Call) -> tuple[ReportPages, dict[str, Any]]:
    """The renderer and a document with a report, or the route's error."""
    pages = call.deps.report_pages
    if pages is None:
        raise DependencyUnavailableError("report_pages", "report pages are not configured")
    document = exposure.meeting_document(await _document(call), call.identity)
    if not document.get("report"):
        raise ApiError(
            409,
            NOT_READY,
            "the meeting has no report yet",
            {"meeting_id": call.meeting_id, "status": document.get("status")},
        )
    return pages, document


async def _document(call: Call) -> dict[str, Any]:
    """The GET document: the cached or read model's one when it has a report, else the
    write model's (which is also the 404 for a meeting the caller cannot see)."""
    meeting_id = call.meeting_id
    cache: MeetingCache = call.request.app.state.meeting_cache
    cached = cache.get(meeting_id, None)
    if cached is not None:
        require_visible(call.identity, meeting_id, cached.tenant)
        document: dict[str, Any] = json.loads(cached.body)
        if document.get("report"):
            return document
    try:
        view = await call.deps.read(call.deps.reads.get_meeting, meeting_id)
    except DependencyUnavailableError:
        view = None
    if view is not None:
        read = view.to_dict()
        require_visible(call.identity, meeting_id, read.get("tenant"))
        if read.get("report"):
            return meeting_document.from_read_model(read)
    meeting = await load_visible(call.deps.commands, call.identity, meeting_id)
    return meeting_document.from_write_model(meeting)

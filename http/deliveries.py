"""The deliveries route: ``GET /v1/meetings/{id}/deliveries``, every attempt at a notice.

Each attempt the notifier made at delivering one of the meeting's notices (``report.ready``
by e-mail to each recipient, webhooks …): which delivery, channel and target, the attempt
number, its outcome (``delivered``, ``failed`` and when it is retried, ``gave_up``), the
status code and error. Targets and errors are shown as they are to identities allowed to
read personal data (``exposure``); anyone else gets e-mail addresses in them masked.
Answered from the read model's ``deliveries`` table; access and tenants are those of the
GET of the meeting: any identity, another tenant's meeting is 404.

Must not: change anything (re-driving a delivery is ``ia dead-letters redrive``).
"""

from __future__ import annotations

from starlette.responses import Response

from interview_analytics.http import exposure
from interview_analytics.http.answers import BOOL, INT, STR, TIME, Answer, Prop
from interview_analytics.http.operations import Call, Operation
from interview_analytics.http.tenants import load_visible, require_visible

DELIVERY_ATTEMPT = Answer(
    "DeliveryAttempt",
    (
        Prop("delivery_id", STR, "Stable per (meeting, notice, channel, target); webhook-id."),
        Prop("channel", STR, "email | webhook."),
        Prop("target", STR, "The e-mail address or webhook endpoint id."),
        Prop("notice", STR, "meeting.finished | transcript.ready | report.ready."),
        Prop("attempt", INT, "1-based; numbering continues after a re-drive."),
        Prop("outcome", STR, "delivered | failed (retried at next_attempt_at) | gave_up."),
        Prop("status_code", INT, "The SMTP reply or HTTP status code.", maybe=True),
        Prop("error", STR, "Why the attempt failed.", maybe=True),
        Prop("attempted_at", TIME),
        Prop("next_attempt_at", TIME, "When a failed attempt is retried.", maybe=True),
        Prop("redrive", BOOL, "An operator re-drove a delivery given up on."),
    ),
    open=True,
)

DELIVERIES_ANSWER = Answer(
    "MeetingDeliveries",
    (Prop("meeting_id", STR), Prop("deliveries", DELIVERY_ATTEMPT, many=True)),
)

GET_DELIVERIES = Operation(
    "get_meeting_deliveries",
    "Delivery attempts of a meeting's notices",
    "any",
    "meetings",
    DELIVERIES_ANSWER,
    description="Every attempt at delivering the meeting's notices (e-mail, webhooks), in "
    "the order they were made. 404 when the meeting does not exist (or belongs to another "
    "tenant). E-mail targets and errors are PII-masked unless the caller may read personal "
    "data (a service identity or the pii:read scope).",
    errors=(404, 422, 503),
)


async def get_deliveries(call: Call) -> Response:
    """Every delivery attempt of the meeting, oldest first."""
    meeting_id = call.meeting_id
    view = await call.deps.read(call.deps.reads.get_meeting, meeting_id)
    if view is None:  # not projected yet: the write model knows whether it exists
        await load_visible(call.deps.commands, call.identity, meeting_id)
    else:
        require_visible(call.identity, meeting_id, view.tenant)
    attempts = await call.deps.read(call.deps.reads.deliveries, meeting_id)
    return DELIVERIES_ANSWER.response(
        meeting_id=meeting_id,
        deliveries=[
            exposure.delivery(DELIVERY_ATTEMPT.build(row), call.identity) for row in attempts
        ],
    )

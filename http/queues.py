"""Admin views of the pipeline's queues (service identities only): queue health and dead
letters.

Queue health answers the contract's ``{"queues": [{queue, group, depth, pending,
dlq_depth, …}]}`` from the read model's latest samples: ``pending`` is the group's lag
(events of the topic it has not processed yet) and ``depth`` the relay's backlog (events
stored but not yet relayed to the topic), both in event-store positions, as the
``agent_queue_pending{queue,group}`` and ``agent_queue_depth{queue}`` metrics count them;
a consumer group that has not reported yet is a row of zeros, never a 503 for the whole
view. Dead letters are what the pipeline gave up on, newest first, resolved or not.

Must not: change anything (re-driving dead letters is ``ia dead-letters redrive``).
"""

from __future__ import annotations

from starlette.responses import Response

from interview_analytics.domain.read_filters import DeadLetterFilter
from interview_analytics.http.answers import BOOL, INT, STR, TIME, Answer, Prop
from interview_analytics.http.common import MEETING_ID
from interview_analytics.http.fields import filter_spec
from interview_analytics.http.operations import Call, Operation

# ---------------------------------------------------------------------- queue health

QUEUE_ROW = Answer(
    "QueueHealthRow",
    (
        Prop("queue", STR, "Topic."),
        Prop("group", STR, "Consumer group."),
        Prop("depth", INT, "Events stored but not yet relayed to the topic."),
        Prop("pending", INT, "Events not yet processed by the group (event-store positions)."),
        Prop("dlq_depth", INT, "Dead letters."),
    ),
    "A group that has not reported yet is a row of zeros.",
    open=True,
)

QUEUE_HEALTH_ANSWER = Answer("QueueHealth", (Prop("queues", QUEUE_ROW, many=True),))

QUEUE_HEALTH = Operation(
    "queue_health",
    "Queue health per consumer group",
    "service",
    "admin",
    QUEUE_HEALTH_ANSWER,
    description="depth = events stored but not yet relayed, pending = events not yet "
    "processed by the group, dlq_depth = dead letters; groups without samples are zeros.",
    errors=(503,),
)


async def queue_health(call: Call) -> Response:
    """Lag, relay backlog and dead letters per consumer group."""
    rows = await call.deps.read(call.deps.reads.queue_health)
    return QUEUE_HEALTH_ANSWER.response(queues=[QUEUE_ROW.build(row) for row in rows])


# ---------------------------------------------------------------------- dead letters

DEAD_LETTERS_QUERY = filter_spec("DeadLettersQuery", DeadLetterFilter, replace=(MEETING_ID,))

DEAD_LETTER = Answer(
    "DeadLetter",
    (
        Prop("letter_id", STR),
        Prop("stage", STR),
        Prop("kind", STR),
        Prop("meeting_id", STR),
        Prop("version", INT),
        Prop("event_type", STR),
        Prop("error_code", STR),
        Prop("error_message", STR),
        Prop("attempts", INT),
        Prop("failed_at", TIME),
        Prop("resolved", BOOL),
    ),
    open=True,
)

DEAD_LETTERS_ANSWER = Answer("DeadLetters", (Prop("dead_letters", DEAD_LETTER, many=True),))

DEAD_LETTERS = Operation(
    "dead_letters",
    "Dead letters",
    "service",
    "admin",
    DEAD_LETTERS_ANSWER,
    query=DEAD_LETTERS_QUERY,
    errors=(422, 503),
)


async def dead_letters(call: Call) -> Response:
    """What the pipeline gave up on, newest first, resolved or not."""
    selection = DeadLetterFilter(**call.query())
    letters = await call.deps.read(call.deps.reads.dead_letters, selection)
    return DEAD_LETTERS_ANSWER.response(dead_letters=[DEAD_LETTER.build(x) for x in letters])

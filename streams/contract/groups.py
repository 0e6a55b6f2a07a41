"""Consumer groups: each role that consumes a topic is one Faust app, group ``ia-<role>``.

The group name is also the app id, the ``service``/``group`` label of the worker metrics
and part of the consumer's position name in the event store (``consumer:ia-<role>``).
Operators see these names in queue health and on the broker, so they are part of the
contract. The pipeline stages (domain names ``transcribe``, ``enhance``, ``report``) each
run as one role.

Must not: build apps or consumers (``streams/app.py`` does).
"""

from __future__ import annotations

from interview_analytics.domain.results import ENHANCE, REPORT, TRANSCRIBE

GROUP_PREFIX = "ia-"

TRANSCRIBER = "transcriber"
ENHANCER = "enhancer"
REPORTER = "reporter"
PROJECTOR = "projector"
RECONCILER = "reconciler"
NOTIFIER = "notifier"
"""Delivers notices (e-mail, webhooks) about meetings (``streams/delivery/notifier.py``)."""
LIFECYCLE = "lifecycle"
"""Finishes idle meetings (``streams/idle_finisher.py``). It follows the event store, not a
topic, so it joins no consumer group; ``ia-lifecycle`` is the actor of its finishes."""

STAGE_ROLES = (TRANSCRIBER, ENHANCER, REPORTER)
"""The pipeline workers (``ia worker transcriber|enhancer|reporter``)."""
RETENTION = "retention"
"""Applies the retention rules (``ops/retention.py``): shreds audio and raw text, erases
meetings. Like the lifecycle worker it follows the event store and joins no consumer
group; ``ia-retention`` is the actor of what it records."""
ROLES = (*STAGE_ROLES, PROJECTOR, RECONCILER, NOTIFIER, LIFECYCLE, RETENTION)

ROLE_OF_STAGE = {TRANSCRIBE: TRANSCRIBER, ENHANCE: ENHANCER, REPORT: REPORTER}
"""Which role runs each pipeline stage."""


def group_of(role: str) -> str:
    """The consumer group (and Faust app id) of a role."""
    return f"{GROUP_PREFIX}{role}"


TRANSCRIBER_GROUP = group_of(TRANSCRIBER)
ENHANCER_GROUP = group_of(ENHANCER)
REPORTER_GROUP = group_of(REPORTER)
PROJECTOR_GROUP = group_of(PROJECTOR)
RECONCILER_GROUP = group_of(RECONCILER)
NOTIFIER_GROUP = group_of(NOTIFIER)
LIFECYCLE_ACTOR = group_of(LIFECYCLE)
RETENTION_ACTOR = group_of(RETENTION)

STAGE_GROUPS = {stage: group_of(role) for stage, role in ROLE_OF_STAGE.items()}
"""Which consumer group runs each pipeline stage (dead letters are counted per stage)."""

ROLES_WITH_POSITIONS = (*STAGE_ROLES, PROJECTOR)
"""The roles that record their store position, whose lag queue health shows."""

"""Properties of a meeting's deliveries under any sequence of attempts.

Whatever attempts arrive (repeats, stale ones, ones after delivery, re-drives), every
delivery has at most one ``delivered`` attempt and nothing after it, its recorded attempts
are numbered 1, 2, 3 … without gaps, a refused attempt changes nothing, and the meeting
rebuilt from its stored events has the same deliveries as the live one.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.commands import RecordDeliveryAttempt
from interview_analytics.domain.deliveries import DELIVERED, FAILED, GAVE_UP, OUTCOMES
from interview_analytics.domain.errors import InvalidCommandError
from interview_analytics.domain.lifecycle import StartSettings
from interview_analytics.domain.meeting import Meeting
from interview_analytics.ops.event_store import eventsourcing_env
from tests.unit.test_meeting_properties import NullBlobs

DELIVERY_IDS = st.sampled_from(["dlv_a", "dlv_b", "dlv_c"])


def attempt_command(
    delivery_id: str, attempt: int, outcome: str, redrive: bool = False
) -> RecordDeliveryAttempt:
    return RecordDeliveryAttempt(
        meeting_id="m-dlv",
        delivery_id=delivery_id,
        channel="email",
        target=f"{delivery_id}@example.test",
        notice="report.ready",
        attempt=attempt,
        outcome=outcome,
        status_code=250 if outcome == DELIVERED else 451,
        next_attempt_at="2030-01-01T00:00:00+00:00" if outcome == FAILED else None,
        redrive=redrive,
    )


class DeliveryMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.app = Meetings(env=eventsourcing_env("memory://"), blobs=NullBlobs())
        self.meeting = Meeting.start("m-dlv", StartSettings(language="en", recipients=["a@b.c"]))
        self.app.save(self.meeting)
        self.model: dict[str, list[tuple[int, str]]] = defaultdict(list)

    @rule(
        delivery_id=DELIVERY_IDS,
        step=st.sampled_from([-1, 0, 1, 1, 1, 2]),
        outcome=st.sampled_from(OUTCOMES),
        redrive=st.booleans(),
    )
    def attempt(self, delivery_id: str, step: int, outcome: str, redrive: bool) -> None:
        history = self.model[delivery_id]
        previous, last = history[-1] if history else (0, None)
        number = previous + step
        if number < 1:
            return
        version = self.meeting.version
        expected = step == 1 and (last in (None, FAILED) or (last == GAVE_UP and redrive))
        command = attempt_command(delivery_id, number, outcome, redrive)
        if step == 2 and last not in (DELIVERED,) and not (last == GAVE_UP and not redrive):
            with pytest.raises(InvalidCommandError):
                self.meeting.record_delivery_attempt(command)
            assert self.meeting.version == version
            return
        recorded = self.meeting.record_delivery_attempt(command)
        assert recorded == expected
        if recorded:
            history.append((number, outcome))
            self.app.save(self.meeting)
        else:
            assert self.meeting.version == version

    @invariant()
    def at_most_one_delivered_and_nothing_after_it(self) -> None:
        per_delivery: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for event in self.app.stream("m-dlv"):
            if isinstance(event, Meeting.DeliveryAttempted):
                per_delivery[event.delivery_id].append((event.attempt, event.outcome))
        for attempts in per_delivery.values():
            outcomes = [outcome for _, outcome in attempts]
            assert outcomes.count(DELIVERED) <= 1
            if DELIVERED in outcomes:
                assert outcomes[-1] == DELIVERED
            assert [n for n, _ in attempts] == list(range(1, len(attempts) + 1))
        assert dict(per_delivery) == {k: v for k, v in self.model.items() if v}

    @invariant()
    def rebuilt_from_events_equals_live(self) -> None:
        rebuilt = self.app.repository.get(self.meeting.id)
        assert rebuilt.deliveries == self.meeting.deliveries
        assert rebuilt.state() == self.meeting.state()
        for delivery_id, history in self.model.items():
            if history:
                latest = self.meeting.deliveries[delivery_id]
                assert (latest.attempt, latest.outcome) == history[-1]


DeliveryMachine.TestCase.settings = settings(
    max_examples=100, stateful_step_count=30, deadline=None
)
TestDeliveryProperties = DeliveryMachine.TestCase


@given(attempt=st.integers(1, 40))
def test_a_repeated_attempt_records_nothing(attempt: int) -> None:
    meeting = Meeting.start("m-dlv", StartSettings(language="en"))
    for number in range(1, attempt + 1):
        assert meeting.record_delivery_attempt(attempt_command("dlv_x", number, FAILED))
    version = meeting.version
    assert not meeting.record_delivery_attempt(attempt_command("dlv_x", attempt, FAILED))
    assert meeting.record_delivery_attempt(attempt_command("dlv_x", attempt + 1, DELIVERED))
    assert not meeting.record_delivery_attempt(
        attempt_command("dlv_x", attempt + 2, DELIVERED, redrive=True)
    )
    assert meeting.version == version + 1

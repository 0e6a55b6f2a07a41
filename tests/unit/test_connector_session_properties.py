"""Properties of a meeting's connector session under any sequence of commands.

A transition table (the lifecycle in domain/connector.py) runs beside the aggregate. After
every step: the state is the table's, a refused command changed nothing, the cursor never
moves back, attempts count the join claims, and the meeting rebuilt from its stored events
equals the live one.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.connector import ALL_STATES, ConnectorTrouble, SessionState
from interview_analytics.domain.errors import (
    ConnectorNeverJoinedError,
    ConnectorStateError,
    DomainError,
    InvalidCommandError,
    MeetingFinishedError,
)
from interview_analytics.domain.lifecycle import StartSettings
from interview_analytics.domain.meeting import Meeting
from interview_analytics.ops.event_store import eventsourcing_env
from tests.unit.test_meeting_properties import NullBlobs

S = SessionState
ACTIVE = {S.REQUESTED, S.JOINING, S.CONNECTED, S.RECONNECTING, S.LEAVING}
# command -> (states it is allowed in, state after); None = the state does not change.
TABLE: dict[str, tuple[set[str], str | None]] = {
    "join": ({S.REQUESTED, S.RECONNECTING}, S.JOINING),
    "reclaim": ({S.REQUESTED, S.RECONNECTING, S.JOINING}, S.JOINING),
    "connected": ({S.JOINING}, S.CONNECTED),
    "progress": ({S.CONNECTED}, None),
    "interrupt": ({S.JOINING, S.CONNECTED, S.RECONNECTING}, S.RECONNECTING),
    "fail": (ACTIVE, S.FAILED),
    "left": ({S.LEAVING}, S.LEFT),
}


class ConnectorMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.app = Meetings(env=eventsourcing_env("memory://"), blobs=NullBlobs())
        self.meeting = Meeting.start("m-conn", StartSettings(language="en"))
        self.app.save(self.meeting)
        self.state: str | None = None
        self.finished = False
        self.joins = 0

    def _apply(self, name: str, command: Callable[[], object]) -> None:
        allowed, after = TABLE[name]
        version = self.meeting.version
        try:
            command()
        except ConnectorNeverJoinedError:
            assert self.state is None
        except ConnectorStateError:
            assert self.state is not None
            assert self.state not in allowed
        else:
            assert self.state in allowed
            self.state = after or self.state
            self.joins += name in {"join", "reclaim"}
            self.app.save(self.meeting)
            return
        assert self.meeting.version == version
        assert not self.meeting.pending_events

    @rule()
    def request(self) -> None:
        version = self.meeting.version
        try:
            created = self.meeting.request_connector(provider="sberjazz", participants=["a"])
        except MeetingFinishedError:
            assert self.finished
            assert self.state not in ACTIVE
            assert self.meeting.version == version
            return
        assert created == (self.state not in ACTIVE)
        if created:
            self.state = S.REQUESTED
            self.app.save(self.meeting)

    @rule(reclaim=st.booleans())
    def begin_join(self, reclaim: bool) -> None:
        self._apply(
            "reclaim" if reclaim else "join",
            lambda: self.meeting.begin_connector_join(reclaim=reclaim),
        )

    @rule()
    def connected(self) -> None:
        self._apply("connected", self.meeting.connector_connected)

    @rule(step=st.integers(-2, 5), chunks=st.integers(0, 5))
    def progress(self, step: int, chunks: int) -> None:
        before = self.meeting.connector.cursor if self.meeting.connector else 0
        try:
            self._apply(
                "progress",
                lambda: self.meeting.record_connector_progress(cursor=before + step, chunks=chunks),
            )
        except InvalidCommandError:
            assert step < 0
            assert self.state == S.CONNECTED
            assert not self.meeting.pending_events

    @rule(kind=st.sampled_from(["timeout", "stale", "bad_request"]))
    def interrupt(self, kind: str) -> None:
        self._apply(
            "interrupt",
            lambda: self.meeting.interrupt_connector(ConnectorTrouble("pull", kind, kind)),
        )

    @rule()
    def fail(self) -> None:
        self._apply(
            "fail",
            lambda: self.meeting.fail_connector(ConnectorTrouble("join", "auth", "no")),
        )

    @rule()
    def begin_leave(self) -> None:
        version = self.meeting.version
        try:
            started = self.meeting.begin_connector_leave(reason="operator")
        except ConnectorNeverJoinedError:
            assert self.state is None
            return
        assert started == (self.state in ACTIVE - {S.LEAVING})
        if started:
            self.state = S.LEAVING
            self.app.save(self.meeting)
        else:
            assert self.meeting.version == version

    @rule()
    def left(self) -> None:
        finished_before = self.meeting.finished_version
        self._apply("left", self.meeting.connector_left)
        if self.state == "left":
            # The connector leaving ends the meeting too (reason connector_left), once.
            assert self.meeting.is_finished
            if finished_before is None:
                assert self.meeting.finish_reason == "connector_left"
            self.finished = True

    @rule()
    def finish_meeting(self) -> None:
        try:
            self.meeting.finish(reason="client")
        except DomainError:
            return
        self.finished = True
        self.app.save(self.meeting)

    @invariant()
    def state_follows_the_table(self) -> None:
        session = self.meeting.connector
        assert (session.state if session else None) == self.state
        if session is not None:
            assert session.state in ALL_STATES
            assert session.connected == (session.state == S.CONNECTED)
            assert session.attempts == self.joins

    @invariant()
    def cursor_never_moves_back(self) -> None:
        cursors = [
            e.cursor
            for e in self.app.stream("m-conn")
            if isinstance(e, Meeting.ConnectorHeartbeat | Meeting.ConnectorConnected)
        ]
        assert cursors == sorted(cursors)

    @invariant()
    def rebuilt_from_events_equals_live(self) -> None:
        rebuilt = self.app.repository.get(self.meeting.id)
        assert rebuilt.state() == self.meeting.state()


ConnectorMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=30, deadline=None
)
test_connector_session = ConnectorMachine.TestCase

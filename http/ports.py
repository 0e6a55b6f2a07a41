"""What the front door needs from the rest of the system, as Protocols ("ports").

``http/`` may not import ``projections/``, ``streams/`` adapters or ``ops/``; it names here
the operations it calls and ``ops/`` passes in objects that have them: the write side
(:class:`MeetingCommands`, async, built around ``domain.application.Meetings``), the read
side (:class:`MeetingReads`: ``projections.queries.Queries`` itself, synchronous; the
routes call it in worker threads), the connector (:class:`ConnectorAdmin`), the live
event feed (:class:`LiveFeed`, ``streams.live_feed.KafkaLiveFeed``), the readiness checks,
and the :class:`Service` objects whose lifetime is the app's (started before the first request,
stopped after the last).

Errors crossing a port: the domain's ``DomainError`` subclasses, and the two below, which
adapters raise instead of their own (a ClickHouse error must not reach a route as an
unknown exception and turn into a 500 that blames the client).

Must not: import adapters, or read the environment.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from interview_analytics.domain.commands import (
    ChangeConsent,
    EditSpeakers,
    ReceiveChunk,
    StartMeeting,
)
from interview_analytics.domain.consent import ConsentOutcome
from interview_analytics.domain.events import EventMeta
from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.read_filters import (
    ConnectorSessionsFilter,
    DeadLetterFilter,
    MeetingFilter,
    SecurityAuditFilter,
)
from interview_analytics.domain.results import (
    ChunkOutcome,
    ErasureOutcome,
    FinishOutcome,
    SpeakersOutcome,
    StartOutcome,
)
from interview_analytics.domain.webhooks import WebhookEndpoint


class DependencyUnavailableError(Exception):
    """A store or service the request needs is down or failing (answered with 503)."""

    def __init__(self, dependency: str, message: str) -> None:
        super().__init__(message)
        self.dependency = dependency
        self.message = message


class ConnectorUnavailableError(Exception):
    """The meeting platform refused or failed a connector operation (answered with 503,
    ``code`` such as ``connector_unavailable``, ``connector_timeout``, ``connector_auth``,
    ``connector_circuit_open`` or ``connector_not_configured``)."""

    def __init__(self, code: str, message: str, details: Mapping[str, Any]) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = dict(details)


class InvalidCursorError(ValueError):
    """A pagination cursor the service did not hand out (answered with 400)."""


class MeetingCommands(Protocol):
    """The write model. Every method may raise ``DomainError``s (mapped to 4xx/503)."""

    async def start(self, command: StartMeeting, meta: EventMeta) -> StartOutcome: ...

    async def receive_chunk(self, command: ReceiveChunk, meta: EventMeta) -> ChunkOutcome:
        """Store one chunk. Container codecs arrive with ``duration_sec`` None: the
        adapter probes them and raises ``InvalidAudioError`` when they do not decode."""
        ...

    async def finish(self, meeting_id: str, *, reason: str, meta: EventMeta) -> FinishOutcome: ...

    async def edit_speakers(self, command: EditSpeakers, meta: EventMeta) -> SpeakersOutcome:
        """Record a ``SpeakersEdited`` (nothing when it changes nothing)."""
        ...

    async def change_consent(self, command: ChangeConsent, meta: EventMeta) -> ConsentOutcome:
        """Record a ``ConsentChanged`` (nothing when the consent already is that); a denial
        after audio was stored also erases what was stored."""
        ...

    async def load(self, meeting_id: str) -> Meeting:
        """The meeting as the write model has it now (a copy; raises
        ``MeetingNotFoundError`` when there is none)."""
        ...


class MeetingErasure(Protocol):
    """Erasing a meeting for good (``ops/erasure.py``): ``Erased`` recorded, its data keys
    destroyed, its audio and read-model rows deleted. Idempotent: a repeat answers the
    first erasure and completes whatever an interrupted one left."""

    async def erase(self, meeting_id: str, *, reason: str, meta: EventMeta) -> ErasureOutcome: ...


class MeetingView(Protocol):
    """One meeting of the read model (``projections.queries.MeetingView``)."""

    @property
    def version(self) -> int: ...

    @property
    def tenant(self) -> str | None: ...

    def to_dict(self) -> dict[str, Any]: ...


class MeetingSummary(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


class MeetingPage(Protocol):
    @property
    def items(self) -> Sequence[MeetingSummary]: ...

    @property
    def next_cursor(self) -> str | None: ...


class MeetingReads(Protocol):
    """The read model. Synchronous: call through ``anyio.to_thread``."""

    def get_meeting(self, meeting_id: str) -> MeetingView | None: ...

    def list_meetings(self, selection: MeetingFilter) -> MeetingPage:
        """Raises ``InvalidCursorError`` (through ``read_errors``) for a bad cursor."""
        ...

    def wait_for_version(self, meeting_id: str, version: int, timeout_sec: float = 5.0) -> bool:
        """True once the read model has the meeting at ``version`` or later."""
        ...

    def queue_health(self) -> list[dict[str, Any]]:
        """Rows with ``queue``, ``group``, ``depth``, ``pending``, ``dlq_depth`` (+ extras)."""
        ...

    def dead_letters(self, selection: DeadLetterFilter) -> list[dict[str, Any]]: ...

    def deliveries(self, meeting_id: str) -> list[dict[str, Any]]:
        """A meeting's delivery attempts, oldest first (``projections/deliveries.py``)."""
        ...

    def security_audit(self, selection: SecurityAuditFilter) -> list[dict[str, Any]]:
        """The front door's allow/deny decisions, newest first."""
        ...


class ConnectorAdmin(Protocol):
    """The meeting-platform connector (SberJazz), for the admin routes. Sessions are dicts
    with ``meeting_id``, ``provider``, ``state``, ``connected``, ``attempts``,
    ``last_error``, ``updated_at`` (datetime) and more; failures of the platform raise
    ``ConnectorUnavailableError``, refusals of the session rules ``DomainError``s."""

    async def join(
        self, meeting_id: str, *, participants: Sequence[str], language: str | None, actor: str
    ) -> dict[str, Any]: ...

    async def leave(self, meeting_id: str, *, actor: str) -> dict[str, Any]: ...

    async def reconnect(self, meeting_id: str, *, actor: str) -> dict[str, Any]: ...

    async def status(self, meeting_id: str) -> dict[str, Any]:
        """From the read model, or the event store when the read model has no row yet;
        ``never_joined`` (404) when the connector was never asked to join."""
        ...

    async def sessions(self, selection: ConnectorSessionsFilter) -> list[dict[str, Any]]:
        """Newest first."""
        ...

    async def health(self) -> dict[str, Any]: ...

    async def reconcile(self, limit: int) -> dict[str, Any]: ...


ReadinessCheck = Callable[[], Awaitable[str | None]]
"""Returns when the dependency is usable (optionally a note worth showing); raises (any
exception, with a message) when not."""

ReadinessChecks = Mapping[str, ReadinessCheck]
"""By dependency name: ``event_store``, ``broker``, ``clickhouse``, ``speech_model``."""


EventListener = Callable[[str, Meeting.Event], None]
"""Called with the event type (as on the topic) and the decoded event."""


class LiveFeed(Protocol):
    """Every meeting's events as they are published (one consumer per API process); it
    runs as one of the app's :class:`Service` objects."""

    def listen(self, on_event: EventListener, on_state: Callable[[bool], None]) -> None:
        """Call ``on_event`` for each event, ``on_state(True)`` once following the stream
        and ``on_state(False)`` when it was lost."""
        ...


class ReportPages(Protocol):
    """The report page of a meeting (``projections.report_page.ReportPageRenderer``), made
    from the ``GET /v1/meetings/{id}`` document; the document has a report."""

    def html(self, document: Mapping[str, Any]) -> str: ...

    def markdown(self, document: Mapping[str, Any]) -> str: ...


class WebhookRegistry(Protocol):
    """A tenant's webhook endpoints in the write model (``Meetings.register_webhook`` …),
    async; refusals are ``DomainError``s (``invalid_webhook``, ``webhook_not_found``,
    ``too_many_webhooks``), a failing store ``DependencyUnavailableError``."""

    async def register(
        self,
        tenant: str | None,
        *,
        endpoint_id: str,
        url: str,
        events: Sequence[str],
        secret: str,
        meta: EventMeta,
    ) -> WebhookEndpoint: ...

    async def endpoints(self, tenant: str | None) -> Sequence[WebhookEndpoint]:
        """Oldest first, read from the event store (read-your-writes)."""
        ...

    async def remove(self, tenant: str | None, endpoint_id: str, *, meta: EventMeta) -> None: ...


@runtime_checkable
class Service(Protocol):
    """Something with a lifetime: started before the first request, stopped after the last."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

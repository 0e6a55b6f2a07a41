"""The webhook endpoints of the write model as the front door's ``WebhookRegistry`` port.

Each call of ``Meetings.register_webhook`` / ``webhook_endpoints`` / ``remove_webhook``
runs in a worker thread (the store drivers block); an event-store failure becomes
``DependencyUnavailableError`` (503), never a 500.

Must not: decide a rule of the endpoints (``domain/webhooks.py`` does), or block the
event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import anyio.to_thread
from eventsourcing.persistence import PersistenceError

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.events import EventMeta
from interview_analytics.domain.webhooks import WebhookEndpoint
from interview_analytics.http.ports import DependencyUnavailableError

log = logging.getLogger(__name__)
T = TypeVar("T")


class WebhookRegistryAdapter:
    """``http.ports.WebhookRegistry`` on a ``Meetings`` application."""

    def __init__(self, meetings: Meetings) -> None:
        self.meetings = meetings

    async def register(
        self,
        tenant: str | None,
        *,
        endpoint_id: str,
        url: str,
        events: Sequence[str],
        secret: str,
        meta: EventMeta,
    ) -> WebhookEndpoint:
        return await self._call(
            lambda: self.meetings.register_webhook(
                tenant, endpoint_id=endpoint_id, url=url, events=events, secret=secret, meta=meta
            )
        )

    async def endpoints(self, tenant: str | None) -> Sequence[WebhookEndpoint]:
        return await self._call(self.meetings.webhook_endpoints, tenant)

    async def remove(self, tenant: str | None, endpoint_id: str, *, meta: EventMeta) -> None:
        await self._call(self.meetings.remove_webhook, tenant, endpoint_id, meta)

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        try:
            return await anyio.to_thread.run_sync(fn, *args)
        except PersistenceError as error:
            log.warning("event store failed: %s", error)
            raise DependencyUnavailableError("event_store", "the event store failed") from error

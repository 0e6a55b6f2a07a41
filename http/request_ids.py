"""Request ids: every HTTP request and WebSocket gets one, echoed as ``X-Request-ID``.

A client's own ``X-Request-ID`` is kept when it is short and plain (so it can be searched
for in logs); otherwise a fresh one is made. The id lands in ``scope["state"]`` (so
``request.state.request_id``), becomes the ``correlation_id`` of the events a request
causes, and the ``request_id`` of its audit record.

Must not: trust the client's header beyond its plain form.
"""

from __future__ import annotations

import re
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-ID"
_PLAIN = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def request_id(scope: Scope) -> str:
    given = Headers(scope=scope).get(HEADER)
    if given is not None and _PLAIN.fullmatch(given):
        return given
    return uuid.uuid4().hex


def request_id_of(connection: HTTPConnection) -> str | None:
    """The id the middleware gave this request or WebSocket."""
    value = connection.scope.get("state", {}).get("request_id")
    return str(value) if value is not None else None


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        scope.setdefault("state", {})["request_id"] = rid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = rid
            await send(message)

        await self.app(scope, receive, send_with_id)

"""A REST route with what the OpenAPI document and the auth guard need to know about it.

An :class:`Operation` says who may call a route, its body and query specs, its answer and
its error statuses; each resource module declares its operations next to their handlers.
:class:`ApiRoute` is a Starlette ``Route`` that carries one and, for every route that is
not public, authenticates, guards and audits the caller before the handler runs. The
handler gets a :class:`Call`: the request, the dependencies, the identity, and the
request's input read and validated by the operation's own specs (the path's meeting id,
``await call.body()``, ``call.query()``), each when the handler first asks for it.

Must not: hold handlers (they live in one module per resource), or read input that the
operation does not declare.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from interview_analytics.domain.events import EventMeta
from interview_analytics.domain.ids import validate_meeting_id
from interview_analytics.http.access import Access, authorize
from interview_analytics.http.answers import Answer
from interview_analytics.http.deps import ApiDependencies, deps_of
from interview_analytics.http.fields import Spec
from interview_analytics.http.identity import Identity
from interview_analytics.http.reading import read_json
from interview_analytics.http.request_ids import request_id_of


@dataclass(frozen=True)
class Operation:
    operation_id: str
    summary: str
    access: Access
    tag: str
    answer: Answer | None
    """The 200 answer; None for non-JSON answers (``/metrics``) and free-form ones."""
    description: str = ""
    body: Spec | None = None
    body_required: bool = False
    """Without it an empty body counts as ``{}``."""
    query: Spec | None = None
    errors: tuple[int, ...] = ()
    """Error statuses besides the auth ones (401/403 are added for guarded routes)."""
    media_type: str = "application/json"
    status: int = 200
    """The success status: 200, 201 (created) or 204 (no content, ``answer`` None)."""


class Call:
    """One request to an :class:`ApiRoute`, as its handler sees it."""

    def __init__(self, request: Request, operation: Operation, identity: Identity | None):
        self.request = request
        self.operation = operation
        self.deps: ApiDependencies = deps_of(request)
        self._identity = identity

    @property
    def identity(self) -> Identity:
        """The authenticated caller (guarded routes only)."""
        assert self._identity is not None, f"{self.operation.operation_id} is public"
        return self._identity

    @property
    def meta(self) -> EventMeta:
        """Who asked, for the events a command records: the subject and the request id."""
        return EventMeta(actor=self.identity.subject, correlation_id=request_id_of(self.request))

    @cached_property
    def meeting_id(self) -> str:
        """The path's ``{meeting_id}``, validated (422 ``invalid_meeting_id``)."""
        return validate_meeting_id(str(self.request.path_params["meeting_id"]))

    async def body(self) -> dict[str, Any]:
        """The JSON body, size-limited and validated by the operation's body spec."""
        spec = self.operation.body
        assert spec is not None, f"{self.operation.operation_id} declares no body"
        limit = self.deps.limits.max_request_body_bytes
        raw = await read_json(self.request, limit, optional=not self.operation.body_required)
        return spec.validate(raw)

    def query(self) -> dict[str, Any]:
        """The query parameters, validated by the operation's query spec."""
        spec = self.operation.query
        assert spec is not None, f"{self.operation.operation_id} declares no query"
        return spec.validate_query(self.request.query_params)


Handler = Callable[[Call], Awaitable[Response]]


class ApiRoute(Route):
    def __init__(
        self, path: str, handler: Handler, *, methods: Sequence[str], operation: Operation
    ) -> None:
        self.operation = operation
        access = operation.access

        async def endpoint(request: Request) -> Response:
            identity = None if access == "public" else await authorize(request, access, path)
            return await handler(Call(request, operation, identity))

        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        super().__init__(path, endpoint, methods=list(methods), name=operation.operation_id)

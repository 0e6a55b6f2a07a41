"""A REST route with what the OpenAPI document and the auth guard need to know about it.

:class:`ApiRoute` is a Starlette ``Route`` that carries an :class:`Operation` (who may call
it, its body and query specs, its answer and error statuses) and wraps the handler so
that, for every route that is not public, the caller is authenticated, guarded and
audited before the handler runs; the identity is then ``request.state.identity``.

Must not: hold handlers (they live in one module per resource).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from interview_analytics.http.access import Access, authorize
from interview_analytics.http.fields import Spec
from interview_analytics.http.identity import Identity

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Operation:
    operation_id: str
    summary: str
    access: Access
    tag: str
    response: str | None
    """Component schema of the 200 answer; None for non-JSON answers (``/metrics``)."""
    description: str = ""
    body: Spec | None = None
    body_required: bool = False
    query: Spec | None = None
    errors: tuple[int, ...] = ()
    """Error statuses besides the auth ones (401/403 are added for guarded routes)."""
    media_type: str = "application/json"


class ApiRoute(Route):
    def __init__(
        self, path: str, handler: Handler, *, methods: Sequence[str], operation: Operation
    ) -> None:
        self.operation = operation
        access = operation.access

        async def endpoint(request: Request) -> Response:
            if access != "public":
                request.state.identity = await authorize(request, access, path)
            return await handler(request)

        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        super().__init__(path, endpoint, methods=list(methods), name=operation.operation_id)


def identity_of(request: Request) -> Identity:
    identity = request.state.identity
    assert isinstance(identity, Identity)
    return identity

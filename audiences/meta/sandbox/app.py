"""One sandbox platform: its state, credentials and faults behind one entry point."""

from __future__ import annotations

import time
from typing import Any

from audiences.meta.sandbox.auth import Credentials
from audiences.meta.sandbox.control import ControlRoutes
from audiences.meta.sandbox.edge import Edge
from audiences.meta.sandbox.faults import Faults
from audiences.meta.sandbox.graph import GraphError, invalid_parameter, parse_params
from audiences.meta.sandbox.options import SandboxOptions
from audiences.meta.sandbox.routes import GraphRoutes
from audiences.meta.sandbox.state import SandboxState
from audiences.meta.sandbox.wire import Request, Response

CONTROL_PREFIX = "/_sandbox/"
OVERRIDABLE_METHODS = frozenset({"GET", "POST", "DELETE"})


class Sandbox:
    """The Graph API subset and its control endpoints, independent of HTTP."""

    def __init__(self, options: SandboxOptions | None = None) -> None:
        self.options = options or SandboxOptions()
        self.state = SandboxState(self.options)
        self.credentials = Credentials(self.options.access_token, self.options.app_secret)
        self.faults = Faults(self.options)
        self.edge = Edge(self.options)
        self._graph = GraphRoutes(self.state)
        self._control = ControlRoutes(
            self.state, self.credentials, self.faults, self.edge, self.reset
        )

    def reset(self) -> None:
        """Back to a fresh start with the original options."""
        self.state.reset()
        self.credentials.reset()
        self.faults.reset()
        self.edge.reset()

    def handle(self, request: Request) -> Response:
        """Answer one request. Graph calls pass latency, the edge, token, rate limit and faults."""
        if request.path.startswith(CONTROL_PREFIX):
            try:
                params = parse_params(request.query, request.body, request.content_type)
                answer = self._control.handle(request.method, request.path, params)
                return Response(200, answer)
            except GraphError as error:
                return Response(error.http_status, error.body())
        arrived_at = time.time()
        failure: GraphError | None = None
        override: str | None = None
        self.faults.delay()
        refusal = self.edge.refusal(request.request_line_bytes)
        if refusal is not None:
            self.faults.record(arrived_at, request, refusal.status, None, None)
            return refusal
        try:
            params = parse_params(request.query, request.body, request.content_type)
            override, params = _method_override(request.method, params)
            self.credentials.check(params, request.header_token)
            self.faults.admit()
            answer = self._graph.handle(override or request.method, request.path, params)
            response = Response(200, answer)
        except GraphError as error:
            failure = error
            response = Response(error.http_status, error.body(), error.headers)
        self.faults.record(arrived_at, request, response.status, failure, override)
        return response


def _method_override(method: str, params: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """Graph's override: a POST whose ``method`` field says ``get`` or ``delete`` is one."""
    if method != "POST" or "method" not in params:
        return None, params
    value = params["method"]
    if not isinstance(value, str) or value.upper() not in OVERRIDABLE_METHODS:
        raise invalid_parameter("method must be get, post or delete")
    return value.upper(), {name: given for name, given in params.items() if name != "method"}

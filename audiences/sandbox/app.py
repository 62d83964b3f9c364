"""One sandbox platform: its state, credentials and faults behind one entry point."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from audiences.sandbox.auth import Credentials
from audiences.sandbox.control import ControlRoutes
from audiences.sandbox.faults import Faults
from audiences.sandbox.graph import GraphError, parse_params
from audiences.sandbox.options import SandboxOptions
from audiences.sandbox.routes import GraphRoutes
from audiences.sandbox.state import SandboxState

CONTROL_PREFIX = "/_sandbox/"


@dataclass(frozen=True)
class Response:
    """What the HTTP layer sends back."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class Sandbox:
    """The Graph API subset and its control endpoints, independent of HTTP."""

    def __init__(self, options: SandboxOptions | None = None) -> None:
        self.options = options or SandboxOptions()
        self.state = SandboxState(
            match_delay_seconds=self.options.match_delay_seconds,
            lookalike_delay_seconds=self.options.lookalike_delay_seconds,
        )
        self.credentials = Credentials(self.options.access_token, self.options.app_secret)
        self.faults = Faults(self.options)
        self._graph = GraphRoutes(self.state)
        self._control = ControlRoutes(self.state, self.credentials, self.faults, self.reset)

    def reset(self) -> None:
        """Back to a fresh start with the original options."""
        self.state.reset()
        self.credentials.reset()
        self.faults.reset()

    def handle(
        self, method: str, path: str, query: str, body: bytes, content_type: str
    ) -> Response:
        """Answer one request. Graph calls pass latency, token, rate limit and faults first."""
        if path.startswith(CONTROL_PREFIX):
            try:
                params = parse_params(query, body, content_type)
                return Response(200, self._control.handle(method, path, params))
            except GraphError as error:
                return Response(error.http_status, error.body())
        arrived_at = time.time()
        failure: GraphError | None = None
        try:
            self.faults.delay()
            params = parse_params(query, body, content_type)
            self.credentials.check(params)
            self.faults.admit()
            response = Response(200, self._graph.handle(method, path, params))
        except GraphError as error:
            failure = error
            response = Response(error.http_status, error.body(), error.headers)
        self.faults.record(arrived_at, method, path, response.status, failure)
        return response

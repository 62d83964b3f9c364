"""The Graph API sandbox over real HTTP, startable in-process.

``SandboxServer`` binds port 0 by default (tests), serves from a daemon thread,
and is a context manager::

    with SandboxServer(SandboxOptions(match_delay_seconds=0.1)) as server:
        config = MetaConfig(graph_url=server.url, access_token=...)
"""

from __future__ import annotations

from audiences.meta.sandbox.app import Sandbox
from audiences.meta.sandbox.options import SandboxOptions
from audiences.meta.sandbox.wire import Request, Response
from audiences.sandbox_http import HttpRequest, SandboxHttpServer

__all__ = ["SandboxOptions", "SandboxServer"]


class SandboxServer(SandboxHttpServer):
    """A running sandbox at :attr:`url` (Graph base URL, without the version)."""

    def __init__(self, options: SandboxOptions | None = None) -> None:
        self.sandbox = Sandbox(options)
        super().__init__(self.sandbox.options.host, self.sandbox.options.port, "graph-api-sandbox")

    def handle(self, request: HttpRequest) -> Response:
        """One Graph or control request, answered by the sandbox."""
        return self.sandbox.handle(
            Request(
                method=request.method,
                path=request.path,
                query=request.query,
                body=request.body,
                content_type=request.header("Content-Type"),
                authorization=request.header("Authorization"),
                request_line_bytes=request.request_line_bytes,
            )
        )

    @property
    def options(self) -> SandboxOptions:
        """The options the sandbox started with."""
        return self.sandbox.options

    @property
    def access_token(self) -> str:
        """The token the sandbox accepts now."""
        return self.sandbox.credentials.valid_token

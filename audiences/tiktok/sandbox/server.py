"""The TikTok sandbox over real HTTP, startable in-process.

``TikTokSandboxServer`` binds port 0 by default (tests), serves from one daemon
thread, and is a context manager::

    with TikTokSandboxServer(TikTokSandboxOptions(match_delay_seconds=0.1)) as server:
        base_url = server.url  # the client adds /open_api/v1.3
"""

from __future__ import annotations

from audiences.sandbox_http import HttpRequest, SandboxHttpServer
from audiences.tiktok.sandbox.app import TikTokSandbox
from audiences.tiktok.sandbox.envelope import Response
from audiences.tiktok.sandbox.options import TikTokSandboxOptions

__all__ = ["TikTokSandboxOptions", "TikTokSandboxServer"]


class TikTokSandboxServer(SandboxHttpServer):
    """A running sandbox at :attr:`url` (``http://host:port``, the client's base URL)."""

    def __init__(self, options: TikTokSandboxOptions | None = None) -> None:
        self.sandbox = TikTokSandbox(options)
        super().__init__(
            self.sandbox.options.host, self.sandbox.options.port, "tiktok-business-api-sandbox"
        )

    def handle(self, request: HttpRequest) -> Response:
        """One API or control request, answered by the sandbox."""
        return self.sandbox.handle(request)

    @property
    def options(self) -> TikTokSandboxOptions:
        """The options the sandbox started with."""
        return self.sandbox.options

    @property
    def access_token(self) -> str:
        """The token the sandbox accepts now."""
        return self.sandbox.tokens.current

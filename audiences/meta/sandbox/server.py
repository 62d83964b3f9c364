"""The sandbox over real HTTP: a threaded stdlib server, startable in-process.

``SandboxServer`` binds port 0 by default (tests), serves from a daemon thread,
and is a context manager::

    with SandboxServer(SandboxOptions(match_delay_seconds=0.1)) as server:
        config = MetaConfig(graph_url=server.url, access_token=...)
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from audiences.meta.sandbox.app import Sandbox
from audiences.meta.sandbox.options import SandboxOptions
from audiences.meta.sandbox.wire import Request

__all__ = ["SandboxOptions", "SandboxServer"]

logger = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    """Turns one HTTP request into ``Sandbox.handle`` and writes its JSON (or HTML) answer."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # small JSON answers, no 40 ms delayed-ACK stalls
    server: _HttpServer

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def do_DELETE(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        url = urlsplit(self.path)
        response = self.server.sandbox.handle(
            Request(
                method=self.command,
                path=url.path,
                query=url.query,
                body=body,
                content_type=self.headers.get("Content-Type", ""),
                authorization=self.headers.get("Authorization", ""),
                request_line_bytes=len(self.requestline.encode("iso-8859-1")),
            )
        )
        text = response.body if isinstance(response.body, str) else json.dumps(response.body)
        payload = text.encode()
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # The request line holds the query string: the access token and, for
        # DELETE /users, identifiers. Log the method and path only.
        logger.debug("%s %s -> %s", self.command, urlsplit(getattr(self, "path", "")).path, code)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("sandbox http: " + format, *args)


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        super().__init__(address, _Handler)
        self.sandbox = sandbox


class SandboxServer:
    """A running sandbox at :attr:`url` (Graph base URL, without the version)."""

    def __init__(self, options: SandboxOptions | None = None) -> None:
        self.sandbox = Sandbox(options)
        self._address = (self.sandbox.options.host, self.sandbox.options.port)
        self._http: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://host:port`` — what ``MetaConfig.graph_url`` points at."""
        if self._http is None:
            raise RuntimeError("the sandbox is not running")
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def options(self) -> SandboxOptions:
        """The options the sandbox started with."""
        return self.sandbox.options

    @property
    def access_token(self) -> str:
        """The token the sandbox accepts now."""
        return self.sandbox.credentials.valid_token

    def start(self) -> SandboxServer:
        """Bind and serve from a daemon thread; returns ``self``."""
        if self._http is None:
            self._http = _HttpServer(self._address, self.sandbox)
            self._thread = threading.Thread(
                target=self._http.serve_forever, name="graph-api-sandbox", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

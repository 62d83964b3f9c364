"""The HTTP side shared by every platform's sandbox: a threaded stdlib server on loopback.

A platform's sandbox server subclasses :class:`SandboxHttpServer` and turns
one :class:`HttpRequest` into an answer (anything shaped like :class:`Answer`).
The server binds port 0 by default (tests), serves from one daemon thread, and
is a context manager. It never logs request lines or bodies: query strings
and bodies may carry tokens and identifiers.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Any, Protocol, Self
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HttpRequest:
    """One request as it arrived: method, path, raw query and body, and its headers."""

    method: str
    path: str
    query: str
    body: bytes
    headers: Mapping[str, str]
    """Header names as sent; look them up with :meth:`header`."""
    request_line_bytes: int
    """Length of ``METHOD target HTTP/1.1``, without its line end."""

    def header(self, name: str) -> str:
        """The value of a header, whatever the case of its name ("" when absent)."""
        wanted = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == wanted), "")


class Answer(Protocol):
    """What a sandbox answers: a JSON object, or an HTML page (a string)."""

    @property
    def status(self) -> int: ...

    @property
    def body(self) -> dict[str, Any] | str: ...

    @property
    def headers(self) -> dict[str, str]: ...

    @property
    def content_type(self) -> str: ...


class _Handler(BaseHTTPRequestHandler):
    """Turns one HTTP request into ``SandboxHttpServer.handle`` and writes its answer."""

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
        answer = self.server.sandbox.handle(
            HttpRequest(
                method=self.command,
                path=url.path,
                query=url.query,
                body=body,
                headers=dict(self.headers.items()),
                request_line_bytes=len(self.requestline.encode("iso-8859-1")),
            )
        )
        text = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
        payload = text.encode()
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # The request line holds the query string: tokens and identifiers may
        # ride in it. Log the method and path only.
        logger.debug("%s %s -> %s", self.command, urlsplit(getattr(self, "path", "")).path, code)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("sandbox http: " + format, *args)


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], sandbox: SandboxHttpServer) -> None:
        super().__init__(address, _Handler)
        self.sandbox = sandbox


class SandboxHttpServer:
    """A sandbox served at :attr:`url`; subclasses answer requests in :meth:`handle`."""

    def __init__(self, host: str, port: int, thread_name: str) -> None:
        self._address = (host, port)
        self._thread_name = thread_name
        self._http: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    def handle(self, request: HttpRequest) -> Answer:
        """The answer to one request (called from the request's thread)."""
        raise NotImplementedError

    @property
    def url(self) -> str:
        """``http://host:port`` of the running server."""
        if self._http is None:
            raise RuntimeError("the sandbox is not running")
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        """Bind and serve from a daemon thread; returns ``self``."""
        if self._http is None:
            self._http = _HttpServer(self._address, self)
            self._thread = threading.Thread(
                target=self._http.serve_forever, name=self._thread_name, daemon=True
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

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def serve_until_interrupted(
    server: SandboxHttpServer, announce: Callable[[SandboxHttpServer], None]
) -> None:
    """Start ``server``, ``announce`` it, serve until Ctrl-C or SIGTERM, then stop it.

    For the ``sandbox`` commands; binding errors (``OSError``) reach the caller.
    """
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    server.start()
    try:
        announce(server)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()

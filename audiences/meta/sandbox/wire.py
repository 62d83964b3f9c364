"""One HTTP request and its answer as the sandbox sees them, independent of the server."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Request:
    """What arrived: method, path and raw query, body, and the headers that matter."""

    method: str
    path: str
    query: str = ""
    body: bytes = b""
    content_type: str = ""
    authorization: str = ""
    """The ``Authorization`` header ("" when absent)."""
    request_line_bytes: int = 0
    """Length of ``METHOD target HTTP/1.1``, without its line end."""

    @property
    def authorization_scheme(self) -> str | None:
        """``OAuth`` or ``Bearer`` (as sent) when the header carries a token, else ``None``."""
        scheme, _, token = self.authorization.strip().partition(" ")
        if scheme.lower() in ("oauth", "bearer") and token.strip():
            return scheme
        return None

    @property
    def header_token(self) -> str | None:
        """The access token of the ``Authorization`` header, if it carries one."""
        if self.authorization_scheme is None:
            return None
        return self.authorization.strip().partition(" ")[2].strip()


@dataclass(frozen=True)
class Response:
    """What the HTTP layer sends back: a JSON object, or an HTML page (a string)."""

    status: int
    body: dict[str, Any] | str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def content_type(self) -> str:
        """JSON for Graph answers, HTML for the pages of Meta's edge."""
        if isinstance(self.body, str):
            return "text/html; charset=utf-8"
        return "application/json; charset=UTF-8"

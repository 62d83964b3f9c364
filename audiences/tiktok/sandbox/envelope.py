"""TikTok's answer envelope, its return codes, and the sandbox's answers in that shape.

Every answer of the API is HTTP 200 with ``{"code", "message", "request_id",
"data"}``, errors too. Messages are the sandbox's own words and never repeat
a submitted identifier (an audience id is ours, not a person's).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

OK = 0
NO_PERMISSION = 40001
PARAMETER_ERROR = 40002
NOT_EXIST = 40007
"""UNVERIFIED for deleted audiences: TikTok does not document that answer."""
TOO_MANY_REQUESTS = 40100
TOKEN_EXPIRED = 40102
TOKEN_EMPTY = 40104
TOKEN_INVALID = 40105
FILE_SIGNATURE_MISMATCH = 40900
FILE_EMPTY = 40906
FILE_TOO_LONG = 40907
"""File codes: RULES.md's error table (the line limit itself is the sandbox's, UNVERIFIED)."""
SYSTEM_ERROR = 50000
SERVICE_BUSY = 50002
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
HTML_CONTENT_TYPE = "text/html; charset=utf-8"


class TikTokError(Exception):
    """A refusal: its return code and message; ``http_status`` matters to control routes only."""

    def __init__(self, code: int, message: str, http_status: int = 200) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status


@dataclass(frozen=True)
class Response:
    """What the HTTP layer sends back: an envelope, or an HTML page (a string)."""

    status: int
    body: dict[str, Any] | str
    content_type: str = JSON_CONTENT_TYPE
    headers: dict[str, str] = field(default_factory=dict)


def envelope(code: int, message: str, data: dict[str, Any]) -> dict[str, Any]:
    """TikTok's JSON body around ``data``, with a fresh ``request_id``."""
    request_id = time.strftime("%Y%m%d%H%M%S", time.gmtime()) + secrets.token_hex(8).upper()
    return {"code": code, "message": message, "request_id": request_id, "data": data}


def success(data: dict[str, Any]) -> Response:
    """Code 0 around ``data``."""
    return Response(200, envelope(OK, "OK", data))


def refusal(error: TikTokError) -> Response:
    """The envelope of an error: its code and message, empty ``data``."""
    return Response(error.http_status, envelope(error.code, error.message, {}))


def parameter_error(detail: str) -> TikTokError:
    """Code 40002, the answer to any invalid or missing field; ``detail`` names the field."""
    return TikTokError(PARAMETER_ERROR, f"Parameter error: {detail}")


def not_exist(audience_id: str) -> TikTokError:
    """Code 40007 for an unknown or deleted audience (UNVERIFIED for deleted ones)."""
    return TikTokError(NOT_EXIST, f"Custom audience {audience_id} does not exist.")

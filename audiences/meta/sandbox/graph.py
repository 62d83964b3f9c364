"""Graph API errors in Meta's shape, and the parsing of Graph request parameters.

Error codes, subcodes and HTTP statuses are listed with their sources in
``audiences/meta/RULES.md``. Messages never repeat a submitted identifier.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

Params = Mapping[str, Any]
"""Request parameters: query string, form fields or a JSON body, merged."""


@dataclass
class GraphError(Exception):
    """A Graph API error answer."""

    message: str
    code: int
    subcode: int | None = None
    http_status: int = 400
    type: str = "OAuthException"
    is_transient: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        """The JSON body Meta sends with an error."""
        error: dict[str, Any] = {
            "message": self.message,
            "type": self.type,
            "code": self.code,
            "is_transient": self.is_transient,
            "fbtrace_id": secrets.token_urlsafe(12),
        }
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        return {"error": error}


def invalid_parameter(detail: str) -> GraphError:
    """Code 100, the answer to any malformed or out-of-range parameter."""
    return GraphError(f"(#100) Invalid parameter: {detail}", 100, type="GraphMethodException")


def does_not_exist(object_id: str, method: str) -> GraphError:
    """Code 100, subcode 33: what Meta answers for a deleted or unknown object."""
    return GraphError(
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, "
        "cannot be loaded due to missing permissions, or does not support this operation.",
        100,
        33,
        type="GraphMethodException",
    )


def required(params: Params, name: str) -> str:
    """A non-empty string parameter, else code 100 naming it."""
    value = params.get(name)
    if not isinstance(value, str) or not value.strip():
        raise invalid_parameter(f"the parameter {name} is required")
    return value


def json_param(params: Params, name: str) -> Any:
    """A parameter holding JSON: a string to decode (form) or a value (JSON body).

    Returns ``None`` when the parameter is absent; malformed JSON is code 100.
    """
    value = params.get(name)
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise invalid_parameter(f"{name} must be valid JSON") from None


def json_object_param(params: Params, name: str) -> dict[str, Any] | None:
    """Like :func:`json_param`, but the value must be a JSON object."""
    value = json_param(params, name)
    if value is not None and not isinstance(value, dict):
        raise invalid_parameter(f"{name} must be a JSON object")
    return value


def requested_fields(params: Params) -> list[str]:
    """The comma-separated ``fields`` parameter, as a list."""
    raw = params.get("fields") or ""
    if not isinstance(raw, str):
        raise invalid_parameter("fields must be a comma-separated list")
    return [name.strip() for name in raw.split(",") if name.strip()]


def parse_params(query: str, body: bytes, content_type: str) -> dict[str, Any]:
    """Query string and body (form or JSON) merged into one mapping; body wins.

    A body that claims to be JSON but is not, or is not an object, is code 100.
    """
    params: dict[str, Any] = {
        name: values[0] for name, values in parse_qs(query, keep_blank_values=True).items()
    }
    if not body:
        return params
    if content_type.split(";", maxsplit=1)[0].strip().lower() == "application/json":
        try:
            decoded = json.loads(body)
        except ValueError:
            raise invalid_parameter("the request body is not valid JSON") from None
        if not isinstance(decoded, dict):
            raise invalid_parameter("the request body must be a JSON object")
        return params | decoded
    form = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return params | {name: values[0] for name, values in form.items()}

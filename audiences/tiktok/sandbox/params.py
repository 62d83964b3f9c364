"""Where each call carries its fields, and reading them as the wire contract types them.

GET calls carry their fields in the query string (arrays JSON-encoded), POST
calls in a JSON body, the file upload in a multipart form. A field sent
anywhere else is not seen, as on TikTok.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from audiences.sandbox_http import HttpRequest
from audiences.tiktok.sandbox.envelope import parameter_error
from audiences.tiktok.sandbox.multipart import FilePart, read_form

Fields = Mapping[str, Any]


@dataclass(frozen=True)
class Call:
    """The fields of one API call, from where its method carries them."""

    fields: Fields
    carrier: str
    """Where the fields came from: ``query``, ``body`` (JSON) or ``form`` (multipart)."""
    files: Mapping[str, FilePart] = field(default_factory=dict)


def read_call(request: HttpRequest) -> Call:
    """The call's fields; a body that cannot be read is code 40002."""
    if request.method == "GET":
        return Call(_query(request.query), "query")
    content_type = request.header("Content-Type")
    if _media_type(content_type) == "multipart/form-data":
        form = read_form(request.body, content_type)
        return Call(form.fields, "form", form.files)
    if not request.body:
        return Call({}, "body")
    try:
        decoded = json.loads(request.body)
    except ValueError:
        raise parameter_error("the request body is not valid JSON") from None
    if not isinstance(decoded, dict):
        raise parameter_error("the request body must be a JSON object")
    return Call(decoded, "body")


def advertiser_id_in(request: HttpRequest, call: Call | None) -> str | None:
    """Where the request carried ``advertiser_id`` (query, body, form), for the wiretap.

    ``call`` is ``None`` when the body could not be read; the query is still looked at.
    """
    if call is not None and "advertiser_id" in call.fields:
        return call.carrier
    return "query" if "advertiser_id" in _query(request.query) else None


def _query(query: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(query, keep_blank_values=True).items()}


def _media_type(content_type: str) -> str:
    return content_type.split(";", maxsplit=1)[0].strip().lower()


def text(fields: Fields, name: str, *, longest: int | None = None) -> str:
    """A non-empty string field (at most ``longest`` characters), else 40002 naming it."""
    value = fields.get(name)
    if not isinstance(value, str) or not value.strip():
        raise parameter_error(f"{name} is required")
    if longest is not None and len(value) > longest:
        raise parameter_error(f"{name} must be at most {longest} characters")
    return value


def choice(fields: Fields, name: str, allowed: frozenset[str], default: str | None = None) -> str:
    """One of ``allowed`` (``default`` when absent, if there is one), else 40002."""
    value = fields.get(name, default)
    if value not in allowed:
        raise parameter_error(f"{name} must be one of {', '.join(sorted(allowed))}")
    return str(value)


def audience_id(fields: Fields, name: str) -> str:
    """An audience id, sent as digits (a string or a number), else 40002."""
    value = fields.get(name)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    if isinstance(value, str) and value.isdigit():
        return value
    raise parameter_error(f"{name} must be an audience id")


def text_list(fields: Fields, name: str, most: int, *, required: bool = True) -> list[str]:
    """A list of 1..``most`` non-empty strings (JSON-encoded in a query), else 40002.

    Numbers are taken as their digits (audience ids). Absent and not required: ``[]``.
    """
    value = fields.get(name)
    if value is None and not required:
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise parameter_error(f"{name} must be a JSON array") from None
    if not isinstance(value, list) or not 1 <= len(value) <= most:
        raise parameter_error(f"{name} must be a list of 1 to {most} items")
    items = [
        str(item) if isinstance(item, int) and not isinstance(item, bool) else item
        for item in value
    ]
    if not all(isinstance(item, str) and item for item in items):
        raise parameter_error(f"{name} must hold non-empty strings")
    return items


def whole_number(fields: Fields, name: str, low: int, high: int, default: int | None = None) -> int:
    """An integer ``low..high`` (digits in a query), ``default`` when absent, else 40002."""
    value = fields.get(name, default)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise parameter_error(f"{name} must be a whole number from {low} to {high}")
    return value

"""The Graph API paths the sandbox serves, validated as Meta documents them."""

from __future__ import annotations

import base64
import re
from typing import Any

import pycountry

from audiences.meta.sandbox.graph import (
    GraphError,
    Params,
    does_not_exist,
    invalid_parameter,
    json_object_param,
    json_param,
    requested_fields,
    required,
)
from audiences.meta.sandbox.matching import is_sha256_hex
from audiences.meta.sandbox.sessions import Batch
from audiences.meta.sandbox.state import CUSTOM, LOOKALIKE, SandboxState, UploadSpec

MAX_ENTRIES_PER_REQUEST = 10_000
CUSTOMER_FILE_SOURCES = frozenset(
    {"USER_PROVIDED_ONLY", "PARTNER_PROVIDED_ONLY", "BOTH_USER_AND_PARTNER_PROVIDED"}
)
LOOKALIKE_TYPES = frozenset({"similarity", "reach"})
DEFAULT_PAGE_SIZE = 25
SANDBOX_USER_ID = "100000000000001"
"""The system user every valid sandbox token acts as (``GET /me``)."""

_PATH = re.compile(r"^/v\d+\.\d+/(?P<node>[^/]+)(?:/(?P<edge>[^/]+))?/?$")
_ACCOUNT = re.compile(r"^act_(?P<digits>\d+)$")

Answer = dict[str, Any]


class GraphRoutes:
    """Dispatches one Graph request to the platform state."""

    def __init__(self, state: SandboxState) -> None:
        self._state = state

    def handle(self, method: str, path: str, params: Params) -> Answer:
        """The JSON answer to a Graph call, or a :class:`GraphError`."""
        match = _PATH.match(path)
        if match is None:
            raise GraphError(f"Unknown path components: {path}", 2500)
        node, edge = match["node"], match["edge"]
        account = _ACCOUNT.match(node)
        if account is not None:
            return self._account(method, account["digits"], edge, path, params)
        if edge == "users" and method in ("POST", "DELETE"):
            return self._users(node, params, remove=method == "DELETE")
        if edge is None:
            return self._object(method, node, params)
        raise does_not_exist(node, method)

    def _account(
        self, method: str, account_id: str, edge: str | None, path: str, params: Params
    ) -> Answer:
        if edge == "customaudiences" and method == "POST":
            return self._create(account_id, params)
        if edge == "customaudiences" and method == "GET":
            return self._list(account_id, path, params)
        if edge is None and method == "GET":
            return self._state.describe_account(account_id, requested_fields(params))
        raise does_not_exist(f"act_{account_id}", method)

    def _object(self, method: str, node: str, params: Params) -> Answer:
        if method == "GET" and node == "me":  # who the token acts as: one system user
            return {"id": SANDBOX_USER_ID, "name": "audience-export sandbox system user"}
        if method == "GET":
            return self._state.describe(node, requested_fields(params))
        if method == "DELETE":
            self._state.delete(node)
            return {"success": True}
        raise does_not_exist(node, method)

    def _create(self, account_id: str, params: Params) -> Answer:
        subtype = params.get("subtype")
        name = required(params, "name")
        if subtype == CUSTOM:
            source = required(params, "customer_file_source")
            if source not in CUSTOMER_FILE_SOURCES:
                raise invalid_parameter("customer_file_source is not a known value")
            audience = self._state.create_custom(
                account_id,
                name=name,
                description=str(params.get("description") or ""),
                customer_file_source=source,
            )
        elif subtype == LOOKALIKE:
            audience = self._state.create_lookalike(
                account_id,
                name=name,
                origin_id=required(params, "origin_audience_id"),
                spec=_lookalike_spec(params),
            )
        else:
            raise invalid_parameter("subtype must be CUSTOM or LOOKALIKE")
        return {"id": audience.id}

    def _list(self, account_id: str, path: str, params: Params) -> Answer:
        fields = requested_fields(params)
        limit = _positive_int(params.get("limit", DEFAULT_PAGE_SIZE), "limit")
        start = _decode_cursor(params.get("after"))
        audiences = self._state.list_audiences(account_id)
        page = audiences[start : start + limit]
        answer: Answer = {"data": [self._state.describe(audience.id, fields) for audience in page]}
        if page:
            end = start + len(page)
            paging: Answer = {
                "cursors": {"before": _encode_cursor(start), "after": _encode_cursor(end)}
            }
            if end < len(audiences):
                paging["next"] = f"{path}?limit={limit}&after={_encode_cursor(end)}"
            answer["paging"] = paging
        return answer

    def _users(self, audience_id: str, params: Params, *, remove: bool) -> Answer:
        upload = _upload_spec(params)
        invalid = [entry for entry in upload.entries if not is_sha256_hex(entry)]
        self._state.change_users(audience_id, upload, remove=remove)
        return {
            "audience_id": audience_id,
            "session_id": None if upload.batch is None else upload.batch.session_id,
            "num_received": len(upload.entries),
            "num_invalid_entries": len(invalid),
            "invalid_entry_samples": dict.fromkeys(invalid[:10], "Invalid format"),
        }


def _upload_spec(params: Params) -> UploadSpec:
    payload = json_object_param(params, "payload")
    if payload is None:
        raise invalid_parameter("the parameter payload is required")
    entries = _entries(payload.get("schema"), payload.get("data"))
    session = json_object_param(params, "session")
    if session is None:
        return UploadSpec(entries)
    session_id, batch_seq = session.get("session_id"), session.get("batch_seq")
    if not isinstance(session_id, int) or isinstance(session_id, bool) or session_id < 1:
        raise invalid_parameter("session.session_id must be a positive 64-bit integer")
    if not isinstance(batch_seq, int) or isinstance(batch_seq, bool) or batch_seq < 1:
        raise invalid_parameter("session.batch_seq must be an integer starting at 1")
    last = session.get("last_batch_flag", False)
    if not isinstance(last, bool):
        raise invalid_parameter("session.last_batch_flag must be true or false")
    return UploadSpec(entries, Batch(session_id, batch_seq, last))


def _entries(schema: object, data: object) -> list[str]:
    """The identifiers of a payload, flattened from ``["EMAIL"]`` rows if needed."""
    if not isinstance(data, list):
        raise invalid_parameter("payload.data must be a list")
    if len(data) > MAX_ENTRIES_PER_REQUEST:
        raise invalid_parameter(
            f"payload.data holds more than {MAX_ENTRIES_PER_REQUEST} entries; split it into batches"
        )
    if schema == "EMAIL_SHA256":
        rows = data
    elif schema == ["EMAIL"]:
        if not all(isinstance(row, list) and len(row) == 1 for row in data):
            raise invalid_parameter('with schema ["EMAIL"], every data row is a 1-item list')
        rows = [row[0] for row in data]
    else:
        raise invalid_parameter('payload.schema must be "EMAIL_SHA256" or ["EMAIL"]')
    return [row if isinstance(row, str) else "" for row in rows]


def _lookalike_spec(params: Params) -> dict[str, Any]:
    spec = json_param(params, "lookalike_spec")
    if not isinstance(spec, dict):
        raise invalid_parameter("lookalike_spec must be a JSON object")
    country = spec.get("country")
    if (
        not isinstance(country, str)
        or len(country) != 2
        or pycountry.countries.get(alpha_2=country.upper()) is None
    ):
        raise invalid_parameter("lookalike_spec.country must be an ISO 3166-1 alpha-2 code")
    ratio = spec.get("ratio")
    if (
        not isinstance(ratio, int | float)
        or isinstance(ratio, bool)
        or not 0.01 <= ratio <= 0.20 + 1e-9
        or abs(ratio * 100 - round(ratio * 100)) > 1e-6
    ):
        raise invalid_parameter("lookalike_spec.ratio must be 0.01 to 0.20 in steps of 0.01")
    kind = spec.get("type")
    if kind is not None and kind not in LOOKALIKE_TYPES:
        raise invalid_parameter("lookalike_spec.type must be similarity or reach")
    return spec


def _positive_int(value: object, name: str) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise invalid_parameter(f"{name} must be a positive integer") from None
    if number < 1:
        raise invalid_parameter(f"{name} must be a positive integer")
    return number


def _encode_cursor(index: int) -> str:
    return base64.urlsafe_b64encode(str(index).encode()).decode()


def _decode_cursor(cursor: object) -> int:
    if cursor is None:
        return 0
    try:
        return int(base64.urlsafe_b64decode(str(cursor).encode()).decode())
    except ValueError:
        raise invalid_parameter("after is not a valid cursor") from None

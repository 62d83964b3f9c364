"""Introspection and control outside the Graph paths (``/_sandbox/...``).

For tests and the demo only: they read what the platform holds, including
every hash an audience received, and change the platform's behaviour.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

from audiences.meta.sandbox.auth import Credentials
from audiences.meta.sandbox.edge import Edge, EdgeSettings
from audiences.meta.sandbox.faults import Faults
from audiences.meta.sandbox.graph import GraphError, Params, invalid_parameter
from audiences.meta.sandbox.options import SandboxOptions
from audiences.meta.sandbox.state import PlatformRules, SandboxState

_AUDIENCE = re.compile(r"^/_sandbox/audiences/(?P<id>\d+)/(?P<action>[a-z_]+)$")
_TERMS = re.compile(r"^/_sandbox/ad_accounts/(?:act_)?(?P<id>\d+)/terms$")
FAULT_SETTINGS: Mapping[str, type] = {
    "latency_ms": float,
    "fault_rate": float,
    "rate_limit": int,
    "rate_window_seconds": float,
    "html_fault_rate": float,
    "html_fault_200": bool,
    "max_url_bytes": int,
}
"""``POST /_sandbox/faults``: trouble on the way to the platform."""
OPTION_SETTINGS: Mapping[str, type] = {
    "match_delay_seconds": float,
    "lookalike_delay_seconds": float,
    "refuse_seed_delete_with_lookalikes": bool,
    "removal_floor": int,
    "session_timeout_seconds": float,
}
"""``POST /_sandbox/options``: how the platform itself behaves."""
NULLABLE_SETTINGS = frozenset({"rate_limit", "session_timeout_seconds"})
"""``null`` lifts these (no rate limit, sessions never end)."""
_KIND_WORDS = {float: "a number", int: "an integer", bool: "true or false"}
OPERATION_CODES = range(100, 1000)


class ControlRoutes:
    """Dispatches one ``/_sandbox/`` request."""

    def __init__(
        self,
        state: SandboxState,
        credentials: Credentials,
        faults: Faults,
        edge: Edge,
        reset: Callable[[], None],
    ) -> None:
        self._state = state
        self._credentials = credentials
        self._faults = faults
        self._edge = edge
        self._reset = reset

    def handle(self, method: str, path: str, params: Params) -> dict[str, Any]:
        """The JSON answer, or a :class:`GraphError` (404 for an unknown path)."""
        if method == "GET":
            return self._read(path)
        if method == "POST":
            return self._change(path, params)
        raise _unknown(path)

    def _read(self, path: str) -> dict[str, Any]:
        if path == "/_sandbox/state":
            return {"audiences": self._state.snapshot()}
        if path == "/_sandbox/requests":
            return {"requests": [asdict(record) for record in self._faults.requests]}
        if path == "/_sandbox/options":
            return {"options": asdict(self._state.rules) | self._fault_settings()}
        audience = _AUDIENCE.match(path)
        if audience is not None and audience["action"] == "received":
            return {"audience_id": audience["id"]} | self._state.received(audience["id"])
        if audience is not None and audience["action"] == "sessions":
            return {"audience_id": audience["id"], "sessions": self._state.sessions(audience["id"])}
        raise _unknown(path)

    def _change(self, path: str, params: Params) -> dict[str, Any]:
        if path == "/_sandbox/reset":
            self._reset()
        elif path == "/_sandbox/tokens":
            token = params.get("access_token")
            self._credentials.replace_token(token if isinstance(token, str) else None)
        elif path == "/_sandbox/faults":
            self._configure_faults(params)
        elif path == "/_sandbox/options":
            rules = asdict(self._state.rules) | _settings(params, OPTION_SETTINGS)
            self._state.configure(PlatformRules(**_validated(rules)))
        elif (audience := _AUDIENCE.match(path)) is not None:
            self._change_audience(audience["id"], audience["action"], params, path)
        elif (terms := _TERMS.match(path)) is not None:
            accepted = params.get("accepted")
            if not isinstance(accepted, bool):
                raise invalid_parameter("accepted must be true or false")
            self._state.set_terms_accepted(terms["id"], accepted)
        else:
            raise _unknown(path)
        return {"success": True}

    def _change_audience(self, audience_id: str, action: str, params: Params, path: str) -> None:
        if action == "flag":
            self._state.flag(audience_id)
        elif action == "delete":
            # As Ads Manager would: no token needed, the platform's deletion rules apply.
            self._state.delete(audience_id)
        elif action == "operation_status":
            code = params.get("code")
            if not isinstance(code, int) or isinstance(code, bool) or code not in OPERATION_CODES:
                raise invalid_parameter("code must be a three-digit operation status code")
            self._state.set_operation_status(audience_id, code)
        else:
            raise _unknown(path)

    def _fault_settings(self) -> dict[str, Any]:
        faults = self._faults
        return {
            "latency_ms": faults.latency_ms,
            "fault_rate": faults.fault_rate,
            "rate_limit": faults.rate_limit,
            "rate_window_seconds": faults.rate_window_seconds,
        } | asdict(self._edge.settings)

    def _configure_faults(self, params: Params) -> None:
        merged = _validated(self._fault_settings() | _settings(params, FAULT_SETTINGS))
        self._faults.configure(
            latency_ms=merged["latency_ms"],
            fault_rate=merged["fault_rate"],
            rate_limit=merged["rate_limit"],
            rate_window_seconds=merged["rate_window_seconds"],
        )
        self._edge.configure(
            EdgeSettings(
                html_fault_rate=merged["html_fault_rate"],
                html_fault_200=merged["html_fault_200"],
                max_url_bytes=merged["max_url_bytes"],
            )
        )


def _settings(params: Params, kinds: Mapping[str, type]) -> dict[str, Any]:
    """The given settings, each of its kind (``null`` only where it lifts a limit)."""
    unknown = sorted(set(params) - set(kinds))
    if unknown:
        raise invalid_parameter(f"unknown setting {unknown[0]}; known: {', '.join(kinds)}")
    for name, value in params.items():
        if value is None and name in NULLABLE_SETTINGS:
            continue
        if not _is_kind(value, kinds[name]):
            raise invalid_parameter(f"{name} must be {_KIND_WORDS[kinds[name]]}")
    return dict(params)


def _is_kind(value: object, kind: type) -> bool:
    if kind is bool or isinstance(value, bool):
        return kind is bool and isinstance(value, bool)
    if kind is int:
        return isinstance(value, int)
    return isinstance(value, int | float)


def _validated(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` if :class:`SandboxOptions` accepts them together, else code 100."""
    try:
        SandboxOptions(**values)
    except ValueError as error:
        raise invalid_parameter(str(error)) from None
    return values


def _unknown(path: str) -> GraphError:
    return GraphError(f"no sandbox endpoint at {path}", 404, http_status=404, type="SandboxError")

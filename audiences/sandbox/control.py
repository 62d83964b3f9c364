"""Introspection and control outside the Graph paths (``/_sandbox/...``).

For tests and the demo only: they read what the platform holds, including
every hash an audience received, and change the platform's behaviour.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from audiences.sandbox.auth import Credentials
from audiences.sandbox.faults import Faults
from audiences.sandbox.graph import GraphError, Params, invalid_parameter
from audiences.sandbox.state import SandboxState

_RECEIVED = re.compile(r"^/_sandbox/audiences/(?P<id>\d+)/received$")
_FLAG = re.compile(r"^/_sandbox/audiences/(?P<id>\d+)/flag$")
_TERMS = re.compile(r"^/_sandbox/ad_accounts/(?:act_)?(?P<id>\d+)/terms$")


class ControlRoutes:
    """Dispatches one ``/_sandbox/`` request."""

    def __init__(
        self,
        state: SandboxState,
        credentials: Credentials,
        faults: Faults,
        reset: Callable[[], None],
    ) -> None:
        self._state = state
        self._credentials = credentials
        self._faults = faults
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
        received = _RECEIVED.match(path)
        if received is not None:
            return {"audience_id": received["id"]} | self._state.received(received["id"])
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
            delays = _numbers(params, ("match_delay_seconds", "lookalike_delay_seconds"))
            self._state.set_delays(
                match_seconds=delays["match_delay_seconds"],
                lookalike_seconds=delays["lookalike_delay_seconds"],
            )
        elif (flag := _FLAG.match(path)) is not None:
            self._state.flag(flag["id"])
        elif (terms := _TERMS.match(path)) is not None:
            accepted = params.get("accepted")
            if not isinstance(accepted, bool):
                raise invalid_parameter("accepted must be true or false")
            self._state.set_terms_accepted(terms["id"], accepted)
        else:
            raise _unknown(path)
        return {"success": True}

    def _configure_faults(self, params: Params) -> None:
        numbers = _numbers(
            params, ("latency_ms", "fault_rate", "rate_limit", "rate_window_seconds")
        )
        rate_limit = numbers["rate_limit"]
        self._faults.configure(
            latency_ms=numbers["latency_ms"],
            fault_rate=numbers["fault_rate"],
            rate_limit=None if rate_limit is None else int(rate_limit),
            rate_window_seconds=numbers["rate_window_seconds"],
            clear_rate_limit="rate_limit" in params and rate_limit is None,
        )


def _numbers(params: Params, names: tuple[str, ...]) -> dict[str, float | None]:
    """The named parameters, each a number or absent (``None``); nothing else is accepted."""
    unknown = sorted(set(params) - set(names))
    if unknown:
        raise invalid_parameter(f"unknown setting {unknown[0]}; known: {', '.join(names)}")
    numbers: dict[str, float | None] = {}
    for name in names:
        value = params.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise invalid_parameter(f"{name} must be a number")
        numbers[name] = value
    return numbers


def _unknown(path: str) -> GraphError:
    return GraphError(f"no sandbox endpoint at {path}", 404, http_status=404, type="SandboxError")

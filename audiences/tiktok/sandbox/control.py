"""Introspection and control outside the API paths (``/_sandbox/...``).

For tests and the demo only: they read what the platform holds, including
every hash it was sent, and change the platform's behaviour.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from typing import Any

from audiences.tiktok.sandbox.auth import AccessTokens
from audiences.tiktok.sandbox.envelope import NOT_EXIST, PARAMETER_ERROR, TikTokError
from audiences.tiktok.sandbox.faults import Faults, FaultSettings
from audiences.tiktok.sandbox.options import TikTokSandboxOptions, settings_of
from audiences.tiktok.sandbox.state import PlatformRules, TikTokState

_AUDIENCE = re.compile(r"^/_sandbox/audiences/(?P<id>\d+)/(?P<action>[a-z_]+)$")
_WHOLE: tuple[type, ...] = (int,)
_NUMBER: tuple[type, ...] = (int, float)
FAULT_SETTINGS: Mapping[str, tuple[type, ...]] = {
    "latency_ms": _NUMBER,
    "fault_rate": _NUMBER,
    "html_fault_rate": _NUMBER,
    "lost_answer_rate": _NUMBER,
    "rate_limit": _WHOLE,
    "rate_window_seconds": _NUMBER,
}
"""``POST /_sandbox/faults``: trouble on the way to the platform (``rate_limit: null`` lifts it)."""
OPTION_SETTINGS: Mapping[str, tuple[type, ...]] = {
    "match_delay_seconds": _NUMBER,
    "lookalike_delay_seconds": _NUMBER,
    "min_update_size": _WHOLE,
    "max_file_lines": _WHOLE,
}
"""``POST /_sandbox/options``: how the platform itself behaves."""


class ControlRoutes:
    """Dispatches one ``/_sandbox/`` request; errors carry HTTP 400 or 404."""

    def __init__(
        self,
        options: TikTokSandboxOptions,
        state: TikTokState,
        tokens: AccessTokens,
        faults: Faults,
        reset: Callable[[], None],
    ) -> None:
        self._options = options
        self._state = state
        self._tokens = tokens
        self._faults = faults
        self._reset = reset

    def handle(self, method: str, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """The JSON answer, or a :class:`TikTokError`."""
        try:
            if method == "GET":
                return self._read(path)
            if method == "POST":
                self._change(path, body)
                return {"success": True}
        except TikTokError as error:
            if error.code == NOT_EXIST:
                raise TikTokError(error.code, error.message, 404) from None
            raise
        raise _unknown(path)

    def _read(self, path: str) -> dict[str, Any]:
        if path == "/_sandbox/state":
            return {"audiences": self._state.snapshot()}
        if path == "/_sandbox/uploads":
            return self._state.uploads()
        if path == "/_sandbox/requests":
            return {"requests": [dataclasses.asdict(record) for record in self._faults.requests]}
        if path == "/_sandbox/options":
            return {"options": self._settings()}
        audience = _AUDIENCE.match(path)
        if audience is not None and audience["action"] == "received":
            return {"audience_id": audience["id"]} | self._state.received(audience["id"])
        raise _unknown(path)

    def _change(self, path: str, body: Mapping[str, Any]) -> None:
        if path == "/_sandbox/reset":
            self._reset()
        elif path == "/_sandbox/tokens":
            token = body.get("access_token")
            if token is not None and not isinstance(token, str):
                raise _bad("access_token must be a string or null")
            self._tokens.replace(token)
        elif path == "/_sandbox/faults":
            self._faults.configure(settings_of(FaultSettings, self._merged(body, FAULT_SETTINGS)))
        elif path == "/_sandbox/options":
            self._state.configure(settings_of(PlatformRules, self._merged(body, OPTION_SETTINGS)))
        elif (audience := _AUDIENCE.match(path)) is not None:
            self._change_audience(audience["id"], audience["action"], body, path)
        else:
            raise _unknown(path)

    def _change_audience(
        self, audience_id: str, action: str, body: Mapping[str, Any], path: str
    ) -> None:
        if action == "delete":  # as the Ads Manager UI would: no token, the platform's rules
            self._state.delete([audience_id])
        elif action == "fail":
            error_msg = body.get("error_msg")
            if not isinstance(error_msg, str) or not error_msg:
                raise _bad("error_msg must be a non-empty string")
            self._state.fail(audience_id, error_msg)
        else:
            raise _unknown(path)

    def _settings(self) -> dict[str, Any]:
        """The rules and the trouble in force now."""
        return dataclasses.asdict(self._state.rules) | dataclasses.asdict(self._faults.settings)

    def _merged(
        self, body: Mapping[str, Any], kinds: Mapping[str, tuple[type, ...]]
    ) -> TikTokSandboxOptions:
        """The options with the settings in force and ``body``'s changes, if they go together."""
        for name, value in body.items():
            if name not in kinds:
                raise _bad(f"unknown setting {name}; known: {', '.join(kinds)}")
            lifts = value is None and name == "rate_limit"
            if not lifts and (isinstance(value, bool) or not isinstance(value, kinds[name])):
                raise _bad(
                    f"{name} must be a number" + (" (whole)" if kinds[name] == _WHOLE else "")
                )
        try:
            return dataclasses.replace(self._options, **(self._settings() | dict(body)))
        except ValueError as error:
            raise _bad(str(error)) from None


def _bad(detail: str) -> TikTokError:
    return TikTokError(PARAMETER_ERROR, f"Bad sandbox setting: {detail}", 400)


def _unknown(path: str) -> TikTokError:
    return TikTokError(PARAMETER_ERROR, f"No sandbox endpoint at {path}.", 404)

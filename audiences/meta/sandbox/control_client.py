"""A small client for the sandbox's ``/_sandbox/`` endpoints (tests and the demo)."""

from __future__ import annotations

from typing import Any

import requests

TIMEOUT_SECONDS = 10


class SandboxControl:
    """Reads and steers a running sandbox at ``url`` (its base URL, without version)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def _get(self, path: str) -> Any:
        response = requests.get(f"{self.url}/_sandbox/{path}", timeout=TIMEOUT_SECONDS)
        response.raise_for_status()
        return response.json()

    def _post(self, path: str, body: dict[str, Any] | None = None) -> None:
        response = requests.post(
            f"{self.url}/_sandbox/{path}", json=body or {}, timeout=TIMEOUT_SECONDS
        )
        response.raise_for_status()

    def state(self) -> list[dict[str, Any]]:
        """Every audience: subtype, state, counts, deleted flag, timestamps."""
        audiences: list[dict[str, Any]] = self._get("state")["audiences"]
        return audiences

    def audience(self, audience_id: str) -> dict[str, Any]:
        """One audience of :meth:`state`."""
        return next(found for found in self.state() if found["id"] == audience_id)

    def received(self, audience_id: str) -> dict[str, list[str]]:
        """Every hash the audience was sent: ``{"added": [...], "removed": [...]}``."""
        answer = self._get(f"audiences/{audience_id}/received")
        return {"added": answer["added"], "removed": answer["removed"]}

    def requests(self) -> list[dict[str, Any]]:
        """Every Graph request: ``arrived_at``, ``method``, ``path``, raw ``query``,
        ``has_body``, ``method_override``, ``authorization_scheme``, ``status``, ``code``."""
        records: list[dict[str, Any]] = self._get("requests")["requests"]
        return records

    def reset(self) -> None:
        """Forget everything; back to the options the sandbox started with."""
        self._post("reset")

    def replace_token(self, new_token: str | None) -> None:
        """Expire the valid token (then code 190/463); ``new_token`` becomes valid."""
        self._post("tokens", {"access_token": new_token})

    def flag(self, audience_id: str) -> None:
        """Flag an audience (operation status 471; uploads then fail with 100/1713230)."""
        self._post(f"audiences/{audience_id}/flag")

    def set_terms_accepted(self, ad_account: str, accepted: bool) -> None:
        """Accept or withdraw the ad account's custom audience terms (200/1870034)."""
        self._post(f"ad_accounts/{ad_account}/terms", {"accepted": accepted})

    def set_faults(self, **changes: float | bool | None) -> None:
        """Change ``latency_ms``, ``fault_rate``, ``rate_limit`` (None lifts it),
        ``rate_window_seconds``, ``html_fault_rate``, ``html_fault_200`` or
        ``max_url_bytes`` while the sandbox runs (reset restores the starting values)."""
        self._post("faults", dict(changes))

    def set_options(self, **changes: float | bool | None) -> None:
        """Change the platform's rules while it runs: ``refuse_seed_delete_with_lookalikes``,
        ``removal_floor``, ``session_timeout_seconds`` (None: sessions never end) and the
        delays of :meth:`set_delays` (reset restores the starting values)."""
        self._post("options", dict(changes))

    def options(self) -> dict[str, Any]:
        """The rules and faults in force now (what the switches and ``set_*`` calls set)."""
        options: dict[str, Any] = self._get("options")["options"]
        return options

    def delete_audience(self, audience_id: str) -> None:
        """Delete an audience as Ads Manager would (no token; error 2656 still applies)."""
        self._post(f"audiences/{audience_id}/delete")

    def set_operation_status(self, audience_id: str, code: int) -> None:
        """Make the audience report this ``operation_status`` code (471 also flags it)."""
        self._post(f"audiences/{audience_id}/operation_status", {"code": code})

    def sessions(self, audience_id: str) -> list[dict[str, Any]]:
        """The upload sessions of an audience: ``session_id``, ``batch_seqs``,
        ``last_batch_flag``, ``ended``, ``started_at``."""
        sessions: list[dict[str, Any]] = self._get(f"audiences/{audience_id}/sessions")["sessions"]
        return sessions

    def set_delays(
        self,
        *,
        match_delay_seconds: float | None = None,
        lookalike_delay_seconds: float | None = None,
    ) -> None:
        """Change how long matching and lookalikes take while the sandbox runs (reset restores
        the starting delays); audiences already created follow the new delays."""
        changes = {
            "match_delay_seconds": match_delay_seconds,
            "lookalike_delay_seconds": lookalike_delay_seconds,
        }
        self._post("options", {name: value for name, value in changes.items() if value is not None})

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
        """Every Graph request: ``arrived_at``, ``method``, ``path``, ``status``."""
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

    def set_faults(self, **changes: float | None) -> None:
        """Change ``latency_ms``, ``fault_rate``, ``rate_limit`` (None lifts it) or
        ``rate_window_seconds`` while the sandbox runs."""
        self._post("faults", dict(changes))

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

"""A small client for the TikTok sandbox's ``/_sandbox/`` endpoints (tests and the demo).

Method names and return shapes follow the Graph sandbox's control client
where both sandboxes offer the same thing.
"""

from __future__ import annotations

from typing import Any

import requests

TIMEOUT_SECONDS = 10


class TikTokSandboxControl:
    """Reads and steers a running TikTok sandbox at ``url`` (its base URL)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def _call(self, method: str, route: str, body: dict[str, Any] | None = None) -> Any:
        """One control request; a refused one raises ``requests.HTTPError``."""
        answer = requests.request(
            method,
            f"{self.url}/_sandbox/{route}",
            json=body if method == "POST" else None,
            timeout=TIMEOUT_SECONDS,
        )
        answer.raise_for_status()
        return answer.json()

    # What the platform holds.

    def state(self) -> list[dict[str, Any]]:
        """Every audience, deleted ones too: ``id``, ``name``, ``subtype``, ``deleted``,
        ``is_valid``, ``cover_num``, ``error_msg``, ``members``, ``source_audience_id``,
        ``audience_size``, ``location_ids``, ``created_at``, ``deleted_at``."""
        audiences: list[dict[str, Any]] = self._call("GET", "state")["audiences"]
        return audiences

    def audience(self, audience_id: str) -> dict[str, Any]:
        """The :meth:`state` entry of one audience."""
        return next(entry for entry in self.state() if entry["id"] == audience_id)

    def received(self, audience_id: str) -> dict[str, list[str]]:
        """Every hash attached to (``added``) or removed from (``removed``) the audience."""
        wiretap = self._call("GET", f"audiences/{audience_id}/received")
        return {"added": wiretap["added"], "removed": wiretap["removed"]}

    def uploads(self) -> dict[str, Any]:
        """``files`` (``file_path``, ``lines``, ``attached_to``) and ``hashes``: every line
        of every file uploaded, refused files included."""
        uploads: dict[str, Any] = self._call("GET", "uploads")
        return uploads

    def requests(self) -> list[dict[str, Any]]:
        """Every API request: ``arrived_at``, ``method``, ``path``, ``status``, ``code``,
        ``access_token_header``, ``advertiser_id_in``."""
        records: list[dict[str, Any]] = self._call("GET", "requests")["requests"]
        return records

    def options(self) -> dict[str, Any]:
        """The rules and faults in force now (what the ``set_*`` calls set)."""
        options: dict[str, Any] = self._call("GET", "options")["options"]
        return options

    # Steering.

    def reset(self) -> None:
        """Forget everything; back to the options the sandbox started with."""
        self._call("POST", "reset")

    def set_faults(self, **changes: float | None) -> None:
        """Change ``latency_ms``, ``fault_rate``, ``html_fault_rate``, ``lost_answer_rate``,
        ``rate_limit`` (None lifts it) or ``rate_window_seconds`` while the sandbox runs
        (reset restores them)."""
        self._call("POST", "faults", dict(changes))

    def set_options(self, **changes: float) -> None:
        """Change ``match_delay_seconds``, ``lookalike_delay_seconds``, ``min_update_size``
        or ``max_file_lines`` while the sandbox runs (reset restores them)."""
        self._call("POST", "options", dict(changes))

    def set_delays(
        self,
        *,
        match_delay_seconds: float | None = None,
        lookalike_delay_seconds: float | None = None,
    ) -> None:
        """Change how long matching and lookalikes take; existing audiences follow."""
        given = {
            "match_delay_seconds": match_delay_seconds,
            "lookalike_delay_seconds": lookalike_delay_seconds,
        }
        self.set_options(**{name: value for name, value in given.items() if value is not None})

    def replace_token(self, new_token: str | None) -> None:
        """Expire the valid token (then code 40102); ``new_token`` becomes valid."""
        self._call("POST", "tokens", {"access_token": new_token})

    def delete_audience(self, audience_id: str) -> None:
        """Delete an audience as the Ads Manager UI would (no token needed)."""
        self._call("POST", f"audiences/{audience_id}/delete")

    def fail_audience(self, audience_id: str, error_msg: str) -> None:
        """Make TikTok fail to build the audience: ``is_valid`` false with ``error_msg``."""
        self._call("POST", f"audiences/{audience_id}/fail", {"error_msg": error_msg})

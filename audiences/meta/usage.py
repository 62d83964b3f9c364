"""Meta's rate-limit headers, read into the one wait a throttled call must respect.

Three headers can come with a throttled answer (``RULES.md``, "Rate limits"):

- ``X-Business-Use-Case-Usage``: per business object, a list of entries whose
  ``estimated_time_to_regain_access`` is in minutes (0: unknown);
- ``X-Ad-Account-Usage``: ``acc_id_util_pct``, ``reset_time_duration``
  (seconds until the ad account's score is back to 0) and ``ads_api_access_tier``;
- ``X-App-Usage``: ``call_count``, ``total_time``, ``total_cputime`` in percent
  of the app's hourly allowance — it announces no time.

Only a positive announced time is a wait; zero or nothing falls back to the
normal exponential backoff, so a "0 minutes" header never means "retry now".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

BUSINESS_USE_CASE_HEADER = "X-Business-Use-Case-Usage"
AD_ACCOUNT_HEADER = "X-Ad-Account-Usage"
APP_HEADER = "X-App-Usage"
SECONDS_PER_MINUTE = 60


@dataclass(frozen=True)
class Usage:
    """What the headers of one answer say; every field ``None`` when not announced."""

    regain_access_seconds: float | None
    """The longest positive wait announced by the business-use-case or ad-account header."""
    ad_account_util_pct: float | None
    access_tier: str | None
    app_usage_pct: float | None
    """The highest of the app's call count, total time and CPU time percentages."""


def read_usage(headers: Mapping[str, str] | None) -> Usage:
    """The three headers of an answer; malformed headers count as absent."""
    found = headers or {}
    business = _json(found.get(BUSINESS_USE_CASE_HEADER))
    account = _json(found.get(AD_ACCOUNT_HEADER))
    app = _json(found.get(APP_HEADER))
    waits = [minutes * SECONDS_PER_MINUTE for minutes in _business_minutes(business)]
    reset = _number(account.get("reset_time_duration"))
    if reset is not None:
        waits.append(reset)
    positive = [wait for wait in waits if wait > 0]
    tier = account.get("ads_api_access_tier")
    app_numbers = [_number(app.get(name)) for name in ("call_count", "total_time", "total_cputime")]
    app_known = [number for number in app_numbers if number is not None]
    return Usage(
        regain_access_seconds=max(positive) if positive else None,
        ad_account_util_pct=_number(account.get("acc_id_util_pct")),
        access_tier=tier if isinstance(tier, str) else None,
        app_usage_pct=max(app_known) if app_known else None,
    )


def regain_access_seconds(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait before the next call, or ``None`` for the normal backoff."""
    return read_usage(headers).regain_access_seconds


def _business_minutes(usage: dict[str, Any]) -> list[float]:
    minutes = []
    for entries in usage.values():
        for entry in entries if isinstance(entries, list) else []:
            wait = (
                _number(entry.get("estimated_time_to_regain_access"))
                if isinstance(entry, dict)
                else None
            )
            if wait is not None:
                minutes.append(wait)
    return minutes


def _json(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        decoded = json.loads(raw)
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)

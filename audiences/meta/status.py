"""Meta's ``operation_status`` and ``delivery_status`` codes, read into the destination's states.

The tables are in ``RULES.md`` ("Status codes") with their sources. A code
outside them keeps the audience waiting, with ``unknown_code`` set so that the
pipeline shows it and logs it once instead of blaming the seed's age later.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from audiences.destination import (
    DeliveryStatus,
    LookalikeState,
    LookalikeStatus,
    MatchState,
    MatchStatus,
)

S = TypeVar("S", MatchState, LookalikeState)

READY = 200
FLAGGED = 471
NOT_AVAILABLE = 0
"""No ``operation_status`` in the answer (yet)."""
SEED_PROCESSING = 300
"""The sandbox's code while a seed is matched; Meta documents none (sandbox assumption)."""
SEED_FAILED = frozenset({410, 411, 412})
LOOKALIKE_POPULATING = 441
LOOKALIKE_FAILED = frozenset(range(431, 435))


def _state_table(
    states: type[S], waiting: S, waiting_codes: frozenset[int], failed_codes: frozenset[int]
) -> dict[int, S]:
    """Every code the client knows for one kind of audience, and the state it means."""
    return (
        {READY: states("ready"), FLAGGED: states("flagged")}
        | dict.fromkeys(waiting_codes | {NOT_AVAILABLE}, waiting)
        | dict.fromkeys(failed_codes, states("failed"))
    )


SEED_STATES = _state_table(
    MatchState, MatchState.PROCESSING, frozenset({SEED_PROCESSING}), SEED_FAILED
)
"""Every seed code the client knows; any other is still processing, and unknown."""
LOOKALIKE_STATES = _state_table(
    LookalikeState, LookalikeState.POPULATING, frozenset({LOOKALIKE_POPULATING}), LOOKALIKE_FAILED
)
"""Every lookalike code the client knows; any other is still populating, and unknown."""
DELIVERY_ACTIVE = 200
"""``delivery_status.code`` of an audience ready for delivery; 300 is too small / inactive."""

STATUS_FIELDS = (
    "approximate_count_lower_bound",
    "approximate_count_upper_bound",
    "operation_status",
    "delivery_status",
)
"""What the client reads for a seed or a lookalike."""


def match_status(data: Mapping[str, Any]) -> MatchStatus:
    """A seed's status from ``GET /{audience_id}?fields=STATUS_FIELDS``."""
    code, description = _operation_status(data)
    return MatchStatus(
        SEED_STATES.get(code, MatchState.PROCESSING),
        *_bounds(data),
        str(code),
        description,
        delivery=_delivery_status(data),
        unknown_code=code not in SEED_STATES,
    )


def lookalike_status(data: Mapping[str, Any]) -> LookalikeStatus:
    """A lookalike's status from ``GET /{audience_id}?fields=STATUS_FIELDS``."""
    code, description = _operation_status(data)
    return LookalikeStatus(
        LOOKALIKE_STATES.get(code, LookalikeState.POPULATING),
        *_bounds(data),
        str(code),
        description,
        delivery=_delivery_status(data),
        unknown_code=code not in LOOKALIKE_STATES,
    )


def _operation_status(data: Mapping[str, Any]) -> tuple[int, str]:
    status = data.get("operation_status") or {}
    return int(status.get("code", NOT_AVAILABLE)), str(status.get("description", ""))


def _delivery_status(data: Mapping[str, Any]) -> DeliveryStatus | None:
    status = data.get("delivery_status")
    if not status:
        return None
    code = int(status["code"])
    return DeliveryStatus(code == DELIVERY_ACTIVE, code, str(status.get("description", "")))


def _bounds(data: Mapping[str, Any]) -> tuple[int | None, int | None]:
    def known(name: str) -> int | None:
        value = data.get(name)
        return None if value is None or int(value) < 0 else int(value)

    return known("approximate_count_lower_bound"), known("approximate_count_upper_bound")

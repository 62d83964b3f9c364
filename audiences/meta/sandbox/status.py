"""What an audience reports in ``operation_status`` and ``delivery_status``.

Codes and their meanings are listed with their sources in
``audiences/meta/RULES.md``; the descriptions are the sandbox's own words.
"""

from __future__ import annotations

from typing import Any

NORMAL = 200
SEED_PROCESSING = 300
"""Sandbox assumption: what a seed reports while Meta is still matching it."""
LOOKALIKE_POPULATING = 441
FLAGGED = 471
DELIVERY_READY = 200
DELIVERY_TOO_SMALL = 300
"""Meta: too small to deliver, or not active."""
MIN_DELIVERABLE = 100
"""Sandbox assumption: an audience of fewer people cannot deliver ads."""

OPERATION_DESCRIPTIONS = {
    NORMAL: "Normal",
    SEED_PROCESSING: "Processing: the audience is being updated",
    410: "Upload problem: no valid entries were received for this audience",
    411: "Match problem: too few of the uploaded entries could be matched",
    412: "Upload problem: the uploaded file could not be processed",
    431: "Lookalike build failed: the source audience is too small",
    432: "Lookalike build failed: the source audience is no longer available",
    433: "Lookalike build failed: the source audience has no people in this country",
    434: "Lookalike build failed: please try again later",
    LOOKALIKE_POPULATING: "This lookalike audience is being populated",
    FLAGGED: (
        "The custom audience or lookalike is blocked because it suggests the use of "
        "information (e.g., health, financial) not allowed under Meta's terms."
    ),
}


def operation_status(
    *, lookalike: bool, done: bool, flagged: bool, forced: int | None
) -> dict[str, Any]:
    """Flagged first, then a code set through the control API, else ready or still working."""
    if flagged:
        code = FLAGGED
    elif forced is not None:
        code = forced
    elif done:
        code = NORMAL
    else:
        code = LOOKALIKE_POPULATING if lookalike else SEED_PROCESSING
    description = OPERATION_DESCRIPTIONS.get(code, "Status set through the sandbox control API")
    return {"code": code, "description": description}


def delivery_status(operation_code: int, size: int) -> dict[str, Any]:
    """200 when the audience is normal and big enough to deliver, else 300 (Meta's meaning)."""
    if operation_code != NORMAL:
        return {
            "code": DELIVERY_TOO_SMALL,
            "description": "This audience is not active: it is not ready for delivery.",
        }
    if size < MIN_DELIVERABLE:
        return {
            "code": DELIVERY_TOO_SMALL,
            "description": "This audience is too small to deliver ads.",
        }
    return {"code": DELIVERY_READY, "description": "This audience is ready for use."}

"""How a test export reaches each state of the machine, with the details each event needs."""

from __future__ import annotations

from datetime import timedelta
from typing import TypedDict

from audiences.destination import LookalikeSize
from audiences.ledger import AudienceState, ExportRecord, ExportRequest, Ledger

S = AudienceState


def request_for(*, dry_run: bool = False) -> ExportRequest:
    return ExportRequest(
        destination="meta",
        ad_account="1000000000000001",
        country="FR",
        size=LookalikeSize(ratio=0.02),
        dry_run=dry_run,
        max_seed_age=timedelta(hours=48),
    )


HAPPY_PATH = [
    S.CREATED,
    S.UPLOADING,
    S.UPLOADED,
    S.MATCHED,
    S.LOOKALIKE_REQUESTED,
    S.LOOKALIKE_READY,
    S.SEED_DELETE_REQUESTED,
    S.SEED_DELETION_VERIFIED,
]

PATHS: dict[AudienceState, list[AudienceState]] = {
    S.PLANNED: [],
    **{state: HAPPY_PATH[: index + 1] for index, state in enumerate(HAPPY_PATH)},
    S.SEED_DELETE_PENDING: [S.CREATED, S.SEED_DELETE_PENDING],
    S.FAILED: [S.FAILED],
    S.DRY_RUN: [S.DRY_RUN],
    S.SEED_EMPTIED: [*HAPPY_PATH[:-1], S.SEED_EMPTIED],
    S.SEED_DELETION_REFUSED: [*HAPPY_PATH[:-1], S.SEED_DELETION_REFUSED],
}
"""How a fresh export reaches each state."""


class Details(TypedDict, total=False):
    seed_audience_id: str
    lookalike_audience_id: str
    reason: str
    platform_answer: str


def details(state: AudienceState) -> Details:
    """The details an event entering ``state`` must carry."""
    required: dict[AudienceState, Details] = {
        S.CREATED: {"seed_audience_id": "23850000000000001"},
        S.LOOKALIKE_REQUESTED: {"lookalike_audience_id": "23850000000000002"},
        S.SEED_DELETE_PENDING: {"reason": "upload failed: rate limited (code 17)"},
        S.FAILED: {"reason": "ad account not reachable"},
        S.SEED_DELETION_VERIFIED: {"platform_answer": "code 100, subcode 33: does not exist"},
        S.SEED_EMPTIED: {
            "reason": "deletion refused (code 2656)",
            "platform_answer": "removed 300 uploaded members",
        },
        S.SEED_DELETION_REFUSED: {"reason": "deletion refused (2656), removal refused (1870047)"},
    }
    return required.get(state, {})


def export_in(ledger: Ledger, state: AudienceState, *, dry_run: bool = False) -> ExportRecord:
    """A new export moved along its path to ``state``."""
    record = ledger.plan_export(request_for(dry_run=dry_run))
    for step in PATHS[state]:
        record = ledger.record(record.export_id, step, **details(step))
    assert record.state is state
    return record

"""The states of an export and the transitions the ledger allows between them.

The table below is the whole state machine; :class:`~audiences.ledger.store.Ledger`
refuses any event that is not in it.

::

    PLANNED → CREATED → UPLOADING → UPLOADED → MATCHED → LOOKALIKE_REQUESTED
            → LOOKALIKE_READY → SEED_DELETE_REQUESTED → SEED_DELETION_VERIFIED
    UPLOADING → UPLOADING                 one event per batch sent (progress counts)
    PLANNED → FAILED                      nothing was created on the platform
    PLANNED → DRY_RUN                     a dry run: counts only
    any non-terminal → SEED_DELETE_PENDING  the seed must still be deleted (reason)
    UPLOADED | MATCHED | LOOKALIKE_REQUESTED | LOOKALIKE_READY | SEED_DELETE_PENDING
            → SEED_DELETE_REQUESTED
    SEED_DELETE_PENDING → SEED_DELETE_PENDING   another failed attempt, new reason
    SEED_DELETE_REQUESTED → SEED_DELETE_PENDING deletion not yet verified
    SEED_DELETE_PENDING → SEED_DELETION_VERIFIED  e.g. the seed was already gone
    SEED_DELETE_PENDING → FAILED          only when no seed was ever created
    SEED_DELETE_REQUESTED → SEED_EMPTIED  the platform refused the deletion (the seed has
                                          lookalikes); every uploaded member was removed
    SEED_DELETE_REQUESTED → SEED_DELETION_REFUSED  deletion and emptying both refused
    SEED_EMPTIED | SEED_DELETION_REFUSED → SEED_DELETE_REQUESTED  deletion retried
    FAILED → SEED_DELETE_PENDING          a seed turned up after all: an export given up
                                          as crashed created it before it noticed
"""

from __future__ import annotations

import itertools
from enum import StrEnum


class AudienceState(StrEnum):
    """Where one export stands; stored by value in ``export_events.state``."""

    PLANNED = "planned"
    CREATED = "created"
    UPLOADING = "uploading"
    UPLOADED = "uploaded"
    MATCHED = "matched"
    LOOKALIKE_REQUESTED = "lookalike_requested"
    LOOKALIKE_READY = "lookalike_ready"
    SEED_DELETE_PENDING = "seed_delete_pending"
    SEED_DELETE_REQUESTED = "seed_delete_requested"
    SEED_DELETION_VERIFIED = "seed_deletion_verified"
    SEED_EMPTIED = "seed_emptied"
    """Deletion refused; the seed holds none of the uploaded members any more."""
    SEED_DELETION_REFUSED = "seed_deletion_refused"
    """Deletion and emptying refused: the operator must act in the platform's UI."""
    FAILED = "failed"
    DRY_RUN = "dry_run"


S = AudienceState

TERMINAL_STATES = frozenset({S.SEED_DELETION_VERIFIED, S.FAILED, S.DRY_RUN})

_HAPPY_PATH = (
    S.PLANNED,
    S.CREATED,
    S.UPLOADING,
    S.UPLOADED,
    S.MATCHED,
    S.LOOKALIKE_REQUESTED,
    S.LOOKALIKE_READY,
    S.SEED_DELETE_REQUESTED,
    S.SEED_DELETION_VERIFIED,
)

_EXTRA: dict[AudienceState, frozenset[AudienceState]] = {
    S.PLANNED: frozenset({S.FAILED, S.DRY_RUN}),
    S.UPLOADING: frozenset({S.UPLOADING}),
    S.UPLOADED: frozenset({S.SEED_DELETE_REQUESTED}),
    S.MATCHED: frozenset({S.SEED_DELETE_REQUESTED}),
    S.LOOKALIKE_REQUESTED: frozenset({S.SEED_DELETE_REQUESTED}),
    S.SEED_DELETE_PENDING: frozenset({S.SEED_DELETE_REQUESTED, S.SEED_DELETION_VERIFIED, S.FAILED}),
    S.SEED_DELETE_REQUESTED: frozenset({S.SEED_EMPTIED, S.SEED_DELETION_REFUSED}),
    S.SEED_EMPTIED: frozenset({S.SEED_DELETE_REQUESTED}),
    S.SEED_DELETION_REFUSED: frozenset({S.SEED_DELETE_REQUESTED}),
    # Privacy wins over finality: a seed that exists must be deleted and verified.
    S.FAILED: frozenset({S.SEED_DELETE_PENDING}),
}


def _transitions() -> dict[AudienceState, frozenset[AudienceState]]:
    table: dict[AudienceState, set[AudienceState]] = {state: set() for state in AudienceState}
    for before, after in itertools.pairwise(_HAPPY_PATH):
        table[before].add(after)
    for before, afters in _EXTRA.items():
        table[before] |= afters
    for state in AudienceState:
        if state not in TERMINAL_STATES:
            table[state].add(S.SEED_DELETE_PENDING)
    return {state: frozenset(afters) for state, afters in table.items()}


TRANSITIONS: dict[AudienceState, frozenset[AudienceState]] = _transitions()
"""Every state → the states an export may move to from it."""

REQUIRED_DETAILS: dict[AudienceState, tuple[str, ...]] = {
    S.CREATED: ("seed_audience_id",),
    S.LOOKALIKE_REQUESTED: ("lookalike_audience_id",),
    S.SEED_DELETE_PENDING: ("reason",),
    S.SEED_DELETION_VERIFIED: ("platform_answer",),
    S.SEED_EMPTIED: ("reason", "platform_answer"),
    S.SEED_DELETION_REFUSED: ("reason",),
    S.FAILED: ("reason",),
}
"""What an event entering a state must carry, so the audit trail is never mute."""


def is_allowed(before: AudienceState, after: AudienceState) -> bool:
    """Whether an export in ``before`` may move to ``after``."""
    return after in TRANSITIONS[before]

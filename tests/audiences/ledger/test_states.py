"""The transition table is exactly the lead's state machine."""

from __future__ import annotations

from audiences.ledger import TERMINAL_STATES, TRANSITIONS, AudienceState

S = AudienceState

EXPECTED = {
    S.PLANNED: {S.CREATED, S.FAILED, S.DRY_RUN, S.SEED_DELETE_PENDING},
    S.CREATED: {S.UPLOADING, S.SEED_DELETE_PENDING},
    S.UPLOADING: {S.UPLOADING, S.UPLOADED, S.SEED_DELETE_PENDING},
    S.UPLOADED: {S.MATCHED, S.SEED_DELETE_REQUESTED, S.SEED_DELETE_PENDING},
    S.MATCHED: {S.LOOKALIKE_REQUESTED, S.SEED_DELETE_REQUESTED, S.SEED_DELETE_PENDING},
    S.LOOKALIKE_REQUESTED: {S.LOOKALIKE_READY, S.SEED_DELETE_REQUESTED, S.SEED_DELETE_PENDING},
    S.LOOKALIKE_READY: {S.SEED_DELETE_REQUESTED, S.SEED_DELETE_PENDING},
    S.SEED_DELETE_REQUESTED: {
        S.SEED_DELETION_VERIFIED,
        S.SEED_DELETE_PENDING,
        S.SEED_EMPTIED,
        S.SEED_DELETION_REFUSED,
    },
    # The platform refused the deletion: the seed was emptied, or could not be; retried.
    S.SEED_EMPTIED: {S.SEED_DELETE_REQUESTED, S.SEED_DELETE_PENDING},
    S.SEED_DELETION_REFUSED: {S.SEED_DELETE_REQUESTED, S.SEED_DELETE_PENDING},
    S.SEED_DELETE_PENDING: {
        S.SEED_DELETE_PENDING,
        S.SEED_DELETE_REQUESTED,
        S.SEED_DELETION_VERIFIED,
        S.FAILED,
    },
    S.SEED_DELETION_VERIFIED: set(),
    S.FAILED: {S.SEED_DELETE_PENDING},
    S.DRY_RUN: set(),
}


def test_the_table_is_the_state_machine_of_the_design() -> None:
    assert {state: set(after) for state, after in TRANSITIONS.items()} == EXPECTED


def test_terminal_states_lead_nowhere_and_every_other_state_can_still_delete_its_seed() -> None:
    assert {S.SEED_DELETION_VERIFIED, S.FAILED, S.DRY_RUN} == TERMINAL_STATES
    for state in AudienceState:
        if state is S.FAILED:
            # Only if a seed turns up after all: it must still be deleted.
            assert TRANSITIONS[state] == {S.SEED_DELETE_PENDING}
        elif state in TERMINAL_STATES:
            assert not TRANSITIONS[state]
        else:
            assert S.SEED_DELETE_PENDING in TRANSITIONS[state]

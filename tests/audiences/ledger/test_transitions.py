"""Every allowed transition is recorded; every other one is refused and leaves no trace."""

from __future__ import annotations

import pytest

from audiences.ledger import (
    TRANSITIONS,
    AudienceState,
    IllegalTransition,
    Ledger,
    LedgerError,
    UnknownExport,
)
from tests.audiences.ledger.journeys import details, export_in

S = AudienceState


def test_every_allowed_transition_is_appended(ledger: Ledger) -> None:
    for before, afters in TRANSITIONS.items():
        for after in afters:
            dry_run = after is S.DRY_RUN
            record = export_in(ledger, before, dry_run=dry_run)
            moved = ledger.record(record.export_id, after, **details(after))
            assert moved.state is after, (before, after)
            assert [event.state for event in ledger.history(record.export_id)][-2:] == [
                before,
                after,
            ]


def test_every_other_transition_is_refused_by_name_and_leaves_no_trace(ledger: Ledger) -> None:
    for before in AudienceState:
        record = export_in(ledger, before, dry_run=before is S.DRY_RUN)
        history = ledger.history(record.export_id)
        for after in set(AudienceState) - TRANSITIONS[before]:
            with pytest.raises(IllegalTransition) as refused:
                ledger.record(record.export_id, after, **details(after))
            assert f"{before.name} → {after.name}" in str(refused.value)
        assert ledger.history(record.export_id) == history
        assert ledger.get(record.export_id) == record


def test_a_dry_run_creates_nothing_and_a_real_export_is_never_a_dry_run(ledger: Ledger) -> None:
    dry = export_in(ledger, S.PLANNED, dry_run=True)
    with pytest.raises(IllegalTransition, match="a dry run creates nothing"):
        ledger.record(dry.export_id, S.CREATED, **details(S.CREATED))
    real = export_in(ledger, S.PLANNED)
    with pytest.raises(IllegalTransition, match="not planned as dry run"):
        ledger.record(real.export_id, S.DRY_RUN)
    done = ledger.record(dry.export_id, S.DRY_RUN, counts={"eligible": 120, "suppressed": 3})
    assert done.is_terminal
    assert done.counts == {"eligible": 120, "suppressed": 3}


@pytest.mark.parametrize(
    ("state", "missing"),
    [
        (S.CREATED, "seed_audience_id"),
        (S.SEED_DELETE_PENDING, "reason"),
        (S.FAILED, "reason"),
    ],
)
def test_an_event_without_its_required_detail_is_refused(
    ledger: Ledger, state: AudienceState, missing: str
) -> None:
    record = export_in(ledger, S.PLANNED)
    with pytest.raises(LedgerError, match=missing):
        ledger.record(record.export_id, state)
    assert ledger.get(record.export_id).state is S.PLANNED


def test_verified_deletion_needs_the_platform_s_answer(ledger: Ledger) -> None:
    record = export_in(ledger, S.SEED_DELETE_REQUESTED)
    with pytest.raises(LedgerError, match="platform_answer"):
        ledger.record(record.export_id, S.SEED_DELETION_VERIFIED)


def test_an_unknown_export_is_named(ledger: Ledger) -> None:
    with pytest.raises(UnknownExport, match="nope"):
        ledger.record("nope", S.CREATED, seed_audience_id="1")
    with pytest.raises(UnknownExport):
        ledger.get("nope")
    with pytest.raises(UnknownExport):
        ledger.history("nope")

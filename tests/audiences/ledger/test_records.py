"""What the ledger shows an auditor: accumulated records, lists and history."""

from __future__ import annotations

from datetime import timedelta

import pytest

from audiences.ledger import AudienceState, Ledger, LedgerError
from audiences.ledger.store import MAX_TEXT_LENGTH
from tests.audiences.ledger.journeys import export_in, request_for

S = AudienceState


def test_a_planned_export_names_its_seed_after_itself(ledger: Ledger) -> None:
    record = ledger.plan_export(request_for())
    assert record.state is S.PLANNED
    asked = request_for()
    assert (record.destination, record.ad_account, record.country, record.size) == (
        asked.destination,
        asked.ad_account,
        asked.country,
        asked.size,
    )
    assert (record.dry_run, record.max_seed_age) == (asked.dry_run, asked.max_seed_age)
    assert len(record.export_id) == 32
    assert record.seed_name == f"audience-export seed {record.export_id}"
    assert record.created_at.tzinfo is not None
    assert record.state_since == record.created_at
    assert not record.is_terminal
    assert record.seed_created_at is None
    assert record.seed_expires_at is None


def test_the_record_adds_up_every_event(ledger: Ledger) -> None:
    export_id = ledger.plan_export(request_for()).export_id
    ledger.record(export_id, S.CREATED, seed_audience_id="111", register_version="r7")
    ledger.record(export_id, S.UPLOADING, upload_session_id=str(2**40), counts={"sent": 10_000})
    ledger.record(export_id, S.UPLOADING, counts={"sent": 20_000, "invalid": 3})
    ledger.record(export_id, S.UPLOADED, counts={"sent": 24_301}, register_version="r8")
    ledger.record(export_id, S.SEED_DELETE_PENDING, reason="matching flagged (code 471)")
    ledger.record(export_id, S.SEED_DELETE_PENDING, reason="delete failed: code 2")
    ledger.record(export_id, S.SEED_DELETE_REQUESTED)
    record = ledger.record(
        export_id, S.SEED_DELETION_VERIFIED, platform_answer="code 100 subcode 33"
    )
    history = ledger.history(export_id)

    assert record.state is S.SEED_DELETION_VERIFIED
    assert record.is_terminal
    assert record.seed_audience_id == "111"
    assert record.lookalike_audience_id is None
    assert record.upload_session_id == str(2**40)
    assert record.register_version == "r8"
    assert record.counts == {"sent": 24_301, "invalid": 3}
    assert record.failure_reason == "matching flagged (code 471)"
    assert record.seed_created_at == history[1].recorded_at
    assert record.seed_expires_at == history[1].recorded_at + timedelta(hours=48)
    assert record.seed_deleted_at == history[-1].recorded_at == record.state_since
    assert record.deletion_answer == "code 100 subcode 33"
    assert ledger.get(export_id) == record


def test_history_is_every_transition_in_order_and_never_rewritten(ledger: Ledger) -> None:
    record = export_in(ledger, S.UPLOADING)
    before = ledger.history(record.export_id)
    ledger.record(record.export_id, S.UPLOADING, counts={"sent": 1})
    after = ledger.history(record.export_id)

    assert [event.state for event in after] == [S.PLANNED, S.CREATED, S.UPLOADING, S.UPLOADING]
    assert after[: len(before)] == before
    assert [event.event_id for event in after] == sorted(event.event_id for event in after)
    assert [event.recorded_at for event in after] == sorted(event.recorded_at for event in after)
    assert after[-1].counts == {"sent": 1}


def test_unfinished_lists_exactly_the_exports_still_in_progress(ledger: Ledger) -> None:
    in_progress = {
        export_in(ledger, state).export_id
        for state in (S.PLANNED, S.MATCHED, S.SEED_DELETE_PENDING, S.SEED_DELETE_REQUESTED)
    }
    for state in (S.SEED_DELETION_VERIFIED, S.FAILED):
        export_in(ledger, state)
    export_in(ledger, S.DRY_RUN, dry_run=True)

    unfinished = ledger.unfinished()
    assert {record.export_id for record in unfinished} == in_progress
    assert [record.created_at for record in unfinished] == sorted(
        record.created_at for record in unfinished
    )


def test_exports_are_listed_newest_first(ledger: Ledger) -> None:
    planned = [ledger.plan_export(request_for()).export_id for _ in range(4)]
    assert [record.export_id for record in ledger.exports()] == planned[::-1]
    assert [record.export_id for record in ledger.exports(limit=2)] == planned[:1:-1]


@pytest.mark.parametrize("counts", [{"sent": 1.5}, {"sent": "10"}, {"sent": True}])
def test_counts_must_be_integers(ledger: Ledger, counts: dict[str, object]) -> None:
    record = export_in(ledger, S.UPLOADING)
    with pytest.raises(LedgerError, match="integers"):
        ledger.record(record.export_id, S.UPLOADING, counts=counts)  # type: ignore[arg-type]


def test_long_messages_are_cut(ledger: Ledger) -> None:
    record = export_in(ledger, S.CREATED)
    pending = ledger.record(record.export_id, S.SEED_DELETE_PENDING, reason="x" * 5000)
    assert pending.failure_reason is not None
    assert len(pending.failure_reason) == MAX_TEXT_LENGTH
    assert pending.failure_reason.endswith("…")

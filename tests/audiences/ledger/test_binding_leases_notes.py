"""The ledger's endpoint binding, leases and notes, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from audiences.endpoint import Endpoint, Environment
from audiences.ledger import AudienceState, Lease, Ledger, LedgerError
from audiences.ledger.schema import export_events, exports
from tests.audiences.ledger.journeys import export_in, request_for

S = AudienceState

SANDBOX_A = Endpoint(
    platform="meta",
    environment=Environment.SANDBOX,
    base_url="http://127.0.0.1:8765",
    ad_account="1000000000000001",
    credential="Meta user 100000000000001",
)
PRODUCTION = Endpoint(
    platform="meta",
    environment=Environment.PRODUCTION,
    base_url="https://graph.facebook.com",
    ad_account="1000000000000001",
    credential="Meta user 100000000000001",
)


def lease_for(owner: str, seconds: float) -> Lease:
    """A lease of ``owner`` that expires ``seconds`` from now."""
    return Lease(owner, "worker-1", 4242, datetime.now(UTC) + timedelta(seconds=seconds))


def ledger_at_revision_0001(url: str) -> str:
    """A ledger created by revision 0001 (before endpoint binding), holding one export."""
    config = Config()
    config.set_main_option("script_location", "audiences.ledger:migrations")
    engine = sa.create_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(
            exports.insert().values(
                export_id="old",
                created_at=now,
                destination="meta",
                ad_account="1000000000000001",
                country="FR",
                ratio=0.01,
                dry_run=False,
                max_seed_age_seconds=172800,
                seed_name="audience-export seed old",
            )
        )
        connection.execute(
            export_events.insert().values(
                export_id="old", state="created", recorded_at=now, seed_audience_id="2385"
            )
        )
        version = connection.scalar(sa.text("SELECT version_num FROM ledger_alembic_version"))
        columns = {column["name"] for column in sa.inspect(connection).get_columns("exports")}
    engine.dispose()
    assert version == "0001"
    assert "environment" not in columns, "revision 0001 already binds endpoints"
    return "old"


def test_an_export_recorded_before_binding_migrates_to_an_unknown_endpoint(
    ledger_url: str,
) -> None:
    export_id = ledger_at_revision_0001(ledger_url)

    with Ledger.open(ledger_url) as ledger:
        record = ledger.get(export_id)
        unfinished = [found.export_id for found in ledger.unfinished()]

    assert record.state is S.CREATED
    assert record.seed_audience_id == "2385"
    assert record.endpoint is not None
    assert record.endpoint.environment is Environment.UNKNOWN
    assert record.lease is None
    assert unfinished == [export_id], "a migrated export is still the reconciler's to finish"
    # Unknown matches nothing, not even an endpoint equal in every other field.
    assert record.endpoint.differences(SANDBOX_A) == [
        "platform",
        "environment",
        "base_url",
        "ad_account",
        "credential",
    ]


def test_an_unknown_endpoint_is_bound_once_and_then_kept_for_ever(ledger_url: str) -> None:
    export_id = ledger_at_revision_0001(ledger_url)

    with Ledger.open(ledger_url) as ledger:
        bound = ledger.bind_endpoint(export_id, SANDBOX_A, by="audience-export rebind")
        with pytest.raises(LedgerError, match=f"export {export_id} is already bound"):
            ledger.bind_endpoint(export_id, PRODUCTION, by="audience-export rebind")
        kept = ledger.get(export_id)
        (note,) = ledger.notes(export_id)

    assert bound.endpoint == SANDBOX_A
    assert kept.endpoint == SANDBOX_A
    assert kept.endpoint.differences(SANDBOX_A) == []
    assert (note.kind, note.export_id) == ("endpoint_bound", export_id)
    assert note.detail == f"bound to {SANDBOX_A.describe()} by audience-export rebind"


def test_an_export_planned_with_an_endpoint_cannot_be_rebound(ledger: Ledger) -> None:
    planned = ledger.plan_export(request_for(), endpoint=SANDBOX_A)

    with pytest.raises(LedgerError, match="already bound"):
        ledger.bind_endpoint(planned.export_id, PRODUCTION, by="a test")

    assert ledger.get(planned.export_id).endpoint == SANDBOX_A
    assert ledger.notes(planned.export_id) == []


def test_a_refused_run_planned_without_endpoint_is_recorded_as_unknown(ledger: Ledger) -> None:
    planned = ledger.plan_export(request_for())

    assert planned.endpoint is not None
    assert planned.endpoint.environment is Environment.UNKNOWN
    assert planned.endpoint.base_url == "unknown"


def test_a_live_lease_is_renewed_only_by_its_owner(ledger: Ledger) -> None:
    planned = ledger.plan_export(request_for(), endpoint=SANDBOX_A, lease=lease_for("runner", 30))
    assert planned.lease is not None
    later = planned.lease.expires_at + timedelta(seconds=60)

    assert not ledger.renew_lease(planned.export_id, "intruder", later)
    assert ledger.get(planned.export_id).lease == planned.lease
    assert ledger.renew_lease(planned.export_id, "runner", later)

    renewed = ledger.get(planned.export_id).lease
    assert renewed is not None
    assert renewed.expires_at == later
    assert (renewed.owner, renewed.host, renewed.pid) == ("runner", "worker-1", 4242)
    assert renewed.describe() == "worker-1 pid 4242"


def test_an_expired_lease_cannot_be_renewed(ledger: Ledger) -> None:
    planned = ledger.plan_export(request_for(), endpoint=SANDBOX_A, lease=lease_for("runner", 0.3))
    assert planned.lease is not None
    assert planned.lease.is_live(datetime.now(UTC))
    time.sleep(0.4)

    renewed = ledger.renew_lease(
        planned.export_id, "runner", datetime.now(UTC) + timedelta(seconds=60)
    )

    assert not renewed, "a lapsed lease may already belong to the reconciler"
    lapsed = ledger.get(planned.export_id).lease
    assert lapsed == planned.lease
    assert not lapsed.is_live(datetime.now(UTC))


def test_a_released_lease_is_gone_and_cannot_be_renewed(ledger: Ledger) -> None:
    planned = ledger.plan_export(request_for(), endpoint=SANDBOX_A, lease=lease_for("runner", 30))

    ledger.release_lease(planned.export_id, "intruder")
    assert ledger.get(planned.export_id).lease == planned.lease
    ledger.release_lease(planned.export_id, "runner")

    assert ledger.get(planned.export_id).lease is None
    in_a_minute = datetime.now(UTC) + timedelta(seconds=60)
    assert not ledger.renew_lease(planned.export_id, "runner", in_a_minute)
    assert ledger.get(planned.export_id).lease is None
    assert ledger.history(planned.export_id)[-1].state is S.PLANNED, "a lease is no state"


def test_notes_accumulate_in_order_and_are_never_rewritten(ledger: Ledger) -> None:
    first = export_in(ledger, S.CREATED)
    second = export_in(ledger, S.PLANNED)

    ledger.note("endpoint_refused", "refused once", export_id=first.export_id)
    ledger.note("orphan_seed_deleted", "swept", export_id=second.export_id)
    ledger.note("endpoint_refused", "refused again", export_id=first.export_id)
    ledger.note("sweep_failed", "no export")
    ledger.note("endpoint_refused", "x" * 5000, export_id=first.export_id)

    details = [note.detail for note in ledger.notes(first.export_id)]
    assert details[:2] == ["refused once", "refused again"]
    assert len(details[2]) == 1000, "long notes are cut"
    assert details[2].endswith("…")
    assert [note.detail for note in ledger.notes(kind="orphan_seed_deleted")] == ["swept"]
    everything = ledger.notes()
    assert [note.kind for note in everything] == [
        "endpoint_refused",
        "orphan_seed_deleted",
        "endpoint_refused",
        "sweep_failed",
        "endpoint_refused",
    ]
    assert everything[3].export_id is None
    times = [note.recorded_at for note in everything]
    assert times == sorted(times)
    assert all(moment.tzinfo is not None for moment in times)
    # A note changes no state.
    assert ledger.get(first.export_id).state is S.CREATED
    assert [event.state for event in ledger.history(first.export_id)] == [S.PLANNED, S.CREATED]


def test_notes_survive_reopening_unchanged(ledger_url: str) -> None:
    with Ledger.open(ledger_url) as ledger:
        record = export_in(ledger, S.CREATED)
        written = ledger.note("endpoint_refused", "refused", export_id=record.export_id)
    with Ledger.open(ledger_url) as reopened:
        assert reopened.notes(record.export_id) == [written]

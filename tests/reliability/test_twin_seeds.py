"""A creation retried after its answer was lost may have made the seed twice: both go.

The seed's name is its export's own, so every audience bearing it holds the
export's people; the deletion is verified only once none is left.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from audiences.ledger import AudienceState, ExportRecord, Ledger
from pipelines.settings import Settings
from tests.fixtures.exports import build_world, configure_export, run_export, run_reconcile
from tests.fixtures.sandbox import RunningSandbox

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_server")]


def export_with_a_twin(
    sandbox: RunningSandbox, home: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Settings, ExportRecord, str]:
    """An export waiting for matching, and what a lost answer to its seed's creation leaves
    behind: a second seed of the same name. Matching is then quick again."""
    settings = configure_export(monkeypatch, sandbox, home, EXPORT_WAIT_FOR_MATCH_SECONDS="0")
    build_world(settings, rows=1_000, objectors=10)
    sandbox.set_options(match_delay_seconds=120)
    record = run_export()
    assert record.state is AudienceState.UPLOADED
    twin = sandbox.create_seed(record.seed_name)
    sandbox.set_delays(match_delay_seconds=0, lookalike_delay_seconds=0)
    return settings, record, twin


def test_an_audience_named_like_the_seed_is_deleted_and_verified_with_it(
    sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, record, twin = export_with_a_twin(sandbox, tmp_path / "home", monkeypatch)

    run_reconcile()

    with Ledger.open(settings.ledger_url) as ledger:
        after = ledger.get(record.export_id)
        notes = [note.detail for note in ledger.notes(record.export_id, kind="twin_seed_deleted")]
    assert after.state is AudienceState.SEED_DELETION_VERIFIED
    assert notes == [f"deleted and verified 1 more audience(s) named like the seed: {twin}"]
    assert sandbox.audience(twin)["deleted"]
    assert sandbox.audience(str(record.seed_audience_id))["deleted"]


def test_a_twin_the_platform_keeps_holds_the_export_pending(
    sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, record, twin = export_with_a_twin(sandbox, tmp_path / "home", monkeypatch)
    # The twin has a lookalike, and the platform refuses to delete a seed that has one.
    sandbox.users("POST", twin, [str(index).zfill(64) for index in range(150)]).raise_for_status()
    sandbox.create_lookalike(twin)
    sandbox.set_options(refuse_seed_delete_with_lookalikes=True)

    run_reconcile()

    with Ledger.open(settings.ledger_url) as ledger:
        after = ledger.get(record.export_id)
    assert after.state is not AudienceState.SEED_DELETION_VERIFIED
    assert not sandbox.audience(twin)["deleted"]

"""What a run leaves in Prefect for people to read: counts, ids and states, never an identifier.

The crashed run's scan of every place a run writes is in ``test_crash``; the
normal run's in ``tests/e2e/test_export_flow.py``.
"""

from __future__ import annotations

import pytest

from audiences.ledger import AudienceState, Ledger
from pipelines.settings import Settings
from pipelines.summary import lookalike_name
from tests.fixtures.exports import build_world, flow_run_artifacts, identifiers_in_artifacts
from tests.fixtures.sandbox import RunningSandbox

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_server")]


def test_an_export_run_s_artifact_holds_counts_and_ids_but_no_address_or_hash(
    export_settings: Settings, sandbox: RunningSandbox
) -> None:
    from pipelines.flows.export import lookalike_export  # noqa: PLC0415 - Prefect set up first

    world = build_world(export_settings, rows=1_000, objectors=40)

    state = lookalike_export(return_state=True)

    assert state.is_completed()
    with Ledger.open(export_settings.ledger_url) as ledger:
        (record,) = ledger.exports()
    assert record.state is AudienceState.SEED_DELETION_VERIFIED
    artifacts = flow_run_artifacts(state.state_details.flow_run_id)
    by_key = {artifact.key: artifact for artifact in artifacts}
    assert set(by_key) == {"lookalike-export-summary", "lookalike-export-upload"}
    assert by_key["lookalike-export-upload"].data == 100.0
    summary = str(by_key["lookalike-export-summary"].data)
    for label, value in [
        ("export", record.export_id),
        ("seed audience", f"{record.seed_audience_id} ({record.seed_name})"),
        ("lookalike audience", f"{record.lookalike_audience_id} ({lookalike_name(record)})"),
        ("uploaded", str(record.counts["uploaded"])),
        ("suppressed (objections)", str(record.counts["suppressed"])),
        ("state", "seed_deletion_verified"),
    ]:
        assert f"| {label} | {value} |" in summary
    assert record.counts["uploaded"] == len(world.expected)
    # The seed received real hashes: the artifact is clean because it holds none.
    assert record.seed_audience_id is not None
    assert sandbox.received(record.seed_audience_id)["added"]
    assert identifiers_in_artifacts(artifacts, world.addresses) == []

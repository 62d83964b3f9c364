"""Run states and names tell the truth: an export waiting on the platform says so."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import StateType

from audiences.ledger import AudienceState, Ledger
from pipelines.admission import ExportParameters
from tests.fixtures.exports import build_world, configure_export
from tests.fixtures.sandbox import RunningSandbox


def flow_run_name(flow_run_id: UUID | None) -> str:
    assert flow_run_id is not None
    with get_client(sync_client=True) as client:
        return client.read_flow_run(flow_run_id).name


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_server")
def test_an_export_left_waiting_for_matching_is_completed_named_waiting_for_platform(
    sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.flows.export import lookalike_export  # noqa: PLC0415

    settings = configure_export(
        monkeypatch, sandbox, tmp_path / "home", EXPORT_WAIT_FOR_MATCH_SECONDS="0"
    )
    build_world(settings, rows=500, objectors=5)
    sandbox.set_options(match_delay_seconds=120)

    state = lookalike_export(export=ExportParameters(country="NL", ratio=0.03), return_state=True)

    assert (state.type, state.name) == (StateType.COMPLETED, "Waiting for platform")
    result = state.result()
    assert isinstance(result, dict)
    assert f"export {result['export_id']} is uploaded" in str(state.message)
    with Ledger.open(settings.ledger_url) as ledger:
        assert ledger.get(str(result["export_id"])).state is AudienceState.UPLOADED
    assert flow_run_name(state.state_details.flow_run_id) == "meta-NL-3%-now"


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_server")
def test_a_finished_export_is_plainly_completed_and_a_dry_run_says_so_in_its_name(
    sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.flows.export import lookalike_export  # noqa: PLC0415

    settings = configure_export(monkeypatch, sandbox, tmp_path / "home")
    build_world(settings, rows=500, objectors=5)

    finished = lookalike_export(export=ExportParameters(ratio=0.03), return_state=True)
    dry = lookalike_export(export=ExportParameters(dry_run=True), return_state=True)

    assert (finished.type, finished.name) == (StateType.COMPLETED, "Completed")
    assert flow_run_name(finished.state_details.flow_run_id).startswith("meta-")
    assert "-3%-now" in flow_run_name(finished.state_details.flow_run_id)
    assert flow_run_name(dry.state_details.flow_run_id).endswith("-now-dry-run")
    assert "None" not in flow_run_name(dry.state_details.flow_run_id)

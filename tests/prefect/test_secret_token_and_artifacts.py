"""A token from a Prefect Secret block; progress and ready-lookalike signals in Prefect.

The access token is read at run time from the Secret block the settings name
(it is never a parameter and never printed); the upload shows a progress
artifact reaching 100 %; the lookalike's readiness is announced as the event
``audience-export.lookalike.ready``.
"""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest
from prefect.blocks.system import Secret
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from audiences.ledger import AudienceState
from pipelines.flows.events import READY_EVENT
from tests.fixtures.exports import build_world, configure_export, run_export
from tests.fixtures.sandbox import RunningSandbox
from tests.reliability.scenarios import events_about

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_server")]


def test_a_token_from_a_secret_block_exports_and_signals_progress_and_readiness(
    sandbox: RunningSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    Secret(value=sandbox.access_token).save("audience-export-meta-token", overwrite=True)
    settings = configure_export(
        monkeypatch,
        sandbox,
        tmp_path / "home",
        META_ACCESS_TOKEN_BLOCK="audience-export-meta-token",
    )
    monkeypatch.delenv("AUDIENCE_EXPORT_META_ACCESS_TOKEN")
    build_world(settings, rows=800, objectors=10)

    record = run_export()

    assert record.state is AudienceState.SEED_DELETION_VERIFIED
    captured = capfd.readouterr()
    assert sandbox.access_token not in captured.out + captured.err
    with get_client(sync_client=True) as client:
        (progress,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["lookalike-export-upload"])),
            limit=1,
        )
    assert progress.data == 100.0
    ready = events_about(record.export_id, READY_EVENT)
    assert len(ready) == 1
    assert ready[0].payload["export_id"] == record.export_id
    assert isinstance(UUID(str(ready[0].id)), UUID)

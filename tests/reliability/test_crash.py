"""A crash: the export process is killed (SIGKILL) mid-upload; the reconciler cleans up.

The sandbox runs in this process, so it outlives the killed ``audience-export run``.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from uuid import UUID

import pyarrow as pa
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import StateType

from audiences.ledger import AudienceState, IllegalTransition, Ledger
from audiences.meta.client import MetaDestination
from objections.register import Register
from pipelines.lifecycle import Lifecycle
from pipelines.progress import LoggingProgress
from pipelines.runtime import utc_now
from pipelines.settings import Settings
from pipelines.sources import Source, open_source
from pipelines.upload import upload_seed
from tests.fixtures.canary import scan_everything
from tests.fixtures.exports import (
    batches_sent,
    bound_sandbox,
    build_world,
    flow_run_artifacts,
    identifiers_in_artifacts,
    plan_bound_export,
    run_export,
    run_reconcile,
    start_cli,
    wait_for_ledger,
)
from tests.fixtures.sandbox import RunningSandbox, sandbox_meta_config

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_server")]

LEASE_SECONDS = 2.0
"""A short lease, so that a killed export is taken as stopped two seconds after it died."""


def flow_run_state(run_id: str | None) -> StateType | None:
    """The state type Prefect shows for the flow run that planned an export."""
    assert run_id is not None, "the ledger records the flow run of every export"
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(UUID(run_id)).state
    return state.type if state else None


def undeleted_seeds(sandbox: RunningSandbox) -> list[str]:
    """Ids of customer-list audiences still on the platform."""
    return [
        audience["id"]
        for audience in sandbox.state()
        if audience["subtype"] == "CUSTOM" and not audience["deleted"]
    ]


def test_an_export_killed_mid_upload_has_its_seed_deleted_by_the_reconciler(
    export_settings: Settings,
    sandbox: RunningSandbox,
    prefect_server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    from pipelines.flows.reconcile import reconcile_audiences  # noqa: PLC0415 - after Prefect set-up

    world = build_world(export_settings)
    sandbox.set_faults(latency_ms=150)
    output = tmp_path / "killed-run.out"
    process = start_cli(
        output,
        prefect_server,
        "run",
        EXPORT_UPLOAD_BATCH_SIZE="100",
        EXPORT_LEASE_SECONDS=str(LEASE_SECONDS),
        EXPORT_LEASE_RENEW_SECONDS="0.2",
    )
    try:
        wait_for_ledger(
            export_settings,
            [process],
            lambda exports: bool(exports) and batches_sent(exports[0]) >= 3,
        )
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    sandbox.set_faults(latency_ms=0)

    with Ledger.open(export_settings.ledger_url) as ledger:
        (killed,) = ledger.exports()
    assert killed.state is AudienceState.UPLOADING
    assert killed.seed_audience_id is not None
    assert flow_run_state(killed.run_id) is StateType.RUNNING, "a killed run cannot say it ended"
    partial = sandbox.received(killed.seed_audience_id)["added"]
    assert 200 <= len(partial) < len(world.expected), "the seed holds a partial upload"
    assert undeleted_seeds(sandbox) == [killed.seed_audience_id]

    assert killed.lease is not None
    # While its lease is live the reconciler leaves the export alone: it may still be running.
    if killed.lease.is_live(utc_now()):
        assert run_reconcile() == {"unfinished": 1, "finished": 0}
        assert undeleted_seeds(sandbox) == [killed.seed_audience_id]

    # One lease period later, a single reconcile deletes and verifies the seed.
    time.sleep(max(0.0, (killed.lease.expires_at - utc_now()).total_seconds()) + 0.1)
    reconciled = reconcile_audiences(return_state=True)
    assert reconciled.result() == {"unfinished": 0, "finished": 1}

    with Ledger.open(export_settings.ledger_url) as ledger:
        cleaned = ledger.get(killed.export_id)
        states = [event.state for event in ledger.history(killed.export_id)]
    assert cleaned.state is AudienceState.SEED_DELETION_VERIFIED
    assert cleaned.failure_reason is not None
    assert cleaned.failure_reason.startswith("the export stopped while uploading (its lease")
    assert cleaned.deletion_answer is not None
    assert "subcode 33" in cleaned.deletion_answer
    assert states[-3:] == [
        AudienceState.SEED_DELETE_PENDING,
        AudienceState.SEED_DELETE_REQUESTED,
        AudienceState.SEED_DELETION_VERIFIED,
    ]
    assert sandbox.audience(killed.seed_audience_id)["deleted"]
    assert flow_run_state(killed.run_id) is StateType.CRASHED
    artifacts = flow_run_artifacts(reconciled.state_details.flow_run_id)
    assert [artifact.key for artifact in artifacts] == ["reconcile-audiences-summary"]
    assert f"| export | {killed.export_id} |" in str(artifacts[0].data)
    assert "| state | seed_deletion_verified |" in str(artifacts[0].data)
    assert identifiers_in_artifacts(artifacts, world.addresses) == []

    fresh = run_export()
    assert fresh.export_id != killed.export_id
    assert fresh.seed_audience_id not in (None, killed.seed_audience_id)
    assert fresh.state is AudienceState.SEED_DELETION_VERIFIED
    assert set(sandbox.received(fresh.seed_audience_id)["added"]) == world.expected
    assert undeleted_seeds(sandbox) == []

    captured = capfd.readouterr()
    printed = output.read_text(errors="replace") + captured.out + captured.err
    assert scan_everything(export_settings, world.addresses, printed) == []


@pytest.mark.parametrize("seed_created", [True, False], ids=["orphan-seed", "no-seed"])
def test_a_crash_before_the_seed_id_reached_the_ledger_leaves_no_seed(
    export_settings: Settings,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    seed_created: bool,
) -> None:
    build_world(export_settings, rows=300, objectors=10)
    platform = MetaDestination(sandbox_meta_config(sandbox))
    with Ledger.open(export_settings.ledger_url) as ledger:
        planned = plan_bound_export(ledger, export_settings, sandbox)
    # The crash: the seed exists on the platform (or not yet), its id never reached the ledger.
    orphan = (
        platform.create_seed(name=planned.seed_name, description="created just before a crash")
        if seed_created
        else None
    )
    # Someone else's audience on the same ad account: never touched.
    stranger = platform.create_seed(name="Spring campaign buyers", description="not ours")

    assert run_reconcile() == {"unfinished": 0, "finished": 1}

    with Ledger.open(export_settings.ledger_url) as ledger:
        cleaned = ledger.get(planned.export_id)
        last_reason = ledger.history(planned.export_id)[-1].reason
    assert cleaned.failure_reason is not None
    assert cleaned.failure_reason.startswith("the export stopped while planning the seed")
    if orphan is not None:
        assert cleaned.state is AudienceState.SEED_DELETION_VERIFIED
        assert cleaned.seed_audience_id == orphan
        assert sandbox.audience(orphan)["deleted"]
    else:
        assert cleaned.state is AudienceState.FAILED
        assert last_reason == "no seed was ever created on the platform"
    assert undeleted_seeds(sandbox) == [stranger]


class GivenUpWhileReading:
    """The export's source, but the reconciler gives the export up before the first batch.

    That is what happens when the export's lease lapses while it reads its
    source (its heartbeat could not reach the ledger, say): the reconciler
    finds no seed and ends the export FAILED, and the export creates its seed
    right after.
    """

    def __init__(self, source: Source, give_up: Callable[[], object]) -> None:
        self._source = source
        self._give_up = give_up
        self.undecodable_emails = 0

    def estimate_rows(self) -> int:
        return self._source.estimate_rows()

    def batches(self) -> Iterator[pa.RecordBatch]:
        self._give_up()
        yield from self._source.batches()


def test_a_seed_created_after_its_export_was_given_up_is_still_deleted(
    export_settings: Settings, sandbox: RunningSandbox
) -> None:
    build_world(export_settings, rows=600, objectors=10)
    platform = MetaDestination(sandbox_meta_config(sandbox))
    with (
        Ledger.open(export_settings.ledger_url) as ledger,
        Register.open(export_settings.register_config) as register,
        open_source(export_settings.source_url, query=None, batch_rows=1_000) as source,
    ):
        planned = plan_bound_export(ledger, export_settings, sandbox)
        reconciler = Lifecycle(
            ledger, platform, bound_sandbox(export_settings, sandbox).endpoint, clock=utc_now
        )
        slow_source = GivenUpWhileReading(
            source, lambda: reconciler.step(ledger.get(planned.export_id))
        )

        with pytest.raises(IllegalTransition):
            upload_seed(
                planned,
                ledger=ledger,
                destination=platform,
                source=slow_source,  # type: ignore[arg-type]
                register=register,
                progress=LoggingProgress(logging.getLogger("test")),
                batch_size=200,
                min_seed_size=100,
            )

        given_up = [event.state for event in ledger.history(planned.export_id)]
        assert given_up[:3] == [
            AudienceState.PLANNED,
            AudienceState.SEED_DELETE_PENDING,
            AudienceState.FAILED,
        ]
        handed_over = ledger.get(planned.export_id)
        assert handed_over.state is AudienceState.SEED_DELETE_PENDING
        assert handed_over.seed_audience_id is not None
        assert not sandbox.audience(handed_over.seed_audience_id)["deleted"]

        cleaned = reconciler.advance_until_blocked(handed_over)

    assert cleaned.state is AudienceState.SEED_DELETION_VERIFIED
    assert sandbox.audience(handed_over.seed_audience_id)["deleted"]
    assert undeleted_seeds(sandbox) == []

"""Endpoint binding: an export is reconciled only through the endpoint that created its seed.

Sandbox A (the session's) and sandbox B (``second_sandbox``) accept the same
token and ad account and answer ``GET /me`` alike: only their base URL tells
them apart, as a staging and a production Graph endpoint would be.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect.client.schemas.objects import StateType

from audiences.ledger import AudienceState, ExportRecord, Ledger
from audiences.ledger.model import seed_name
from pipelines.settings import Settings
from tests.fixtures.canary import scan_everything
from tests.fixtures.exports import (
    DemoWorld,
    bound_sandbox,
    build_world,
    export_request,
    run_export,
    run_reconcile,
    start_cli,
)
from tests.fixtures.sandbox import RunningSandbox
from tests.reliability.scenarios import (
    effective_requests,
    history,
    newest_flow_run_state,
    touching,
)

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_server")]

SECRETS = (RunningSandbox.access_token, RunningSandbox.app_secret)


def cli(tmp_path: Path, prefect_api: str, *args: str, **overrides: str) -> tuple[int, str]:
    """Run ``audience-export *args`` to its end; its exit code and output."""
    output = tmp_path / f"{'-'.join(args)}.out"
    process = start_cli(output, prefect_api, *args, **overrides)
    process.wait(timeout=120)
    return process.returncode, output.read_text(errors="replace")


def seed_left_for_the_reconciler(
    settings: Settings, sandbox: RunningSandbox
) -> tuple[ExportRecord, DemoWorld]:
    """An export through sandbox A that stops waiting for matching: its seed stays on A."""
    world = build_world(settings, rows=600, objectors=10)
    sandbox.set_delays(match_delay_seconds=3600)
    record = run_export()
    assert record.state is AudienceState.UPLOADED
    assert record.seed_audience_id is not None
    assert record.lease is None, "a finished run releases its lease"
    assert not sandbox.audience(record.seed_audience_id)["deleted"]
    return record, world


def test_a_reconcile_for_another_endpoint_sends_nothing_and_fails(
    export_settings: Settings,
    sandbox: RunningSandbox,
    second_sandbox: RunningSandbox,
    prefect_server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pipelines.flows.reconcile import reconcile_audiences  # noqa: PLC0415 - after Prefect

    monkeypatch.setenv("AUDIENCE_EXPORT_EXPORT_WAIT_FOR_MATCH_SECONDS", "0")
    export, world = seed_left_for_the_reconciler(export_settings, sandbox)
    seed = export.seed_audience_id
    assert seed is not None
    assert export.endpoint is not None
    before = history(export_settings, export.export_id)
    sent = len(sandbox.requests())

    # Configured for sandbox B: B is asked who the token is, and nothing about the seed.
    code, printed = cli(tmp_path, prefect_server, "reconcile", META_GRAPH_URL=second_sandbox.url)

    assert code == 1, printed
    assert newest_flow_run_state("reconcile-audiences") is StateType.FAILED
    assert export.export_id in printed
    assert "AUDIENCE_EXPORT_META_GRAPH_URL" in printed, "the setting that differs is named"
    assert not any(secret in printed for secret in SECRETS)
    assert effective_requests(sandbox, sent) == [], "sandbox A was called"
    assert touching(effective_requests(second_sandbox), seed) == []
    assert history(export_settings, export.export_id) == before
    with Ledger.open(export_settings.ledger_url) as ledger:
        (refusal,) = ledger.notes(export.export_id, kind="endpoint_refused")
    assert export.endpoint.describe() in refusal.detail
    assert f"meta sandbox {second_sandbox.url}" in refusal.detail
    assert "nothing was sent" in refusal.detail
    assert not any(secret in refusal.detail for secret in SECRETS)

    # No token at all: not even an identity check is sent, and the run is Failed.
    monkeypatch.delenv("AUDIENCE_EXPORT_META_ACCESS_TOKEN")
    failed = reconcile_audiences(return_state=True)

    assert failed.type is StateType.FAILED
    assert "AUDIENCE_EXPORT_META_ACCESS_TOKEN" in str(failed.message)
    assert effective_requests(sandbox, sent) == []
    assert history(export_settings, export.export_id) == before
    with Ledger.open(export_settings.ledger_url) as ledger:
        refusals = ledger.notes(export.export_id, kind="endpoint_refused")
    assert len(refusals) == 2
    assert export.endpoint.describe() in refusals[1].detail
    assert "AUDIENCE_EXPORT_META_ACCESS_TOKEN" in refusals[1].detail
    assert not sandbox.audience(seed)["deleted"], "the seed is still on A"

    # With A's settings again, the reconciler deletes the seed and verifies it through A.
    monkeypatch.setenv("AUDIENCE_EXPORT_META_ACCESS_TOKEN", sandbox.access_token)
    sandbox.set_delays(match_delay_seconds=0, lookalike_delay_seconds=0)
    assert run_reconcile() == {"unfinished": 0, "finished": 1}

    with Ledger.open(export_settings.ledger_url) as ledger:
        verified = ledger.get(export.export_id)
    assert verified.state is AudienceState.SEED_DELETION_VERIFIED
    assert verified.deletion_answer is not None
    assert f"checked through {export.endpoint.describe()}" in verified.deletion_answer
    assert sandbox.audience(seed)["deleted"]
    assert touching(effective_requests(second_sandbox), seed) == []
    assert scan_everything(export_settings, world.addresses, printed) == []


def test_an_export_recorded_before_binding_waits_for_an_explicit_rebind(
    export_settings: Settings, sandbox: RunningSandbox, prefect_server: str, tmp_path: Path
) -> None:
    from pipelines.flows.reconcile import reconcile_audiences  # noqa: PLC0415 - after Prefect

    build_world(export_settings, rows=300, objectors=10)
    # What the 0002 migration leaves of an older export: no endpoint, environment unknown.
    with Ledger.open(export_settings.ledger_url) as ledger:
        old = ledger.plan_export(export_request(sandbox))
        seed = sandbox.create_seed(seed_name(old.export_id))
        ledger.record(old.export_id, AudienceState.CREATED, seed_audience_id=seed)
    sent = len(sandbox.requests())

    refused = reconcile_audiences(return_state=True)

    assert refused.type is StateType.FAILED
    assert f"`audience-export rebind {old.export_id}`" in str(refused.message)
    assert touching(effective_requests(sandbox, sent), seed) == []
    assert not sandbox.audience(seed)["deleted"]
    assert history(export_settings, old.export_id)[-1].state is AudienceState.CREATED

    code, printed = cli(tmp_path, prefect_server, "rebind", old.export_id)
    assert code == 0, printed
    endpoint = bound_sandbox(export_settings, sandbox).endpoint
    assert f"now bound to {endpoint.describe()}" in " ".join(printed.split())
    code, printed = cli(tmp_path, prefect_server, "rebind", old.export_id)
    assert code == 2, printed
    assert "already bound" in printed

    assert run_reconcile() == {"unfinished": 0, "finished": 1}
    with Ledger.open(export_settings.ledger_url) as ledger:
        cleaned = ledger.get(old.export_id)
        kinds = [note.kind for note in ledger.notes(old.export_id)]
    assert cleaned.endpoint == endpoint
    assert cleaned.state is AudienceState.SEED_DELETION_VERIFIED
    assert sandbox.audience(seed)["deleted"]
    assert kinds == ["endpoint_refused", "endpoint_bound"]


def test_the_sweep_deletes_seeds_named_like_ours_that_no_export_owns(
    export_settings: Settings, sandbox: RunningSandbox
) -> None:
    build_world(export_settings, rows=300, objectors=10)
    unknown_export = "0" * 32
    orphan = sandbox.create_seed(seed_name(unknown_export))
    stranger = sandbox.create_seed("Spring campaign buyers")
    elsewhere = sandbox.create_seed(seed_name("1" * 32), ad_account="2000000000000002")

    assert run_reconcile() == {"unfinished": 0, "finished": 0}

    assert sandbox.audience(orphan)["deleted"]
    assert not sandbox.audience(stranger)["deleted"], "someone else's audience was deleted"
    assert not sandbox.audience(elsewhere)["deleted"], "an unconfigured ad account was swept"
    with Ledger.open(export_settings.ledger_url) as ledger:
        (swept,) = ledger.notes(kind="orphan_seed_deleted")
        assert ledger.exports() == [], "the sweep invents no export"
    assert swept.export_id == unknown_export
    assert orphan in swept.detail
    assert bound_sandbox(export_settings, sandbox).endpoint.describe() in swept.detail
    assert "subcode 33" in swept.detail, "the deletion was verified by the platform"

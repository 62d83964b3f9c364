"""Liveness by lease, and loud deadlines: what the reconciler may touch, and when it must fail.

A running export renews its lease however long the platform makes it wait;
an export that cannot renew stops before its next platform call; a seed past
its deadline that cannot be deleted makes the reconcile run fail and emit
``audience-export.seed.overdue``.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from prefect.client.schemas.objects import StateType

from audiences.ledger import AudienceState, ExportRecord, Ledger
from audiences.meta.client import MetaDestination
from pipelines.lease import Heartbeat, LeasedDestination, LeaseLost, LeaseTerms
from pipelines.runtime import utc_now
from pipelines.settings import Settings
from tests.fixtures.exports import (
    batches_sent,
    bound_sandbox,
    build_world,
    export_request,
    latest_export,
    run_export,
    run_reconcile,
    start_cli,
    wait_for_ledger,
)
from tests.fixtures.sandbox import RunningSandbox, sandbox_meta_config
from tests.reliability.scenarios import (
    BATCH_SIZE,
    effective_requests,
    events_about,
    history,
    newest_flow_run_state,
    small_world,
    touching,
)

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_server")]

LEASE_SECONDS = 1.0
RENEW_SECONDS = 0.25
BLOCK_SECONDS = 3 * LEASE_SECONDS + 4
"""How long the rate limit blocks the export: three lease periods, then time to reconcile."""
OVERDUE_EVENT = "audience-export.seed.overdue"


def wait_for_request(
    sandbox: RunningSandbox, wanted: Any, process: Any, timeout: float = 30.0
) -> dict[str, Any]:
    """The first Graph request for which ``wanted(request)`` holds, once it has arrived."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the export ended before the awaited request"
        found = [request for request in sandbox.requests() if wanted(request)]
        if found:
            return found[0]
        time.sleep(0.02)
    raise AssertionError(f"no such request within {timeout} s")


def test_an_export_blocked_by_a_rate_limit_for_three_leases_is_never_taken_over(
    export_settings: Settings, sandbox: RunningSandbox, prefect_server: str, tmp_path: Path
) -> None:
    world = small_world(export_settings)
    sandbox.set_faults(latency_ms=150)
    output = tmp_path / "blocked-run.out"
    process = start_cli(
        output,
        prefect_server,
        "run",
        EXPORT_UPLOAD_BATCH_SIZE=str(BATCH_SIZE),
        EXPORT_LEASE_SECONDS=str(LEASE_SECONDS),
        EXPORT_LEASE_RENEW_SECONDS=str(RENEW_SECONDS),
    )
    try:
        wait_for_ledger(export_settings, [process], lambda e: bool(e) and batches_sent(e[0]) >= 1)
        # One request per window from now on: the next-but-one upload is told to wait.
        sandbox.set_faults(rate_limit=1, rate_window_seconds=BLOCK_SECONDS)
        refused = wait_for_request(sandbox, lambda request: request["code"] == 80003, process)
        # Lifted at once, but the export waits out what it was told (the reconciler is not limited).
        sandbox.set_faults(rate_limit=None, latency_ms=0)
        assert refused["path"].endswith("/users"), "the block is inside the upload"
        assert refused["regain_access_seconds"] >= 3 * LEASE_SECONDS

        with Ledger.open(export_settings.ledger_url) as ledger:
            (blocked,) = ledger.exports()
        assert blocked.state is AudienceState.UPLOADING
        assert blocked.lease is not None
        assert blocked.lease.is_live(utc_now())
        before = history(export_settings, blocked.export_id)

        # Three lease periods into the block, the heartbeat has kept the lease live ...
        time.sleep(max(0.0, refused["arrived_at"] + 3 * LEASE_SECONDS - time.time()))
        with Ledger.open(export_settings.ledger_url) as ledger:
            still = ledger.get(blocked.export_id)
        assert still.lease is not None
        assert still.lease.owner == blocked.lease.owner
        assert still.lease.expires_at > blocked.lease.expires_at + timedelta(seconds=LEASE_SECONDS)
        assert still.lease.is_live(utc_now())
        # ... so a reconcile run now leaves the export alone.
        sent = len(sandbox.requests())
        assert run_reconcile() == {"unfinished": 1, "finished": 0}
        assert time.time() < refused["arrived_at"] + refused["regain_access_seconds"]
        assert touching(effective_requests(sandbox, sent), blocked.seed_audience_id or "") == []
        assert history(export_settings, blocked.export_id) == before
        process.wait(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    assert process.returncode == 0, output.read_text(errors="replace")

    with Ledger.open(export_settings.ledger_url) as ledger:
        done = ledger.get(blocked.export_id)
    assert done.state is AudienceState.SEED_DELETION_VERIFIED
    assert done.failure_reason is None
    assert done.lease is None, "a finished export releases its lease"
    assert done.seed_audience_id == blocked.seed_audience_id
    received = sandbox.received(blocked.seed_audience_id or "")["added"]
    assert set(received) == world.expected
    assert max(Counter(received).values()) == 1, "a hash was sent twice"
    requests = sorted(sandbox.requests(), key=lambda request: request["arrived_at"])
    retry = next(
        r
        for r in requests
        if r["arrived_at"] > refused["arrived_at"] and r["path"] == refused["path"]
    )
    assert retry["status"] == 200
    assert retry["arrived_at"] >= refused["arrived_at"] + refused["regain_access_seconds"]


def leased_export(
    ledger: Ledger, settings: Settings, sandbox: RunningSandbox, terms: LeaseTerms
) -> Heartbeat:
    """An export planned as the export flow plans it, and the heartbeat of its lease."""
    lease = terms.new_lease(utc_now())
    planned = ledger.plan_export(
        export_request(sandbox), endpoint=bound_sandbox(settings, sandbox).endpoint, lease=lease
    )
    return Heartbeat(ledger, planned.export_id, lease, terms, utc_now)


def test_an_export_whose_lease_lapsed_stops_before_its_next_platform_call(
    export_settings: Settings, sandbox: RunningSandbox
) -> None:
    terms = LeaseTerms(duration=timedelta(seconds=0.3), renew_every=timedelta(seconds=0.6))
    platform = MetaDestination(sandbox_meta_config(sandbox))
    with Ledger.open(export_settings.ledger_url) as ledger:
        heartbeat = leased_export(ledger, export_settings, sandbox, terms)
        with heartbeat.running():
            guarded = LeasedDestination(platform, heartbeat).as_destination()
            assert guarded.list_audiences() == []
            time.sleep(1.0)  # the first renewal came after the lease had expired
            sent = len(sandbox.requests())
            with pytest.raises(LeaseLost, match=r"could not be renewed \(it had expired\)"):
                guarded.create_seed(name="audience-export seed late", description="too late")
            assert len(sandbox.requests()) == sent, "a call went out after the lease lapsed"
        lapsed = ledger.get(heartbeat.export_id)
    assert lapsed.lease == heartbeat.lease, "a lost lease is left to expire, not released"
    assert sandbox.state() == []


def test_a_heartbeat_keeps_a_lease_live_long_past_its_length_then_releases_it(
    export_settings: Settings, sandbox: RunningSandbox
) -> None:
    terms = LeaseTerms(duration=timedelta(seconds=0.5), renew_every=timedelta(seconds=0.1))
    with Ledger.open(export_settings.ledger_url) as ledger:
        heartbeat = leased_export(ledger, export_settings, sandbox, terms)
        with heartbeat.running():
            time.sleep(1.5)
            heartbeat.check()
            live = ledger.get(heartbeat.export_id).lease
            assert live is not None
            assert live.is_live(utc_now())
            assert live.expires_at > heartbeat.lease.expires_at + timedelta(seconds=0.8)
        assert ledger.get(heartbeat.export_id).lease is None


def seed_past_its_deadline(
    settings: Settings, sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, failure: str
) -> ExportRecord:
    """An export whose seed is still on the platform after its deadline, and cannot go.

    ``refused``: the platform refuses to delete a seed with a lookalike, and to
    empty it. ``throttled``: deleting is rate-limited longer than the client waits.
    """
    from pipelines.flows.export import ExportFailed  # noqa: PLC0415 - after Prefect set-up

    build_world(settings, rows=600, objectors=10)
    if failure == "refused":
        sandbox.set_options(refuse_seed_delete_with_lookalikes=True, removal_floor=10**6)
        with pytest.raises(ExportFailed, match=r"^the seed could not be deleted"):
            run_export(max_seed_age_hours=0.001)
        record = latest_export(settings)
    else:
        sandbox.set_delays(match_delay_seconds=3600)
        monkeypatch.setenv("AUDIENCE_EXPORT_EXPORT_WAIT_FOR_MATCH_SECONDS", "0")
        record = run_export(max_seed_age_hours=0.001)
    assert record.seed_audience_id is not None
    assert record.seed_expires_at is not None
    time.sleep(max(0.0, (record.seed_expires_at - utc_now()).total_seconds()) + 0.2)
    if failure == "throttled":
        # /me goes through; every later call is told to wait an hour.
        sandbox.set_faults(rate_limit=1, rate_window_seconds=3600)
    return record


@pytest.mark.parametrize(
    ("failure", "kind", "state"),
    [
        ("refused", "refused", AudienceState.SEED_DELETION_REFUSED),
        ("throttled", "overdue", AudienceState.SEED_DELETE_PENDING),
    ],
)
def test_a_seed_past_its_deadline_that_cannot_be_deleted_fails_the_reconcile_loudly(
    export_settings: Settings,
    sandbox: RunningSandbox,
    prefect_server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    failure: str,
    kind: str,
    state: AudienceState,
) -> None:
    stuck = seed_past_its_deadline(export_settings, sandbox, monkeypatch, failure)
    attempts = len(history(export_settings, stuck.export_id))
    output = tmp_path / "reconcile.out"

    process = start_cli(output, prefect_server, "reconcile", META_MAX_BACKOFF_SECONDS="1")
    process.wait(timeout=120)

    printed = output.read_text(errors="replace")
    assert process.returncode == 1, printed
    assert f"export {stuck.export_id} (meta) {kind}" in printed
    assert newest_flow_run_state("reconcile-audiences") is StateType.FAILED
    (event,) = events_about(stuck.export_id, OVERDUE_EVENT)
    assert event.payload == {
        "export_id": stuck.export_id,
        "platform": "meta",
        "kind": kind,
        "deadline": stuck.seed_expires_at.isoformat() if stuck.seed_expires_at else None,
    }
    events = history(export_settings, stuck.export_id)
    assert len(events) > attempts, "the reconcile did not try to delete the seed again"
    assert events[-1].state is state
    assert not sandbox.audience(stuck.seed_audience_id or "")["deleted"]

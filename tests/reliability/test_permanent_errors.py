"""Permanent platform errors mid-run: the run fails clearly, and the seed is deleted anyway.

An expired token (190) cannot delete the seed either: it stays pending
deletion, with the reason in the ledger, until the reconciler runs with a valid
token. A flagged seed (471) and an ad account without the custom audience
terms end the same way for the marketer: a failed run saying why, no seed left.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from audiences.ledger import AudienceState, ExportRecord
from pipelines.flows.reconcile import ReconcileFailed
from tests.fixtures.canary import scan_everything
from tests.fixtures.exports import (
    DemoWorld,
    configure_export,
    latest_export,
    run_export,
    run_reconcile,
)
from tests.fixtures.sandbox import RunningSandbox
from tests.reliability.scenarios import (
    BATCH_SIZE,
    HEX_DIGEST,
    event_after_batch,
    history,
    small_world,
)

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_server")]

FRESH_TOKEN = "a-fresh-system-user-token"
FAILING_BATCH = 3
"""The platform changes after batch 2, so batch 3 is the first one refused."""


@pytest.fixture
def world(sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DemoWorld:
    """The small demo world, uploaded in batches of 200."""
    settings = configure_export(
        monkeypatch, sandbox, tmp_path / "home", EXPORT_UPLOAD_BATCH_SIZE=str(BATCH_SIZE)
    )
    return small_world(settings)


def failed_run(world: DemoWorld, capfd: pytest.CaptureFixture[str]) -> tuple[str, ExportRecord]:
    """Run an export that must fail: its error message and its ledger record.

    Also proves what every failed run must keep: no address or hash in the
    message, in what the run printed, or anywhere Prefect and the data folder hold.
    """
    with pytest.raises(Exception) as raised:  # noqa: PT011 - the flow's own error, any type
        run_export(country="FR", ratio=0.02)
    message = str(raised.value)
    assert not HEX_DIGEST.search(message), "the error message holds a hash"
    captured = capfd.readouterr()
    assert scan_everything(world.settings, world.addresses, captured.out + captured.err) == []
    return message, latest_export(world.settings)


def the_seed(sandbox: RunningSandbox) -> dict[str, object]:
    (seed,) = [audience for audience in sandbox.state() if audience["subtype"] == "CUSTOM"]
    return seed


def test_expired_token_leaves_the_seed_pending_until_reconciled_with_a_new_token(
    world: DemoWorld,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    with event_after_batch(FAILING_BATCH - 1, lambda: sandbox.replace_token(FRESH_TOKEN)):
        message, record = failed_run(world, capfd)

    assert "access token has expired" in message
    assert "new system-user token" in message
    assert record.state is AudienceState.SEED_DELETE_PENDING
    assert record.failure_reason is not None
    assert "access token has expired" in record.failure_reason
    assert f"batch {FAILING_BATCH}" in record.failure_reason
    # The deletion was tried at once, refused for the same reason, and recorded.
    last = history(world.settings, record.export_id)[-1]
    assert last.state is AudienceState.SEED_DELETE_PENDING
    assert last.reason is not None
    assert last.reason.startswith("deleting the seed failed")
    assert "access token has expired" in last.reason
    # Two batches reached the platform; the seed is still there.
    assert record.seed_audience_id is not None
    assert not sandbox.audience(record.seed_audience_id)["deleted"]
    received = sandbox.received(record.seed_audience_id)["added"]
    # One row of every batch rides with the next request (the final one must carry the flag).
    assert len(received) == 2 * BATCH_SIZE - 1 == record.counts["uploaded"]
    assert set(received) <= world.expected

    # The reconciler with the old token cannot help, and says so loudly (the run fails);
    # with the new one it deletes the seed.
    with pytest.raises(ReconcileFailed, match="access token has expired"):
        run_reconcile()
    assert latest_export(world.settings).state is AudienceState.SEED_DELETE_PENDING
    monkeypatch.setenv("AUDIENCE_EXPORT_META_ACCESS_TOKEN", FRESH_TOKEN)
    assert run_reconcile() == {"unfinished": 0, "finished": 1}

    reconciled = latest_export(world.settings)
    assert reconciled.state is AudienceState.SEED_DELETION_VERIFIED
    assert reconciled.deletion_answer is not None
    assert "subcode 33" in reconciled.deletion_answer
    assert reconciled.failure_reason == record.failure_reason, "the first reason is kept"
    assert sandbox.audience(record.seed_audience_id)["deleted"]


def test_seed_flagged_mid_upload_is_deleted_at_once(
    world: DemoWorld, sandbox: RunningSandbox, capfd: pytest.CaptureFixture[str]
) -> None:
    with event_after_batch(FAILING_BATCH - 1, lambda: sandbox.flag(str(the_seed(sandbox)["id"]))):
        message, record = failed_run(world, capfd)

    assert "integrity rules flagged this audience" in message
    assert record.state is AudienceState.SEED_DELETION_VERIFIED
    assert record.failure_reason is not None
    assert "flagged" in record.failure_reason
    assert f"batch {FAILING_BATCH}" in record.failure_reason
    seed = the_seed(sandbox)
    assert seed["deleted"]
    assert seed["received"] == 2 * BATCH_SIZE - 1 == record.counts["uploaded"]
    assert record.lookalike_audience_id is None
    assert [a for a in sandbox.state() if a["subtype"] == "LOOKALIKE"] == []


def test_seed_flagged_while_matching_fails_the_run_and_is_deleted(
    world: DemoWorld, sandbox: RunningSandbox, capfd: pytest.CaptureFixture[str]
) -> None:
    with event_after_batch(None, lambda: sandbox.flag(str(the_seed(sandbox)["id"]))):
        message, record = failed_run(world, capfd)

    assert "flagged" in message
    assert record.state is AudienceState.SEED_DELETION_VERIFIED
    assert record.failure_reason is not None
    assert "the platform flagged the seed (operation status 471" in record.failure_reason
    assert the_seed(sandbox)["deleted"]


def test_terms_not_accepted_fail_the_export_before_anything_is_created(
    world: DemoWorld, sandbox: RunningSandbox, capfd: pytest.CaptureFixture[str]
) -> None:
    sandbox.set_terms_accepted(sandbox.ad_account, accepted=False)

    message, record = failed_run(world, capfd)

    assert "has not accepted Meta's Custom Audience terms" in message
    assert "accept them in Ads Manager" in message
    assert record.state is AudienceState.FAILED
    assert record.failure_reason is not None
    assert "Custom Audience terms" in record.failure_reason
    assert record.seed_audience_id is None
    assert sandbox.state() == []
    uploads = [r for r in sandbox.requests() if r["path"].endswith("/users")]
    assert uploads == []
    assert run_reconcile() == {"unfinished": 0, "finished": 0}, "nothing is left to reconcile"

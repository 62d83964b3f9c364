"""End to end: the real flow on 5 000 demo accounts against the sandbox, proven from its wiretap."""

from __future__ import annotations

import pytest

from audiences.ledger import AudienceState
from pipelines.settings import Settings
from tests.fixtures.canary import scan_everything
from tests.fixtures.exports import DemoWorld, build_world, run_export
from tests.fixtures.sandbox import RunningSandbox

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_server")]


@pytest.fixture
def world(export_backend: Settings) -> DemoWorld:
    """5 000 demo accounts and 300 objectors in other spellings, on each backend."""
    built = build_world(export_backend)
    assert min(map(len, built.forbidden.values())) > 40, "the demo data lost its realism"
    return built


def test_export_uploads_exactly_the_eligible_non_objectors_and_deletes_the_seed(
    world: DemoWorld, sandbox: RunningSandbox, capfd: pytest.CaptureFixture[str]
) -> None:
    record = run_export(country="FR", ratio=0.02)

    # What the platform received, from the sandbox's wiretap.
    assert record.seed_audience_id is not None
    received = sandbox.received(record.seed_audience_id)["added"]
    assert len(received) == len(set(received)), "a hash was sent twice"
    assert set(received) == world.expected
    for reason, hashes in world.forbidden.items():
        assert not hashes & set(received), f"an {reason} hash was uploaded"

    # The ledger: deletion verified by the platform's own answer, counts right.
    assert record.state is AudienceState.SEED_DELETION_VERIFIED
    assert record.seed_deleted_at is not None
    assert record.deletion_answer is not None
    assert "code 100" in record.deletion_answer
    assert "subcode 33" in record.deletion_answer
    assert record.counts["uploaded"] == len(world.expected)
    assert record.counts["eligible"] >= record.counts["uploaded"] + record.counts["suppressed"]
    assert record.counts["suppressed"] > 0
    assert record.register_version is not None

    # The platform: the seed is gone, the lookalike stays.
    assert sandbox.audience(record.seed_audience_id)["deleted"]
    assert record.lookalike_audience_id is not None
    lookalike = sandbox.audience(record.lookalike_audience_id)
    assert not lookalike["deleted"]
    assert lookalike["subtype"] == "LOOKALIKE"

    captured = capfd.readouterr()
    assert scan_everything(world.settings, world.addresses, captured.out + captured.err) == []


def test_dry_run_sends_nothing_and_counts_what_it_would_upload(
    world: DemoWorld, sandbox: RunningSandbox
) -> None:
    record = run_export(dry_run=True)

    assert record.state is AudienceState.DRY_RUN
    assert record.counts["prepared"] == len(world.expected)
    assert sandbox.state() == []
    assert [r for r in sandbox.requests() if not r["path"].startswith("/_sandbox")] == []

"""An objection recorded while an export runs keeps that address out of every batch not yet sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiences.ledger import AudienceState, Ledger
from objections.model import Channel
from objections.register import Register
from pipelines.settings import Settings
from tests.fixtures.exports import DemoWorld, build_world, configure_export, meta_hash, run_export
from tests.fixtures.sandbox import RunningSandbox
from tests.reliability.scenarios import event_after_batch

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_server")]


def record_objections(settings: Settings, addresses: list[str]) -> None:
    """The privacy officer records objections while the export runs."""
    with Register.open(settings.register_config) as register:
        for address in addresses:
            register.add(address, channel=Channel.PHONE, by="privacy officer")


@pytest.fixture
def world(sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DemoWorld:
    settings = configure_export(
        monkeypatch, sandbox, tmp_path / "home", EXPORT_UPLOAD_BATCH_SIZE="200"
    )
    return build_world(settings, rows=5_000, objectors=50)


def uploadable_addresses(world: DemoWorld, row_indexes: list[int]) -> list[str]:
    """Addresses at (or right after) these rows whose hash the export is expected to upload."""
    emails = world.accounts.column("email").to_pylist()
    chosen = []
    for index in row_indexes:
        address = next(
            emails[i]
            for i in range(index, len(emails))
            if emails[i] and meta_hash(emails[i]) in world.expected
        )
        chosen.append(address)
    return chosen


def test_objection_recorded_mid_run_is_honoured_before_each_batch(
    world: DemoWorld, sandbox: RunningSandbox
) -> None:
    # Row 700 is read with the first source batch (1 000 rows), long before its
    # upload batch (200 hashes each) is sent; row 4 500 is read later.
    targets = uploadable_addresses(world, [700, 4_500])
    spelt_otherwise = [f"  MAILTO:{address.strip().upper()} " for address in targets]

    with event_after_batch(1, lambda: record_objections(world.settings, spelt_otherwise)) as seen:
        record = run_export()

    assert seen.batches > 2, "the objection came between batches"
    assert record.seed_audience_id is not None
    received = set(sandbox.received(record.seed_audience_id)["added"])
    for address in targets:
        assert meta_hash(address) not in received
    assert received == world.expected - {meta_hash(address) for address in targets}
    assert record.state is AudienceState.SEED_DELETION_VERIFIED

    with Ledger.open(world.settings.ledger_url) as ledger:
        versions = [
            event.register_version
            for event in ledger.history(record.export_id)
            if event.state is AudienceState.UPLOADING and event.register_version
        ]
    assert len(set(versions)) == 2, (
        "the ledger shows the register version each batch was checked against"
    )

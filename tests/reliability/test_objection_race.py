"""An objection recorded while an export runs keeps that address out of every batch not yet sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from audiences.ledger import AudienceState, Ledger
from objections.model import Channel
from objections.register import Register
from pipelines.progress import install_reporter
from pipelines.settings import Settings
from tests.fixtures.exports import DemoWorld, build_world, configure_export, meta_hash, run_export
from tests.fixtures.sandbox import RunningSandbox

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_server")]


class ObjectAfterFirstBatch:
    """A progress reporter that records objections once the first batch is sent."""

    def __init__(self, settings: Settings, addresses: list[str]) -> None:
        self._settings = settings
        self._addresses = addresses
        self.batches_before_objection = 0

    def start(self, *, total: int) -> None:
        pass

    def advance(self, count: int) -> None:
        if self.batches_before_objection:
            return
        self.batches_before_objection = 1
        with Register.open(self._settings.register_config) as register:
            for address in self._addresses:
                register.add(address, channel=Channel.PHONE, by="privacy officer")

    def finish(self) -> None:
        pass


@pytest.fixture
def world(
    sandbox: RunningSandbox, tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DemoWorld]:
    settings = configure_export(
        monkeypatch, sandbox, tmp_path / "home", EXPORT_UPLOAD_BATCH_SIZE="200"
    )
    yield build_world(settings, rows=5_000, objectors=50)
    install_reporter(None)


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
    reporter = ObjectAfterFirstBatch(world.settings, spelt_otherwise)
    install_reporter(reporter)

    record = run_export()

    assert reporter.batches_before_objection == 1
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

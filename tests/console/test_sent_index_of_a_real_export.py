""" "Was my address sent?" answered from a real export: the upload records its sent index.

The flow runs against the Graph API sandbox; an uploaded address (in another
spelling of its mailbox) is found with the export's id, platform and account,
and a suppressed objector's address is not. The index holds keyed digests only.
"""

from __future__ import annotations

import pytest

from audiences.identity import unwrap_addresses
from audiences.ledger import Ledger
from objections.register import Register
from pipelines.console.sent import lookup_sent
from pipelines.settings import Settings
from tests.fixtures.canary import scan_everything
from tests.fixtures.exports import build_world, meta_hash, run_export

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_server")]


def test_the_lookup_finds_an_uploaded_address_and_not_a_suppressed_one(
    export_settings: Settings, capfd: pytest.CaptureFixture[str]
) -> None:
    world = build_world(export_settings, rows=1_000, objectors=20)
    record = run_export()
    addresses = unwrap_addresses(world.accounts.column("email").combine_chunks()).to_pylist()
    uploaded = next(
        address
        for address in addresses
        if address and address.isascii() and meta_hash(address) in world.expected
    )
    objector = world.objectors[0]

    with (
        Register.open(export_settings.register_config) as register,
        Ledger.open(export_settings.ledger_url) as ledger,
    ):
        found = lookup_sent(register, ledger, f" {uploaded.upper()} ", retention_days=365)
        not_found = lookup_sent(register, ledger, objector, retention_days=365)

    assert [export.export_id for export in found.exports] == [record.export_id]
    assert found.exports[0].seed_deleted_at is not None
    assert not_found.exports == []
    captured = capfd.readouterr()
    assert scan_everything(export_settings, world.addresses, captured.out + captured.err) == []

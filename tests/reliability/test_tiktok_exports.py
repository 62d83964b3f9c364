"""Exports to TikTok under trouble: faults, a crash, a late objection, two runs at once.

Real flows over real HTTP to the in-process TikTok sandbox. TikTok creates the
seed from the uploaded files when the closing file is sent, so a seed exists
only once the whole list is uploaded; its wiretap (``uploads()``) keeps every
line of every file that crossed the wire, attached to an audience or not.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from audiences.identity import unwrap_addresses
from audiences.ledger import AudienceState, ExportRecord, Ledger
from objections.model import Channel
from objections.register import Register
from pipelines.runtime import utc_now
from pipelines.settings import Settings
from tests.fixtures.canary import scan_everything
from tests.fixtures.exports import (
    DemoWorld,
    build_world,
    meta_hash,
    run_export,
    run_reconcile,
    wait_for_ledger,
)
from tests.fixtures.sandbox import RunningSandbox
from tests.fixtures.tiktok_sandbox import RunningTikTokSandbox
from tests.reliability.tiktok_world import (
    cli_runs,
    configure_tiktok_export,
    custom_audiences,
    repeated,
    seed_of,
)

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_server")]

ROWS = 2_000
OBJECTORS = 40
SLOW_MATCH_SECONDS = 600.0
"""Matching takes this long: the seed stays live (and unmatched) for the whole test."""
LEASE_SECONDS = 2.0
FAULT_CODES = {None, 50000, 50002}
"""The codes of the sandbox's injected faults (a gateway page has none). The fault
injector is seeded and the calls up to the seed's creation come in a fixed order,
so every run sees the same faults on the uploads."""
UPLOAD = "/file/upload/"
NOT_EXIST = "code 40007"
"""TikTok's "the audience does not exist", the second half of a verified deletion."""


def demo_world(settings: Settings) -> DemoWorld:
    """2 000 demo accounts and 40 objectors: more than 1 001 people to upload."""
    world = build_world(settings, rows=ROWS, objectors=OBJECTORS)
    assert len(world.expected) > 1_001, "the seed must stay over TikTok's update floor"
    return world


@pytest.fixture
def world(
    sandbox: RunningSandbox,
    tiktok_sandbox: RunningTikTokSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> DemoWorld:
    """The demo world in a data folder exporting to the TikTok sandbox."""
    return demo_world(
        configure_tiktok_export(monkeypatch, sandbox, tiktok_sandbox, tmp_path / "home")
    )


def forbidden_uploaded(world: DemoWorld, uploaded: set[str]) -> dict[str, int]:
    """How many hashes that must never leave were uploaded, by why."""
    return {reason: len(hashes & uploaded) for reason, hashes in world.forbidden.items()}


def assert_seed_deleted_and_lookalike_kept(
    sandbox: RunningTikTokSandbox, record: ExportRecord
) -> None:
    """The ledger's seed is deleted and verified on TikTok; its lookalike lives on."""
    assert record.state is AudienceState.SEED_DELETION_VERIFIED
    assert record.deletion_answer is not None
    assert NOT_EXIST in record.deletion_answer
    seed = sandbox.audience(seed_of(record))
    assert (seed["subtype"], seed["deleted"]) == ("CUSTOM", True)
    assert record.lookalike_audience_id is not None
    lookalike = sandbox.audience(record.lookalike_audience_id)
    assert lookalike["subtype"] == "LOOKALIKE"
    assert lookalike["source_audience_id"] == seed_of(record)
    assert not lookalike["deleted"]


def test_an_export_through_faults_uploads_each_person_once_and_deletes_its_seed(
    world: DemoWorld,
    tiktok_sandbox: RunningTikTokSandbox,
    capfd: pytest.CaptureFixture[str],
) -> None:
    tiktok_sandbox.set_faults(fault_rate=0.1, html_fault_rate=0.1)

    record = run_export(destination="tiktok", size="balanced")

    faulted = [r for r in tiktok_sandbox.requests() if r["code"] in FAULT_CODES]
    assert {r["code"] is None for r in faulted} == {True, False}, "gateway pages and envelopes"
    assert any(r["path"].endswith(UPLOAD) for r in faulted), "no file upload was faulted"
    uploaded = tiktok_sandbox.uploads()["hashes"]
    assert repeated(uploaded) == 0, "a hash was uploaded twice"
    assert set(uploaded) == world.expected
    assert forbidden_uploaded(world, set(uploaded)) == dict.fromkeys(world.forbidden, 0)
    assert record.destination == "tiktok"
    assert sorted(tiktok_sandbox.received(seed_of(record))["added"]) == sorted(uploaded)
    assert record.counts["uploaded"] == len(world.expected)
    assert_seed_deleted_and_lookalike_kept(tiktok_sandbox, record)
    assert custom_audiences(tiktok_sandbox, deleted=False) == []
    captured = capfd.readouterr()
    assert scan_everything(world.settings, world.addresses, captured.out + captured.err) == []


def test_an_export_killed_while_waiting_for_matching_has_its_seed_deleted_by_one_reconcile(
    world: DemoWorld,
    tiktok_sandbox: RunningTikTokSandbox,
    prefect_server: str,
    tmp_path: Path,
) -> None:
    tiktok_sandbox.set_delays(match_delay_seconds=SLOW_MATCH_SECONDS)
    output = tmp_path / "killed-run.out"
    with cli_runs(
        prefect_server,
        [output],
        EXPORT_LEASE_SECONDS=str(LEASE_SECONDS),
        EXPORT_LEASE_RENEW_SECONDS="0.2",
    ) as (process,):
        wait_for_ledger(
            world.settings,
            [process],
            lambda exports: bool(exports) and exports[0].state is AudienceState.UPLOADED,
        )
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    with Ledger.open(world.settings.ledger_url) as ledger:
        (killed,) = ledger.exports()
    seed = seed_of(killed)
    assert set(tiktok_sandbox.received(seed)["added"]) == world.expected
    assert custom_audiences(tiktok_sandbox, deleted=False) == [seed]
    assert killed.lease is not None
    if killed.lease.is_live(utc_now()):  # it may still be running: left alone
        assert run_reconcile() == {"unfinished": 1, "finished": 0}
        assert custom_audiences(tiktok_sandbox, deleted=False) == [seed]

    # One lease period later TikTok has matched the seed; one reconcile finishes the export.
    time.sleep(max(0.0, (killed.lease.expires_at - utc_now()).total_seconds()) + 0.1)
    tiktok_sandbox.set_delays(match_delay_seconds=0, lookalike_delay_seconds=0)
    assert run_reconcile() == {"unfinished": 0, "finished": 1}

    with Ledger.open(world.settings.ledger_url) as ledger:
        cleaned = ledger.get(killed.export_id)
    assert cleaned.seed_audience_id == seed
    assert_seed_deleted_and_lookalike_kept(tiktok_sandbox, cleaned)
    assert custom_audiences(tiktok_sandbox, deleted=False) == []
    printed = output.read_text(errors="replace")
    assert scan_everything(world.settings, world.addresses, printed) == []


def an_uploaded_address(world: DemoWorld) -> str:
    """An ASCII address whose hash the export uploads."""
    addresses: list[str | None] = unwrap_addresses(
        world.accounts.column("email").combine_chunks()
    ).to_pylist()
    return next(
        address
        for address in addresses
        if address and address.isascii() and meta_hash(address) in world.expected
    )


def test_a_late_objection_leaves_the_live_tiktok_seed_at_the_next_reconcile(
    sandbox: RunningSandbox,
    tiktok_sandbox: RunningTikTokSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    settings = configure_tiktok_export(
        monkeypatch, sandbox, tiktok_sandbox, tmp_path / "home", EXPORT_WAIT_FOR_MATCH_SECONDS="0"
    )
    world = demo_world(settings)
    tiktok_sandbox.set_delays(match_delay_seconds=SLOW_MATCH_SECONDS)
    assert tiktok_sandbox.options()["min_update_size"] == 1_000

    record = run_export()
    assert record.state is AudienceState.UPLOADED
    seed = seed_of(record)
    objector = an_uploaded_address(world)
    assert meta_hash(objector) in tiktok_sandbox.received(seed)["added"]
    with Register.open(settings.register_config) as register:
        register.add(f"  {objector.upper()} ", channel=Channel.EMAIL, by="privacy officer")

    run_reconcile()

    assert tiktok_sandbox.received(seed)["removed"] == [meta_hash(objector)]
    assert tiktok_sandbox.audience(seed)["members"] == len(world.expected) - 1
    with Ledger.open(settings.ledger_url) as ledger:
        notes = [
            note.detail for note in ledger.notes(record.export_id, kind="late_objections_removed")
        ]
        assert ledger.get(record.export_id).state is AudienceState.UPLOADED
    assert notes == [f"1 late objection removed from seed {seed} (1 identifiers)"]
    run_reconcile()  # nothing new: nothing removed twice
    assert tiktok_sandbox.received(seed)["removed"] == [meta_hash(objector)]
    captured = capfd.readouterr()
    assert scan_everything(settings, world.addresses, captured.out + captured.err) == []


def both_before_their_seed(exports: list[ExportRecord]) -> bool:
    """Both exports planned, and TikTok has created neither seed yet."""
    return len(exports) == 2 and all(record.seed_audience_id is None for record in exports)


def test_two_exports_to_the_same_advertiser_at_once_both_complete_with_their_own_seed(
    world: DemoWorld,
    tiktok_sandbox: RunningTikTokSandbox,
    prefect_server: str,
    tmp_path: Path,
) -> None:
    # Slow answers until both exports are under way, TikTok having created neither seed.
    tiktok_sandbox.set_faults(latency_ms=250)
    outputs = [tmp_path / "first.out", tmp_path / "second.out"]
    with cli_runs(prefect_server, outputs) as runs:
        wait_for_ledger(world.settings, runs, both_before_their_seed)
        tiktok_sandbox.set_faults(latency_ms=0)
        for run in runs:
            run.wait(timeout=120)
    assert [run.returncode for run in runs] == [0, 0], f"see {outputs}"
    printed = [output.read_text(errors="replace") for output in outputs]

    with Ledger.open(world.settings.ledger_url) as ledger:
        exports = ledger.exports()
    assert len({seed_of(record) for record in exports}) == 2
    assert len({record.lookalike_audience_id for record in exports}) == 2
    files = tiktok_sandbox.uploads()["files"]
    for record in exports:
        assert_seed_deleted_and_lookalike_kept(tiktok_sandbox, record)
        received = tiktok_sandbox.received(seed_of(record))["added"]
        assert repeated(received) == 0, "a hash was received twice by one seed"
        assert set(received) == world.expected
        attached = [file for file in files if file["attached_to"] == [seed_of(record)]]
        assert sum(file["lines"] for file in attached) == len(received)
    assert all(len(file["attached_to"]) == 1 for file in files), "a file shared by two seeds"
    assert scan_everything(world.settings, world.addresses, "\n".join(printed)) == []

"""Lawful by construction: no export without its legal basis; late objections leave live seeds.

A production export without a legal basis, its assessment or the notice
version, or to a platform the notice does not name, is refused before anything
is sent and recorded. Under ``consent``, accounts without consent never reach
the platform. An objection recorded while a seed is live takes the person's
identifiers out of that seed at the next reconcile, counted in the ledger and
noted in the objection's history.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audiences.identity import unwrap_addresses
from audiences.ledger import AudienceState, Ledger
from objections.model import Action, Channel
from objections.register import Register
from tests.fixtures.canary import scan_everything
from tests.fixtures.exports import (
    DemoWorld,
    build_world,
    configure_export,
    meta_hash,
    run_export,
    run_reconcile,
)
from tests.fixtures.sandbox import RunningSandbox
from tests.reliability.test_bad_configuration import (
    cli,
    files_in,
    graph_requests,
    only_export,
    prepared_home,
)

PRODUCTION = {
    "META_GRAPH_URL": "https://graph.facebook.example",
    "META_ACCESS_TOKEN": "a-production-token",
    "META_AD_ACCOUNT": "1234567890123456",
}
"""A production endpoint that is never reached: the refusal comes before any call."""
LAWFUL = {
    "basis": "legitimate_interest",
    "assessment_reference": "LIA-2026-04",
    "notice_version": "2026-11",
    "notice_recipients": ["meta"],
}


def legal(**changes: object) -> str:
    return json.dumps({key: value for key, value in (LAWFUL | changes).items() if value})


@pytest.fixture
def home(sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return prepared_home(sandbox, tmp_path, monkeypatch)


def formatted(section: str | None) -> str | None:
    """``section`` as the command-line helper expects values (it formats them)."""
    return None if section is None else section.replace("{", "{{").replace("}", "}}")


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (None, "set legal.meta.basis, legal.meta.assessment_reference, legal.meta.notice_version"),
        (legal(assessment_reference=None), "set legal.meta.assessment_reference"),
        (legal(notice_recipients=["google"]), "does not name meta as a recipient"),
    ],
    ids=["no basis", "no assessment reference", "meta not a recipient"],
)
def test_a_production_export_without_its_legal_basis_is_refused(
    home: Path, sandbox: RunningSandbox, section: str | None, message: str
) -> None:
    before = files_in(home)
    environment: dict[str, str | None] = dict(PRODUCTION) | {"LEGAL_META": formatted(section)}

    refused = cli(home, environment, "run")

    assert refused.returncode == 2, refused.stderr
    assert message in refused.stderr
    assert "a-production-token" not in refused.stderr
    record = only_export(home)
    assert record.state is AudienceState.FAILED
    assert record.failure_reason is not None
    assert message in record.failure_reason
    assert graph_requests(sandbox) == []
    assert files_in(home) - before == {"ledger.sqlite"}


def consent_world(
    sandbox: RunningSandbox, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> DemoWorld:
    settings = configure_export(
        monkeypatch,
        sandbox,
        folder,
        LEGAL_META=legal(basis="consent", assessment_reference="DPIA-7"),
    )
    return build_world(settings, rows=2_000, objectors=20)


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_server")
def test_under_consent_accounts_without_consent_never_reach_the_platform(
    sandbox: RunningSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    world = consent_world(sandbox, tmp_path / "home", monkeypatch)
    rows = world.accounts.to_pylist()
    addresses = unwrap_addresses(world.accounts.column("email").combine_chunks()).to_pylist()
    eligible = [
        (a, row["ad_consent"])
        for a, row in zip(addresses, rows, strict=True)
        if a and row["status"] == "active" and row["email_verified"] and not row["deleted_at"]
    ]
    consenting = {meta_hash(a) for a, consent in eligible if consent}
    without = {meta_hash(a) for a, consent in eligible if not consent} - consenting
    assert without & world.expected, "some eligible accounts gave no consent"

    record = run_export()

    assert record.state is AudienceState.SEED_DELETION_VERIFIED
    assert record.legal is not None
    assert (record.legal.basis, record.legal.assessment_reference) == ("consent", "DPIA-7")
    assert record.legal.notice_version == "2026-11"
    assert record.seed_audience_id is not None
    received = set(sandbox.received(record.seed_audience_id)["added"])
    assert received == world.expected - without
    assert not received & without
    assert record.counts["no_consent"] > 0
    captured = capfd.readouterr()
    assert scan_everything(world.settings, world.addresses, captured.out + captured.err) == []


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_server")
def test_a_late_objection_leaves_the_live_seed_at_the_next_reconcile(
    sandbox: RunningSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    settings = configure_export(
        monkeypatch, sandbox, tmp_path / "home", EXPORT_WAIT_FOR_MATCH_SECONDS="0"
    )
    world = build_world(settings, rows=2_000, objectors=20)
    sandbox.set_options(match_delay_seconds=120)  # matching is slow: the seed stays live

    record = run_export()
    assert record.state is AudienceState.UPLOADED
    assert record.legal is not None
    assert record.legal.assessment_reference.startswith("DEMO")
    seed = record.seed_audience_id
    assert seed is not None
    # A customer whose address was uploaded objects, in another spelling of the mailbox.
    uploaded = next(
        address
        for address in unwrap_addresses(world.accounts.column("email").combine_chunks()).to_pylist()
        if address and address.isascii() and meta_hash(address) in world.expected
    )
    assert meta_hash(uploaded) in sandbox.received(seed)["added"]
    with Register.open(settings.register_config) as register:
        objection = register.add(f"  {uploaded.upper()} ", channel=Channel.EMAIL, by="officer")

    run_reconcile()

    assert sandbox.received(seed)["removed"] == [meta_hash(uploaded)]
    with Ledger.open(settings.ledger_url) as ledger:
        notes = [
            note.detail for note in ledger.notes(record.export_id, kind="late_objections_removed")
        ]
        assert ledger.get(record.export_id).state is AudienceState.UPLOADED
    assert notes == [f"1 late objection removed from seed {seed} (1 identifiers)"]
    with Register.open(settings.register_config) as register:
        history = register.history(objection.objection_id)
    assert [entry.action for entry in history][-1] is Action.REMOVED_FROM_SEEDS
    assert history[-1].note == "removed from 1 live seed"

    run_reconcile()  # nothing new: nothing removed twice
    assert sandbox.received(seed)["removed"] == [meta_hash(uploaded)]
    captured = capfd.readouterr()
    assert scan_everything(settings, world.addresses, captured.out + captured.err) == []


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_server")
def test_a_late_objector_the_platform_refuses_to_remove_has_the_seed_deleted_at_once(
    sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = configure_export(
        monkeypatch, sandbox, tmp_path / "home", EXPORT_WAIT_FOR_MATCH_SECONDS="0"
    )
    world = build_world(settings, rows=1_000, objectors=10)
    # Matching is slow, and the platform refuses any removal leaving fewer than 100 000.
    sandbox.set_options(match_delay_seconds=120, removal_floor=100_000)
    record = run_export()
    seed = record.seed_audience_id
    assert seed is not None
    uploaded = next(
        address
        for address in unwrap_addresses(world.accounts.column("email").combine_chunks()).to_pylist()
        if address and meta_hash(address) in world.expected
    )
    with Register.open(settings.register_config) as register:
        register.add(uploaded, channel=Channel.EMAIL, by="officer")

    run_reconcile()

    with Ledger.open(settings.ledger_url) as ledger:
        after = ledger.get(record.export_id)
        notes = [note.detail for note in ledger.notes(record.export_id)]
    assert after.state is AudienceState.SEED_DELETION_VERIFIED
    assert after.latest_reason is not None
    assert "a late objector could not be removed from seed" in after.latest_reason
    assert any("the seed is deleted now instead" in note for note in notes)
    assert sandbox.audience(seed)["deleted"]

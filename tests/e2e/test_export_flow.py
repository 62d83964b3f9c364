"""End to end: the real flow on 5 000 demo accounts against the sandbox, proven from its wiretap.

The expected upload is computed here, independently of the pipeline: the
eligibility rule in Python, suppression with the register's scalar canonical
key (the pipeline uses the vectorised one), Meta's hash with ``hashlib``.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pytest

from audiences.identity import invalid_reasons, unwrap_addresses
from audiences.ledger import AudienceState, ExportRecord, Ledger
from objections.canonical import InvalidAddress, canonical_key
from pipelines.demo import write_demo_data
from pipelines.demo_data import choose_objectors, generate_accounts
from pipelines.settings import Settings, load_settings
from tests.conftest import SESSION_TMP
from tests.fixtures.canary import IdentifierScanner
from tests.fixtures.sandbox import RunningSandbox

pytestmark = pytest.mark.prefect

ROWS = 5_000
OBJECTORS = 300
SEED = 4242


@dataclass(frozen=True)
class DemoWorld:
    """The demo database, its objectors, and what must (not) be uploaded."""

    settings: Settings
    accounts: pa.Table
    objectors: list[str]
    expected: frozenset[str]
    forbidden: dict[str, frozenset[str]]


def _meta_hash(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


def _key(address: str) -> str | None:
    try:
        return canonical_key(address)
    except InvalidAddress:
        return None


def _world(settings: Settings) -> DemoWorld:
    accounts = generate_accounts(ROWS, seed=SEED)
    objectors = choose_objectors(accounts, OBJECTORS, seed=SEED)
    write_demo_data(
        settings.source_url,
        settings.register_config,
        rows=ROWS,
        objectors=OBJECTORS,
        seed=SEED,
        on_keys_created=lambda _path: None,
    )
    objector_keys = {_key(address) for address in objectors} - {None}
    unwrapped = unwrap_addresses(accounts.column("email").combine_chunks())
    reasons = invalid_reasons(unwrapped).to_pylist()
    expected: set[str] = set()
    hashes_by_reason: dict[str, set[str]] = {
        "objector": set(),
        "ineligible": set(),
        "invalid": set(),
    }
    rows = zip(accounts.to_pylist(), unwrapped.to_pylist(), reasons, strict=True)
    for row, address, reason in rows:
        eligible = row["status"] == "active" and row["email_verified"] and not row["deleted_at"]
        if address is None:
            continue
        digest = _meta_hash(address)
        if reason is not None or _key(address) is None:
            hashes_by_reason["invalid"].add(digest)
        elif not eligible:
            hashes_by_reason["ineligible"].add(digest)
        elif _key(address) in objector_keys:
            hashes_by_reason["objector"].add(digest)
        else:
            expected.add(digest)
    forbidden = {
        # An ineligible account may share its mailbox with an eligible one: only
        # hashes that no eligible, valid, non-objecting account has are forbidden.
        reason: frozenset(hashes - expected)
        for reason, hashes in hashes_by_reason.items()
    }
    assert min(len(hashes) for hashes in forbidden.values()) > 40, "the demo data lost its realism"
    return DemoWorld(settings, accounts, objectors, frozenset(expected), forbidden)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(
    request: pytest.FixtureRequest,
    sandbox: RunningSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> DemoWorld:
    """A data folder (SQLite, or everything in one PostgreSQL database) and the sandbox."""
    environment = {
        "AUDIENCE_EXPORT_HOME": str(tmp_path / "home"),
        "AUDIENCE_EXPORT_META_GRAPH_URL": sandbox.url,
        "AUDIENCE_EXPORT_META_ACCESS_TOKEN": sandbox.access_token,
        "AUDIENCE_EXPORT_META_APP_SECRET": sandbox.app_secret,
        "AUDIENCE_EXPORT_META_AD_ACCOUNT": sandbox.ad_account,
        "AUDIENCE_EXPORT_META_BACKOFF_SECONDS": "0.01",
        "AUDIENCE_EXPORT_EXPORT_POLL_SECONDS": "0.05",
        "AUDIENCE_EXPORT_EXPORT_WAIT_FOR_MATCH_SECONDS": "30",
        "AUDIENCE_EXPORT_SOURCE_BATCH_ROWS": "1000",
    }
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
        for section in ("SOURCE", "OBJECTIONS", "LEDGER"):
            environment[f"AUDIENCE_EXPORT_{section}_URL"] = url
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    settings.home.mkdir(parents=True)
    return _world(settings)


def _run_export(**parameters: object) -> ExportRecord:
    from pipelines.flows.export import lookalike_export  # noqa: PLC0415

    result = lookalike_export(**parameters)  # type: ignore[arg-type]
    with Ledger.open(load_settings().ledger_url) as ledger:
        return ledger.get(str(result["export_id"]))


def _prefect_and_temp_folders() -> list[Path]:
    """PREFECT_HOME, the Prefect test database and every temp file outside pytest's own folders."""
    return [path for path in SESSION_TMP.iterdir() if not path.name.startswith("pytest-of-")] + [
        Path(os.environ["PREFECT_HOME"])
    ]


@pytest.mark.usefixtures("prefect_server")
def test_export_uploads_exactly_the_eligible_non_objectors_and_deletes_the_seed(
    world: DemoWorld, sandbox: RunningSandbox, capfd: pytest.CaptureFixture[str]
) -> None:
    record = _run_export(country="FR", ratio=0.02)

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
    seed = sandbox.audience(record.seed_audience_id)
    assert seed["deleted"]
    assert record.lookalike_audience_id is not None
    lookalike = sandbox.audience(record.lookalike_audience_id)
    assert not lookalike["deleted"]
    assert lookalike["subtype"] == "LOOKALIKE"

    # Nothing personal anywhere: Prefect's home and database, temp files, the
    # data folder (but the source database itself), and everything printed.
    scanner = IdentifierScanner.of(
        address for address in world.accounts.column("email").to_pylist() if address
    )
    data_folder = world.settings.home
    scanned = [data_folder, *_prefect_and_temp_folders()]
    prefect_databases = [path for root in scanned for path in root.rglob("prefect*.db")]
    assert prefect_databases, "the scan must cover Prefect's database"
    source_files = list(data_folder.glob("accounts.sqlite*"))
    if source_files:  # the scanner does find addresses in a SQLite file
        assert scanner.scan_files(source_files)
    hits = scanner.scan_files(scanned, skip=source_files)
    captured = capfd.readouterr()
    hits += scanner.scan_bytes("captured output", (captured.out + captured.err).encode())
    assert hits == []


@pytest.mark.usefixtures("prefect_server")
def test_dry_run_sends_nothing_and_counts_what_it_would_upload(
    world: DemoWorld, sandbox: RunningSandbox
) -> None:
    record = _run_export(dry_run=True)

    assert record.state is AudienceState.DRY_RUN
    assert record.counts["prepared"] == len(world.expected)
    assert sandbox.state() == []
    assert [r for r in sandbox.requests() if not r["path"].startswith("/_sandbox")] == []

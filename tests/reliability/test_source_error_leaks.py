"""Source errors leave no fragment of the data anywhere: real flows, every file written scanned.

Each case makes a source fail where the driver's or parser's own message
would quote the data: Arrow's CSV error holds the bad row (cut short when
long, so a fragment without ``@`` remains), an address with ``=`` in its local
part, PostgreSQL quoting a relation named after a canary, a 64-hex hash or an
address it could not convert. The export must stop with the product's own
words (row or batch number, error class, SQLSTATE), and no 12-character piece
of any canary, nor of its hash, may be in the ledger, Prefect's database and
result storage, the logs or what was printed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from audiences.ledger import AudienceState
from pipelines.settings import Settings
from tests.fixtures.canary import scan_for_fragments
from tests.fixtures.exports import latest_export, run_export
from tests.fixtures.sandbox import RunningSandbox
from tests.pipelines.accounts import accounts_table, store
from tests.reliability.test_bad_source_data import ready_for_export

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_server")]

LONG_CANARY = "jean.dupont.zq7canary251.with.a.very.long.local.part.indeed@qx9canary.fr"
"""Long enough that Arrow cuts a row holding it short, leaving a piece without ``@``."""
EQUALS_CANARY = "jean.dupont.zq7canary9=x@qx9canary.fr"
"""A local part with ``=``, where the old scrubber cut the address and kept the start."""
RELATION_CANARY = "zq7canary251"
CANARIES = (LONG_CANARY, EQUALS_CANARY, RELATION_CANARY)
"""Looked for in every case: no piece of any of them, nor of their hashes, may be written."""
HEADER = "id,email,status,email_verified,deleted_at\n"


@dataclass(frozen=True)
class Leak:
    """A failing source: what the export must say, and where it fails."""

    says: tuple[str, ...]
    """Pieces of the product's own message, found in the ledger and the flow's error."""
    before_the_seed: bool | None = True
    """``None``: either (preparation reads ahead, so a seed may or may not exist yet)."""
    """The export stops before any seed audience exists."""


def good_csv_rows(first: int, count: int) -> str:
    return "".join(f"{n},valid.{n}@example.fr,active,true,\n" for n in range(first, first + count))


def csv_source(home: Path, rows_before: int, bad_row: str) -> Path:
    """A CSV export with ``bad_row`` after ``rows_before`` good rows, and more after it."""
    path = home / "accounts.csv"
    path.write_text(
        HEADER + good_csv_rows(1, rows_before) + bad_row + good_csv_rows(rows_before + 1, 200)
    )
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


CSV_CASES = {
    "a long bad row Arrow quotes cut short, first block": (
        1,
        f"9999,valid.x@example.fr,active,true,,{LONG_CANARY}\n",
        Leak(("opening", "row 3 has 6 fields where the header has 5")),
    ),
    "a long bad row Arrow quotes cut short, later block": (
        40_000,
        f"9999,valid.x@example.fr,active,true,,{LONG_CANARY}\n",
        Leak(("counting", "row 40002 has 6 fields where the header has 5")),
    ),
    "an = in the local part of a bad row": (
        300,
        f"9999,{EQUALS_CANARY},active,true,,extra\n",
        Leak(("row 302 has 6 fields where the header has 5",)),
    ),
    "an = in the local part where a boolean belongs": (
        300,
        f"9999,valid.x@example.fr,active,{EQUALS_CANARY},\n",
        Leak(("row 302: email_verified is not true, false, 1 or 0",)),
    ),
}


@pytest.fixture(params=list(CSV_CASES))
def csv_leak(
    request: pytest.FixtureRequest,
    sandbox: RunningSandbox,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Settings, Leak, list[Path]]:
    rows_before, bad_row, leak = CSV_CASES[request.param]
    path = csv_source(home, rows_before, bad_row)
    settings = ready_for_export(monkeypatch, sandbox, home, SOURCE_URL=str(path))
    return settings, leak, [path]


def test_a_csv_source_error_leaves_no_fragment_of_the_row(
    csv_leak: tuple[Settings, Leak, list[Path]],
    sandbox: RunningSandbox,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings, leak, source = csv_leak
    assert_stopped_without_a_trace(settings, leak, source, sandbox, capfd, caplog)


def hash_of(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


POSTGRES_CASES = {
    "a relation named after a canary": (
        f"SELECT id AS account_id, email FROM {RELATION_CANARY}",
        Leak(("an undefined table (ProgrammingError", "SQLSTATE 42P01")),
    ),
    "a hash PostgreSQL cannot read as a number": (
        # Hashing in the query: PostgreSQL quotes the 64-hex value it could not convert.
        "SELECT id AS account_id, email FROM accounts "
        "WHERE CAST(encode(sha256(convert_to(lower(trim(email)), 'UTF8')), 'hex') AS INTEGER) > 0",
        Leak(("counting the eligible rows failed", "SQLSTATE 22P02")),
    ),
    "an address with = PostgreSQL cannot read as a number, mid-stream": (
        "SELECT id AS account_id, "
        "CASE WHEN id = 9999 THEN CAST(CAST(email AS INTEGER) AS TEXT) ELSE email END AS email "
        "FROM accounts",
        Leak(
            ("reading the eligible rows failed", " in batch ", "SQLSTATE 22P02"),
            before_the_seed=None,
        ),
    ),
}


@pytest.fixture(params=list(POSTGRES_CASES))
def postgres_leak(
    request: pytest.FixtureRequest,
    sandbox: RunningSandbox,
    home: Path,
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Settings, Leak]:
    query, leak = POSTGRES_CASES[request.param]
    # In this order, which a sequential scan keeps: the hash of the first row is
    # quoted when hashing fails; the last row fails mid-stream.
    rows: list[tuple[int, str | None, str, bool, str, bool]] = [
        (9998, LONG_CANARY, "active", True, "FR", False)
    ]
    rows += [(n, f"valid.{n}@example.fr", "active", True, "FR", False) for n in range(1, 301)]
    rows += [(9999, EQUALS_CANARY, "active", True, "FR", False)]
    store(accounts_table(rows), "database", home, postgres_url)
    settings = ready_for_export(
        monkeypatch, sandbox, home, SOURCE_URL=postgres_url, SOURCE_QUERY=query
    )
    return settings, leak


@pytest.mark.postgres
def test_a_postgresql_error_quoting_a_value_leaves_no_fragment_of_it(
    postgres_leak: tuple[Settings, Leak],
    sandbox: RunningSandbox,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings, leak = postgres_leak
    assert_stopped_without_a_trace(settings, leak, [], sandbox, capfd, caplog)


def assert_stopped_without_a_trace(
    settings: Settings,
    leak: Leak,
    source: list[Path],
    sandbox: RunningSandbox,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with pytest.raises(Exception) as raised:  # noqa: PT011 - the flow's own error, any type
        run_export()

    record = latest_export(settings)
    assert record.failure_reason is not None
    for words in leak.says:
        assert words in record.failure_reason
        assert words in str(raised.value)
    if leak.before_the_seed is not None:
        assert (record.seed_audience_id is None) is leak.before_the_seed
    if record.seed_audience_id is not None:
        assert record.state is AudienceState.SEED_DELETION_VERIFIED
    captured = capfd.readouterr()
    printed = f"{raised.value}\n{captured.out}\n{captured.err}\n{caplog.text}"
    assert scan_for_fragments(settings, CANARIES, printed, source=source) == []


@pytest.mark.postgres
def test_a_dry_run_whose_source_fails_mid_stream_ends_failed_with_the_source_error(
    sandbox: RunningSandbox,
    home: Path,
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    rows = [(n, f"valid.{n}@example.fr", "active", True, "FR", False) for n in range(1, 301)]
    rows += [(9999, EQUALS_CANARY, "active", True, "FR", False)]
    store(accounts_table(rows), "database", home, postgres_url)
    query = POSTGRES_CASES["an address with = PostgreSQL cannot read as a number, mid-stream"][0]
    settings = ready_for_export(
        monkeypatch, sandbox, home, SOURCE_URL=postgres_url, SOURCE_QUERY=query
    )

    with pytest.raises(Exception) as raised:  # noqa: PT011 - the flow's own error, any type
        run_export(dry_run=True)

    record = latest_export(settings)
    assert record.dry_run
    assert record.state is AudienceState.FAILED
    assert record.failure_reason is not None
    assert record.failure_reason.startswith("the dry run failed: ")
    for words in ("reading the eligible rows failed", " in batch ", "SQLSTATE 22P02"):
        assert words in record.failure_reason
    assert "not allowed" not in str(raised.value)
    assert sandbox.state() == []
    captured = capfd.readouterr()
    printed = f"{raised.value}\n{captured.out}\n{captured.err}\n{caplog.text}"
    assert scan_for_fragments(settings, CANARIES, printed, source=[]) == []

"""Demo accounts look like real data, and objections are spelt unlike the accounts."""

from __future__ import annotations

import re
import time
import unicodedata
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from audiences.identity import invalid_reasons, unwrap_addresses
from pipelines.demo_data import choose_objectors, generate_accounts, write_accounts
from pipelines.sources import open_source

ROWS = 5_000


@pytest.fixture(scope="module")
def accounts() -> pa.Table:
    return generate_accounts(ROWS)


def mailbox_key(address: str) -> str:
    """The design's canonical mailbox key, written out independently for the test."""
    value = unicodedata.normalize("NFC", address.strip())
    value = re.sub(r"^[^<>]*<\s*([^<>]*?)\s*>$", r"\1", value)
    value = re.sub(r"(?i)^mailto:\s*", "", value).strip().lower()
    local, _, domain = value.rpartition("@")
    if domain in {"gmail.com", "googlemail.com"}:
        return f"{local.split('+')[0].replace('.', '')}@gmail.com"
    return value


def eligible(accounts: pa.Table) -> pa.ChunkedArray:
    active = pc.equal(accounts["status"], "active")
    return pc.and_(pc.and_(active, accounts["email_verified"]), pc.is_null(accounts["deleted_at"]))


def test_the_same_seed_gives_the_same_accounts(accounts: pa.Table) -> None:
    assert generate_accounts(ROWS).equals(accounts)
    assert not generate_accounts(ROWS, seed=8).equals(accounts)


def test_five_thousand_accounts_are_generated_fast() -> None:
    started = time.perf_counter()
    generate_accounts(ROWS, seed=11)
    assert time.perf_counter() - started < 2


def test_about_seventy_percent_are_eligible(accounts: pa.Table) -> None:
    share = pc.sum(eligible(accounts)).as_py() / ROWS
    assert 0.66 < share < 0.74
    statuses = Counter(accounts["status"].to_pylist())
    assert set(statuses) == {"active", "closed", "suspended"}
    deleted_but_active = pc.and_(
        pc.is_valid(accounts["deleted_at"]), pc.equal(accounts["status"], "active")
    )
    assert pc.sum(deleted_but_active).as_py() > 0
    countries = Counter(accounts["country"].to_pylist())
    assert countries.most_common(1)[0][0] == "FR"
    assert countries["FR"] / ROWS > 0.75


def test_every_kind_of_messy_address_appears(accounts: pa.Table) -> None:
    emails = accounts["email"].to_pylist()
    present = [email for email in emails if email is not None]
    reasons = Counter(invalid_reasons(unwrap_addresses(accounts["email"].combine_chunks())))
    invalid_share = sum(n for reason, n in reasons.items() if reason.as_py()) / ROWS
    assert 0.015 < invalid_share < 0.05
    found = {
        "null": len(present) < ROWS,
        "empty": "" in present,
        "too long": any(len(email) > 254 for email in present),
        "no at sign": any("@" not in email and email.strip() for email in present),
        "mixed case": any(email != email.lower() and "<" not in email for email in present),
        "white space": any(email != email.strip() for email in present),
        "mailto": any(email.lower().startswith("mailto:") for email in present),
        "named": any(re.match(r"^[^<>@]+ <[^<>]+@[^<>]+>$", email) for email in present),
        "non-ASCII": any(not email.isascii() for email in present),
        "gmail": any(email.lower().endswith("@gmail.com") for email in present),
        "googlemail": any("@googlemail.com" in email.lower() for email in present),
        "example domains": any("@example.fr" in email for email in present),
    }
    assert [feature for feature, seen in found.items() if not seen] == []


def test_the_same_mailbox_appears_in_several_spellings(accounts: pa.Table) -> None:
    valid = [
        email
        for email, reason in zip(
            accounts["email"].to_pylist(),
            invalid_reasons(unwrap_addresses(accounts["email"].combine_chunks())).to_pylist(),
            strict=True,
        )
        if reason is None
    ]
    spellings: dict[str, set[str]] = {}
    for email in valid:
        spellings.setdefault(mailbox_key(email), set()).add(email)
    respelt = sum(1 for variants in spellings.values() if len(variants) > 1)
    assert respelt > ROWS * 0.02


def test_objectors_are_account_holders_spelling_their_address_differently(
    accounts: pa.Table,
) -> None:
    objectors = choose_objectors(accounts, 200, seed=3)
    assert objectors == choose_objectors(accounts, 200, seed=3)
    assert len(objectors) == 200
    own = accounts["email"].to_pylist()
    keys = {mailbox_key(email): row for row, email in enumerate(own) if email}
    is_eligible = eligible(accounts).to_pylist()
    rows = [keys[mailbox_key(objector)] for objector in objectors]
    assert not set(objectors) & set(own)
    from_eligible = sum(is_eligible[row] for row in rows)
    assert 150 <= from_eligible < 200


def test_too_many_objectors_are_refused() -> None:
    with pytest.raises(ValueError, match="eligible accounts"):
        choose_objectors(generate_accounts(50), 500, seed=1)


def test_written_accounts_read_back_through_the_source(database_url: str) -> None:
    accounts = generate_accounts(2_000)
    write_accounts(accounts, database_url)
    write_accounts(accounts, database_url)  # replaces, never appends
    with open_source(database_url, query=None, batch_rows=500) as source:
        read = pa.Table.from_batches(list(source.batches()))
        assert source.estimate_rows() == read.num_rows
    expected = accounts.filter(eligible(accounts))
    assert sorted(read["account_id"].to_pylist()) == sorted(
        str(account_id) for account_id in expected["id"].to_pylist()
    )
    by_id = dict(zip(read["account_id"].to_pylist(), read["email"].to_pylist(), strict=True))
    assert all(by_id[str(row["id"])] == row["email"] for row in expected.to_pylist())


def test_a_sqlite_file_and_its_folder_are_created(tmp_path: Path) -> None:
    path = tmp_path / "home" / "accounts.sqlite"
    write_accounts(generate_accounts(200), f"sqlite:///{path}")
    assert path.is_file()

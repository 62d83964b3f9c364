"""No address, and no plain SHA-256 of one, in the database files (SQLite bytes, pg_dump)."""

from __future__ import annotations

import hashlib
import io
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from objections.canonical import canonical_key
from objections.config import RegisterConfig
from objections.model import Channel, VerificationMethod
from objections.register import Register
from objections.transfer import read_import

ADDRESSES = ("Privacy.Probe+news@GoogleMail.com", "canary.person@example.org")
IN_PERSON = VerificationMethod.IN_PERSON


def forbidden_needles() -> list[bytes]:
    """Each address in several spellings, and plain SHA-256 (hex and raw) of each."""
    spellings = {
        variant
        for address in ADDRESSES
        for variant in (address, address.lower(), canonical_key(address))
    }
    needles = [spelling.encode() for spelling in spellings]
    for spelling in spellings:
        digest = hashlib.sha256(spelling.encode())
        needles += [digest.hexdigest().encode(), digest.digest()]
    needles += [b"canary.person", b"privacyprobe"]
    return needles


def fill_and_rotate(config: RegisterConfig) -> None:
    with Register.init(config) as register:
        for address in ADDRESSES:
            added = register.add(address, channel=Channel.EMAIL, by="amy", note="objected")
            register.verify(added.objection_id, by="bob", method=IN_PERSON, note="identity checked")
        register.rotate_keys(by="amy")
        register.withdraw(1, by="bob", note="asked again", four_eyes=False)


def assert_clean(content: bytes) -> None:
    found = [needle for needle in forbidden_needles() if needle in content]
    assert found == []


def test_sqlite_file_holds_neither_address_nor_its_sha256(register_config: RegisterConfig) -> None:
    fill_and_rotate(register_config)
    database = Path(make_url(register_config.url).database or "")
    assert database.stat().st_size > 0
    assert database.stat().st_mode & 0o777 == 0o600
    for path in database.parent.glob("register.sqlite*"):
        assert_clean(path.read_bytes())


@pytest.mark.postgres
def test_pg_dump_holds_neither_address_nor_its_sha256(
    postgres_url: str, register_config: RegisterConfig
) -> None:
    config = register_config.model_copy(update={"url": postgres_url})
    fill_and_rotate(config)
    url = make_url(postgres_url).set(drivername="postgresql")
    dump = subprocess.run(
        ["pg_dump", "--data-only", url.render_as_string(hide_password=False)],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout
    assert b"COPY public.objections " in dump
    assert b"COPY public.objection_history " in dump
    assert_clean(dump)


def test_refused_import_lines_leave_no_trace_in_the_register(
    register_config: RegisterConfig,
) -> None:
    canaries = ("zq7canary.huge@example.org", "zq7canary.scope@example.org")
    content = (
        b"address,channel,note,scope\n"
        + f"{canaries[0]},email,{'n' * 200_000},\n".encode()
        + f"{canaries[1]},email,,facebook\n".encode()
        + b"kept@example.org,email,,meta\n"
    )
    parsed = read_import(io.BytesIO(content), register_config.platforms)
    with Register.open(register_config) as register:
        register.add_many(parsed.entries, by="amy")
    assert [error.line for error in parsed.errors] == [2, 3]
    assert all(canary not in error.reason for error in parsed.errors for canary in canaries)
    database = Path(make_url(register_config.url).database or "")
    for path in database.parent.glob("register.sqlite*"):
        content = path.read_bytes()
        assert b"zq7canary" not in content
        assert b"kept@example.org" not in content

"""The fast preparation computes exactly what the scalar implementation computed.

The oracle below is the implementation as it was before it was made fast:
every regular expression over every row, ``hashlib`` one row at a time,
``hmac.digest``, a Python set for deduplication.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audiences import identity
from audiences.identity import invalid_reasons, sha256_hex, unwrap_addresses
from audiences.meta.profile import META_EMAIL_PROFILE
from objections.canonical import InvalidAddress, canonical_key
from objections.config import RegisterConfig
from objections.crypto import BlindIndex
from objections.model import Channel, NewObjection
from objections.register import Register
from pipelines.prepare import PreparationCounts, Preparer, SuppressionGate

PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
PIECES = st.sampled_from(
    [*"aZ.+-_@ <>:\t\x00\u00a0\u200bé", "mailto:", "MAILTO: ", "Name <", ">", "@example.fr",
     "@gmail.com", "@exämple.fr", "@xn--bcher-kva.example", "a" * 70, "İ", "ｊ"]
)  # fmt: skip
TEXTS = st.one_of(st.text(max_size=40), st.lists(PIECES, max_size=12).map("".join))
ROWS = st.lists(st.one_of(st.none(), TEXTS), max_size=30)


def oracle_unwrap(raw: pa.Array) -> pa.Array:
    """``unwrap_addresses`` before: both expressions over every row."""
    values = pc.utf8_trim_whitespace(raw)
    values = pc.replace_substring_regex(values, identity._WRAPPED, r"\1")
    values = pc.replace_substring_regex(values, identity._MAILTO, "")
    return pc.utf8_trim_whitespace(values)


def oracle_sha256_hex(values: list[str]) -> list[str]:
    return [hashlib.sha256(value.encode()).hexdigest() for value in values]


def test_known_answers() -> None:
    assert sha256_hex(pa.array(["test@example.com"])) == [
        "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"
    ]
    index = BlindIndex(b"Jefe", "rfc4231")  # RFC 4231, test case 2
    assert index.digest("what do ya want for nothing?").hex() == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


@PROPERTY
@given(rows=ROWS)
def test_validation_and_unwrapping_are_unchanged(rows: list[str | None]) -> None:
    raw = pa.array(rows, pa.string())
    unwrapped = unwrap_addresses(raw)
    assert unwrapped.equals(oracle_unwrap(raw))
    assert invalid_reasons(unwrapped).equals(identity._first_failed_rule(unwrapped))


@PROPERTY
@given(values=st.lists(st.text(), max_size=20), key=st.binary(min_size=1, max_size=80))
def test_hashes_and_blind_index_are_unchanged(values: list[str], key: bytes) -> None:
    assert sha256_hex(pa.array(values, pa.string())) == oracle_sha256_hex(values)
    assert sha256_hex(pa.array(["-", *values], pa.string()).slice(1)) == oracle_sha256_hex(values)
    expected = [hmac.digest(key, value.encode(), "sha256") for value in values]
    index = BlindIndex(key, "k")
    assert index.digest_many(values) == expected
    sliced = pa.array(["-", *values], pa.string()).slice(1)
    assert index.digest_packed(sliced) == b"".join(expected)


def oracle_prepared(rows: list[str | None], objectors: set[str]) -> list[str]:
    """What the scalar pipeline uploaded: valid, keyed, not objecting, first of each hash."""
    raw = pa.array(rows, pa.string())
    unwrapped = oracle_unwrap(raw)
    valid = pc.is_null(identity._first_failed_rule(unwrapped)).to_pylist()
    seen: set[str] = set()
    kept = []
    for address, ok in zip(unwrapped.to_pylist(), valid, strict=True):
        if not ok:
            continue
        try:
            key = canonical_key(address)
        except InvalidAddress:
            continue
        if key in objectors:
            continue
        digest = oracle_sha256_hex(META_EMAIL_PROFILE.normalise(pa.array([address])).to_pylist())
        if digest[0] not in seen:
            seen.add(digest[0])
            kept.append(digest[0])
    return kept


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Register]:
    folder: Path = tmp_path_factory.mktemp("register")
    config = RegisterConfig(
        url=f"sqlite:///{folder / 'register.sqlite'}",
        platforms=frozenset({"meta"}),
        key_file=folder / "keys.json",
    )
    with Register.init(config, create_keys=True) as opened:
        opened.add_many([NewObjection("a.b@gmail.com", Channel.EMAIL)], by="test")
        yield opened


@PROPERTY
@given(
    rows=st.lists(
        st.one_of(
            st.none(),
            TEXTS,
            st.sampled_from(["ab@gmail.com", " A.B@gmail.com", "x@example.fr", "X@EXAMPLE.FR "]),
        ),
        max_size=40,
    )
)
def test_the_threaded_preparer_uploads_what_the_scalar_one_did(
    register: Register, rows: list[str | None]
) -> None:
    counts = PreparationCounts()
    gate = SuppressionGate(register, "meta", counts)
    preparer = Preparer(profile=META_EMAIL_PROFILE, gate=gate, batch_size=4, counts=counts)
    source = (
        pa.record_batch({"email": pa.array(rows[start : start + 3], pa.string())})
        for start in range(0, len(rows), 3)
    )
    prepared = [digest for batch in preparer.batches(source) for digest in batch.hashes]
    assert prepared == oracle_prepared(rows, {"ab@gmail.com"})
    assert counts.prepared == len(prepared)

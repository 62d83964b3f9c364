"""The packed suppression set answers exactly what a set of digests would."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from objections.crypto import BlindIndex
from objections.model import Channel, NewObjection, Scope, VerificationMethod
from objections.register import Register
from objections.suppression import Suppression, pack

INDEX = BlindIndex(b"k" * 32, "test")
DIGESTS = st.lists(st.binary(min_size=32, max_size=32), max_size=40)


def suppression(digests: list[bytes]) -> Suppression:
    return Suppression("1-test", "meta", pack(digests), INDEX)


@settings(max_examples=200, deadline=None)
@given(members=DIGESTS, others=DIGESTS, prefix=st.binary(min_size=8, max_size=8))
def test_flags_are_set_membership_even_when_prefixes_collide(
    members: list[bytes], others: list[bytes], prefix: bytes
) -> None:
    # Some digests share their first 8 bytes, which sends lookups to the exact fallback.
    members = members + [prefix + digest[8:] for digest in members[:3]]
    asked = others + members + [prefix + digest[8:] for digest in others[:3]]
    found = suppression(members).flags(pack(asked)).tolist()
    assert found == [digest in set(members) for digest in asked]


def test_a_digest_differing_only_after_its_first_8_bytes_is_not_suppressed() -> None:
    rng = np.random.default_rng(5)
    members = [bytes(row) for row in rng.integers(0, 256, (5000, 32), dtype=np.uint8)]
    near = [digest[:31] + bytes([digest[31] ^ 1]) for digest in members]
    flags = suppression(members).flags(pack(members + near))
    assert flags[:5000].all()
    assert not flags[5000:].any()


def test_empty_sets_and_empty_questions() -> None:
    assert suppression([]).flags(pack([b"x" * 32])).tolist() == [False]
    assert suppression([b"x" * 32]).flags(pack([])).tolist() == []
    assert len(suppression([])) == 0
    assert suppression([]).digests == frozenset()


def test_suppressed_hashes_canonical_keys_with_the_sets_own_key() -> None:
    chosen = suppression([INDEX.digest("a@example.com")])
    assert chosen.suppressed(["a@example.com", "b@example.com"]) == [True, False]


def test_the_register_reads_only_suppressing_rows_of_the_platform(register: Register) -> None:
    register.add_many(
        [
            NewObjection("all@example.com", Channel.EMAIL),
            NewObjection("meta@example.com", Channel.EMAIL, scope=Scope.parse("meta")),
            NewObjection("gone@example.com", Channel.EMAIL),
        ],
        by="amy",
    )
    gone = register.matches("gone@example.com")[0].id
    register.verify(gone, by="bob", method=VerificationMethod.IN_PERSON, note="passport seen")
    register.withdraw(gone, by="bob", note="asked", four_eyes=False)
    keys = ["all@example.com", "meta@example.com", "gone@example.com", "none@example.com"]
    meta = register.suppression("meta")
    assert len(meta) == 2
    assert meta.suppressed(keys) == [True, True, False, False]
    assert meta.digests == frozenset(register.blind_index().digest_many(keys[:2]))

"""The blind index is exactly HMAC-SHA-256; addresses decrypt only under their own key."""

from __future__ import annotations

import hmac
import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from objections.crypto import AddressCipher, BlindIndex
from objections.errors import KeyConfigurationError


@settings(max_examples=100, deadline=None)
@given(key=st.binary(min_size=1, max_size=100), values=st.lists(st.text(), max_size=5))
def test_blind_index_is_hmac_sha256(key: bytes, values: list[str]) -> None:
    index = BlindIndex(key, "test")
    expected = [hmac.digest(key, value.encode(), "sha256") for value in values]
    assert index.digest_many(values) == expected
    assert [index.digest(value) for value in values] == expected


def test_an_address_decrypts_under_its_key_only() -> None:
    key = secrets.token_bytes(32)
    sealed = AddressCipher(key).encrypt("zoë@example.com")
    assert b"example" not in sealed
    assert AddressCipher(key).decrypt(sealed) == "zoë@example.com"
    with pytest.raises(KeyConfigurationError, match="does not fit"):
        AddressCipher(secrets.token_bytes(32)).decrypt(sealed)
    assert "secret" in repr(AddressCipher(key))

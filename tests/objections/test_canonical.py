"""The canonical mailbox key: documented examples, and properties over the whole input space."""

from __future__ import annotations

import sys
import unicodedata

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from objections.canonical import InvalidAddress, canonical_key, canonical_keys
from tests.objections.strategies import (
    DEFAULT_IGNORABLE,
    address_variants,
    hidden_variants,
    registered_addresses,
)

PROPERTY = settings(max_examples=150, deadline=None)


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("jane.doe@example.com", "jane.doe@example.com"),
        ("  Jane.Doe@Example.COM\t", "jane.doe@example.com"),
        ("jane.doe+promo@example.com", "jane.doe@example.com"),
        ("J.a.n.e.Doe+x+y@GoogleMail.com", "janedoe@gmail.com"),
        ("Jane Doe <jane.doe@gmail.com>", "janedoe@gmail.com"),
        ("mailto:Jane@Example.com", "jane@example.com"),
        ("<MAILTO: jane@example.com >", "jane@example.com"),
        ('"Doe, Jane" <jane@example.com>', "jane@example.com"),
        ("Hélène@Exemple.FR", "hélène@exemple.fr"),
        ("He\u0301le\u0300ne@exemple.fr", "hélène@exemple.fr"),
        ("jean@Bücher.example", "jean@xn--bcher-kva.example"),
        ("jean@ｇｍａｉｌ．ｃｏｍ", "jean@gmail.com"),
        ("jean\u2060.dupont@example.com", "jean.dupont@example.com"),
        ("jean.du\u00adpont@example.com", "jean.dupont@example.com"),
        ("\ufeffje\u200ban\u200c.du\u200dpont@example.com", "jean.dupont@example.com"),
        ("ｊｅａｎ．ｄｕｐｏｎｔ＠ｅｘａｍｐｌｅ．ｃｏｍ", "jean.dupont@example.com"),
        ("Ｊｅａｎ＋ｐｕｂ@GMAIL.com", "jean@gmail.com"),
    ],
)
def test_documented_spellings_have_one_key(address: str, key: str) -> None:
    assert canonical_key(address) == key
    assert canonical_keys(pa.array([address])).to_pylist() == [key]


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("", "empty"),
        ("jane.example.com", "no @ sign"),
        ("jane@", "nothing after the @"),
        ("+promo@example.com", "nothing before the @"),
        ("jane@doe@example.com", "more than one @ sign"),
        ("Jane <jane@example.com", "unbalanced"),
        ("jane@localhost", "not a valid host name"),
        ("jane doe@example.com", "cannot hold"),
        ("jane@exa\x00mple.com", "control characters"),
        ("...@gmail.com", "only dots"),
        ("a" * 250 + "@example.com", "longer than 254"),
    ],
)
def test_unparseable_addresses_are_refused_with_a_reason_but_not_the_address(
    address: str, reason: str
) -> None:
    with pytest.raises(InvalidAddress) as caught:
        canonical_key(address)
    assert reason in caught.value.reason
    assert str(caught.value) == caught.value.reason
    if address.strip():
        assert address not in str(caught.value)
    assert canonical_keys(pa.array([address])).to_pylist() == [None]


def test_nulls_and_mixed_batches_keep_their_positions() -> None:
    values = pa.array([None, "A@B.example", "Zoë <zoe@b.example>", "nope", "é@é.example"])
    assert canonical_keys(values).to_pylist() == [
        None,
        "a@b.example",
        "zoe@b.example",
        None,
        "é@xn--9ca.example",
    ]


@PROPERTY
@given(st.data(), registered_addresses())
def test_every_variant_of_an_address_has_its_key(data: st.DataObject, address: str) -> None:
    variant = data.draw(address_variants(address))
    key = canonical_key(address)
    assert canonical_key(variant) == key
    assert canonical_keys(pa.array([variant])).to_pylist() == [key]


@PROPERTY
@given(st.data(), registered_addresses())
def test_invisible_and_fullwidth_characters_never_hide_an_address(
    data: st.DataObject, address: str
) -> None:
    variant = data.draw(hidden_variants(data.draw(address_variants(address))))
    key = canonical_key(address)
    assert canonical_key(variant) == key
    assert canonical_keys(pa.array([variant])).to_pylist() == [key]


def test_every_default_ignorable_and_format_character_is_removed() -> None:
    format_characters = {
        code for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) == "Cf"
    }
    invisible = sorted(format_characters | DEFAULT_IGNORABLE)
    keys = canonical_keys(pa.array([f"ja{chr(code)}ne@example.com" for code in invisible]))
    assert set(keys.to_pylist()) == {"jane@example.com"}


_ANY_TEXT = st.one_of(
    st.text(),
    st.emails(),
    st.text(alphabet=st.sampled_from(" \t<>@.+:mailtoGMAIL.comé\u0301İ"), max_size=30),
    registered_addresses().flatmap(address_variants),
    registered_addresses().flatmap(address_variants).flatmap(hidden_variants),
)


@PROPERTY
@given(_ANY_TEXT)
def test_canonical_key_is_idempotent_and_fails_only_with_invalid_address(text: str) -> None:
    try:
        key = canonical_key(text)
    except InvalidAddress:
        return
    assert canonical_key(key) == key


@PROPERTY
@given(st.lists(st.one_of(st.none(), _ANY_TEXT), max_size=20))
def test_batch_keys_equal_single_keys(values: list[str | None]) -> None:
    def single(value: str | None) -> str | None:
        try:
            return None if value is None else canonical_key(value)
        except InvalidAddress:
            return None

    assert canonical_keys(pa.array(values, pa.string())).to_pylist() == [
        single(value) for value in values
    ]

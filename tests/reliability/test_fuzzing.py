"""Fuzzing: validation and normalisation never crash, and no spelling of an objector gets through.

Hypothesis feeds arbitrary text (any Unicode but surrogates, control
characters, NUL, U+FFFD, wrappers, huge strings) to ``audiences.identity``,
and every spelling of a registered address to the pipeline's own
:class:`~pipelines.prepare.Preparer` over a real register.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from itertools import count

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from audiences.identity import (
    DEFAULT_IGNORABLE,
    FULLWIDTH,
    MAX_ADDRESS_LENGTH,
    OTHER_FORMAT_CHARACTERS,
    InvalidReason,
    invalid_reasons,
    unwrap_addresses,
)
from audiences.meta.profile import META_EMAIL_PROFILE
from objections.canonical import InvalidAddress, canonical_key
from objections.config import RegisterConfig
from objections.model import Channel
from objections.register import Register
from pipelines.prepare import PreparationCounts, Preparer, SuppressionGate
from tests.fixtures.exports import meta_hash
from tests.objections.strategies import address_variants, registered_addresses

PROPERTY = settings(max_examples=100, deadline=None)
PIPELINE_PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

_UNICODE = st.characters(codec="utf-8")
_TRICKY = st.sampled_from(
    [*"\x00\x01\x1f\x7f \t\n\u00a0\u3000\ufffd<>@.:+\"',;aZé", "mailto:", "İ", "Σ", "ß"]
)
_LOCAL_PART = st.one_of(
    st.text(st.sampled_from("aZ.+_-İIΣσßǅﬀ"), min_size=1, max_size=8),
    st.text(_UNICODE, min_size=1, max_size=12),
)
ADDRESS_LIKE = st.builds(
    "{}@{}".format, _LOCAL_PART, st.sampled_from(["example.fr", "gmail.com", "bücher.example"])
)
"""Mostly valid addresses whose local parts hold any character, case mapping's traps included."""
TEXT = st.one_of(
    ADDRESS_LIKE,
    st.text(_UNICODE, max_size=60),
    st.lists(_TRICKY, max_size=25).map("".join),
    st.builds(str.__mul__, st.text(_UNICODE, min_size=1, max_size=8), st.integers(1, 5_000)),
)
"""Address-like text, arbitrary text, text of the characters the rules care about, huge text."""

_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
_REASONS = {reason.value for reason in InvalidReason}


def valid_addresses(values: list[str | None]) -> pa.StringArray:
    """What the pipeline would hash: unwrapped, then only those without an invalid reason."""
    unwrapped = unwrap_addresses(pa.array(values, pa.string()))
    return unwrapped.filter(pc.is_null(invalid_reasons(unwrapped)))


@PROPERTY
@given(st.lists(st.one_of(st.none(), TEXT), max_size=20))
def test_validation_never_crashes_and_lets_only_plausible_addresses_through(
    values: list[str | None],
) -> None:
    unwrapped = unwrap_addresses(pa.array(values, pa.string()))
    reasons = invalid_reasons(unwrapped).to_pylist()

    assert len(reasons) == len(values)
    assert set(reasons) - {None} <= _REASONS
    for value, reason in zip(values, reasons, strict=True):
        assert (value is None) == (reason == InvalidReason.MISSING)
    for address in valid_addresses(values).to_pylist():
        assert address.count("@") == 1
        assert 0 < len(address) <= MAX_ADDRESS_LENGTH
        assert not re.search(r"[\x00-\x1f\x7f\ufffd]", address)
        assert not any(unicodedata.decomposition(char).startswith("<wide>") for char in address)
    hashes = META_EMAIL_PROFILE.hash_addresses(valid_addresses(values))
    assert all(_HEX_DIGEST.fullmatch(digest) for digest in hashes)


@PROPERTY
@given(
    st.lists(st.integers(-(2**63), 2**63 - 1), max_size=10),
    st.lists(st.floats(), max_size=10),
)
def test_numbers_in_the_email_column_are_never_valid(
    integers: list[int], floats: list[float]
) -> None:
    for numbers in (pa.array(integers, pa.int64()), pa.array(floats, pa.float64())):
        reasons = invalid_reasons(unwrap_addresses(numbers))

        assert set(reasons.to_pylist()) <= {InvalidReason.NO_AT_SIGN.value}


@PROPERTY
@given(st.lists(TEXT, max_size=20))
def test_meta_normalisation_is_idempotent_and_matches_the_sdk(values: list[str]) -> None:
    addresses = valid_addresses(list(values))
    once = META_EMAIL_PROFILE.normalise(addresses)

    assert META_EMAIL_PROFILE.normalise(once).equals(once)
    # What Meta's own SDK hashes: strip, then Python's str.lower.
    assert META_EMAIL_PROFILE.hash_addresses(addresses) == [
        meta_hash(address) for address in addresses.to_pylist()
    ]


@PROPERTY
@given(st.lists(TEXT, max_size=20))
def test_the_suppression_key_is_at_least_as_aggressive_as_meta(values: list[str]) -> None:
    """Two spellings Meta hashes alike must have one canonical key, or an objector slips through."""
    addresses = valid_addresses(list(values))
    normalised = META_EMAIL_PROFILE.normalise(addresses)
    for address, seen_by_meta in zip(addresses.to_pylist(), normalised.to_pylist(), strict=True):
        assert key_or_none(seen_by_meta) == key_or_none(address)


def key_or_none(address: str) -> str | None:
    try:
        return canonical_key(address)
    except InvalidAddress:
        return None


CONTROL = "someone.else@not-registered.example"
"""An address no strategy registers: the one row that must come out."""

_objection_numbers = count()


def source_batch(emails: list[str]) -> pa.RecordBatch:
    """A batch as every source yields it: two string columns."""
    return pa.record_batch(
        [pa.array(map(str, range(len(emails))), pa.string()), pa.array(emails, pa.string())],
        names=["account_id", "email"],
    )


@pytest.fixture
def register(register_config: RegisterConfig) -> Iterator[Register]:
    """One register for all examples of a test: each example adds its own objector."""
    with Register.open(register_config) as opened:
        yield opened


def prepare(
    register: Register, emails: list[str], split: int
) -> tuple[list[str], PreparationCounts]:
    """Run the pipeline's preparation and last-moment gate over two source batches."""
    counts = PreparationCounts()
    gate = SuppressionGate(register, "meta", counts)
    preparer = Preparer(profile=META_EMAIL_PROFILE, gate=gate, batch_size=3, counts=counts)
    source = [source_batch(emails[:split]), source_batch(emails[split:])]
    uploaded = [digest for batch in preparer.batches(source) for digest in gate.admit(batch).hashes]
    return uploaded, counts


def record_objection(register: Register, address: str) -> None:
    register.add(address, channel=Channel.EMAIL, by=f"officer {next(_objection_numbers)}")


@PIPELINE_PROPERTY
@given(data=st.data(), address=registered_addresses())
def test_no_spelling_of_a_registered_address_comes_out_of_the_preparer(
    register: Register, data: st.DataObject, address: str
) -> None:
    record_objection(register, data.draw(st.one_of(st.just(address), address_variants(address))))
    spellings = [address, *data.draw(st.lists(address_variants(address), min_size=1, max_size=8))]

    uploaded, counts = prepare(
        register, [*spellings, CONTROL], data.draw(st.integers(0, len(spellings) + 1))
    )

    assert uploaded == [meta_hash(CONTROL)]
    assert counts.suppressed == len(spellings), "every spelling is valid and suppressed"
    assert not counts.invalid


@PIPELINE_PROPERTY
@given(address=ADDRESS_LIKE, split=st.integers(0, 2))
def test_whoever_objected_with_what_meta_would_see_is_never_uploaded(
    register: Register, address: str, split: int
) -> None:
    """Any Unicode local part: the objector typed the spelling whose hash Meta would receive."""
    valid = valid_addresses([address])
    assume(len(valid) == 1 and key_or_none(address) is not None)
    record_objection(register, META_EMAIL_PROFILE.normalise(valid)[0].as_py())

    uploaded, _ = prepare(register, [address, CONTROL], split)

    assert uploaded == [meta_hash(CONTROL)]


INVISIBLE = st.one_of(
    st.sampled_from("\u200b\u200c\u200d\u2060\u00ad\ufeff"),
    st.sampled_from(DEFAULT_IGNORABLE + OTHER_FORMAT_CHARACTERS)
    .flatmap(lambda bounds: st.integers(*bounds))
    .map(chr),
)
"""Unicode's default-ignorable code points, of every class: format characters (Cf),
variation selectors and joiners (Mn), Hangul fillers (Lo), reserved ones (Cn); and the
other format characters."""
FULLWIDTH_FORM = st.sampled_from(FULLWIDTH).flatmap(lambda bounds: st.integers(*bounds)).map(chr)
"""Fullwidth forms: letters, digits, signs, the ideographic space."""


@st.composite
def hidden_spellings(draw: st.DrawFn, address: str) -> str:
    """``address`` with invisible code points inserted or ASCII characters swapped for
    their fullwidth forms, strictly inside it (white space at the ends is trimmed)."""
    text = address
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(1, len(text) - 1))
        if draw(st.booleans()):
            text = text[:at] + draw(st.one_of(INVISIBLE, FULLWIDTH_FORM)) + text[at:]
        elif "!" <= text[at] <= "~":
            text = text[:at] + chr(ord(text[at]) + 0xFEE0) + text[at + 1 :]
        else:
            text = text[:at] + draw(FULLWIDTH_FORM) + text[at:]
    return text


@PIPELINE_PROPERTY
@given(data=st.data(), address=registered_addresses())
def test_an_address_with_invisible_or_fullwidth_characters_is_never_uploaded(
    register: Register, data: st.DataObject, address: str
) -> None:
    """Whatever the class of the hidden character, and whether or not the person objected."""
    spellings = data.draw(st.lists(hidden_spellings(address), min_size=1, max_size=6))
    if data.draw(st.booleans()):
        record_objection(register, address)

    uploaded, counts = prepare(register, [*spellings, CONTROL], data.draw(st.integers(0, 7)))

    assert uploaded == [meta_hash(CONTROL)]
    assert counts.invalid == {InvalidReason.INVISIBLE_OR_FULLWIDTH.value: len(spellings)}


@pytest.mark.parametrize(
    "hidden",
    ["\u200b", "\u2060", "\u00ad", "\ufeff", "\u034f", "\ufe0f", "\U000e0041", "\u3164", "\uff41"],
)
def test_each_class_of_hidden_character_is_one_reason(hidden: str) -> None:
    """U+200B used to be "uncheckable" while U+2060, U+00AD and fullwidth were uploaded."""
    values = [
        f"jean{hidden}dupont@example.fr",
        f"jean@exa{hidden}mple.fr",
        f"jean{hidden}@example.fr",
    ]
    reasons = invalid_reasons(unwrap_addresses(pa.array(values, pa.string())))

    assert reasons.to_pylist() == [InvalidReason.INVISIBLE_OR_FULLWIDTH.value] * len(values)


def test_every_format_and_fullwidth_character_python_knows_is_refused() -> None:
    """Checked against ``unicodedata``: every Cf character and every ``<wide>`` form."""
    hidden = [
        chr(point)
        for point in range(0x110000)
        if unicodedata.category(chr(point)) == "Cf"
        or unicodedata.decomposition(chr(point)).startswith("<wide>")
    ]
    values = [f"jean{char}dupont@example.fr" for char in hidden]
    reasons = invalid_reasons(unwrap_addresses(pa.array(values, pa.string())))

    assert set(reasons.to_pylist()) == {InvalidReason.INVISIBLE_OR_FULLWIDTH.value}

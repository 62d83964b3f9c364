"""The register on SQLite and PostgreSQL: recording, review, suppression, rotation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from objections.canonical import InvalidAddress, canonical_key
from objections.config import RegisterConfig
from objections.errors import KeyConfigurationError, ObjectionNotFoundError, TransitionRefusedError
from objections.keys import KeyPair, KeyRing, read_key_file, write_key_file
from objections.model import Action, Channel, Scope, Status, VerificationMethod
from objections.register import Register
from tests.fixtures.register import generated_key_file
from tests.objections.strategies import address_variants, hidden_variants, registered_addresses

IN_PERSON = VerificationMethod.IN_PERSON


def suppressed(register: Register, address: str, platform: str = "meta") -> bool:
    return register.suppression(platform).suppressed([canonical_key(address)]) == [True]


def test_an_objection_suppresses_from_the_moment_it_is_recorded(register: Register) -> None:
    before = register.version()
    added = register.add("Jane <Jane.Doe+ads@GoogleMail.com>", channel=Channel.EMAIL, by="amy")
    assert not added.duplicate
    assert register.version() != before
    assert suppressed(register, "janedoe@gmail.com")
    assert not suppressed(register, "john@gmail.com")
    item = register.get(added.objection_id, with_address=True)
    assert item.status is Status.RECEIVED
    assert item.address == "Jane <Jane.Doe+ads@GoogleMail.com>"
    assert register.get(added.objection_id).address is None


def test_a_second_spelling_is_a_duplicate_never_a_second_row(register: Register) -> None:
    first = register.add("jane.doe@gmail.com", channel=Channel.EMAIL, by="amy")
    version = register.version()
    again = register.add(" JaneDoe+x@googlemail.com ", channel=Channel.PHONE, by="amy")
    assert again.duplicate
    assert again.objection_id == first.objection_id
    assert len(register.objections()) == 1
    assert register.version() == version


def test_review_steps_and_their_history(register: Register) -> None:
    oid = register.add(
        "a@example.com", channel=Channel.LETTER, by="amy", note="by post"
    ).objection_id
    verified = register.verify(oid, by="bob", method=IN_PERSON, note="passport seen")
    assert (verified.status, verified.reviewer) == (Status.VERIFIED, "bob")
    assert verified.reviewed_at is not None
    withdrawn = register.withdraw(oid, by="bob", note="asked to receive ads again", four_eyes=False)
    assert withdrawn.status is Status.WITHDRAWN
    assert not suppressed(register, "a@example.com")
    history = register.history(oid)
    assert [
        (entry.action, entry.from_status, entry.to_status, entry.actor) for entry in history
    ] == [
        (Action.RECORDED, None, Status.RECEIVED, "amy"),
        (Action.VERIFIED, Status.RECEIVED, Status.VERIFIED, "bob"),
        (Action.WITHDRAWN, Status.VERIFIED, Status.WITHDRAWN, "bob"),
    ]
    assert history[2].note == "asked to receive ads again"
    again = register.add("a@example.com", channel=Channel.EMAIL, by="amy")
    assert not again.duplicate
    assert suppressed(register, "a@example.com")


def test_rejection_never_re_enables_uploading(register: Register) -> None:
    oid = register.add("b@example.com", channel=Channel.WEB_FORM, by="amy").objection_id
    with pytest.raises(TransitionRefusedError, match="note"):
        register.reject(oid, by="bob", note=None)
    assert register.reject(oid, by="bob", note="no reply to ID request").status is Status.REJECTED
    assert suppressed(register, "b@example.com")
    with pytest.raises(TransitionRefusedError, match="verify"):
        register.withdraw(oid, by="bob", note="changed mind", four_eyes=False)
    with pytest.raises(TransitionRefusedError, match="received"):
        register.verify(oid, by="bob", method=IN_PERSON, note="ID seen")
    assert suppressed(register, "b@example.com")


def test_withdrawal_needs_a_verified_identity_a_reviewer_and_a_note(register: Register) -> None:
    oid = register.add("c@example.com", channel=Channel.SUPPORT_TICKET, by="amy").objection_id
    with pytest.raises(TransitionRefusedError, match="verify the person's identity"):
        register.withdraw(oid, by="bob", note="asked", four_eyes=False)
    register.verify(oid, by="bob", method=IN_PERSON, note="ID seen")
    with pytest.raises(TransitionRefusedError, match="note"):
        register.withdraw(oid, by="bob", note=" ", four_eyes=False)
    with pytest.raises(TransitionRefusedError, match="reviewer"):
        register.withdraw(oid, by="", note="asked", four_eyes=False)
    assert suppressed(register, "c@example.com")
    with pytest.raises(ObjectionNotFoundError):
        register.verify(999, by="bob", method=IN_PERSON, note="ID seen")


def test_scope_limits_suppression_to_the_named_platforms(backend_config: RegisterConfig) -> None:
    platforms = frozenset({"meta", "tiktok"})
    with Register.open(backend_config.model_copy(update={"platforms": platforms})) as register:
        register.add("d@example.com", channel=Channel.EMAIL, by="amy", scope=Scope.parse("tiktok"))
        assert suppressed(register, "d@example.com", "tiktok")
        assert not suppressed(register, "d@example.com", "meta")
        broader = register.add("d@example.com", channel=Channel.EMAIL, by="amy")
        assert not broader.duplicate
        assert suppressed(register, "d@example.com", "meta")
        assert register.matches("D@example.com", platform="meta")[0].id == broader.objection_id


def test_a_suppression_set_keeps_its_own_key_across_a_rotation(register: Register) -> None:
    register.add("e@example.com", channel=Channel.EMAIL, by="amy")
    before = register.suppression("meta")
    rotation = register.rotate_keys(by="amy")
    after = register.suppression("meta")
    assert rotation.rows == 1
    assert before.digests.isdisjoint(after.digests)
    assert before.suppressed(["e@example.com"]) == after.suppressed(["e@example.com"]) == [True]
    assert before.version != after.version == register.version()


def test_rotation_keeps_every_row_readable_and_suppressing(
    register: Register, backend_config: RegisterConfig
) -> None:
    addresses = [f"person.{n}+x@{'gmail.com' if n % 2 else 'example.com'}" for n in range(20)]
    for address in addresses:
        register.add(address, channel=Channel.EMAIL, by="amy")
    register.verify(1, by="bob", method=IN_PERSON, note="ID seen")
    register.withdraw(1, by="bob", note="asked")
    assert register.get(1).status is Status.VERIFIED  # four eyes: only requested
    register.withdraw(1, by="carol", note="confirmed")
    register.rotate_keys(by="amy")
    assert backend_config.key_file is not None
    assert len(read_key_file(backend_config.key_file).pairs) == 1
    with Register.open(backend_config) as reopened:
        assert [item.address for item in reopened.objections(with_address=True)] == addresses
        keys = [canonical_key(address) for address in addresses]
        assert reopened.suppression("meta").suppressed(keys) == [False] + [True] * 19
        assert reopened.history(2)[-1].action is Action.KEYS_ROTATED


def test_a_crash_between_key_file_and_database_loses_nothing(
    register: Register, backend_config: RegisterConfig
) -> None:
    """The key file already holds a new pair, the database still uses the old one."""
    register.add("f@example.com", channel=Channel.EMAIL, by="amy")
    assert backend_config.key_file is not None
    ring = read_key_file(backend_config.key_file)
    write_key_file(KeyRing((*ring.pairs, KeyPair.generate()), ring.source), backend_config.key_file)
    with Register.open(backend_config) as reopened:
        assert reopened.matches("f@example.com")
        reopened.rotate_keys(by="amy")
        assert reopened.objections(with_address=True)[0].address == "f@example.com"


def test_a_key_file_without_the_register_key_is_refused(
    register: Register, backend_config: RegisterConfig, tmp_path: Path
) -> None:
    register.add("g@example.com", channel=Channel.EMAIL, by="amy")
    (tmp_path / "other").mkdir()
    other = backend_config.model_copy(update={"key_file": generated_key_file(tmp_path / "other")})
    with pytest.raises(KeyConfigurationError, match="does not hold"):
        Register.open(other)


def test_unparseable_addresses_are_not_recorded(register: Register) -> None:
    with pytest.raises(InvalidAddress):
        register.add("not an address", channel=Channel.EMAIL, by="amy")
    assert register.objections() == []


def test_stats_and_filters(register: Register) -> None:
    old = datetime(2024, 1, 2, tzinfo=UTC)
    register.add("h@example.com", channel=Channel.PHONE, by="amy", received_at=old)
    register.add("i@example.com", channel=Channel.EMAIL, by="amy")
    register.reject(2, by="bob", note="no ID")
    figures = register.stats()
    assert (figures.total, figures.suppressing) == (2, 2)
    assert figures.by_status == {Status.RECEIVED: 1, Status.REJECTED: 1}
    assert register.get(1).received_at == old
    since = datetime(2025, 1, 1, tzinfo=UTC)
    assert [item.id for item in register.objections(since=since)] == [2]
    assert [item.id for item in register.objections(status=Status.RECEIVED)] == [1]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), address=registered_addresses())
def test_every_spelling_of_a_registered_address_is_suppressed(
    register_config: RegisterConfig, data: st.DataObject, address: str
) -> None:
    """Also with invisible characters or fullwidth forms, in the register or in the lookup."""
    registered, looked_up = address, data.draw(address_variants(address))
    if data.draw(st.booleans()):
        looked_up = data.draw(hidden_variants(looked_up))
    else:
        registered = data.draw(hidden_variants(registered))
    with Register.open(register_config) as register:
        register.add(registered, channel=Channel.EMAIL, by="amy")
        assert register.suppression("meta").suppressed([canonical_key(looked_up)]) == [True]
        assert register.matches(looked_up)

"""Time limits of the console, on SQLite and PostgreSQL, with a clock the test moves:
an idle session ends, a throttled account signs in again once its window has passed,
and an expired mailbox link is refused and leaves its objection unverified."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from objections.journal import Deed, read
from objections.mailbox import issue_link_token, redeem_link_token
from objections.model import Action, Channel, Status
from objections.officers import Accounts, Role, SignInRefused
from objections.register import Register

PASSWORD = "correct horse battery staple"
IDLE = timedelta(minutes=15)


@dataclass
class Clock:
    """A clock that only moves when the test says so."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


def accounts_on(register: Register, clock: Clock) -> Accounts:
    accounts = Accounts(register.engine, idle=IDLE, clock=clock)
    accounts.add("olga", Role.OFFICER, PASSWORD, by="test")
    return accounts


def test_a_session_ends_after_the_idle_time_and_activity_keeps_it_alive(
    register: Register,
) -> None:
    clock = Clock()
    accounts = accounts_on(register, clock)
    token = accounts.sign_in("olga", PASSWORD, client="127.0.0.1").token
    assert token is not None

    for _ in range(3):  # 42 minutes of work, never 15 idle
        clock.advance(IDLE - timedelta(minutes=1))
        assert accounts.session(token) is not None

    clock.advance(IDLE + timedelta(seconds=1))
    assert accounts.session(token) is None
    clock.advance(-IDLE)  # the ended session is gone, not only out of time
    assert accounts.session(token) is None
    signed_in = read(register.engine, deeds=frozenset({Deed.SIGNED_IN}))
    assert [entry.actor for entry in signed_in] == ["olga"]


def test_a_throttled_account_signs_in_again_once_the_window_has_passed(
    register: Register,
) -> None:
    clock = Clock()
    accounts = accounts_on(register, clock)
    for _ in range(5):
        with pytest.raises(SignInRefused, match="wrong account name or password"):
            accounts.sign_in("olga", "not the password", client="10.0.0.9")
    with pytest.raises(SignInRefused, match="too many failed sign-ins"):
        accounts.sign_in("olga", PASSWORD, client="10.0.0.9")

    clock.advance(timedelta(minutes=15, seconds=1))
    assert accounts.sign_in("olga", PASSWORD, client="10.0.0.9").role is Role.OFFICER
    journal = [entry.deed for entry in read(register.engine)]
    assert journal.count(Deed.SIGN_IN_FAILED) == 5
    assert journal.count(Deed.SIGN_IN_THROTTLED) == 1


def test_an_expired_mailbox_link_is_refused_and_the_objection_stays_unverified(
    register: Register,
) -> None:
    added = register.add("jeanne@example.org", channel=Channel.EMAIL, by="olga")
    lifetime = timedelta(hours=72)
    token = issue_link_token(register, added.objection_id, by="olga", lifetime=lifetime)
    expired = Clock()
    expired.advance(lifetime + timedelta(seconds=1))

    assert redeem_link_token(register, token, clock=expired) is None
    item = register.get(added.objection_id)
    assert item.status is Status.RECEIVED
    assert item.status.suppresses
    actions = [entry.action for entry in register.history(added.objection_id)]
    assert Action.VERIFIED not in actions


def test_a_link_verifies_once_within_its_lifetime(register: Register) -> None:
    added = register.add("jeanne@example.org", channel=Channel.EMAIL, by="olga")
    lifetime = timedelta(hours=72)
    token = issue_link_token(register, added.objection_id, by="olga", lifetime=lifetime)
    almost = Clock()
    almost.advance(lifetime - timedelta(minutes=1))

    verified = redeem_link_token(register, token, clock=almost)
    assert verified is not None
    assert verified.status is Status.VERIFIED
    assert redeem_link_token(register, token, clock=almost) is None

"""The review workflow: which step is allowed from which status, and what it needs.

``received → verified | rejected``; ``verified → withdrawn``. Review never
decides whether an objection suppresses: every status but ``withdrawn`` does,
and withdrawing needs the person's identity verified first (an objection is
``verified``), a named reviewer and a note saying why.

Verifying names its method; every method but mailbox control (a one-time link
the person opened) needs a written note. With four eyes (the default), a
withdrawal is first requested, and lifts the suppression only when a second,
different reviewer confirms it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from objections.errors import TransitionRefusedError
from objections.model import Action, HistoryEntry, Status, VerificationMethod


@dataclass(frozen=True)
class Transition:
    action: Action
    allowed_from: frozenset[Status]
    to: Status
    note_required: bool


TRANSITIONS = {
    transition.action: transition
    for transition in (
        Transition(Action.VERIFIED, frozenset({Status.RECEIVED}), Status.VERIFIED, False),
        Transition(Action.REJECTED, frozenset({Status.RECEIVED}), Status.REJECTED, True),
        Transition(Action.WITHDRAWN, frozenset({Status.VERIFIED}), Status.WITHDRAWN, True),
        Transition(
            Action.WITHDRAWAL_REQUESTED, frozenset({Status.VERIFIED}), Status.VERIFIED, True
        ),
    )
}


def next_status(action: Action, current: Status, *, by: str, note: str | None) -> Status:
    """The status after ``action``, or :class:`TransitionRefusedError` saying why not."""
    transition = TRANSITIONS[action]
    if not by.strip():
        raise TransitionRefusedError(f"{action.value}: name the reviewer (--by)")
    if transition.note_required and not (note and note.strip()):
        raise TransitionRefusedError(f"{action.value}: a note saying why is required (--note)")
    if current not in transition.allowed_from:
        allowed = " or ".join(sorted(status.value for status in transition.allowed_from))
        withdrawing = action in (Action.WITHDRAWN, Action.WITHDRAWAL_REQUESTED)
        target = Status.WITHDRAWN if withdrawing else transition.to
        hint = " (verify the person's identity first)" if withdrawing else ""
        raise TransitionRefusedError(
            f"cannot mark an objection {target.value} while it is {current.value}: "
            f"only from {allowed}{hint}"
        )
    return transition.to


def check_method(method: VerificationMethod | None, note: str | None) -> VerificationMethod:
    """The verification method, refused when missing or when it lacks its written note."""
    if method is None:
        choices = ", ".join(item.value for item in VerificationMethod)
        raise TransitionRefusedError(f"verified: name the method (--method: {choices})")
    if method is not VerificationMethod.MAILBOX_CONTROL and not (note and note.strip()):
        raise TransitionRefusedError(
            f"verified: a method other than mailbox control needs a note of what was "
            f"checked (--note), not only {method.value!r}"
        )
    return method


def pending_withdrawal(entries: Sequence[HistoryEntry]) -> HistoryEntry | None:
    """The withdrawal request waiting for a second reviewer, if any.

    A request is pending until the objection's status changes after it.
    """
    pending: HistoryEntry | None = None
    for entry in entries:
        if entry.action is Action.WITHDRAWAL_REQUESTED:
            pending = entry
        elif entry.from_status is not entry.to_status:
            pending = None
    return pending


def withdrawal_step(pending: HistoryEntry | None, *, by: str, four_eyes: bool) -> Action:
    """Whether ``by`` withdrawing now requests the withdrawal or confirms (completes) it."""
    if not four_eyes:
        return Action.WITHDRAWN
    if pending is None:
        return Action.WITHDRAWAL_REQUESTED
    if pending.actor.strip().casefold() == by.strip().casefold():
        raise TransitionRefusedError(
            f"withdrawn: {pending.actor} requested this withdrawal; a second reviewer "
            "must confirm it (four eyes)"
        )
    return Action.WITHDRAWN

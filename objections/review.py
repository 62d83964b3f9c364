"""The review workflow: which step is allowed from which status, and what it needs.

``received → verified | rejected``; ``verified → withdrawn``. Review never
decides whether an objection suppresses: every status but ``withdrawn`` does,
and withdrawing needs the person's identity verified first (an objection is
``verified``), a named reviewer and a note saying why.
"""

from __future__ import annotations

from dataclasses import dataclass

from objections.errors import TransitionRefusedError
from objections.model import Action, Status


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
        hint = " (verify the person's identity first)" if action is Action.WITHDRAWN else ""
        raise TransitionRefusedError(
            f"cannot mark an objection {transition.to.value} while it is {current.value}: "
            f"only from {allowed}{hint}"
        )
    return transition.to

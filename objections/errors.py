"""Errors of the objection register; their messages never hold an address or a digest."""

from __future__ import annotations

from typing import ClassVar

INIT_COMMAND = "audience-export objections init"
"""The one command that creates a register (the demo runs it too)."""


class RegisterError(Exception):
    """The register refused an operation; the message says why, for the privacy officer."""

    identifier_free: ClassVar[bool] = True
    """Its messages never hold an address or a digest (the pipeline may store them)."""


class RegisterMissingError(RegisterError):
    """No initialised register at the configured URL; nothing was created there."""

    def __init__(self, where: str, why: str) -> None:
        super().__init__(
            f"no objection register at {where} ({why}); "
            f"check the register URL, or create the register with `{INIT_COMMAND}`"
        )


class KeyConfigurationError(RegisterError):
    """The register keys are missing, unreadable or do not fit the register."""


class ObjectionNotFoundError(RegisterError):
    """No objection has the given id."""


class TransitionRefusedError(RegisterError):
    """A review step is not allowed from the objection's status, or lacks what it needs."""


class UnknownScopeError(RegisterError, ValueError):
    """A scope names a platform the product cannot export to."""

    def __init__(self, given: str, platforms: frozenset[str]) -> None:
        names = ", ".join(sorted(platforms))
        super().__init__(f"scope must be 'all' or platforms among: {names} (got {given!r})")

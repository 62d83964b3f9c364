"""Errors of the objection register; their messages never hold an address or a digest."""

from __future__ import annotations


class RegisterError(Exception):
    """The register refused an operation; the message says why, for the privacy officer."""


class KeyConfigurationError(RegisterError):
    """The register keys are missing, unreadable or do not fit the register."""


class ObjectionNotFoundError(RegisterError):
    """No objection has the given id."""


class TransitionRefusedError(RegisterError):
    """A review step is not allowed from the objection's status, or lacks what it needs."""

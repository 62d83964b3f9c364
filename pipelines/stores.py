"""Open the ledger and the objection register with errors that name them (never a password)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import SQLAlchemyError

from audiences.ledger import Ledger, LedgerError
from objections.errors import RegisterError
from objections.register import Register
from objections.store import shown_url
from pipelines.settings import Settings


@contextmanager
def open_ledger(settings: Settings) -> Iterator[Ledger]:
    """The ledger; :class:`LedgerError` naming it (never its password) when it cannot open."""
    try:
        ledger = Ledger.open(settings.ledger_url)
    except (OSError, SQLAlchemyError) as error:
        where = shown_url(settings.ledger_url)
        raise LedgerError(f"cannot open the ledger at {where}: {describe_cause(error)}") from None
    with ledger:
        yield ledger


def open_register(settings: Settings) -> Register:
    """The existing objection register; :class:`RegisterError` naming it when it cannot open.

    Creates nothing: a missing SQLite file or folder, an empty database or one
    without the register's key-check row is
    :class:`~objections.errors.RegisterMissingError` (naming the URL without
    its password and the ``objections init`` command), and keys are never
    generated. Only ``objections init`` and the demo create a register.
    """
    config = settings.register_config
    try:
        return Register.open(config)
    except (OSError, SQLAlchemyError) as error:
        where = shown_url(config.url)
        raise RegisterError(
            f"cannot open the objection register at {where}: {describe_cause(error)}"
        ) from None


def describe_cause(error: Exception) -> str:
    """The first line of an OS error, else only the error's type (its text may hold values)."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines and isinstance(error, OSError) else type(error).__name__

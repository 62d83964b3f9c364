"""The pipeline's errors: one base whose messages carry only the product's own words.

Prefect stores exception messages (and pickles a failed flow's exception), so
an error that may leave a task must never quote data. Every error class whose
messages are written that way says so with ``identifier_free = True`` — this
package's :class:`ProductError`, and the one base each of ``audiences``
(``DestinationError``, ``LedgerError``) and ``objections`` (``RegisterError``),
which cannot share a base class with it. :func:`is_identifier_free` is the one
test the identifier boundary applies: any other exception is replaced by its
type name.
"""

from __future__ import annotations

from typing import ClassVar, Protocol, runtime_checkable


@runtime_checkable
class IdentifierFree(Protocol):
    """An error whose message is built from the product's own words only."""

    identifier_free: ClassVar[bool]


def is_identifier_free(error: BaseException) -> bool:
    """Whether ``error``'s message may be stored (logs, ledger, Prefect)."""
    return isinstance(error, IdentifierFree) and type(error).identifier_free


class ProductError(Exception):
    """Base of the pipeline's own errors; ``transient`` says whether a retry may help."""

    identifier_free: ClassVar[bool] = True
    transient: ClassVar[bool] = False


class ConfigurationError(ProductError):
    """A setting or parameter is missing or invalid; nothing was sent anywhere."""

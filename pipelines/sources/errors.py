"""The one error a source raises, and the product's own words for what went wrong.

A driver's, parser's or database's message may quote the data it choked on
(PostgreSQL: ``invalid input syntax for type integer: "…"``; Arrow: the start of
a bad CSV row), and no scrubbing of that text can be proved safe. So no
:class:`SourceError` is ever built from such text: only from what the product
knows itself — what it was doing, the error's class, an ADBC status or a
PostgreSQL SQLSTATE code (both fixed vocabularies) in words, a batch, row or
column number, a column name of the expected schema, and configuration such as
the source URL without its password.
"""

from __future__ import annotations

import re

import adbc_driver_manager

from pipelines.errors import ProductError

WITHHELD = "its own message is withheld, as it may quote data"


class SourceError(ProductError):
    """The source cannot be read; the message is the product's own words, never a row's value."""


SQLSTATES = {
    "0A000": "a feature the database does not support",
    "08001": "the client could not establish a connection",
    "08006": "the connection failed",
    "22001": "a string too long for its type",
    "22003": "a number out of range",
    "22007": "an invalid date or time",
    "22008": "a date or time out of range",
    "22012": "a division by zero",
    "22021": "bytes that are not valid in the database's encoding",
    "22P02": "a value that cannot be converted to the type asked for",
    "25006": "a write in a read-only transaction",
    "28000": "an invalid authorisation",
    "28P01": "a wrong password",
    "3D000": "a database that does not exist",
    "3F000": "a schema that does not exist",
    "42501": "insufficient privilege",
    "42601": "a syntax error",
    "42702": "an ambiguous column reference",
    "42703": "an undefined column",
    "42704": "an undefined object",
    "42803": "a grouping error",
    "42804": "mismatched data types",
    "42883": "an undefined function or operator",
    "42P01": "an undefined table",
    "53100": "a full disk",
    "53200": "an out-of-memory error",
    "57014": "a cancelled query (statement timeout?)",
    "57P01": "a server shutting down",
}
"""PostgreSQL SQLSTATE codes (Appendix A of its manual) this product puts in words."""
SQLSTATE_CLASSES = {
    "08": "a connection error",
    "22": "a data error",
    "23": "an integrity constraint violation",
    "28": "an authorisation error",
    "40": "a transaction rollback",
    "42": "a syntax error or access rule violation",
    "53": "insufficient resources",
    "54": "a program limit exceeded",
    "57": "an operator intervention",
    "58": "a system error",
    "XX": "an internal error",
}
"""Their classes: the first two characters of a SQLSTATE."""
ADBC_STATUSES = {
    "NOT_FOUND": "something the query names was not found",
    "INVALID_ARGUMENT": "the query was refused",
    "INVALID_STATE": "the connection was in the wrong state",
    "INVALID_DATA": "a value could not be read",
    "INTEGRITY": "an integrity error",
    "INTERNAL": "an internal driver error",
    "IO": "the query or the connection failed while running",
    "CANCELLED": "the query was cancelled",
    "TIMEOUT": "a timeout",
    "UNAUTHENTICATED": "the login was refused",
    "UNAUTHORIZED": "permission denied",
    "NOT_IMPLEMENTED": "an operation the driver does not implement",
}
"""ADBC status codes (``AdbcStatusCode``), the vocabulary every ADBC driver shares."""
_SQLSTATE = re.compile(r"[0-9A-Z]{5}")


def driver_failure(error: adbc_driver_manager.Error) -> str:
    """An ADBC error in the product's words: what it means, its class and codes.

    PostgreSQL reports a SQLSTATE; SQLite reports only an ADBC status.
    """
    status = getattr(error.status_code, "name", None)
    sqlstate = error.sqlstate if isinstance(error.sqlstate, str) else None
    if sqlstate is not None and not _SQLSTATE.fullmatch(sqlstate):
        sqlstate = None
    meaning = (
        (SQLSTATES.get(sqlstate) or SQLSTATE_CLASSES.get(sqlstate[:2]) if sqlstate else None)
        or ADBC_STATUSES.get(status or "")
        or "an error"
    )
    codes = [type(error).__name__]
    if status:
        codes.append(f"ADBC {status}")
    if sqlstate:
        codes.append(f"SQLSTATE {sqlstate}")
    return f"{meaning} ({', '.join(codes)}; {WITHHELD})"


def error_class(error: BaseException) -> str:
    """An error reduced to its class name, e.g. for Arrow and file-system errors."""
    return f"{type(error).__name__}; {WITHHELD}"

"""The default eligibility rule, as SQL for databases and as a batch filter for files.

Both keep the accounts a customer may be exported from: ``status = 'active'``,
``email_verified`` true and ``deleted_at`` null, on the default schema
``accounts(id, email, status, email_verified, country, created_at, deleted_at)``.
On SQLite ``email_verified`` is the integer 0/1 SQLite stores for booleans; on
PostgreSQL it is a ``boolean``; in a CSV file it is text (``true``/``false``,
``1``/``0``, any case). A deleted account is never exported, whatever its status.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

OUTPUT_COLUMNS = ("account_id", "email")
"""What an eligibility query returns, and what every source batch holds."""

DEFAULT_QUERY = (
    "SELECT id AS account_id, email FROM accounts"
    " WHERE status = 'active' AND email_verified AND deleted_at IS NULL"
)

DEFAULT_COLUMNS = ("id", "email", "status", "email_verified", "deleted_at")
"""Columns the default rule reads: what a Parquet/CSV export or the table ``accounts`` holds."""
RULE_COLUMNS = DEFAULT_COLUMNS[2:]

TRUE_TEXTS = pa.array(["true", "1"])
FALSE_TEXTS = pa.array(["false", "0"])


class NotABoolean(Exception):
    """``email_verified`` holds something that is not a boolean.

    ``row`` is the index of the first such value in its batch, or ``None`` when
    the column's type itself is not one a boolean can be read from.
    """

    def __init__(self, row: int | None, type_name: str) -> None:
        super().__init__(f"email_verified: {type_name}")
        self.row = row
        self.type_name = type_name


def default_rule(batch: pa.RecordBatch) -> pa.BooleanArray:
    """Which rows of a batch of the default schema the default rule keeps."""
    active = pc.equal(batch.column("status"), "active")
    verified = booleans(batch.column("email_verified"))
    kept = pc.and_kleene(pc.and_kleene(active, verified), pc.is_null(batch.column("deleted_at")))
    return pc.fill_null(kept, False)


def booleans(values: pa.Array) -> pa.Array:
    """``values`` read as booleans (null stays null); :class:`NotABoolean` otherwise."""
    kind = values.type
    if pa.types.is_boolean(kind):
        return values
    if pa.types.is_integer(kind):
        return pc.not_equal(values, 0)
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        raise NotABoolean(None, str(kind))
    text = pc.ascii_lower(pc.utf8_trim_whitespace(values))
    flags = pc.if_else(
        pc.is_in(text, TRUE_TEXTS),
        True,
        pc.if_else(pc.is_in(text, FALSE_TEXTS), False, pa.scalar(None, pa.bool_())),
    )
    unreadable = pc.and_(pc.is_valid(values), pc.is_null(flags))
    if pc.any(unreadable).as_py():
        raise NotABoolean(pc.index(unreadable, True).as_py(), str(kind))
    return flags

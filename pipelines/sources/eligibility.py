"""The default eligibility rule, as SQL for databases and as a filter for files.

Both keep the accounts a customer may be exported from: ``status = 'active'``,
``email_verified`` true and ``deleted_at`` null, on the default schema
``accounts(id, email, status, email_verified, country, created_at, deleted_at)``.
On SQLite ``email_verified`` is the integer 0/1 SQLite stores for booleans; on
PostgreSQL it is a ``boolean``. A deleted account is never exported, whatever
its status.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.dataset as ds

OUTPUT_COLUMNS = ("account_id", "email")
"""What an eligibility query returns, and what every source batch holds."""

DEFAULT_QUERY = (
    "SELECT id AS account_id, email FROM accounts"
    " WHERE status = 'active' AND email_verified AND deleted_at IS NULL"
)

FILE_COLUMNS = ("id", "email", "status", "email_verified", "deleted_at")
"""Columns a Parquet or CSV export must hold for the default rule."""


def default_filter() -> ds.Expression:
    """The default rule over a Parquet/CSV dataset of the default schema."""
    return (
        (ds.field("status") == "active")
        & ds.field("email_verified").cast(pa.bool_())
        & ds.field("deleted_at").is_null()
    )

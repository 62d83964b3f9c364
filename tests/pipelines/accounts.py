"""Small hand-made account tables, stored wherever a test reads them from."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as csv
import pyarrow.parquet as pq

from pipelines.demo_data import ACCOUNTS_SCHEMA, write_accounts

CREATED = datetime(2020, 5, 1, tzinfo=UTC)
DELETED = datetime(2024, 2, 1, tzinfo=UTC)

# id, email, status, email_verified, country, deleted
ROWS: list[tuple[int, str | None, str, bool, str, bool]] = [
    (1, "amber.otter@example.fr", "active", True, "FR", False),
    (2, "  Coral.Dune@Example.COM ", "active", True, "BE", False),
    (3, None, "active", True, "FR", False),
    (4, "closed.one@example.fr", "closed", True, "FR", False),
    (5, "suspended.one@example.fr", "suspended", True, "FR", False),
    (6, "unverified.one@example.fr", "active", False, "FR", False),
    (7, "deleted.active@example.fr", "active", True, "FR", True),
    (8, "deleted.closed@example.fr", "closed", True, "FR", True),
    (9, "mailto:fern.tide@gmail.com", "active", True, "BE", False),
]
ELIGIBLE = {
    ("1", "amber.otter@example.fr"),
    ("2", "  Coral.Dune@Example.COM "),
    ("3", None),
    ("9", "mailto:fern.tide@gmail.com"),
}


def accounts_table(rows: list[tuple[int, str | None, str, bool, str, bool]] = ROWS) -> pa.Table:
    """The default schema holding ``rows``."""
    return pa.table(
        {
            "id": [row[0] for row in rows],
            "email": [row[1] for row in rows],
            "status": [row[2] for row in rows],
            "email_verified": [row[3] for row in rows],
            "country": [row[4] for row in rows],
            "created_at": [CREATED] * len(rows),
            "deleted_at": [DELETED if row[5] else None for row in rows],
            "ad_consent": [True] * len(rows),
        },
        schema=ACCOUNTS_SCHEMA,
    )


def store(table: pa.Table, kind: str, tmp_path: Path, database_url: str | None = None) -> str:
    """Write ``table`` as ``kind`` (sqlite, postgresql, parquet, csv); return the source URL."""
    if kind == "parquet":
        pq.write_table(table, tmp_path / "accounts.parquet")
        return str(tmp_path / "accounts.parquet")
    if kind == "csv":
        csv.write_csv(table, tmp_path / "accounts.csv")
        return str(tmp_path / "accounts.csv")
    url = database_url or f"sqlite:///{tmp_path / 'accounts.sqlite'}"
    write_accounts(table, url)
    return url

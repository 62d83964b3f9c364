"""The ledger's database connection: URL normalisation and write serialisation.

Writers serialise on the export they change: PostgreSQL locks the ``exports``
row (``SELECT … FOR UPDATE``); SQLite has no row locks, so every ledger
transaction starts with ``BEGIN IMMEDIATE`` and takes the database's write lock
up front, waiting up to :data:`SQLITE_BUSY_TIMEOUT_SECONDS` for another writer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url

from audiences.ledger.errors import LedgerError

SQLITE_BUSY_TIMEOUT_SECONDS = 30.0


def ledger_url(url: str) -> URL:
    """Parse a ledger URL; plain ``postgresql://`` uses the psycopg 3 driver."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise LedgerError(f"not a database URL: {url!r}") from None
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        raise LedgerError(
            f"the ledger lives in SQLite or PostgreSQL, not {parsed.get_backend_name()!r}"
        )
    if not parsed.database or parsed.database == ":memory:":
        raise LedgerError("the ledger needs a SQLite file, not an in-memory database")
    return parsed


def display_url(url: URL) -> str:
    """The URL as it may appear in a message: without its password."""
    return url.render_as_string(hide_password=True)


def create_engine(url: URL) -> sa.Engine:
    """An engine for the ledger; a SQLite file's folder is created when missing."""
    if url.get_backend_name() == "sqlite":
        Path(url.database or "").parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _sqlite_connect(dbapi_connection: Any, _record: object) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN instead of the driver.
    dbapi_connection.isolation_level = None
    dbapi_connection.execute("PRAGMA foreign_keys = ON")


def _sqlite_begin(connection: sa.Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")

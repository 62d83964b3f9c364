"""Eligible accounts from SQLite or PostgreSQL, streamed as Arrow through ADBC.

The operator's eligibility query runs wrapped in a fixed outer query that casts
both columns to text. SQLite columns hold any type in any row, and the ADBC
SQLite driver fixes a column's Arrow type from the first rows it reads; the
cast (and a separate null flag, since an all-null first batch would be typed as
integers) keeps every batch ``string``, so a BLOB or a number in the e-mail
column of row 2 000 000 cannot stop the stream. A NULL account id reads as an
empty string.

Batch size: SQLite reads exactly ``batch_rows`` rows at a time; PostgreSQL
streams ``COPY`` output in batches of about ``batch_rows`` ×
:data:`PG_BYTES_PER_ROW_HINT` bytes, re-sliced to ``batch_rows`` rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import adbc_driver_manager
import adbc_driver_postgresql.dbapi as postgresql
import adbc_driver_sqlite.dbapi as sqlite
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.sources.base import Source
from pipelines.sources.eligibility import OUTPUT_COLUMNS
from pipelines.sources.errors import SourceError, scrub
from pipelines.sources.locations import PostgresDatabase, SqliteFile

PG_BYTES_PER_ROW_HINT = 64
"""Rough size of one (account_id, email) row in PostgreSQL's binary COPY stream."""

_READ = """SELECT COALESCE(CAST(account_id AS TEXT), '') AS account_id,
       COALESCE(CAST(email AS TEXT), '') AS email,
       CASE WHEN email IS NULL THEN 1 ELSE 0 END AS email_missing
FROM ({query}) AS eligible"""


def connect(
    location: SqliteFile | PostgresDatabase, *, writable: bool = False
) -> adbc_driver_manager.dbapi.Connection:
    """An ADBC connection (autocommit); SQLite is opened read-only unless ``writable``.

    A missing SQLite file is refused when reading and created when writing.
    """
    connection: adbc_driver_manager.dbapi.Connection
    try:
        if isinstance(location, PostgresDatabase):
            connection = postgresql.connect(location.uri, autocommit=True)
        elif writable:
            location.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite.connect(str(location.path), autocommit=True)
        elif location.path.is_file():
            uri = f"{location.path.resolve().as_uri()}?mode=ro"
            connection = sqlite.connect(uri, autocommit=True)
        else:
            raise SourceError(f"SQLite source {location.path} does not exist")
    except adbc_driver_manager.Error as error:
        raise SourceError(f"cannot connect to {location.display}: {_first_line(error)}") from None
    return connection


class SqlSource(Source):
    """The rows of an eligibility query on SQLite or PostgreSQL."""

    def __init__(
        self, location: SqliteFile | PostgresDatabase, query: str, batch_rows: int
    ) -> None:
        super().__init__(batch_rows)
        self._location = location
        self._query = query.strip().rstrip(";").strip()
        self._connection = connect(location)
        try:
            self._check_columns()
        except BaseException:
            self._connection.close()
            raise

    def estimate_rows(self) -> int:
        with self._failures("counting the eligible rows"), self._connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({self._query}) AS eligible")
            row = cursor.fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self._connection.close()

    def _read(self) -> Iterator[tuple[pa.Array, pa.Array]]:
        with self._failures("reading the eligible rows"), self._connection.cursor() as cursor:
            cursor.adbc_statement.set_options(**self._batch_options())
            cursor.execute(_READ.format(query=self._query))
            for batch in cursor.fetch_record_batch():
                missing = pc.equal(batch.column("email_missing"), 1)
                email = batch.column("email")
                yield (
                    batch.column("account_id"),
                    pc.if_else(missing, pa.scalar(None, email.type), email),
                )

    def _check_columns(self) -> None:
        with self._failures("the eligibility query"), self._connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM ({self._query}) AS eligible LIMIT 0")
            names = cursor.fetch_arrow_table().schema.names
        missing = [column for column in OUTPUT_COLUMNS if column not in names]
        if missing:
            raise SourceError(
                f"the eligibility query must return the columns account_id and email; "
                f"it returns {', '.join(names) or 'nothing'} (missing: {', '.join(missing)})"
            )

    def _batch_options(self) -> dict[str, str]:
        if isinstance(self._location, PostgresDatabase):
            hint = self.batch_rows * PG_BYTES_PER_ROW_HINT
            return {"adbc.postgresql.batch_size_hint_bytes": str(hint)}
        return {"adbc.sqlite.query.batch_rows": str(self.batch_rows)}

    @contextmanager
    def _failures(self, doing: str) -> Iterator[None]:
        """Turn a driver error into a :class:`SourceError` naming what failed, and where."""
        try:
            yield
        except (adbc_driver_manager.Error, pa.ArrowException, OSError) as error:
            # A stream that fails midway surfaces as an Arrow error or OSError.
            raise SourceError(
                f"{doing} failed on {self._location.display}: {_first_line(error)}"
            ) from None


def _first_line(error: Exception) -> str:
    return scrub(str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__)

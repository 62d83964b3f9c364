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

A source reads through ADBC's low-level statements, not its DB-API module:
``adbc_driver_manager.dbapi`` imports ``pyarrow.dataset``, which imports
``pandas`` — 52 MB of memory an export never uses. Only :func:`connect`, for
the writers (demo and benchmark data), loads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import adbc_driver_manager
import adbc_driver_postgresql
import adbc_driver_sqlite
import pyarrow as pa
import pyarrow.compute as pc
from adbc_driver_manager._reader import AdbcRecordBatchReader

from pipelines.sources.base import Source
from pipelines.sources.eligibility import DEFAULT_COLUMNS, DEFAULT_QUERY, OUTPUT_COLUMNS
from pipelines.sources.errors import SourceError, driver_failure, error_class
from pipelines.sources.locations import PostgresDatabase, SqliteFile
from pipelines.sources.probe import why_unconnected

if TYPE_CHECKING:
    from adbc_driver_manager.dbapi import Connection

PG_BYTES_PER_ROW_HINT = 64
"""Rough size of one (account_id, email) row in PostgreSQL's binary COPY stream."""

_READ = """SELECT COALESCE(CAST(account_id AS TEXT), '') AS account_id,
       COALESCE(CAST(email AS TEXT), '') AS email,
       CASE WHEN email IS NULL THEN 1 ELSE 0 END AS email_missing
FROM ({query}) AS eligible"""


def connect(location: SqliteFile | PostgresDatabase, *, writable: bool = False) -> Connection:
    """A DB-API connection (autocommit); SQLite is opened read-only unless ``writable``.

    A missing SQLite file is refused when reading and created when writing.
    """
    from adbc_driver_manager.dbapi import Connection  # noqa: PLC0415 - see the module's notes

    return Connection(*_open(location, writable=writable), autocommit=True)


def _open(
    location: SqliteFile | PostgresDatabase, *, writable: bool
) -> tuple[adbc_driver_manager.AdbcDatabase, adbc_driver_manager.AdbcConnection]:
    """The driver's database and a connection to it (autocommit, ADBC's default)."""
    database: adbc_driver_manager.AdbcDatabase | None = None
    try:
        if isinstance(location, PostgresDatabase):
            database = adbc_driver_postgresql.connect(location.uri)
        elif writable:
            location.path.parent.mkdir(parents=True, exist_ok=True)
            database = adbc_driver_sqlite.connect(str(location.path))
        elif location.path.is_file():
            database = adbc_driver_sqlite.connect(f"{location.path.resolve().as_uri()}?mode=ro")
        else:
            raise SourceError(f"SQLite source {location.path} does not exist")
        return database, adbc_driver_manager.AdbcConnection(database)
    except adbc_driver_manager.Error as error:
        if database is not None:
            database.close()
        raise SourceError(
            f"cannot connect to {location.display}: {why_unconnected(location, error)}"
        ) from None


class SqlSource(Source):
    """The rows of an eligibility query on SQLite or PostgreSQL."""

    def __init__(
        self, location: SqliteFile | PostgresDatabase, query: str, batch_rows: int
    ) -> None:
        super().__init__(batch_rows)
        self._location = location
        self._query = query.strip().rstrip(";").strip()
        self._database, self._connection = _open(location, writable=False)
        try:
            self._check_columns()
        except BaseException:
            self.close()
            raise

    def estimate_rows(self) -> int:
        with (
            self._failures("counting the eligible rows"),
            self._results(f"SELECT COUNT(*) FROM ({self._query}) AS eligible") as results,
        ):
            counted = results.read_all().column(0)
        return int(counted[0].as_py() or 0) if len(counted) else 0

    def close(self) -> None:
        self._connection.close()
        self._database.close()

    @contextmanager
    def _results(self, sql: str, **options: str) -> Iterator[pa.RecordBatchReader]:
        """The result of one statement, as a stream of record batches; closed on leaving."""
        statement = adbc_driver_manager.AdbcStatement(self._connection)
        try:
            statement.set_options(**options)
            statement.set_sql_query(sql)
            stream, _rows = statement.execute_query()
            # ADBC's own reader (the one its DB-API module uses) turns a stream that
            # breaks midway into the driver's error, SQLSTATE included.
            with AdbcRecordBatchReader._import_from_c(stream.address) as results:
                yield results
        finally:
            statement.close()

    def _read(self) -> Iterator[tuple[pa.Array, pa.Array]]:
        with (
            self._failures("reading the eligible rows", streaming=True),
            self._results(_READ.format(query=self._query), **self._batch_options()) as results,
        ):
            for batch in results:
                missing = pc.equal(batch.column("email_missing"), 1)
                email = batch.column("email")
                yield (
                    batch.column("account_id"),
                    pc.if_else(missing, pa.scalar(None, email.type), email),
                )

    def _check_columns(self) -> None:
        try:
            names = self._columns_of(self._query, "the eligibility query")
        except SourceError as error:
            if self._query != DEFAULT_QUERY:
                raise
            raise SourceError(f"{error}; {self._default_schema_problem()}") from None
        missing = [column for column in OUTPUT_COLUMNS if column not in names]
        if missing:
            # The names it does return are not repeated: a query may name a
            # column after a literal value.
            raise SourceError(
                f"the eligibility query must return the columns account_id and email; "
                f"it returns {len(names)} column(s), without {' and '.join(missing)}"
            )

    def _columns_of(self, query: str, doing: str) -> list[str]:
        with (
            self._failures(doing),
            self._results(f"SELECT * FROM ({query}) AS eligible LIMIT 0") as results,
        ):
            return list(results.read_all().schema.names)

    def _default_schema_problem(self) -> str:
        """What the default query lacks, named with the default schema's words only."""
        try:
            names = self._columns_of("SELECT * FROM accounts", "reading the table accounts")
        except SourceError:
            return "the default query needs a readable table accounts, and there is none"
        missing = [column for column in DEFAULT_COLUMNS if column not in names]
        if missing:
            return f"the table accounts lacks the column(s) {', '.join(missing)}"
        return f"the table accounts has the columns {', '.join(DEFAULT_COLUMNS)}: check their types"

    def _batch_options(self) -> dict[str, str]:
        if isinstance(self._location, PostgresDatabase):
            hint = self.batch_rows * PG_BYTES_PER_ROW_HINT
            return {"adbc.postgresql.batch_size_hint_bytes": str(hint)}
        return {"adbc.sqlite.query.batch_rows": str(self.batch_rows)}

    @contextmanager
    def _failures(self, doing: str, *, streaming: bool = False) -> Iterator[None]:
        """Turn a driver error into a :class:`SourceError` naming what failed, and where."""
        where = f"{doing} failed on {self._location.display}"
        try:
            yield
        except adbc_driver_manager.Error as error:
            where += self.position() if streaming else ""
            raise SourceError(f"{where}: {driver_failure(error)}") from None
        except (pa.ArrowException, OSError) as error:
            # A stream that fails midway may surface as an Arrow error or OSError.
            where += self.position() if streaming else ""
            raise SourceError(f"{where}: the stream broke ({error_class(error)})") from None

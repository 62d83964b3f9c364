"""Eligible accounts from Parquet or CSV exports, streamed file by file with ``pyarrow.dataset``.

Files follow the default schema and the default rule applies (see
:mod:`~pipelines.sources.eligibility`); a custom query is refused, as there is
no SQL engine to run it. CSV columns are read as text (no type guessing:
``00123`` stays ``00123``; ``id`` and ``email`` as raw bytes, so bad UTF-8 is
repaired, not fatal) and empty fields are null. Each file is read on its own, so
a failure names the file and the row: a CSV row with the wrong number of fields
(found by Arrow's ``invalid_row_handler``, never by reading Arrow's message),
or an ``email_verified`` that is not a boolean.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from pyarrow import csv

from pipelines.sources.base import Source
from pipelines.sources.eligibility import (
    DEFAULT_COLUMNS,
    RULE_COLUMNS,
    NotABoolean,
    default_rule,
)
from pipelines.sources.errors import SourceError, error_class
from pipelines.sources.locations import DataFiles

_CSV_TYPES = {
    "id": pa.binary(),
    "email": pa.binary(),
    "status": pa.string(),
    "email_verified": pa.string(),
    "deleted_at": pa.string(),
}


@dataclass
class BadRow:
    """A CSV row whose field count differs from the header's: where, and the counts."""

    number: int | None
    """Arrow's row number, the header being row 1 (``None`` when Arrow does not know it)."""
    expected: int
    actual: int


class BadRows:
    """Arrow's CSV ``invalid_row_handler``: keeps the first bad row's numbers and stops the read.

    The row's text, which Arrow also passes, is never looked at.
    """

    def __init__(self) -> None:
        self.first: BadRow | None = None

    def __call__(self, row: csv.InvalidRow) -> str:
        if self.first is None:
            self.first = BadRow(row.number, row.expected_columns, row.actual_columns)
        return "error"


class FileSource(Source):
    """The eligible rows of a Parquet/CSV file or folder."""

    def __init__(self, location: DataFiles, batch_rows: int) -> None:
        super().__init__(batch_rows)
        self._location = location
        self._bad_rows = BadRows()
        self._header_rows = 1 if location.format == "csv" else 0
        file_format: ds.FileFormat = (
            ds.CsvFileFormat(
                parse_options=csv.ParseOptions(invalid_row_handler=self._bad_rows),
                convert_options=csv.ConvertOptions(
                    column_types=_CSV_TYPES,
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=False,
                ),
            )
            if location.format == "csv"
            else ds.ParquetFileFormat()
        )
        with self._failures("opening", location.display):
            self._dataset = ds.dataset(location.path, format=file_format)
        missing = [name for name in DEFAULT_COLUMNS if name not in self._dataset.schema.names]
        if missing:
            raise SourceError(
                f"{location.display} lacks the column(s) {', '.join(missing)} "
                f"of the default schema ({', '.join(DEFAULT_COLUMNS)})"
            )

    def estimate_rows(self) -> int:
        return sum(pc.sum(kept).as_py() or 0 for _, kept in self._scan(RULE_COLUMNS, "counting"))

    def close(self) -> None:
        """Nothing stays open between batches."""

    def _read(self) -> Iterator[tuple[pa.Array, pa.Array]]:
        for batch, kept in self._scan(DEFAULT_COLUMNS, "reading"):
            eligible = batch.filter(kept)
            yield eligible.column("id"), eligible.column("email")

    def _scan(
        self, columns: Sequence[str], doing: str
    ) -> Iterator[tuple[pa.RecordBatch, pa.BooleanArray]]:
        """Every batch of every file, with which of its rows the default rule keeps."""
        for fragment in self._dataset.get_fragments():
            rows_before = 0
            batches = fragment.to_batches(
                schema=self._dataset.schema, columns=list(columns), batch_size=self.batch_rows
            )
            while True:
                with self._failures(doing, fragment.path, rows_before):
                    batch = next(batches, None)
                    if batch is None:
                        break
                    kept = default_rule(batch)
                yield batch, kept
                rows_before += batch.num_rows

    @contextmanager
    def _failures(self, doing: str, where: str, rows_before: int = 0) -> Iterator[None]:
        """Turn an Arrow, file or rule failure into a :class:`SourceError` naming file and row."""
        try:
            yield
        except NotABoolean as bad:
            if bad.row is None:
                problem = f"email_verified is of type {bad.type_name}, which is not a boolean"
            else:
                row = rows_before + bad.row + 1 + self._header_rows
                problem = f"row {row}: email_verified is not true, false, 1 or 0"
            raise SourceError(f"{doing} {where} failed: {problem}") from None
        except (pa.ArrowException, OSError) as error:
            problem = self._arrow_problem(error, rows_before)
            raise SourceError(f"{doing} {where} failed: {problem}") from None

    def _arrow_problem(self, error: BaseException, rows_before: int) -> str:
        bad, self._bad_rows.first = self._bad_rows.first, None
        if bad is not None:
            row = f"row {bad.number}" if bad.number is not None else "a row"
            return (
                f"{row} has {bad.actual} fields where the header has {bad.expected} "
                f"(the header being row 1; {error_class(error)})"
            )
        if isinstance(error, OSError) and error.errno:
            return f"{os.strerror(error.errno).lower()} ({error_class(error)})"
        after = f" after row {rows_before + self._header_rows}" if rows_before else ""
        return f"not readable as {self._location.format.upper()}{after} ({error_class(error)})"

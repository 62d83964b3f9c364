"""Eligible accounts from Parquet or CSV exports, streamed with ``pyarrow.dataset``.

Files follow the default schema and the default rule applies (see
:mod:`~pipelines.sources.eligibility`); a custom query is refused, as there is
no SQL engine to run it. CSV columns ``id`` and ``email`` are read as raw
bytes (no type guessing: ``00123`` stays ``00123``, bad UTF-8 is repaired, not
fatal) and empty fields are null.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa
import pyarrow.dataset as ds
from pyarrow import csv

from pipelines.sources.base import Source
from pipelines.sources.eligibility import FILE_COLUMNS, default_filter
from pipelines.sources.errors import SourceError, scrub
from pipelines.sources.locations import DataFiles

_CSV = ds.CsvFileFormat(
    convert_options=csv.ConvertOptions(
        column_types={
            "id": pa.binary(),
            "email": pa.binary(),
            "status": pa.string(),
            "email_verified": pa.bool_(),
        },
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
    )
)


class FileSource(Source):
    """The eligible rows of a Parquet/CSV file or folder."""

    def __init__(self, location: DataFiles, batch_rows: int) -> None:
        super().__init__(batch_rows)
        self._location = location
        with self._failures("opening"):
            self._dataset = ds.dataset(
                location.path, format=_CSV if location.format == "csv" else "parquet"
            )
        missing = [name for name in FILE_COLUMNS if name not in self._dataset.schema.names]
        if missing:
            raise SourceError(
                f"{location.display} lacks the column(s) {', '.join(missing)} "
                f"of the default schema ({', '.join(FILE_COLUMNS)})"
            )

    def estimate_rows(self) -> int:
        with self._failures("counting"):
            return int(self._dataset.count_rows(filter=default_filter()))

    def close(self) -> None:
        """Nothing stays open between batches."""

    def _read(self) -> Iterator[tuple[pa.Array, pa.Array]]:
        with self._failures("reading"):
            for batch in self._dataset.to_batches(
                columns=["id", "email"], filter=default_filter(), batch_size=self.batch_rows
            ):
                yield batch.column("id"), batch.column("email")

    @contextmanager
    def _failures(self, doing: str) -> Iterator[None]:
        try:
            yield
        except (pa.ArrowException, OSError) as error:
            raise SourceError(
                f"{doing} {self._location.display} failed: {scrub(str(error))}"
            ) from None

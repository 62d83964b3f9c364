"""Where eligible accounts come from: SQLite, PostgreSQL, or Parquet/CSV files.

:func:`open_source` returns a :class:`Source` that streams Arrow record batches
of two ``string`` columns, ``account_id`` and ``email``, at most ``batch_rows``
rows each, so memory stays bounded whatever the number of accounts. Every
failure is a :class:`SourceError` built from the product's own words only (what
was read, file, row or batch number, error class, SQLSTATE), never from a
driver's or parser's message, which may quote a row's value.
"""

from __future__ import annotations

from pipelines.sources.base import Source
from pipelines.sources.eligibility import DEFAULT_QUERY
from pipelines.sources.errors import SourceError
from pipelines.sources.locations import DataFiles, parse_location
from pipelines.sources.sql import SqlSource


def open_source(url: str, *, query: str | None, batch_rows: int) -> Source:
    """Open and check the source at ``url``.

    ``url`` is ``sqlite:///path``, ``postgresql://…`` (any ``+driver`` is
    ignored) or a path to a ``.parquet``/``.csv`` file or folder. ``query`` is
    the eligibility query for databases (``None``: :data:`DEFAULT_QUERY`); it
    must return ``account_id`` and ``email``. File sources apply the default
    rule and refuse a custom query.
    """
    location = parse_location(url)
    if isinstance(location, DataFiles):
        # Imported here: pyarrow.dataset (and pandas with it) is 52 MB an SQL source never needs.
        from pipelines.sources.files import FileSource  # noqa: PLC0415

        if query is not None:
            raise SourceError(
                f"a custom eligibility query needs a database source; {location.display} "
                "is a file source, which always applies the default rule"
            )
        return FileSource(location, batch_rows)
    return SqlSource(location, query or DEFAULT_QUERY, batch_rows)


__all__ = ["DEFAULT_QUERY", "Source", "SourceError", "open_source"]

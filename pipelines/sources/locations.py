"""Where accounts are read from: a source URL parsed into one of three kinds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from pipelines.sources.errors import SourceError

FileFormat = Literal["parquet", "csv"]
_FORMATS: dict[str, FileFormat] = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


@dataclass(frozen=True)
class SqliteFile:
    """``sqlite:///relative/path`` or ``sqlite:////absolute/path``."""

    path: Path

    @property
    def display(self) -> str:
        return f"sqlite:///{self.path}"


@dataclass(frozen=True)
class PostgresDatabase:
    """``postgresql://…`` or ``postgresql+<driver>://…``, kept as a libpq URI."""

    uri: str
    display: str
    """The URI without its password, for messages."""
    host: str | None = None
    port: int = 5432
    """Where the server listens, when the URI names a TCP host (else a local socket)."""


@dataclass(frozen=True)
class DataFiles:
    """A Parquet or CSV file, or a folder of them."""

    path: Path
    format: FileFormat

    @property
    def display(self) -> str:
        return str(self.path)


Location = SqliteFile | PostgresDatabase | DataFiles


def parse_location(url: str) -> Location:
    """Read a source URL; :class:`SourceError` names what is wrong with it."""
    if "://" not in url:
        return _data_files(Path(url))
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise SourceError(f"not a source URL: {url!r}") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise SourceError("a SQLite source needs a file: sqlite:///path/to/accounts.sqlite")
        return SqliteFile(Path(parsed.database))
    if backend == "postgresql":
        libpq = parsed.set(drivername="postgresql")
        return PostgresDatabase(
            uri=libpq.render_as_string(hide_password=False),
            display=libpq.render_as_string(hide_password=True),
            host=libpq.host if libpq.host and not libpq.host.startswith("/") else None,
            port=libpq.port or 5432,
        )
    raise SourceError(
        f"unsupported source {backend!r}: use sqlite:///…, postgresql://… or a Parquet/CSV path"
    )


def _data_files(path: Path) -> DataFiles:
    if path.is_file():
        return DataFiles(path, _format_of(path.suffix, path))
    if not path.is_dir():
        raise SourceError(f"source {path} does not exist")
    suffixes = {
        file.suffix.lower()
        for file in path.rglob("*")
        if file.is_file() and not file.name.startswith((".", "_"))
    }
    if len(suffixes) != 1:
        found = ", ".join(sorted(suffixes)) or "no files"
        raise SourceError(
            f"source folder {path} must hold only .parquet or only .csv files (found {found})"
        )
    return DataFiles(path, _format_of(suffixes.pop(), path))


def _format_of(suffix: str, path: Path) -> FileFormat:
    try:
        return _FORMATS[suffix.lower()]
    except KeyError:
        raise SourceError(f"source {path} is neither Parquet (.parquet) nor CSV (.csv)") from None

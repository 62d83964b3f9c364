"""Reading eligible accounts from SQLite, PostgreSQL, Parquet and CSV."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.sources import Source, SourceError, open_source
from tests.pipelines.accounts import ELIGIBLE, accounts_table, store

FILE_KINDS = ["parquet", "csv"]


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres), *FILE_KINDS]
)
def write_source(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[pa.Table], str]:
    """Stores a table in each kind of source in turn; returns its URL."""

    def write(table: pa.Table) -> str:
        if request.param == "postgresql":
            return store(table, "database", tmp_path, request.getfixturevalue("postgres_url"))
        return store(table, request.param, tmp_path)

    return write


def rows_of(source: Source) -> set[tuple[str | None, str | None]]:
    return {
        (row["account_id"], row["email"]) for batch in source.batches() for row in batch.to_pylist()
    }


def test_the_default_rule_keeps_exactly_active_verified_undeleted_accounts(
    write_source: Callable[[pa.Table], str],
) -> None:
    url = write_source(accounts_table())
    with open_source(url, query=None, batch_rows=100) as source:
        assert source.estimate_rows() == len(ELIGIBLE)
        batches = list(source.batches())
    assert all(batch.schema.names == ["account_id", "email"] for batch in batches)
    assert all(batch.schema.types == [pa.string(), pa.string()] for batch in batches)
    assert {(row["account_id"], row["email"]) for b in batches for row in b.to_pylist()} == (
        ELIGIBLE
    )


def test_a_custom_query_chooses_the_rows(database_url: str, tmp_path: Path) -> None:
    url = store(accounts_table(), "database", tmp_path, database_url)
    query = "SELECT id AS account_id, email FROM accounts WHERE country = 'BE';"
    with open_source(url, query=query, batch_rows=100) as source:
        assert source.estimate_rows() == 2
        assert rows_of(source) == {
            ("2", "  Coral.Dune@Example.COM "),
            ("9", "mailto:fern.tide@gmail.com"),
        }


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_file_sources_refuse_a_custom_query(kind: str, tmp_path: Path) -> None:
    url = store(accounts_table(), kind, tmp_path)
    with pytest.raises(SourceError, match="custom eligibility query needs a database"):
        open_source(url, query="SELECT 1", batch_rows=100)


def test_batches_stream_at_most_batch_rows(write_source: Callable[[pa.Table], str]) -> None:
    rows = 200_000
    table = accounts_table([(1, "x", "active", True, "FR", False)]).take([0] * rows)
    table = table.set_column(0, "id", pa.array(range(1, rows + 1), pa.int64()))
    table = table.set_column(1, "email", pa.array([f"user{n}@example.com" for n in range(rows)]))
    url = write_source(table)
    with open_source(url, query=None, batch_rows=10_000) as source:
        sizes = [batch.num_rows for batch in source.batches()]
    assert sum(sizes) == rows
    assert len(sizes) >= 20
    assert max(sizes) <= 10_000


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("SELECT id, email FROM accounts", "missing: account_id"),
        ("SELECT id AS account_id, emial AS email FROM accounts", "emial"),
        ("SELECT id AS account_id, email FROM acounts", "acounts"),
        ("SELEC id FROM accounts", "syntax error"),
    ],
)
def test_a_bad_query_is_named_when_the_source_opens(
    database_url: str, tmp_path: Path, query: str, named: str
) -> None:
    url = store(accounts_table(), "database", tmp_path, database_url)
    with pytest.raises(SourceError, match=named):
        open_source(url, query=query, batch_rows=100)


def test_a_failure_while_reading_is_named_without_the_value(
    database_url: str, tmp_path: Path
) -> None:
    url = store(accounts_table(), "database", tmp_path, database_url)
    failing = (
        "json_extract(email, '$') IS NOT NULL"
        if database_url.startswith("sqlite")
        else "CAST(email AS INTEGER) > 0"
    )
    query = f"SELECT id AS account_id, email FROM accounts WHERE {failing}"
    with (
        open_source(url, query=query, batch_rows=100) as source,
        pytest.raises(SourceError, match="reading the eligible rows failed") as failed,
    ):
        list(source.batches())
    assert "amber.otter" not in str(failed.value)
    assert "@example" not in str(failed.value)


def test_numbers_and_nulls_in_the_email_column(database_url: str, tmp_path: Path) -> None:
    url = store(accounts_table(), "database", tmp_path, database_url)
    query = (
        "SELECT id AS account_id, CASE WHEN id = 3 THEN NULL ELSE id * 1000 END AS email "
        "FROM accounts WHERE id IN (1, 2, 3)"
    )
    with open_source(url, query=query, batch_rows=100) as source:
        assert rows_of(source) == {("1", "1000"), ("2", "2000"), ("3", None)}


def test_sqlite_blobs_and_mixed_types_never_stop_the_stream(tmp_path: Path) -> None:
    path = tmp_path / "accounts.sqlite"
    with sqlite3.connect(path) as database:
        database.execute("CREATE TABLE accounts (id, email, status, email_verified, deleted_at)")
        values = [None, None, None, 42, "ok@example.fr", b"blob.ok@example.fr", b"\xffbad@x.fr"]
        database.executemany(
            "INSERT INTO accounts VALUES (?, ?, 'active', 1, NULL)", enumerate(values, 1)
        )
    with open_source(f"sqlite:///{path}", query=None, batch_rows=2) as source:
        rows = sorted(rows_of(source), key=lambda row: int(row[0] or 0))
        assert source.undecodable_emails == 1
    assert [email for _, email in rows] == [
        None,
        None,
        None,
        "42",
        "ok@example.fr",
        "blob.ok@example.fr",
        "\ufffdbad@x.fr",
    ]


def test_csv_keeps_emails_as_written_and_survives_bad_utf8(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_bytes(
        b"id,email,status,email_verified,deleted_at\n"
        b"1,00123,active,true,\n"
        b"2,,active,1,\n"
        b"3,caf\xe9@example.fr,active,true,\n"
        b"4,gone@example.fr,active,true,2024-01-01T00:00:00Z\n"
    )
    with open_source(str(path), query=None, batch_rows=100) as source:
        assert rows_of(source) == {("1", "00123"), ("2", None), ("3", "caf\ufffd@example.fr")}
        assert source.undecodable_emails == 1


def test_a_file_without_the_default_columns_is_named(tmp_path: Path) -> None:
    pq.write_table(accounts_table().drop_columns(["email_verified"]), tmp_path / "a.parquet")
    with pytest.raises(SourceError, match="email_verified"):
        open_source(str(tmp_path / "a.parquet"), query=None, batch_rows=100)


def test_a_folder_of_parquet_files_is_one_source(tmp_path: Path) -> None:
    table = accounts_table()
    (tmp_path / "export").mkdir()
    pq.write_table(table.slice(0, 4), tmp_path / "export" / "part-0.parquet")
    pq.write_table(table.slice(4), tmp_path / "export" / "part-1.parquet")
    with open_source(str(tmp_path / "export"), query=None, batch_rows=100) as source:
        assert rows_of(source) == ELIGIBLE
    (tmp_path / "export" / "notes.csv").write_text("id\n")
    with pytest.raises(SourceError, match=r"only \.parquet or only \.csv"):
        open_source(str(tmp_path / "export"), query=None, batch_rows=100)


def test_relative_and_absolute_sqlite_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    absolute = store(accounts_table(), "sqlite", tmp_path)
    assert absolute.startswith("sqlite:////")
    monkeypatch.chdir(tmp_path)
    for url in (absolute, "sqlite:///accounts.sqlite"):
        with open_source(url, query=None, batch_rows=100) as source:
            assert rows_of(source) == ELIGIBLE


@pytest.mark.postgres
def test_a_plain_postgresql_url_works(postgres_url: str, tmp_path: Path) -> None:
    store(accounts_table(), "database", tmp_path, postgres_url)
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with open_source(plain, query=None, batch_rows=100) as source:
        assert rows_of(source) == ELIGIBLE


def test_unreachable_sources_are_named_without_password(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"127\.0\.0\.1:1") as refused:
        open_source("postgresql://reader:s3cret@127.0.0.1:1/shop", query=None, batch_rows=100)
    assert "s3cret" not in str(refused.value)
    missing = tmp_path / "missing.sqlite"
    with pytest.raises(SourceError, match="does not exist"):
        open_source(f"sqlite:///{missing}", query=None, batch_rows=100)
    assert not missing.exists()
    with pytest.raises(SourceError, match="does not exist"):
        open_source(str(tmp_path / "nothing.parquet"), query=None, batch_rows=100)
    with pytest.raises(SourceError, match="unsupported source 'mysql'"):
        open_source("mysql://shop", query=None, batch_rows=100)

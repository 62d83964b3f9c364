"""Reading eligible accounts from SQLite, PostgreSQL, Parquet and CSV."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.sources import Source, SourceError, open_source
from pipelines.sources.locations import DataFiles, parse_location
from pipelines.sources.sql import connect
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
    ("query", "on_sqlite", "on_postgresql"),
    [
        (
            "SELECT id, email FROM accounts",
            "it returns 2 column(s), without account_id",
            "it returns 2 column(s), without account_id",
        ),
        (
            "SELECT id AS account_id, emial AS email FROM accounts",
            "the query was refused (ProgrammingError, ADBC INVALID_ARGUMENT",
            "an undefined column (ProgrammingError, ADBC NOT_FOUND, SQLSTATE 42703",
        ),
        (
            "SELECT id AS account_id, email FROM acounts",
            "the query was refused (ProgrammingError, ADBC INVALID_ARGUMENT",
            "an undefined table (ProgrammingError, ADBC NOT_FOUND, SQLSTATE 42P01",
        ),
        (
            "SELEC id FROM accounts",
            "the query was refused (ProgrammingError, ADBC INVALID_ARGUMENT",
            "a syntax error (ProgrammingError, ADBC INVALID_ARGUMENT, SQLSTATE 42601",
        ),
    ],
)
def test_a_bad_query_is_named_in_the_products_words_when_the_source_opens(
    database_url: str, tmp_path: Path, query: str, on_sqlite: str, on_postgresql: str
) -> None:
    """The database's own message (which quotes the query's names) is never repeated."""
    url = store(accounts_table(), "database", tmp_path, database_url)
    with pytest.raises(SourceError) as refused:
        open_source(url, query=query, batch_rows=100)
    message = str(refused.value)
    assert (on_sqlite if url.startswith("sqlite") else on_postgresql) in message
    for name in ("emial", "acounts", "SELEC", "no such", "does not exist"):
        assert name not in message


@pytest.mark.parametrize(
    ("columns", "problem"),
    [
        (
            "id, mail, status, email_verified, deleted_at",
            "the table accounts lacks the column(s) email",
        ),
        ("id, email, state, verified, deleted_at", "lacks the column(s) status, email_verified"),
        (None, "the default query needs a readable table accounts, and there is none"),
    ],
)
def test_the_default_query_says_what_the_table_lacks(
    database_url: str, columns: str | None, problem: str
) -> None:
    location = parse_location(database_url)
    assert not isinstance(location, DataFiles)
    table = "accounts" if columns else "users"
    with closing(connect(location, writable=True)) as database, database.cursor() as cursor:
        typed = ", ".join(f"{name} text" for name in (columns or "id").split(", "))
        cursor.execute(f"CREATE TABLE {table} ({typed})")
    with pytest.raises(SourceError, match=re.escape(problem)):
        open_source(database_url, query=None, batch_rows=100)


def test_a_failure_while_reading_names_the_batch_without_the_value(
    database_url: str, tmp_path: Path
) -> None:
    table = accounts_table([(1, "x", "active", True, "FR", False)]).take([0] * 1_000)
    table = table.set_column(0, "id", pa.array(range(1, 1_001), pa.int64()))
    emails = [f"user{n}@example.com" for n in range(999)] + ["zq7canary9=x@example.com"]
    url = store(table.set_column(1, "email", pa.array(emails)), "database", tmp_path, database_url)
    # Fails on the last row only: a JSON or integer parse of the address.
    failing = (
        "CASE WHEN id = 1000 THEN json_extract(email, '$') END IS NULL"
        if url.startswith("sqlite")
        else "CASE WHEN id = 1000 THEN CAST(email AS INTEGER) END IS NULL"
    )
    query = f"SELECT id AS account_id, email FROM accounts WHERE {failing}"
    with (
        open_source(url, query=query, batch_rows=100) as source,
        pytest.raises(
            SourceError,
            match=r"reading the eligible rows failed on .* in batch \d+ \(after [1-9]\d* eligible",
        ) as failed,
    ):
        list(source.batches())
    assert "zq7canary" not in str(failed.value)
    assert "example.com" not in str(failed.value)
    assert "its own message is withheld, as it may quote data" in str(failed.value)


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
    with pytest.raises(
        SourceError, match=r"127\.0\.0\.1:1 cannot be reached \(connection refused\)"
    ) as refused:
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


@pytest.mark.postgres
def test_a_server_that_refuses_the_session_is_told_from_one_that_is_down(
    postgres_server: str,
) -> None:
    with pytest.raises(SourceError, match="answers but refused the session: check the database"):
        open_source(f"{postgres_server}/no_such_database_zq7", query=None, batch_rows=100)


HEADER = "id,email,status,email_verified,deleted_at\n"
CANARY = "jean.dupont.zq7canary251.with.a.long.local.part@example.fr"


def csv_rows(count: int) -> str:
    return "".join(f"{n},user{n}@example.fr,active,true,\n" for n in range(1, count + 1))


def read_everything(url: str) -> None:
    """Open, count and read a source, as an export does."""
    with open_source(url, query=None, batch_rows=1000) as source:
        source.estimate_rows()
        list(source.batches())


@pytest.mark.parametrize("good_rows_before", [1, 80_000], ids=["first block", "later block"])
def test_a_csv_row_with_extra_fields_is_named_by_number_never_by_content(
    tmp_path: Path, good_rows_before: int
) -> None:
    path = tmp_path / "accounts.csv"
    bad = f"9,{CANARY},active,true,,zq7canary9=extra@example.fr\n"
    path.write_text(HEADER + csv_rows(good_rows_before) + bad + csv_rows(3))
    with pytest.raises(SourceError) as failed:
        read_everything(str(path))
    message = str(failed.value)
    assert f"row {good_rows_before + 2} has 6 fields where the header has 5" in message
    assert str(path) in message
    assert not {CANARY[i : i + 8] for i in range(len(CANARY) - 7)} & {
        message[i : i + 8] for i in range(len(message) - 7)
    }
    assert "zq7canary" not in message


@pytest.mark.parametrize("value", ["yes", "zq7canary9=x@example.fr"])
def test_a_csv_email_verified_that_is_not_a_boolean_is_named_by_row(
    tmp_path: Path, value: str
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(HEADER + csv_rows(5_000) + f"9,a@example.fr,active,{value},\n")
    with pytest.raises(SourceError) as failed:
        read_everything(str(path))
    assert "row 5002: email_verified is not true, false, 1 or 0" in str(failed.value)
    assert value not in str(failed.value)


def test_csv_booleans_are_read_in_any_case(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(
        HEADER + "1,a@x.fr,active,TRUE,\n2,b@x.fr,active, 1 ,\n3,c@x.fr,active,False,\n"
        "4,d@x.fr,active,0,\n5,e@x.fr,active,,\n6,f@x.fr,active,True,2024-01-01\n"
    )
    with open_source(str(path), query=None, batch_rows=100) as source:
        assert source.estimate_rows() == 2
        assert rows_of(source) == {("1", "a@x.fr"), ("2", "b@x.fr")}


def test_a_corrupt_parquet_file_is_named_by_class(tmp_path: Path) -> None:
    path = tmp_path / "accounts.parquet"
    path.write_bytes(b"PAR1" + CANARY.encode() + b"PAR1")
    with pytest.raises(SourceError, match=r"not readable as PARQUET \(ArrowInvalid") as failed:
        open_source(str(path), query=None, batch_rows=100)
    assert "zq7canary" not in str(failed.value)

"""Opening a ledger: migrations, reopening, shared databases, concurrent writers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from audiences.ledger import AudienceState, IllegalTransition, Ledger, LedgerError
from audiences.ledger.schema import VERSION_TABLE, metadata
from tests.audiences.ledger.journeys import export_in

S = AudienceState


def test_reopening_keeps_everything_and_migrates_nothing_twice(ledger_url: str) -> None:
    with Ledger.open(ledger_url) as first:
        record = export_in(first, S.UPLOADED)
    with Ledger.open(ledger_url) as second, Ledger.open(ledger_url) as third:
        assert second.get(record.export_id) == record
        assert third.history(record.export_id) == second.history(record.export_id)
    engine = sa.create_engine(ledger_url)
    with engine.connect() as connection:
        versions = connection.execute(sa.text("SELECT version_num FROM ledger_alembic_version"))
        assert versions.scalars().all() == ["0006"]
        migrated = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        assert compare_metadata(migrated, metadata) == []
    engine.dispose()


def test_the_ledger_leaves_another_component_s_migrations_alone(ledger_url: str) -> None:
    engine = sa.create_engine(ledger_url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        connection.execute(sa.text("INSERT INTO alembic_version VALUES ('register-0003')"))
    with Ledger.open(ledger_url) as ledger:
        export_in(ledger, S.CREATED)
    with engine.connect() as connection:
        version = connection.scalar(sa.text("SELECT version_num FROM alembic_version"))
    engine.dispose()
    assert version == "register-0003"


@pytest.mark.postgres
def test_a_plain_postgresql_url_uses_psycopg_3(postgres_url: str) -> None:
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with Ledger.open(plain) as ledger:
        assert ledger.get(export_in(ledger, S.PLANNED).export_id).state is S.PLANNED


def test_an_unreachable_database_is_named_without_its_password() -> None:
    with pytest.raises(LedgerError, match=r"127\.0\.0\.1:1") as refused:
        Ledger.open("postgresql://ledger:s3cret@127.0.0.1:1/ledger")
    assert "s3cret" not in str(refused.value)


def test_a_sqlite_ledger_creates_its_folder(tmp_path: Path) -> None:
    with Ledger.open(f"sqlite:///{tmp_path / 'data' / 'home' / 'ledger.sqlite'}") as ledger:
        export_in(ledger, S.PLANNED)
    assert (tmp_path / "data" / "home" / "ledger.sqlite").is_file()


def test_other_databases_are_refused(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="mysql"):
        Ledger.open("mysql://user@localhost/ledger")
    with pytest.raises(LedgerError, match="in-memory"):
        Ledger.open("sqlite://")


def race(*attempts: Callable[[], object]) -> list[str]:
    """Run the attempts at the same instant; say which won and which were refused."""
    start = threading.Barrier(len(attempts))
    outcomes: list[str] = []

    def attempt(call: Callable[[], object]) -> None:
        start.wait()
        try:
            call()
            outcomes.append("won")
        except IllegalTransition:
            outcomes.append("refused")

    racers = [threading.Thread(target=attempt, args=(call,)) for call in attempts]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    return sorted(outcomes)


def test_two_writers_racing_the_same_transition_never_both_win(ledger_url: str) -> None:
    with Ledger.open(ledger_url) as first, Ledger.open(ledger_url) as second:
        for _ in range(8):
            export_id = export_in(first, S.PLANNED).export_id
            outcomes = race(
                partial(first.record, export_id, S.CREATED, seed_audience_id="1"),
                partial(second.record, export_id, S.CREATED, seed_audience_id="2"),
            )
            assert outcomes == ["refused", "won"]
            states = [event.state for event in first.history(export_id)]
            assert states == [S.PLANNED, S.CREATED]


def test_two_processes_may_create_the_ledger_at_once(ledger_url: str) -> None:
    errors: list[BaseException] = []

    def open_and_plan() -> None:
        try:
            with Ledger.open(ledger_url) as ledger:
                export_in(ledger, S.PLANNED)
        except LedgerError as error:
            errors.append(error)

    openers = [threading.Thread(target=open_and_plan) for _ in range(3)]
    for opener in openers:
        opener.start()
    for opener in openers:
        opener.join()
    assert errors == []
    with Ledger.open(ledger_url) as ledger:
        assert len(ledger.exports()) == 3

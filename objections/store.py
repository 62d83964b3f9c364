"""Database access: engine, migrations, and the few statements the register runs.

Several processes may open the register at once (an export, the reconciler, the
privacy officer's commands): setting up a new database is serialised (SQLite's
write lock, taken up front; a PostgreSQL advisory lock), and a SQLite writer
waits up to :data:`SQLITE_BUSY_TIMEOUT_SECONDS` for another one to finish.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Connection,
    Engine,
    Row,
    bindparam,
    create_engine,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import make_url

from objections.model import Action, Channel, HistoryEntry, Objection, Scope, Status
from objections.schema import history, objections, register_state

_MIGRATIONS = Path(__file__).parent / "migrations"
_LOOKUP_CHUNK = 500
_SETUP_LOCK = 0x0B1EC7
"""PostgreSQL advisory lock key: processes opening a new register set it up one at a time."""
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0


def connect(url: str) -> Engine:
    """An engine for ``url``; a new SQLite file is created readable by its owner only."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, hide_parameters=True)
    if parsed.database not in (None, "", ":memory:"):
        _create_private_file(Path(parsed.database))
    return create_engine(
        parsed, hide_parameters=True, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
    )


def _create_private_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # there already, or another process created it just now
        return
    os.close(descriptor)


def set_up(engine: Engine, key_id: str) -> None:
    """Migrate to the newest revision and create the state row, one process at a time."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(_SETUP_LOCK)))
        elif connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        migrate(connection)
        if read_state(connection) is None:
            create_state(connection, key_id)


def migrate(connection: Connection) -> None:
    """Bring the register's tables to the newest Alembic revision, on ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def read_state(connection: Connection) -> tuple[int, str] | None:
    """The version counter and current key id; None before the first use."""
    row = connection.execute(
        select(register_state.c.version, register_state.c.key_id).where(register_state.c.id == 1)
    ).first()
    return None if row is None else (row.version, row.key_id)


def lock_state(connection: Connection) -> tuple[int, str]:
    """Start a write transaction by locking the state row; its version and key id.

    Every writer takes this lock first, so a key rotation and an insert can never
    interleave (PostgreSQL row lock; SQLite database write lock).
    """
    connection.execute(
        update(register_state)
        .where(register_state.c.id == 1)
        .values(version=register_state.c.version)
    )
    state = read_state(connection)
    if state is None:  # pragma: no cover - open() creates the row
        raise RuntimeError("the register state row is missing")
    return state


def create_state(connection: Connection, key_id: str) -> None:
    connection.execute(insert(register_state).values(id=1, version=0, key_id=key_id))


def bump_version(connection: Connection, key_id: str | None = None) -> None:
    """Record that suppression may have changed (and, on rotation, the new key)."""
    values: dict[str, Any] = {"version": register_state.c.version + 1}
    if key_id is not None:
        values["key_id"] = key_id
    connection.execute(update(register_state).where(register_state.c.id == 1).values(**values))


def insert_objection(connection: Connection, **values: Any) -> int:
    result = connection.execute(insert(objections).values(**values))
    (objection_id,) = result.inserted_primary_key or (None,)
    if not isinstance(objection_id, int):  # pragma: no cover - every dialect returns the id
        raise RuntimeError("the database did not return the new objection's id")
    return objection_id


def append_history(
    connection: Connection,
    objection_id: int,
    *,
    at: datetime,
    actor: str,
    action: Action,
    from_status: Status | None,
    to_status: Status,
    note: str | None = None,
) -> None:
    connection.execute(
        insert(history).values(
            objection_id=objection_id,
            at=at,
            actor=actor,
            action=action.value,
            from_status=None if from_status is None else from_status.value,
            to_status=to_status.value,
            note=note,
        )
    )


def live_objections_by_digest(connection: Connection, digests: Iterable[bytes]) -> list[Row[Any]]:
    """Objections that still suppress (not withdrawn) with one of ``digests``."""
    wanted = list(dict.fromkeys(digests))
    rows: list[Row[Any]] = []
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        chunk = wanted[start : start + _LOOKUP_CHUNK]
        rows.extend(
            connection.execute(
                select(objections)
                .where(objections.c.blind_index.in_(chunk))
                .where(objections.c.status != Status.WITHDRAWN.value)
                .order_by(objections.c.id)
            )
        )
    return rows


def set_status(
    connection: Connection, objection_id: int, status: Status, *, by: str, at: datetime
) -> None:
    connection.execute(
        update(objections)
        .where(objections.c.id == objection_id)
        .values(status=status.value, reviewer=by, reviewed_at=at)
    )


def reseal(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Replace ciphertext, blind index and key id of many rows (``oid`` names each row)."""
    if rows:
        connection.execute(
            update(objections)
            .where(objections.c.id == bindparam("oid"))
            .values(
                address_sealed=bindparam("sealed"),
                blind_index=bindparam("digest"),
                key_id=bindparam("new_key_id"),
            ),
            rows,
        )


def objection_row(connection: Connection, objection_id: int) -> Row[Any] | None:
    return connection.execute(select(objections).where(objections.c.id == objection_id)).first()


def objection_rows(
    connection: Connection, *, status: Status | None = None, since: datetime | None = None
) -> Sequence[Row[Any]]:
    query = select(objections).order_by(objections.c.id)
    if status is not None:
        query = query.where(objections.c.status == status.value)
    if since is not None:
        query = query.where(objections.c.received_at >= since)
    return connection.execute(query).all()


def history_of(connection: Connection, objection_id: int) -> list[HistoryEntry]:
    rows = connection.execute(
        select(history).where(history.c.objection_id == objection_id).order_by(history.c.id)
    )
    return [
        HistoryEntry(
            at=row.at,
            actor=row.actor,
            action=Action(row.action),
            from_status=None if row.from_status is None else Status(row.from_status),
            to_status=Status(row.to_status),
            note=row.note,
        )
        for row in rows
    ]


def to_objection(row: Row[Any], address: str | None = None) -> Objection:
    return Objection(
        id=row.id,
        received_at=row.received_at,
        channel=Channel(row.channel),
        scope=Scope.parse(row.scope),
        status=Status(row.status),
        evidence=row.evidence,
        notes=row.notes,
        reviewer=row.reviewer,
        reviewed_at=row.reviewed_at,
        address=address,
    )

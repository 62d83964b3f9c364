"""Database access: engine, creation and migrations, and the few statements the register runs.

Only :func:`create` (``objections init``) makes a register; :func:`upgrade`
refuses a database that holds none. Several processes may open the register
at once (an export, the reconciler, the privacy officer's commands):
migrations are serialised (SQLite's write lock, taken up front; a PostgreSQL
advisory lock), and a SQLite writer waits up to
:data:`SQLITE_BUSY_TIMEOUT_SECONDS` for another one to finish.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Connection,
    Engine,
    Row,
    bindparam,
    create_engine,
    exists,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from objections.errors import RegisterMissingError
from objections.migrations import MIGRATION_NOTES
from objections.model import (
    Action,
    Channel,
    HistoryEntry,
    Objection,
    Scope,
    Status,
    VerificationMethod,
)
from objections.schema import history, objections, register_state

_MIGRATIONS = Path(__file__).parent / "migrations"
_LOOKUP_CHUNK = 500
_SETUP_LOCK = 0x0B1EC7
"""PostgreSQL advisory lock key: processes opening a new register set it up one at a time."""
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0


def connect(url: str, *, create: bool = False) -> Engine:
    """An engine for ``url``; with ``create``, a missing SQLite file (and folder) is created.

    Without ``create`` nothing is created on disk: a missing SQLite file or
    folder is :class:`RegisterMissingError`, and the file is opened read-write
    only (``mode=rw``), so that even a file deleted meanwhile is not recreated.
    """
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, hide_parameters=True)
    if parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)
        if create:
            _create_private_file(path)
        else:
            parsed = _existing_file(parsed, path)
    return create_engine(
        parsed, hide_parameters=True, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
    )


def shown_url(url: str) -> str:
    """``url`` as messages show it: password hidden (the pipeline uses it for every store)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "an unparsable URL"


def _existing_file(url: URL, path: Path) -> URL:
    """The SQLite URI that opens ``path`` read-write without creating it."""
    if not path.parent.is_dir():
        raise RegisterMissingError(shown_url(str(url)), f"the folder {path.parent} does not exist")
    if not path.is_file():
        raise RegisterMissingError(shown_url(str(url)), "the file does not exist")
    return url.set(database=path.resolve().as_uri(), query={"mode": "rw", "uri": "true"})


def _create_private_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # there already, or another process created it just now
        return
    os.close(descriptor)


def create(engine: Engine, key_id: str) -> Setup:
    """Create (or migrate) the register and its state row, one process at a time.

    The state row is the key check (the key id every row is sealed with) and
    the register's identity, a random id drawn here and never changed.
    """
    with _setup_transaction(engine) as connection:
        notes = migrate(connection)
        state = read_state(connection)
        if state is None:
            state = State(version=0, key_id=key_id, identity=new_identity())
            connection.execute(insert(register_state).values(id=1, **state._asdict()))
            return Setup(state, notes, created=True)
    return Setup(state, notes, created=False)


def upgrade(engine: Engine, where: str) -> Setup:
    """Migrate an existing register; :class:`RegisterMissingError` when there is none.

    A database without the register's tables, or without its state row, is
    not a register: nothing is created in it.
    """
    with _setup_transaction(engine) as connection:
        if not inspect(connection).has_table(register_state.name):
            raise RegisterMissingError(where, "the database holds no register")
        notes = migrate(connection)
        state = read_state(connection)
        if state is None:
            raise RegisterMissingError(where, "the register has no key-check row")
    return Setup(state, notes, created=False)


@dataclass(frozen=True)
class Setup:
    """A register ready for use: its state row, and what setting it up did."""

    state: State
    notes: tuple[str, ...]
    """What the migrations that ran had to say (e.g. how many scopes they widened)."""
    created: bool
    """Whether the state row (and so the register) was created just now."""


@contextmanager
def _setup_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the set-up lock (PostgreSQL advisory lock, SQLite write lock)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(_SETUP_LOCK)))
        elif connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        yield connection


def new_identity() -> str:
    """A random register identity, drawn once by ``init``."""
    return str(uuid.uuid4())


def migrate(connection: Connection) -> tuple[str, ...]:
    """Bring the register's tables to the newest Alembic revision; the migrations' notes."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    notes: list[str] = []
    config.attributes[MIGRATION_NOTES] = notes
    command.upgrade(config, "head")
    return tuple(notes)


class State(NamedTuple):
    """The register's state row."""

    version: int
    key_id: str
    identity: str


def read_state(connection: Connection) -> State | None:
    """The state row; None before ``init``."""
    row = connection.execute(
        select(register_state.c.version, register_state.c.key_id, register_state.c.identity).where(
            register_state.c.id == 1
        )
    ).first()
    return None if row is None else State(row.version, row.key_id, row.identity)


def has_objections(connection: Connection) -> bool:
    """Whether any objection was ever recorded (rows are never deleted, only withdrawn)."""
    return connection.execute(select(exists().select_from(objections))).scalar_one()


def lock_state(connection: Connection) -> State:
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
    if state is None:  # pragma: no cover - open() refuses a register without it
        raise RuntimeError("the register state row is missing")
    return state


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
    method: VerificationMethod | None = None,
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
            method=None if method is None else method.value,
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
    connection: Connection,
    *,
    status: Status | None = None,
    since: datetime | None = None,
    after_id: int | None = None,
) -> Sequence[Row[Any]]:
    query = select(objections).order_by(objections.c.id)
    if after_id is not None:
        query = query.where(objections.c.id > after_id)
    if status is not None:
        query = query.where(objections.c.status == status.value)
    if since is not None:
        query = query.where(objections.c.received_at >= since)
    return connection.execute(query).all()


class ObjectionKind(NamedTuple):
    """One combination of scope, status and key id that rows of the register hold."""

    scope: str
    status: str
    key_id: str


def objection_kinds(connection: Connection) -> list[ObjectionKind]:
    """Every distinct (scope, status, key id) of the objections: a handful, however many rows."""
    query = select(objections.c.scope, objections.c.status, objections.c.key_id).distinct()
    return [ObjectionKind(*row) for row in connection.execute(query)]


def blind_indexes(
    connection: Connection, scopes: Collection[str], statuses: Collection[str]
) -> list[bytes]:
    """The blind index of every objection with one of ``scopes`` and one of ``statuses``
    (only that column is read)."""
    if not scopes or not statuses:
        return []
    query = select(objections.c.blind_index).where(
        objections.c.scope.in_(sorted(scopes)), objections.c.status.in_(sorted(statuses))
    )
    return [bytes(digest) for digest in connection.execute(query).scalars()]


def newest_objection_id(connection: Connection) -> int:
    """The id of the newest objection recorded; 0 for none."""
    return int(connection.scalar(select(func.max(objections.c.id))) or 0)


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
            method=None if row.method is None else VerificationMethod(row.method),
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

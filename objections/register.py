"""The register facade: every operation of the privacy officer and the pipeline's suppression."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, Row
from sqlalchemy.exc import SQLAlchemyError

from objections import store
from objections.canonical import canonical_key
from objections.config import RegisterConfig
from objections.crypto import AddressCipher, BlindIndex
from objections.errors import KeyConfigurationError, ObjectionNotFoundError, RegisterError
from objections.keys import (
    KEY_FILE_SETTING,
    KeyPair,
    KeyRing,
    LoadedKeys,
    load_keys,
    read_key_file,
    write_key_file,
)
from objections.model import (
    Action,
    Added,
    Channel,
    HistoryEntry,
    NewObjection,
    Objection,
    Scope,
    Status,
    VerificationMethod,
)
from objections.review import check_method, next_status, pending_withdrawal, withdrawal_step
from objections.suppression import Suppression, pack

_SNAPSHOT_ATTEMPTS = 5


def _set_up(config: RegisterConfig, set_up: Callable[[], store.Setup]) -> store.Setup:
    """Run ``set_up``; a database error becomes a :class:`RegisterError` naming the register."""
    try:
        return set_up()
    except SQLAlchemyError as error:
        raise RegisterError(
            f"cannot open the objection register at {store.shown_url(config.url)}: "
            f"{type(error).__name__}"
        ) from None


@contextmanager
def _disposed_on_error(engine: Engine) -> Iterator[None]:
    """Dispose of ``engine`` if the register cannot be made from it."""
    try:
        yield
    except BaseException:
        engine.dispose()
        raise


@dataclass(frozen=True)
class RegisterStats:
    total: int
    by_status: dict[Status, int]
    by_channel: dict[Channel, int]
    version: str

    @property
    def suppressing(self) -> int:
        return sum(count for status, count in self.by_status.items() if status.suppresses)


@dataclass(frozen=True)
class Rotation:
    rows: int
    key_id: str


class Register:
    """The objection register on one database, with the keys of this process.

    Create it once with :meth:`init`, then open it with :meth:`open`; close it
    (or use it as a context manager) when done.
    """

    def __init__(
        self, engine: Engine, keys: LoadedKeys, config: RegisterConfig, setup: store.Setup
    ) -> None:
        keys.ring.pair(setup.state.key_id)  # the key check: fails now, not later
        self._engine = engine
        self._ring = keys.ring
        self._key_file = keys.key_file
        self._platforms = config.platforms
        self.generated_key_file: Path | None = keys.key_file if keys.generated else None
        """The key file :meth:`init` generated, if it did (the caller should say so)."""
        self.created = setup.created
        """Whether :meth:`init` created the register (False: it existed already)."""
        self.migration_notes = setup.notes
        """What the migrations run while opening had to say (to show the officer, or log)."""
        self.identity = setup.state.identity
        """The register's random id, written once by ``init``: a swapped database has another."""

    @classmethod
    def open(cls, config: RegisterConfig) -> Register:
        """Open an existing register: migrate it and check that the keys fit.

        Creates nothing: no key file, no SQLite file or folder, no table.
        :class:`RegisterMissingError` when there is no initialised register at
        ``config.url`` (checked before the keys: ``init`` makes both);
        :class:`KeyConfigurationError` when the keys are missing or do not fit.
        """
        engine = store.connect(config.url)
        with _disposed_on_error(engine):
            setup = _set_up(config, lambda: store.upgrade(engine, store.shown_url(config.url)))
            return cls(engine, load_keys(config), config, setup)

    @classmethod
    def init(cls, config: RegisterConfig, *, create_keys: bool = False) -> Register:
        """Create the register (schema, key-check row, identity), or open it if it exists.

        ``create_keys`` generates a missing key file: only the embedded default
        (a key file in the data folder) should allow it.
        """
        keys = load_keys(config, create=create_keys)
        engine = store.connect(config.url, create=True)
        with _disposed_on_error(engine):
            setup = _set_up(config, lambda: store.create(engine, keys.ring.newest.key_id))
            return cls(engine, keys, config, setup)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Register:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # Recording.

    def add(
        self,
        address: str,
        *,
        channel: Channel,
        by: str,
        received_at: datetime | None = None,
        evidence: str | None = None,
        note: str | None = None,
        scope: Scope | None = None,
    ) -> Added:
        """Record one objection; a duplicate of a live one is reported, never added twice.

        Raises :class:`~objections.canonical.InvalidAddress` when the address has no key.
        """
        entry = NewObjection(address, channel, received_at, evidence, note, scope or Scope())
        return self.add_many([entry], by=by)[0]

    def add_many(self, entries: Sequence[NewObjection], *, by: str) -> list[Added]:
        """Record many objections in one transaction; one :class:`Added` per entry, in order."""
        for entry in entries:
            entry.scope.within(self._platforms)
        keys = [canonical_key(entry.address) for entry in entries]
        now = datetime.now(UTC)
        results: list[Added] = []
        with self._engine.begin() as connection:
            pair = self._pair(store.lock_state(connection).key_id)
            cipher = pair.cipher()
            digests = pair.blind_index().digest_many(keys)
            live: dict[bytes, list[tuple[int, Scope, Status]]] = {}
            for row in store.live_objections_by_digest(connection, digests):
                live.setdefault(row.blind_index, []).append(
                    (row.id, Scope.parse(row.scope), Status(row.status))
                )
            for entry, digest in zip(entries, digests, strict=True):
                covering = [
                    (oid, status)
                    for oid, scope, status in live.get(digest, [])
                    if scope.includes(entry.scope)
                ]
                if covering:
                    _repeat_request(connection, *covering[0], entry=entry, by=by, now=now)
                    results.append(Added(covering[0][0], duplicate=True))
                    continue
                objection_id = self._insert(
                    connection, entry, digest=digest, pair=pair, cipher=cipher, by=by, now=now
                )
                live.setdefault(digest, []).append((objection_id, entry.scope, Status.RECEIVED))
                results.append(Added(objection_id, duplicate=False))
            if any(not result.duplicate for result in results):
                store.bump_version(connection)
        return results

    def _insert(
        self,
        connection: Connection,
        entry: NewObjection,
        *,
        digest: bytes,
        pair: KeyPair,
        cipher: AddressCipher,
        by: str,
        now: datetime,
    ) -> int:
        objection_id = store.insert_objection(
            connection,
            received_at=entry.received_at or now,
            channel=entry.channel.value,
            scope=str(entry.scope),
            status=Status.RECEIVED.value,
            evidence=entry.evidence,
            notes=entry.note,
            address_sealed=cipher.encrypt(entry.address.strip()),
            blind_index=digest,
            key_id=pair.key_id,
        )
        store.append_history(
            connection,
            objection_id,
            at=now,
            actor=by,
            action=Action.RECORDED,
            from_status=None,
            to_status=Status.RECEIVED,
            note=entry.note,
        )
        return objection_id

    # Review.

    def verify(
        self,
        objection_id: int,
        *,
        by: str,
        method: VerificationMethod | None,
        note: str | None = None,
    ) -> Objection:
        """The person's identity was verified, by ``method`` (a note unless mailbox control)."""
        chosen = check_method(method, note)
        return self._review(objection_id, Action.VERIFIED, by=by, note=note, method=chosen)

    def reject(self, objection_id: int, *, by: str, note: str | None) -> Objection:
        """The identity could not be verified; the objection keeps suppressing."""
        return self._review(objection_id, Action.REJECTED, by=by, note=note)

    def withdraw(
        self, objection_id: int, *, by: str, note: str | None, four_eyes: bool = True
    ) -> Objection:
        """The verified person withdrew the objection; it stops suppressing.

        With ``four_eyes`` the first reviewer's call only requests it (the
        objection keeps suppressing); a second, different reviewer's call
        confirms it. See :func:`pending_withdrawal` for a request in waiting.
        """
        return self._review(objection_id, Action.WITHDRAWN, by=by, note=note, four_eyes=four_eyes)

    def pending_withdrawal(self, objection_id: int) -> HistoryEntry | None:
        """The withdrawal request waiting for a second reviewer, if any."""
        return pending_withdrawal(self.history(objection_id))

    def _review(
        self,
        objection_id: int,
        action: Action,
        *,
        by: str,
        note: str | None,
        method: VerificationMethod | None = None,
        four_eyes: bool = False,
    ) -> Objection:
        now = datetime.now(UTC)
        with self._engine.begin() as connection:
            store.lock_state(connection)
            current = Status(self._row(connection, objection_id).status)
            if action is Action.WITHDRAWN:
                pending = pending_withdrawal(store.history_of(connection, objection_id))
                action = withdrawal_step(pending, by=by, four_eyes=four_eyes)
            status = next_status(action, current, by=by, note=note)
            if status is not current:
                store.set_status(connection, objection_id, status, by=by.strip(), at=now)
            store.append_history(
                connection,
                objection_id,
                at=now,
                actor=by.strip(),
                action=action,
                from_status=current,
                to_status=status,
                note=note,
                method=method,
            )
            if not status.suppresses:
                store.bump_version(connection)
        return self.get(objection_id)

    # Reading.

    def get(self, objection_id: int, *, with_address: bool = False) -> Objection:
        with self._engine.connect() as connection:
            row = self._row(connection, objection_id)
        return self._objection(row, with_address)

    def history(self, objection_id: int) -> list[HistoryEntry]:
        with self._engine.connect() as connection:
            self._row(connection, objection_id)
            return store.history_of(connection, objection_id)

    def objections(
        self,
        *,
        status: Status | None = None,
        since: datetime | None = None,
        after_id: int | None = None,
        with_address: bool = False,
    ) -> list[Objection]:
        """Objections in id order (those after ``after_id`` only, when given); addresses
        only when asked (needs the encryption key)."""
        with self._engine.connect() as connection:
            rows = store.objection_rows(connection, status=status, since=since, after_id=after_id)
        return [self._objection(row, with_address) for row in rows]

    def newest_objection_id(self) -> int:
        """The id of the newest objection (0 for none): later ones are "late" for an export."""
        with self._engine.connect() as connection:
            return store.newest_objection_id(connection)

    def record_removal_from_seeds(self, objection_id: int, *, seeds: int, by: str) -> None:
        """Note in the objection's history that its identifiers left ``seeds`` live seeds."""
        now = datetime.now(UTC)
        with self._engine.begin() as connection:
            status = Status(self._row(connection, objection_id).status)
            store.append_history(
                connection,
                objection_id,
                at=now,
                actor=by,
                action=Action.REMOVED_FROM_SEEDS,
                from_status=status,
                to_status=status,
                note=f"removed from {seeds} live seed{'s' if seeds != 1 else ''}",
            )

    def matches(self, address: str, *, platform: str | None = None) -> list[Objection]:
        """The objections that suppress ``address`` (for ``platform``, or for any platform)."""
        key = canonical_key(address)
        if platform is not None:
            self._known(platform)
        digest = self._pair(self._state().key_id).blind_index().digest(key)
        with self._engine.connect() as connection:
            rows = store.live_objections_by_digest(connection, [digest])
        found = [store.to_objection(row) for row in rows]
        return [item for item in found if platform is None or item.scope.covers(platform)]

    def digests(self, address: str) -> dict[str, bytes]:
        """The blind-index digest of ``address`` under every index key this process holds.

        Keyed by key id: what an export recorded under an older key can be
        looked up while that key is still in the ring.
        """
        key = canonical_key(address)
        return {pair.key_id: pair.blind_index().digest(key) for pair in self._ring.pairs}

    def blind_index(self) -> BlindIndex:
        """The blind index of the register's current key (what an export's sent index uses)."""
        return self._pair(self._state().key_id).blind_index()

    @property
    def platforms(self) -> frozenset[str]:
        """The platforms an objection's scope may name."""
        return self._platforms

    @property
    def engine(self) -> Engine:
        """The register's database, where the officers' accounts and journal live too."""
        return self._engine

    def stats(self) -> RegisterStats:
        items = self.objections()
        return RegisterStats(
            total=len(items),
            by_status=dict(Counter(item.status for item in items)),
            by_channel=dict(Counter(item.channel for item in items)),
            version=self.version(),
        )

    # The pipeline's view.

    def version(self) -> str:
        """Changes whenever suppression may change (add, import, withdraw, rotation); cheap."""
        state = self._state()
        return f"{state.version}-{state.key_id}"

    @property
    def has_held_objections(self) -> bool:
        """Whether an objection was ever recorded here, even one withdrawn since (reads the DB).

        False for a register that has never held anything: an export may want
        to refuse it, since a swapped or new database looks exactly like that.
        """
        with self._engine.connect() as connection:
            return store.has_objections(connection)

    def suppression(self, platform: str) -> Suppression:
        """Digests of everyone not to be uploaded to ``platform``, and their version.

        Reads the state, then the distinct (scope, status, key id) of the rows,
        then only the blind index of the rows whose scope covers ``platform``
        and whose status suppresses: no address, date or scope is parsed per
        row. Retries if a key rotation came in between (the state is read again
        last), so the digests and the key always belong together. The version is
        the one read first: a later change makes the gate reload, never miss it.
        """
        self._known(platform)
        for _ in range(_SNAPSHOT_ATTEMPTS):
            with self._engine.connect() as connection:
                state = store.read_state(connection)
                kinds = store.objection_kinds(connection)
                if state is None:  # pragma: no cover - open() refuses a register without it
                    raise RegisterError("the register state row is missing")
                counter, key_id = state.version, state.key_id
                if any(kind.key_id != key_id for kind in kinds):
                    continue
                scopes = {kind.scope for kind in kinds if Scope.parse(kind.scope).covers(platform)}
                statuses = {kind.status for kind in kinds if Status(kind.status).suppresses}
                digests = store.blind_indexes(connection, scopes, statuses)
                again = store.read_state(connection)
                if again is None or again.key_id != key_id:
                    continue
            index = self._pair(key_id).blind_index()
            return Suppression(f"{counter}-{key_id}", platform.lower(), pack(digests), index)
        raise RegisterError("the register keys kept changing while the suppression set was read")

    # Keys.

    def rotate_keys(self, *, by: str, backup: Path | None = None) -> Rotation:
        """Re-encrypt and re-index every row under a new key pair, in one transaction.

        ``backup`` first receives a copy of the current key ring (mode 0600),
        without which older encrypted copies and older blind-index digests
        (an export's sent index) cannot be read any more.

        Crash-safe against the key file: (1) the file gets the new pair beside
        the old ones, (2) one transaction rewrites every row and the current
        key id, (3) the file keeps only the new pair. A crash before (2)
        commits leaves the database on the old key, still in the file; after,
        on the new key, already in the file.
        """
        if self._key_file is None:
            raise KeyConfigurationError(
                "the register keys come from the environment; rotate-keys rotates a key file "
                f"({KEY_FILE_SETTING})"
            )
        ring = read_key_file(self._key_file)
        if backup is not None:
            write_key_file(ring, backup)
        new = KeyPair.generate()
        write_key_file(KeyRing((*ring.pairs, new), ring.source), self._key_file)
        self._ring = read_key_file(self._key_file)
        now = datetime.now(UTC)
        new_cipher, new_index = new.cipher(), new.blind_index()
        with self._engine.begin() as connection:
            store.lock_state(connection)
            rows = store.objection_rows(connection)
            updates = []
            for row in rows:
                address = self._pair(row.key_id).cipher().decrypt(row.address_sealed)
                updates.append(
                    {
                        "oid": row.id,
                        "sealed": new_cipher.encrypt(address),
                        "digest": new_index.digest(canonical_key(address)),
                        "new_key_id": new.key_id,
                    }
                )
                status = Status(row.status)
                store.append_history(
                    connection,
                    row.id,
                    at=now,
                    actor=by,
                    action=Action.KEYS_ROTATED,
                    from_status=status,
                    to_status=status,
                )
            store.reseal(connection, updates)
            store.bump_version(connection, key_id=new.key_id)
        self._ring = KeyRing((new,), ring.source)
        write_key_file(self._ring, self._key_file)
        return Rotation(rows=len(rows), key_id=new.key_id)

    # Helpers.

    def _state(self) -> store.State:
        """The state row, once its key is known to this process (the key check)."""
        with self._engine.connect() as connection:
            state = store.read_state(connection)
        if state is None:  # pragma: no cover - open() refuses a register without it
            raise RegisterError("the register state row is missing")
        self._pair(state.key_id)
        return state

    def _pair(self, key_id: str) -> KeyPair:
        """The key pair ``key_id``; the key file is re-read once if another process rotated."""
        try:
            return self._ring.pair(key_id)
        except KeyConfigurationError:
            if self._key_file is None:
                raise
            self._ring = read_key_file(self._key_file)
            return self._ring.pair(key_id)

    def _known(self, platform: str) -> None:
        """Refuse a platform the product cannot export to (:class:`UnknownScopeError`)."""
        Scope.chosen(platform, self._platforms)

    def _row(self, connection: Connection, objection_id: int) -> Row[Any]:
        row = store.objection_row(connection, objection_id)
        if row is None:
            raise ObjectionNotFoundError(f"no objection has id {objection_id}")
        return row

    def _objection(self, row: Row[Any], with_address: bool) -> Objection:
        address = (
            self._pair(row.key_id).cipher().decrypt(row.address_sealed) if with_address else None
        )
        return store.to_objection(row, address)


def _repeat_request(
    connection: Connection,
    objection_id: int,
    status: Status,
    *,
    entry: NewObjection,
    by: str,
    now: datetime,
) -> None:
    """Record on an existing objection that the person objected again (never dropped)."""
    said = [f"again by {entry.channel.value}"]
    if entry.evidence:
        said.append(f"evidence {entry.evidence}")
    if entry.note:
        said.append(entry.note)
    store.append_history(
        connection,
        objection_id,
        at=now,
        actor=by,
        action=Action.REPEAT_REQUEST,
        from_status=status,
        to_status=status,
        note="; ".join(said),
    )

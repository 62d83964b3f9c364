"""The ledger itself: plan an export, append its transitions, read them back.

Append-only: nothing here updates or deletes an event. Every transition is
checked against :data:`~audiences.ledger.states.TRANSITIONS` inside the
transaction that appends it, after taking the export's write lock, so two
writers can never both move an export out of the same state.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Self

import sqlalchemy as sa

from audiences.destination import LookalikeSize
from audiences.endpoint import Endpoint, Environment
from audiences.ledger import database, migrate
from audiences.ledger.errors import IllegalTransition, LedgerError, UnknownExport
from audiences.ledger.model import (
    ExportRecord,
    ExportRequest,
    Lease,
    LedgerEvent,
    LegalRecord,
    Note,
    accumulate,
    seed_name,
)
from audiences.ledger.schema import (
    export_events,
    export_leases,
    export_notes,
    exports,
    late_objections,
    spool_keys,
)
from audiences.ledger.sent import SentIndex
from audiences.ledger.states import REQUIRED_DETAILS, TERMINAL_STATES, AudienceState, is_allowed

MAX_TEXT_LENGTH = 1000
"""Longest ``reason`` or ``platform_answer`` kept; longer ones are cut."""
MAX_ID_LENGTH = 100

_DRY_RUN_STATES = frozenset({AudienceState.PLANNED, AudienceState.DRY_RUN, AudienceState.FAILED})


class Ledger:
    """The audience ledger in one SQLite or PostgreSQL database."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    @classmethod
    def open(cls, url: str) -> Ledger:
        """Connect to the ledger at ``url`` and migrate it to the latest schema.

        ``sqlite:///path`` (folders are created) or ``postgresql://…``.
        """
        parsed = database.ledger_url(url)
        engine = database.create_engine(parsed)
        try:
            migrate.upgrade(engine)
        except sa.exc.OperationalError as error:
            engine.dispose()
            cause = str(error.orig).strip().splitlines()[0] if error.orig else "unreachable"
            raise LedgerError(
                f"cannot open the ledger at {database.display_url(parsed)}: {cause}"
            ) from None
        return cls(engine)

    def sent_index(self) -> SentIndex:
        """What each export uploaded, as keyed digests (see :mod:`audiences.ledger.sent`)."""
        return SentIndex(self._engine)

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Writing.

    def plan_export(
        self,
        request: ExportRequest,
        *,
        run_id: str | None = None,
        endpoint: Endpoint | None = None,
        register_identity: str | None = None,
        lease: Lease | None = None,
        legal: LegalRecord | None = None,
        objections_up_to: int | None = None,
    ) -> ExportRecord:
        """Record a new export in state PLANNED, before anything exists on the platform.

        ``run_id`` names the orchestrator's run doing the export (a Prefect flow run);
        ``endpoint`` binds the export to the platform endpoint every later step must
        use (none for a refused run, which never reaches a platform); ``lease`` is
        taken in the same transaction, so the reconciler never sees the export
        unprotected while it runs. ``legal`` is the basis the export relies on;
        ``objections_up_to`` the newest objection the export's suppression knew
        of, from which late objections are followed.
        """
        if request.max_seed_age <= timedelta(0):
            raise LedgerError("max_seed_age must be positive")
        export_id = uuid.uuid4().hex
        now = datetime.now(UTC)
        with self._engine.begin() as connection:
            connection.execute(
                exports.insert().values(
                    destination=request.destination,
                    ad_account=request.ad_account,
                    country=request.country,
                    ratio=request.size.ratio or 0.0,
                    lookalike_size=request.size.word,
                    dry_run=request.dry_run,
                    max_seed_age_seconds=max(1, math.floor(request.max_seed_age.total_seconds())),
                    export_id=export_id,
                    created_at=now,
                    seed_name=seed_name(export_id),
                    run_id=run_id,
                    register_identity=register_identity,
                    **_endpoint_columns(endpoint),
                    **_legal_columns(legal),
                )
            )
            if objections_up_to is not None:
                connection.execute(
                    late_objections.insert().values(
                        export_id=export_id, checked_up_to=objections_up_to
                    )
                )
            connection.execute(
                export_events.insert().values(
                    export_id=export_id, state=AudienceState.PLANNED.value, recorded_at=now
                )
            )
            if lease is not None:
                connection.execute(
                    export_leases.insert().values(
                        export_id=export_id,
                        owner=lease.owner,
                        host=lease.host[:255],
                        pid=lease.pid,
                        expires_at=lease.expires_at,
                    )
                )
            return _load(connection, [export_id])[0]

    def renew_lease(self, export_id: str, owner: str, expires_at: datetime) -> bool:
        """Extend ``owner``'s lease; false when it has expired or is not ``owner``'s.

        An expired lease cannot be renewed: once it has lapsed the reconciler may
        have taken the export over, and the runner must stop.
        """
        with self._engine.begin() as connection:
            renewed = connection.execute(
                export_leases.update()
                .where(
                    export_leases.c.export_id == export_id,
                    export_leases.c.owner == owner,
                    export_leases.c.expires_at > datetime.now(UTC),
                )
                .values(expires_at=expires_at)
            )
            return renewed.rowcount == 1

    def release_lease(self, export_id: str, owner: str) -> None:
        """Give up ``owner``'s lease: the export is no longer running."""
        with self._engine.begin() as connection:
            connection.execute(
                export_leases.delete().where(
                    export_leases.c.export_id == export_id, export_leases.c.owner == owner
                )
            )

    def bind_endpoint(self, export_id: str, endpoint: Endpoint, *, by: str) -> ExportRecord:
        """Bind an export recorded before endpoint binding to ``endpoint``; noted with ``by``.

        Only an export whose environment is unknown can be bound: a bound export
        keeps its endpoint for ever.
        """
        with self._engine.begin() as connection:
            _lock_export(connection, export_id)
            environment = connection.scalar(
                sa.select(exports.c.environment).where(exports.c.export_id == export_id)
            )
            if environment != Environment.UNKNOWN:
                raise LedgerError(f"export {export_id} is already bound to an endpoint")
            connection.execute(
                exports.update()
                .where(exports.c.export_id == export_id)
                .values(**_endpoint_columns(endpoint))
            )
            _insert_note(
                connection, export_id, "endpoint_bound", f"bound to {endpoint.describe()} by {by}"
            )
            return _load(connection, [export_id])[0]

    def late_objections_checked_up_to(self, export_id: str) -> int | None:
        """The newest objection already taken out of the export's seed (``None``: not followed)."""
        with self._engine.connect() as connection:
            value: int | None = connection.scalar(
                sa.select(late_objections.c.checked_up_to).where(
                    late_objections.c.export_id == export_id
                )
            )
        return value

    def late_objections_checked(self, export_id: str, up_to: int, detail: str | None) -> None:
        """Move the export's late-objection cursor to ``up_to``; note ``detail`` if any."""
        with self._engine.begin() as connection:
            connection.execute(
                late_objections.update()
                .where(late_objections.c.export_id == export_id)
                .values(checked_up_to=up_to)
            )
            if detail is not None:
                _insert_note(connection, export_id, "late_objections_removed", detail)

    def store_spool_key(self, export_id: str, data_key: bytes) -> None:
        """Keep the data key of an export's encrypted spool (one per export)."""
        with self._engine.begin() as connection:
            connection.execute(spool_keys.insert().values(export_id=export_id, data_key=data_key))

    def spool_key(self, export_id: str) -> bytes | None:
        """The data key of an export's spool; ``None`` once shredded (or never made)."""
        with self._engine.connect() as connection:
            key: bytes | None = connection.scalar(
                sa.select(spool_keys.c.data_key).where(spool_keys.c.export_id == export_id)
            )
        return key

    def shred_spool_key(self, export_id: str, detail: str) -> bool:
        """Delete an export's spool key and note it; false when there was none."""
        with self._engine.begin() as connection:
            deleted = connection.execute(
                spool_keys.delete().where(spool_keys.c.export_id == export_id)
            )
            if deleted.rowcount:
                _insert_note(connection, export_id, "spool_destroyed", detail)
            return bool(deleted.rowcount)

    def note(self, kind: str, detail: str, *, export_id: str | None = None) -> Note:
        """Append a fact that changes no state (a refusal, a sweep); never an identifier."""
        with self._engine.begin() as connection:
            return _insert_note(connection, export_id, kind, detail)

    def notes(self, export_id: str | None = None, *, kind: str | None = None) -> list[Note]:
        """Notes, oldest first: of one export, of one kind, or all."""
        query = sa.select(export_notes).order_by(export_notes.c.id)
        if export_id is not None:
            query = query.where(export_notes.c.export_id == export_id)
        if kind is not None:
            query = query.where(export_notes.c.kind == kind)
        with self._engine.connect() as connection:
            return [
                Note(row.recorded_at, row.kind, row.detail, row.export_id)
                for row in connection.execute(query)
            ]

    def record(
        self,
        export_id: str,
        state: AudienceState,
        *,
        seed_audience_id: str | None = None,
        lookalike_audience_id: str | None = None,
        upload_session_id: str | None = None,
        register_version: str | None = None,
        counts: Mapping[str, int] | None = None,
        reason: str | None = None,
        platform_answer: str | None = None,
    ) -> ExportRecord:
        """Append the transition of ``export_id`` to ``state``; return the updated record.

        ``reason`` and ``platform_answer`` are messages written for people: a
        translated platform error, a status description. They must never hold
        an identifier (address or hash); the ledger keeps at most
        :data:`MAX_TEXT_LENGTH` characters of each.

        Raises :class:`IllegalTransition` when the state machine forbids the
        move from the export's latest state, :class:`UnknownExport` for an
        unknown id, and :class:`LedgerError` for a missing or malformed detail.
        """
        state = AudienceState(state)
        values: dict[str, Any] = {
            "seed_audience_id": _checked_id("seed_audience_id", seed_audience_id),
            "lookalike_audience_id": _checked_id("lookalike_audience_id", lookalike_audience_id),
            "upload_session_id": _checked_id("upload_session_id", upload_session_id),
            "register_version": _checked_id("register_version", register_version),
            "counts": _encoded_counts(counts),
            "reason": _capped(reason),
            "platform_answer": _capped(platform_answer),
        }
        missing = [name for name in REQUIRED_DETAILS.get(state, ()) if values[name] is None]
        if missing:
            raise LedgerError(f"export {export_id}: {state.name} needs {', '.join(missing)}")
        with self._engine.begin() as connection:
            dry_run = _lock_export(connection, export_id)
            before = _latest_state(connection, export_id)
            _check_transition(export_id, before, state, dry_run=dry_run)
            connection.execute(
                export_events.insert().values(
                    export_id=export_id,
                    state=state.value,
                    recorded_at=datetime.now(UTC),
                    **values,
                )
            )
            return _load(connection, [export_id])[0]

    # Reading.

    def get(self, export_id: str) -> ExportRecord:
        """The current record of one export."""
        with self._engine.connect() as connection:
            records = _load(connection, [export_id])
        if not records:
            raise UnknownExport(export_id)
        return records[0]

    def unfinished(self) -> list[ExportRecord]:
        """Every export whose latest state is not terminal, oldest first."""
        latest = (
            sa.select(sa.func.max(export_events.c.id).label("event_id"))
            .group_by(export_events.c.export_id)
            .subquery()
        )
        query = (
            sa.select(export_events.c.export_id)
            .join(latest, export_events.c.id == latest.c.event_id)
            .where(export_events.c.state.not_in([state.value for state in TERMINAL_STATES]))
        )
        with self._engine.connect() as connection:
            ids = list(connection.scalars(query))
            records = _load(connection, ids)
        return sorted(records, key=lambda record: record.created_at)

    def exports(self, limit: int | None = None) -> list[ExportRecord]:
        """Exports, newest first; at most ``limit`` of them."""
        first_event = (
            sa.select(export_events.c.export_id, sa.func.min(export_events.c.id).label("event_id"))
            .group_by(export_events.c.export_id)
            .subquery()
        )
        query = (
            sa.select(exports.c.export_id)
            .join(first_event, first_event.c.export_id == exports.c.export_id)
            .order_by(exports.c.created_at.desc(), first_event.c.event_id.desc())
            .limit(limit)
        )
        with self._engine.connect() as connection:
            ids = list(connection.scalars(query))
            by_id = {record.export_id: record for record in _load(connection, ids)}
        return [by_id[export_id] for export_id in ids]

    def last_register_identity(self, destination: str, ad_account: str) -> str | None:
        """The register identity of the newest export to this ad account that recorded one."""
        query = (
            sa.select(exports.c.register_identity)
            .where(
                exports.c.destination == destination,
                exports.c.ad_account == ad_account,
                exports.c.register_identity.is_not(None),
            )
            .order_by(exports.c.created_at.desc())
            .limit(1)
        )
        with self._engine.connect() as connection:
            identity: str | None = connection.scalar(query)
        return identity

    def history(self, export_id: str) -> list[LedgerEvent]:
        """Every event of one export, in the order they were recorded."""
        with self._engine.connect() as connection:
            events = _events(connection, [export_id]).get(export_id)
        if not events:
            raise UnknownExport(export_id)
        return events


def _lock_export(connection: sa.Connection, export_id: str) -> bool:
    """Take the export's write lock; return whether it is a dry run."""
    dry_run = connection.scalar(
        sa.select(exports.c.dry_run).where(exports.c.export_id == export_id).with_for_update()
    )
    if dry_run is None:
        raise UnknownExport(export_id)
    return bool(dry_run)


def _latest_state(connection: sa.Connection, export_id: str) -> AudienceState:
    state: str = connection.execute(
        sa.select(export_events.c.state)
        .where(export_events.c.export_id == export_id)
        .order_by(export_events.c.id.desc())
        .limit(1)
    ).scalar_one()
    return AudienceState(state)


def _check_transition(
    export_id: str, before: AudienceState, after: AudienceState, *, dry_run: bool
) -> None:
    if not is_allowed(before, after):
        raise IllegalTransition(export_id, before, after)
    if dry_run and after not in _DRY_RUN_STATES:
        raise IllegalTransition(export_id, before, after, "a dry run creates nothing")
    if not dry_run and after is AudienceState.DRY_RUN:
        raise IllegalTransition(export_id, before, after, "the export was not planned as dry run")


def _checked_id(name: str, value: str | None) -> str | None:
    if value is not None and not 0 < len(value) <= MAX_ID_LENGTH:
        raise LedgerError(f"{name} must be 1 to {MAX_ID_LENGTH} characters")
    return value


def _encoded_counts(counts: Mapping[str, int] | None) -> str | None:
    if not counts:
        return None
    for name, value in counts.items():
        if not isinstance(name, str) or not isinstance(value, int) or isinstance(value, bool):
            raise LedgerError(f"counts must map names to integers (bad entry {name!r})")
    return json.dumps(dict(counts), sort_keys=True)


def _endpoint_columns(endpoint: Endpoint | None) -> dict[str, str | None]:
    if endpoint is None:
        return {"environment": Environment.UNKNOWN.value}
    return {
        "environment": endpoint.environment.value,
        "endpoint_url": endpoint.base_url,
        "credential_identity": endpoint.credential,
    }


def _legal_columns(legal: LegalRecord | None) -> dict[str, str | None]:
    if legal is None:
        return {}
    return {
        "legal_basis": legal.basis,
        "assessment_reference": legal.assessment_reference,
        "notice_version": legal.notice_version,
    }


def _legal(row: sa.Row[Any]) -> LegalRecord | None:
    if row.legal_basis is None:
        return None
    return LegalRecord(row.legal_basis, row.assessment_reference, row.notice_version)


def _insert_note(connection: sa.Connection, export_id: str | None, kind: str, detail: str) -> Note:
    note = Note(datetime.now(UTC), kind, _capped(detail) or "", export_id)
    connection.execute(
        export_notes.insert().values(
            export_id=export_id, recorded_at=note.recorded_at, kind=kind, detail=note.detail
        )
    )
    return note


def _capped(text: str | None) -> str | None:
    if text is None or len(text) <= MAX_TEXT_LENGTH:
        return text
    return text[: MAX_TEXT_LENGTH - 1] + "…"


def _events(connection: sa.Connection, export_ids: Iterable[str]) -> dict[str, list[LedgerEvent]]:
    rows = connection.execute(
        sa.select(export_events)
        .where(export_events.c.export_id.in_(list(export_ids)))
        .order_by(export_events.c.id)
    )
    grouped: dict[str, list[LedgerEvent]] = {}
    for row in rows:
        grouped.setdefault(row.export_id, []).append(
            LedgerEvent(
                event_id=row.id,
                export_id=row.export_id,
                state=AudienceState(row.state),
                recorded_at=row.recorded_at,
                seed_audience_id=row.seed_audience_id,
                lookalike_audience_id=row.lookalike_audience_id,
                upload_session_id=row.upload_session_id,
                register_version=row.register_version,
                counts=json.loads(row.counts) if row.counts else {},
                reason=row.reason,
                platform_answer=row.platform_answer,
            )
        )
    return grouped


def _load(connection: sa.Connection, export_ids: list[str]) -> list[ExportRecord]:
    rows = connection.execute(sa.select(exports).where(exports.c.export_id.in_(export_ids)))
    events = _events(connection, export_ids)
    leases = {
        row.export_id: Lease(row.owner, row.host, row.pid, row.expires_at)
        for row in connection.execute(
            sa.select(export_leases).where(export_leases.c.export_id.in_(export_ids))
        )
    }
    return [
        accumulate(
            row.export_id,
            ExportRequest(
                destination=row.destination,
                ad_account=row.ad_account,
                country=row.country,
                size=(
                    LookalikeSize(ratio=row.ratio)
                    if row.lookalike_size is None
                    else LookalikeSize(word=row.lookalike_size)
                ),
                dry_run=bool(row.dry_run),
                max_seed_age=timedelta(seconds=row.max_seed_age_seconds),
            ),
            row.created_at,
            events[row.export_id],
            run_id=row.run_id,
            endpoint=_endpoint(row),
            register_identity=row.register_identity,
            lease=leases.get(row.export_id),
            legal=_legal(row),
        )
        for row in rows
    ]


def _endpoint(row: sa.Row[Any]) -> Endpoint:
    return Endpoint(
        platform=row.destination,
        environment=Environment(row.environment),
        base_url=row.endpoint_url or "unknown",
        ad_account=row.ad_account,
        credential=row.credential_identity or "unknown",
    )

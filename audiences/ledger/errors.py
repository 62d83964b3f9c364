"""Errors the ledger raises; messages name ids and states, never identifiers."""

from __future__ import annotations

from typing import ClassVar

from audiences.ledger.states import AudienceState


class LedgerError(Exception):
    """The ledger cannot do what was asked (unreachable database, bad event, …)."""

    identifier_free: ClassVar[bool] = True
    """Its messages name ids, states and URLs without passwords: never an identifier."""


class UnknownExport(LedgerError):
    """No export with this id is recorded."""

    def __init__(self, export_id: str) -> None:
        super().__init__(f"no export {export_id!r} in the ledger")
        self.export_id = export_id


class IllegalTransition(LedgerError):
    """The state machine does not allow this move from the export's latest state."""

    def __init__(
        self, export_id: str, before: AudienceState, after: AudienceState, why: str = ""
    ) -> None:
        detail = f": {why}" if why else ""
        super().__init__(f"export {export_id}: {before.name} → {after.name} is not allowed{detail}")
        self.export_id = export_id
        self.before = before
        self.after = after

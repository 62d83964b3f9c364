"""The audience ledger: write-ahead record of every audience object created on a platform.

Open it with :meth:`Ledger.open`, plan an export before touching the platform,
then :meth:`Ledger.record` every transition of :class:`AudienceState`. It holds
ids, states, times and counts — never an identifier.
"""

from audiences.ledger.errors import IllegalTransition, LedgerError, UnknownExport
from audiences.ledger.model import (
    ExportRecord,
    ExportRequest,
    Lease,
    LedgerEvent,
    LegalRecord,
    Note,
    seed_name,
)
from audiences.ledger.states import TERMINAL_STATES, TRANSITIONS, AudienceState
from audiences.ledger.store import Ledger

__all__ = [
    "TERMINAL_STATES",
    "TRANSITIONS",
    "AudienceState",
    "ExportRecord",
    "ExportRequest",
    "IllegalTransition",
    "Lease",
    "Ledger",
    "LedgerError",
    "LedgerEvent",
    "LegalRecord",
    "Note",
    "UnknownExport",
    "seed_name",
]

"""One reconcile pass: advance every unfinished export, sweep orphan seeds, and say what is wrong.

Free of Prefect: the flow (and tests) call :func:`reconcile` with the step
that advances one export. What needs a person — a seed past its deadline, a
refused deletion, an export bound to another endpoint, an export that could
not be advanced — is collected as :class:`Attention`, which makes the run fail
loudly instead of ending green.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from audiences.errors import DestinationError
from audiences.ledger import (
    AudienceState,
    ExportRecord,
    UnknownExport,
)
from audiences.ledger.model import SEED_NAME_PREFIX
from pipelines.errors import ConfigurationError
from pipelines.late_objections import LateRemovals, remove_late_objections
from pipelines.lifecycle import EndpointMismatch
from pipelines.runtime import (
    BoundDestination,
    Runtime,
    settings_to_change,
)

logger = logging.getLogger(__name__)


class OpenBound(Protocol):
    """(platform, ad account) → the destination bound to the configured endpoint."""

    def __call__(self, name: str, ad_account: str, *, identify: bool = True) -> BoundDestination:
        """``identify=False`` makes no platform call (the credential stays unchecked)."""
        ...


Advance = Callable[[Runtime, BoundDestination, str], ExportRecord]
"""Advance one export (by id) as far as the platform allows now."""


@dataclass(frozen=True)
class Attention:
    """An export a person must look at, and what to do about it."""

    export_id: str
    platform: str
    kind: str
    """``overdue``, ``refused``, ``bound_elsewhere``, ``unconfigured`` or ``failed``."""
    detail: str
    deadline: datetime | None = None

    def line(self) -> str:
        """One line for the summary and the failure message."""
        return f"export {self.export_id} ({self.platform}) {self.kind}: {self.detail}"


@dataclass
class ReconcileReport:
    """What one pass did and what needs a person."""

    advanced: list[ExportRecord] = field(default_factory=list)
    attention: list[Attention] = field(default_factory=list)
    swept: list[str] = field(default_factory=list)
    """Seeds deleted by the sweep (audience ids), with no export left to own them."""
    late_objections_removed: int = 0
    """People who objected after their seed was uploaded, taken out of live seeds."""

    @property
    def finished(self) -> int:
        """How many exports this pass left finished."""
        return sum(record.is_terminal for record in self.advanced)

    @property
    def unfinished(self) -> int:
        """How many exports this pass left unfinished."""
        return len(self.advanced) - self.finished

    def failure_message(self) -> str:
        """Why the pass must fail, one export a line, with what to do."""
        return f"{len(self.attention)} exports need attention:\n" + "\n".join(
            f"- {item.line()}" for item in self.attention
        )


def reconcile(
    runtime: Runtime,
    *,
    open_bound: OpenBound,
    advance: Advance,
    clock: Callable[[], datetime],
    sweep_accounts: list[tuple[str, str]],
) -> ReconcileReport:
    """Advance every unfinished export, then sweep the configured ad accounts for orphan seeds."""
    report = ReconcileReport()
    removals = LateRemovals()
    for record in runtime.ledger.unfinished():
        after = _advance_one(runtime, record, open_bound, advance, report, removals)
        report.advanced.append(after)
        _check_deadlines(after, clock(), report)
    removals.record_in_register(runtime)
    report.late_objections_removed = removals.removed
    for platform, account in sweep_accounts:
        try:
            _sweep(runtime, platform, account, open_bound, advance, report)
        except Exception as error:
            logger.error("sweeping %s account %s failed: %s", platform, account, error)
            report.attention.append(
                Attention("-", platform, "failed", f"sweeping account {account} failed: {error}")
            )
    return report


def _advance_one(
    runtime: Runtime,
    record: ExportRecord,
    open_bound: OpenBound,
    advance: Advance,
    report: ReconcileReport,
    removals: LateRemovals | None = None,
) -> ExportRecord:
    def attend(kind: str, detail: str) -> ExportRecord:
        report.attention.append(Attention(record.export_id, record.destination, kind, detail))
        return runtime.ledger.get(record.export_id)

    def bound_elsewhere(error: EndpointMismatch) -> ExportRecord:
        differing = ", ".join(settings_to_change(record.destination, error.differences))
        return attend(
            "bound_elsewhere", f"{error}. Settings to check: {differing}. {_rebind_hint(record)}"
        )

    try:
        # First without a single call: a different URL or account refuses at once.
        unchecked = open_bound(record.destination, record.ad_account, identify=False)
        configured = unchecked.endpoint
        differences = [
            name for name in record.endpoint_differences(configured) if name != "credential"
        ]
        if differences:
            mismatch = EndpointMismatch(record, configured, differences)
            runtime.ledger.note("endpoint_refused", str(mismatch), export_id=record.export_id)
            return bound_elsewhere(mismatch)
        bound = unchecked.identified()
    except (ConfigurationError, DestinationError) as error:
        bound_to = record.endpoint.describe() if record.endpoint else "an unknown endpoint"
        runtime.ledger.note(
            "endpoint_refused",
            f"export {record.export_id} is bound to {bound_to}, but the configured endpoint "
            f"could not be opened ({error}); nothing was sent",
            export_id=record.export_id,
        )
        return attend("unconfigured", f"{error}")
    try:
        if removals is not None:
            remove_late_objections(runtime, bound, record, runtime.spools(), removals)
        after = advance(runtime, bound, record.export_id)
    except EndpointMismatch as error:
        return bound_elsewhere(error)
    except Exception as error:
        # One export's trouble must not keep the others' seeds on the platform.
        logger.error("export %s could not be advanced: %s", record.export_id, error)
        return attend("failed", f"could not be advanced: {error}")
    logger.info("export %s: %s → %s", record.export_id, record.state, after.state)
    return after


def _rebind_hint(record: ExportRecord) -> str:
    if record.endpoint is None or record.endpoint.environment == "unknown":
        return (
            "It was recorded before exports were bound to endpoints: if the configured "
            f"endpoint is the one it used, run `audience-export rebind {record.export_id}`"
        )
    return "Run the reconciler with the settings that export used"


def _check_deadlines(record: ExportRecord, now: datetime, report: ReconcileReport) -> None:
    if any(item.export_id == record.export_id for item in report.attention):
        return
    if record.state is AudienceState.SEED_DELETION_REFUSED:
        report.attention.append(
            Attention(
                record.export_id,
                record.destination,
                "refused",
                record.latest_reason or "the platform refused to delete the seed",
                record.seed_expires_at,
            )
        )
        return
    deadline = record.seed_expires_at
    if (
        not record.is_terminal
        and record.state is not AudienceState.SEED_EMPTIED
        and deadline is not None
        and now > deadline
    ):
        report.attention.append(
            Attention(
                record.export_id,
                record.destination,
                "overdue",
                f"the seed {record.seed_audience_id} should have been deleted by "
                f"{deadline:%Y-%m-%d %H:%M} UTC and is {record.state}",
                deadline,
            )
        )


def _sweep(
    runtime: Runtime,
    platform: str,
    account: str,
    open_bound: OpenBound,
    advance: Advance,
    report: ReconcileReport,
) -> None:
    """Delete seeds named like this product's whose export is finished or unknown here."""
    bound = open_bound(platform, account)
    for ref in bound.destination.list_audiences():
        if not ref.name.startswith(SEED_NAME_PREFIX):
            continue
        export_id = ref.name.removeprefix(SEED_NAME_PREFIX)
        try:
            record = runtime.ledger.get(export_id)
        except UnknownExport:
            record = None
        if record is not None and not record.is_terminal:
            continue  # the lifecycle owns it
        if record is not None and record.state is AudienceState.FAILED:
            runtime.ledger.record(
                export_id,
                AudienceState.SEED_DELETE_PENDING,
                seed_audience_id=ref.audience_id,
                reason="a seed of this failed export was found on the platform by the sweep",
            )
            report.advanced.append(_advance_one(runtime, record, open_bound, advance, report))
            continue
        _delete_orphan(runtime, bound, ref.audience_id, export_id, report)


def _delete_orphan(
    runtime: Runtime,
    bound: BoundDestination,
    audience_id: str,
    export_id: str,
    report: ReconcileReport,
) -> None:
    bound.destination.delete_audience(audience_id)
    check = bound.destination.verify_deleted(audience_id)
    kind = "orphan_seed_deleted" if check.verified else "orphan_seed_delete_unverified"
    runtime.ledger.note(
        kind,
        f"seed {audience_id} named for export {export_id}, which this ledger does not hold "
        f"unfinished, deleted through {bound.endpoint.describe()}: {check.platform_answer}",
        export_id=export_id,
    )
    if check.verified:
        report.swept.append(audience_id)
    else:
        report.attention.append(
            Attention(
                export_id,
                bound.endpoint.platform,
                "refused",
                f"orphan seed {audience_id} still exists after its deletion",
            )
        )

"""Objections that reach seeds already uploaded: the objector's identifiers leave every live seed.

An objection suppresses from the moment it is recorded, but a seed uploaded
before it may already hold the person's hash — up to the seed's maximum age.
At every reconcile, for each export whose seed is on the platform, the
objections recorded since the export last checked are looked up in the
export's encrypted spool by canonical mailbox key (the seed holds the hash of
the *account's* spelling, which may differ from the objection's), and those
hashes are removed from the seed with the platform's removal call (sent in a
request body). The ledger notes the count per export, the register notes the
removal in each objection's history; neither records who.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from audiences.errors import DestinationError, ErrorKind
from audiences.ledger import AudienceState, ExportRecord
from objections.canonical import InvalidAddress, canonical_key
from pipelines.lifecycle import DELETING, SEED_ON_PLATFORM
from pipelines.runtime import BoundDestination, Runtime
from pipelines.spool import SpoolStore, SpoolUnavailable

logger = logging.getLogger(__name__)

SEED_MAY_HOLD_PEOPLE = (SEED_ON_PLATFORM | DELETING | {AudienceState.UPLOADING}) - {
    AudienceState.SEED_EMPTIED
}
"""States in which a seed exists and may still hold uploaded people (emptied ones do not)."""
REMOVED_BY = "audience-export reconciler"


@dataclass
class LateRemovals:
    """What one reconcile pass took out of live seeds (counts and objection ids only)."""

    seeds_per_objection: Counter[int] = field(default_factory=Counter)
    removed: int = 0

    def record_in_register(self, runtime: Runtime) -> None:
        """Write "removed from N live seeds" into each objection's history."""
        for objection_id, seeds in sorted(self.seeds_per_objection.items()):
            runtime.register.record_removal_from_seeds(objection_id, seeds=seeds, by=REMOVED_BY)


def remove_late_objections(
    runtime: Runtime,
    bound: BoundDestination,
    record: ExportRecord,
    spools: SpoolStore,
    removals: LateRemovals,
) -> None:
    """Take the identifiers of objections recorded since the last check out of this seed."""
    checked_up_to = runtime.ledger.late_objections_checked_up_to(record.export_id)
    seed_id = record.seed_audience_id
    if (
        checked_up_to is None
        or seed_id is None
        or record.state not in SEED_MAY_HOLD_PEOPLE
        or record.endpoint is None
        or record.endpoint.differences(bound.endpoint)
    ):
        return
    late = runtime.register.objections(after_id=checked_up_to, with_address=True)
    if not late:
        return
    keys: dict[str, list[int]] = {}
    for objection in late:
        if objection.status.suppresses and objection.scope.covers(record.destination):
            try:
                key = canonical_key(objection.address or "")
            except InvalidAddress:
                continue
            keys.setdefault(key, []).append(objection.id)
    try:
        matched = spools.pairs_of(record.export_id, keys.keys()) if keys else []
    except SpoolUnavailable as missing:
        logger.warning(
            "export %s: late objections cannot be looked up: %s", record.export_id, missing
        )
        return
    hashes = [digest for digest, _key in matched]
    size = bound.destination.max_batch_size
    try:
        for start in range(0, len(hashes), size):
            bound.destination.remove_batch(seed_id, hashes[start : start + size])
    except DestinationError as error:
        if error.kind is not ErrorKind.REMOVAL_REFUSED:
            raise
        _delete_instead(runtime, record, late[-1].id, error)
        return
    people = {key for _digest, key in matched}
    for key in people:
        for objection_id in keys[key]:
            removals.seeds_per_objection[objection_id] += 1
    removals.removed += len(people)
    detail = (
        f"{len(people)} late objection{'s' if len(people) != 1 else ''} removed from seed "
        f"{seed_id} ({len(hashes)} identifiers)"
        if people
        else None
    )
    runtime.ledger.late_objections_checked(record.export_id, late[-1].id, detail)


def _delete_instead(
    runtime: Runtime, record: ExportRecord, checked_up_to: int, refusal: DestinationError
) -> None:
    """The platform will not take a late objector out of the seed: the seed goes now.

    While a runner still holds the export's lease, the next reconcile tries again.
    """
    if record.lease is not None and record.lease.is_live(datetime.now(UTC)):
        logger.warning("export %s: a late objector stays until its run ends", record.export_id)
        return
    reason = (
        f"a late objector could not be removed from seed {record.seed_audience_id} ({refusal}); "
        "the seed is deleted now instead"
    )
    runtime.ledger.late_objections_checked(record.export_id, checked_up_to, reason)
    runtime.ledger.record(record.export_id, AudienceState.SEED_DELETE_PENDING, reason=reason)

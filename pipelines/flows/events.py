"""The Prefect events the product emits for automations to notify on (ids and times only)."""

from __future__ import annotations

from prefect.events import emit_event

from audiences.ledger import AudienceState, ExportRecord, Ledger
from pipelines.reconcile import Attention

OVERDUE_EVENT = "audience-export.seed.overdue"
"""Emitted for every export whose seed needs a person (overdue, refused, bound elsewhere)."""
READY_EVENT = "audience-export.lookalike.ready"
"""Emitted once when an export's lookalike becomes ready: marketing can use it."""


def _emit(event: str, export_id: str, payload: dict[str, object]) -> None:
    """``event`` about one export, its resource named by the export id."""
    emit_event(
        event=event,
        resource={
            "prefect.resource.id": f"audience-export.export.{export_id}",
            "prefect.resource.name": f"export {export_id}",
        },
        payload={"export_id": export_id, **payload},
    )


def announce_overdue(item: Attention) -> None:
    """:data:`OVERDUE_EVENT` for one export that needs attention."""
    deadline = item.deadline.isoformat() if item.deadline else None
    _emit(
        OVERDUE_EVENT,
        item.export_id,
        {"platform": item.platform, "kind": item.kind, "deadline": deadline},
    )


def was_ready(ledger: Ledger, export_id: str) -> bool:
    """Whether the ledger ever recorded the export's lookalike as ready."""
    return any(event.state is AudienceState.LOOKALIKE_READY for event in ledger.history(export_id))


def announce_ready(record: ExportRecord) -> None:
    """:data:`READY_EVENT` for an export whose lookalike just became ready."""
    _emit(
        READY_EVENT,
        record.export_id,
        {
            "platform": record.destination,
            "ad_account": record.ad_account,
            "lookalike_audience_id": record.lookalike_audience_id,
            "country": record.country,
            "size": record.size.describe(),
        },
    )

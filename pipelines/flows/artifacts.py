"""What the Prefect UI shows of an export while it runs and when it ends: progress and links.

Counts and ids only: a progress artifact updated as batches are accepted (at
most every whole percent), and a link artifact to the platform's audience
manager for the lookalike of a production export.
"""

from __future__ import annotations

from uuid import UUID

from prefect.artifacts import (
    create_link_artifact,
    create_progress_artifact,
    update_progress_artifact,
)

from audiences.ledger import ExportRecord
from pipelines.progress import ProgressReporter
from pipelines.summary import audience_manager, lookalike_name


class ProgressArtifact:
    """Mirrors an upload's progress into a Prefect progress artifact (and another reporter)."""

    def __init__(self, also: ProgressReporter) -> None:
        self._also = also
        self._artifact: UUID | None = None
        self._total = 0
        self._done = 0
        self._shown = -1

    def start(self, *, total: int) -> None:
        self._also.start(total=total)
        self._total, self._done = max(total, 1), 0
        created = create_progress_artifact(
            progress=0.0,
            key="lookalike-export-upload",
            description="Share of eligible accounts uploaded to the seed (counts only).",
        )
        self._artifact = created if isinstance(created, UUID) else None
        self._shown = 0

    def advance(self, count: int) -> None:
        self._also.advance(count)
        self._done += count
        percent = min(100, self._done * 100 // self._total)
        if self._artifact is not None and percent > self._shown:
            update_progress_artifact(self._artifact, progress=float(percent))
            self._shown = percent

    def finish(self) -> None:
        self._also.finish()
        if self._artifact is not None and self._shown < 100:
            update_progress_artifact(self._artifact, progress=100.0)
            self._shown = 100


def link_to_lookalike(record: ExportRecord) -> None:
    """A link artifact to where marketing finds the lookalike (production exports only)."""
    url = audience_manager(record)
    if url is None or record.lookalike_audience_id is None:
        return
    create_link_artifact(
        link=url,
        link_text=lookalike_name(record),
        key="lookalike-export-audience",
        description=f"Lookalike {record.lookalike_audience_id} in the platform's audience manager.",
    )

"""A Rich progress bar for the upload, installed by the ``run`` and ``demo`` commands."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class UploadProgressBar:
    """Shows hashed addresses accepted by the platform against eligible accounts."""

    def __init__(self) -> None:
        self._progress = Progress(
            TextColumn("uploading"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),  # stdout is the result's (``run --json``)
            transient=False,
        )
        self._task = TaskID(-1)

    def start(self, *, total: int) -> None:
        self._task = self._progress.add_task("upload", total=total)
        self._progress.start()

    def advance(self, count: int) -> None:
        self._progress.advance(self._task, count)

    def finish(self) -> None:
        task = self._progress.tasks[self._task]
        # Invalid, suppressed and duplicate rows are never uploaded: close the bar at what was sent.
        self._progress.update(self._task, total=task.completed)
        self._progress.stop()

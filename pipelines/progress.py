"""Progress of a long upload, shown as a bar in the CLI and as log lines elsewhere.

Only counts pass through here.
"""

from __future__ import annotations

import logging
from typing import Protocol


class ProgressReporter(Protocol):
    """Receives the progress of one upload."""

    def start(self, *, total: int) -> None:
        """The upload begins; ``total`` is the number of eligible accounts (an upper bound)."""
        ...

    def advance(self, count: int) -> None:
        """``count`` more identifiers were accepted by the platform."""
        ...

    def finish(self) -> None:
        """The upload is complete."""
        ...


class LoggingProgress:
    """Reports each batch as one log line (for scheduled runs and the Prefect UI)."""

    def __init__(self, logger: logging.Logger | logging.LoggerAdapter[logging.Logger]) -> None:
        self._logger = logger
        self._total = 0
        self._done = 0

    def start(self, *, total: int) -> None:
        self._total = total
        self._done = 0
        self._logger.info("uploading up to %d hashed addresses", total)

    def advance(self, count: int) -> None:
        self._done += count
        self._logger.info("uploaded %d of at most %d", self._done, self._total)

    def finish(self) -> None:
        self._logger.info("upload finished: %d hashed addresses sent", self._done)


_installed: ProgressReporter | None = None


def install_reporter(reporter: ProgressReporter | None) -> None:
    """Show upload progress through ``reporter`` (the CLI's bar) in this process."""
    global _installed  # noqa: PLW0603 - set once by the command line, the edge
    _installed = reporter


def current_reporter(
    logger: logging.Logger | logging.LoggerAdapter[logging.Logger],
) -> ProgressReporter:
    """The installed reporter, or one that logs each batch."""
    return _installed or LoggingProgress(logger)

"""The ``audience-export`` command line: one Typer app, command groups in sibling modules."""

from __future__ import annotations

import os

from pipelines.cli import (  # noqa: F401 - they register
    bench,
    console,
    context,
    demo,
    export,
    legal,
    objections,
    prefect_setup,
    sandbox,
)
from pipelines.cli.app import app


def main() -> None:
    """Console-script entry point."""
    # Prefect is imported lazily by the commands that run flows; this must be set before.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # A temporary server on a busy machine can take longer than Prefect's 20 s default.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    app()


__all__ = ["app", "main"]

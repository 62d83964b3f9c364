"""The ``audience-export`` command line: one Typer app, command groups in sibling modules."""

from __future__ import annotations

from pipelines.cli import context, objections, sandbox  # noqa: F401 - they register commands
from pipelines.cli.app import app


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]

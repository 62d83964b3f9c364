"""The ``audience-export`` command line: one Typer app, commands in sibling modules."""

from __future__ import annotations

from pipelines.cli.app import app


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]

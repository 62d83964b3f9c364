"""The root Typer application; each command group registers itself here."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="audience-export",
    help="Export customer accounts to lookalike audiences, privately.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

"""``legal check``: what legal basis is configured per platform, and would exports be admitted."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from audiences.registry import PLATFORMS
from pipelines.cli.app import app
from pipelines.cli.context import current_settings
from pipelines.legal import LegalBasisMissing, legal_basis
from pipelines.runtime import environment_of_settings

legal_app = typer.Typer(help="The lawful basis of exports, per platform.", no_args_is_help=True)
app.add_typer(legal_app, name="legal")
console = Console()


@legal_app.command("check")
def check(
    destination: Annotated[
        str | None, typer.Option(help="Only this platform (default: every platform).")
    ] = None,
) -> None:
    """Print the configured basis per platform and whether an export would be admitted.

    Exits 2 when any platform checked would be refused.
    """
    settings = current_settings()
    platforms = [destination] if destination else list(PLATFORMS)
    environment = environment_of_settings(settings)
    table = Table(title=f"Legal basis ({environment} endpoint)")
    for column in ("platform", "basis", "assessment", "notice", "recipients", "exports"):
        table.add_column(column)
    refusals: list[str] = []
    for platform in platforms:
        configured = settings.legal.get(platform)
        try:
            basis = legal_basis(settings, platform, environment)
            verdict = "admitted (demo values: sandbox only)" if basis.is_demo else "admitted"
        except LegalBasisMissing as error:
            refusals.append(f"{platform}: {error}")
            verdict = "refused"
        table.add_row(
            platform,
            (configured.basis if configured else None) or "—",
            (configured.assessment_reference if configured else None) or "—",
            (configured.notice_version if configured else None) or "—",
            ", ".join(configured.notice_recipients) if configured else "—",
            verdict,
        )
    console.print(table)
    for refusal in refusals:
        console.print(escape(refusal), soft_wrap=True)
    if refusals:
        raise typer.Exit(code=2)

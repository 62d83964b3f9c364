"""``audience-export objections ...``: the register commands, on this invocation's settings."""

from __future__ import annotations

from objections.cli import RegisterSource, build_app
from pipelines.cli.app import app
from pipelines.cli.context import current_settings


def _register_source() -> RegisterSource:
    """The register configuration; keys are generated only for the embedded default key file."""
    settings = current_settings()
    chosen = settings.objections
    embedded = (
        chosen.key_file is None and chosen.encryption_key is None and chosen.index_key is None
    )
    return RegisterSource(
        settings.register_config, create_keys=embedded, four_eyes=settings.console.four_eyes
    )


objections_app = build_app(_register_source)
app.add_typer(objections_app, name="objections")

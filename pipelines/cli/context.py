"""Settings for the command being run: loaded once, from ``--config`` and the environment."""

from __future__ import annotations

import functools
import os
from importlib import metadata
from pathlib import Path
from typing import Annotated

import typer

from audiences.platform import SANDBOX_CHOICE
from audiences.registry import PLATFORMS
from pipelines.cli.app import app
from pipelines.settings import ENV_PREFIX, Settings, SettingsError, load_settings

_config_file: Path | None = None


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"audience-export {metadata.version('audience-export')}")
        raise typer.Exit


@app.callback()
def _root(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="TOML configuration file (default: $AUDIENCE_EXPORT_CONFIG, else none).",
            dir_okay=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_print_version,
            help="Print the version and exit.",
            metavar="",
        ),
    ] = False,
) -> None:
    """Export customer accounts to lookalike audiences, privately.

    Exit codes: 0 done; 1 a run or step failed (the ledger says why); 2 refused
    before anything was sent: bad settings, parameters or register.
    """
    global _config_file  # noqa: PLW0603 - the one place the edge remembers its input
    _config_file = config
    current_settings.cache_clear()


@functools.cache
def current_settings() -> Settings:
    """The settings of this invocation; a clear message and exit 2 when invalid."""
    try:
        return load_settings(_config_file)
    except SettingsError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None


def choose_sandbox() -> None:
    """Choose every platform's in-process sandbox for this command and the flows it runs.

    The flows read their settings themselves, so the choice goes through the
    environment of this process (never further).
    """
    for name, entry in PLATFORMS.items():
        os.environ[f"{ENV_PREFIX}{name.upper()}_{entry.settings_model.url_field.upper()}"] = (
            SANDBOX_CHOICE
        )
    current_settings.cache_clear()

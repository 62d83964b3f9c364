"""``audience-export sandbox [--platform NAME]``: serve one platform's sandbox (its own flags).

Each platform brings its sandbox command (:class:`audiences.platform.Platform`);
this command picks one by ``--platform`` and hands it every other argument.
"""

from __future__ import annotations

from typing import Annotated

import typer
from typer.main import get_command

from audiences.registry import PLATFORMS
from pipelines.cli.app import app

DEFAULT_PLATFORM = next(iter(PLATFORMS))


@app.command(
    "sandbox",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
    help=(
        f"Serve a platform's sandbox until interrupted: --platform {'|'.join(PLATFORMS)} "
        f"(default {DEFAULT_PLATFORM}); --help lists that platform's options."
    ),
)
def sandbox(
    context: typer.Context,
    platform: Annotated[
        str, typer.Option(help=f"Platform whose sandbox to serve: {', '.join(PLATFORMS)}.")
    ] = DEFAULT_PLATFORM,
) -> None:
    """Hand every other argument to the chosen platform's sandbox command."""
    if platform not in PLATFORMS:
        typer.echo(
            f"error: unknown platform {platform!r}; known platforms: {', '.join(PLATFORMS)}",
            err=True,
        )
        raise typer.Exit(code=2)
    chosen = PLATFORMS[platform]
    served = typer.Typer(add_completion=False)
    served.command(
        help=f"{chosen.sandbox_command.__doc__} Choose another platform with --platform "
        f"({', '.join(PLATFORMS)})."
    )(chosen.sandbox_command)
    command = get_command(served)
    code = command.main(
        args=list(context.args),
        prog_name=f"audience-export sandbox --platform {platform}",
        standalone_mode=False,
    )
    if isinstance(code, int) and code != 0:
        raise typer.Exit(code=code)

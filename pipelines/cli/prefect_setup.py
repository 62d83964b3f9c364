"""``audience-export prefect setup``: the webhook block and automations that notify people."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import SecretStr

from pipelines.cli.app import app
from pipelines.cli.context import current_settings
from pipelines.settings import ENV_PREFIX

WEBHOOK_VARIABLE = f"{ENV_PREFIX}NOTIFY_WEBHOOK_URL"

prefect_app = typer.Typer(help="Prefect set-up for operators.", no_args_is_help=True)
app.add_typer(prefect_app, name="prefect")


@prefect_app.command("setup")
def setup(
    webhook_secret: Annotated[
        str | None,
        typer.Option(
            help=f"Prefect Secret block holding the webhook URL (else ${WEBHOOK_VARIABLE})."
        ),
    ] = None,
) -> None:
    """Create or update the webhook block and the automations (safe to run again).

    Notifies on failed or crashed runs of the product's flows, on seeds that
    need a person (``audience-export.seed.overdue``) and on lookalikes that
    became ready (``audience-export.lookalike.ready``). The URL is read from a
    Secret block or the environment, never from the command line.

    Exit codes: 0 done, 2 no webhook URL configured.
    """
    from pipelines.flows.notifications import (  # noqa: PLC0415 - Prefect loads slowly
        secret_value,
        set_up_notifications,
    )

    configured = current_settings().notify.webhook_url
    url = (
        secret_value(webhook_secret)
        if webhook_secret
        else configured.get_secret_value()
        if configured
        else None
    )
    if not url:
        typer.echo(
            f"error: no webhook URL: set {WEBHOOK_VARIABLE} or pass --webhook-secret", err=True
        )
        raise typer.Exit(code=2)
    for name in set_up_notifications(SecretStr(url)):
        typer.echo(f"set up: {name}")

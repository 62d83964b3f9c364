"""``audience-export console``: serve the officer's console, manage its accounts, and
``objections lookup`` ("was this address sent?") on the command line."""

from __future__ import annotations

import getpass
from datetime import timedelta
from typing import Annotated

import typer

from objections.canonical import InvalidAddress
from objections.errors import RegisterError
from objections.journal import Deed, write
from objections.officers import Accounts, Role
from pipelines.cli.app import app
from pipelines.cli.context import current_settings
from pipelines.cli.objections import objections_app
from pipelines.console.sent import lookup_sent
from pipelines.stores import open_ledger, open_register

console_app = typer.Typer(
    name="console", help="The privacy officer's web console.", invoke_without_command=True
)
users_app = typer.Typer(name="users", help="Console accounts.", no_args_is_help=True)
console_app.add_typer(users_app)
app.add_typer(console_app)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


@console_app.callback()
def serve(
    context: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to listen on (127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (8080).")] = None,
) -> None:
    """Serve the console (bound to 127.0.0.1 unless told otherwise)."""
    if context.invoked_subcommand is not None:
        return
    import uvicorn  # noqa: PLC0415 - only the server needs it

    from pipelines.console.app import build_app  # noqa: PLC0415

    settings = current_settings()
    chosen_host = host or settings.console.host
    chosen_port = port or settings.console.port
    typer.echo(f"console at http://{chosen_host}:{chosen_port}/ (Ctrl-C to stop)")
    uvicorn.run(
        build_app(settings),
        host=chosen_host,
        port=chosen_port,
        access_log=False,
        log_level="warning",
    )


@users_app.command("add")
def add_user(
    name: Annotated[str, typer.Argument(help="Account name.")],
    role: Annotated[Role, typer.Option(help="officer | reviewer | viewer")],
) -> None:
    """Create a console account; the password is asked twice (never an argument)."""
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = current_settings()
    try:
        with open_register(settings) as register:
            idle = timedelta(minutes=settings.console.idle_minutes)
            Accounts(register.engine, idle=idle).add(name, role, password, by=getpass.getuser())
    except RegisterError as error:
        raise _fail(str(error)) from None
    typer.echo(f"account {name} created as {role.value}")


@objections_app.command("lookup")
def lookup(
    address: Annotated[str, typer.Argument(help="The e-mail address asked about.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (journaled).")],
) -> None:
    """Which exports uploaded this mailbox, when, where, and when each seed's deletion was
    verified. The answer is for the verified mailbox only."""
    settings = current_settings()
    try:
        with open_register(settings) as register, open_ledger(settings) as ledger:
            answer = lookup_sent(
                register, ledger, address, retention_days=settings.console.sent_index_days
            )
            write(
                register.engine,
                getpass.getuser(),
                Deed.LOOKUP,
                reason=reason,
                detail=f"found in {len(answer.exports)} exports (command line)",
            )
    except InvalidAddress as error:
        raise _fail(f"not a usable e-mail address: {error.reason}") from None
    except RegisterError as error:
        raise _fail(str(error)) from None
    if not answer.exports:
        typer.echo(f"not found in any export of the last {answer.retention_days} days")
    for record in answer.exports:
        deleted = (
            record.seed_deleted_at.isoformat(timespec="minutes")
            if record.seed_deleted_at
            else "not yet verified"
        )
        environment = record.endpoint.environment.value if record.endpoint else "unknown"
        typer.echo(
            f"export {record.export_id} at {record.created_at.isoformat(timespec='minutes')}: "
            f"{record.destination} ({environment}) ad account {record.ad_account}; "
            f"seed deletion verified: {deleted}"
        )
    if answer.unsearchable_exports:
        typer.echo(
            f"{answer.unsearchable_exports} exports were recorded under a retired register key "
            "and could not be searched"
        )

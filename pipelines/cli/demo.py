"""``demo-data`` and ``demo``: the whole job on embedded defaults, against the sandbox."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from audiences.ledger import Ledger
from audiences.registry import PLATFORMS, UnknownPlatform, platform
from pipelines.admission import ExportParameters
from pipelines.cli.app import app
from pipelines.cli.context import choose_sandbox, current_settings
from pipelines.cli.export import closing_sentence, fail, print_summary, run_export
from pipelines.demo import init_register, write_demo_data
from pipelines.embedded import embedded_sandbox
from pipelines.settings import Settings

console = Console()

DEMO_ROWS = 5_000
DEMO_OBJECTORS = 300


@app.command("demo-data")
def demo_data(
    rows: Annotated[int, typer.Option(min=100, help="Accounts to generate.")] = DEMO_ROWS,
    objectors: Annotated[
        int, typer.Option(min=0, help="Objections to register, in other spellings.")
    ] = DEMO_OBJECTORS,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 7,
) -> None:
    """Write a realistic demo account database and register objections against it."""
    settings = current_settings()
    _write_demo_data(settings, rows=rows, objectors=objectors, seed=seed)


def _write_demo_data(settings: Settings, *, rows: int, objectors: int, seed: int) -> None:
    settings.home.mkdir(parents=True, exist_ok=True)
    report = write_demo_data(
        settings.source_url,
        settings.register_config,
        rows=rows,
        objectors=objectors,
        seed=seed,
        on_keys_created=_say_keys_created,
    )
    console.print(
        f"Wrote {report.accounts} demo accounts to {settings.source_url} and registered "
        f"{report.objections_added} objections ({report.objections_duplicate} already there)."
    )


def _say_keys_created(path: Path) -> None:
    console.print(f"Generated new register keys in {path} (mode 0600): keep this file secret.")


@app.command()
def demo(
    destination: Annotated[
        str | None, typer.Option(help=f"Ad platform: {', '.join(PLATFORMS)}; default: the setting.")
    ] = None,
    timeout_seconds: Annotated[
        float, typer.Option(help="Give up waiting for the seed's deletion after this long.")
    ] = 300.0,
) -> None:
    """The main job on embedded defaults: demo data, sandbox, export, reconcile, summary."""
    choose_sandbox()  # the demo is the one command that chooses the sandbox by itself
    settings = current_settings()
    if settings.source.url is None and not (settings.home / "accounts.sqlite").exists():
        _write_demo_data(settings, rows=DEMO_ROWS, objectors=DEMO_OBJECTORS, seed=7)
    else:  # the demo, like `objections init`, may create the register
        init_register(settings.register_config, on_keys_created=_say_keys_created).close()
    try:
        chosen = platform(destination or settings.export.destination)
    except UnknownPlatform as error:
        raise fail(str(error)) from None
    sandbox = embedded_sandbox(chosen, settings.sandbox)
    console.print(f"{chosen.title} sandbox listening at {sandbox.url}")

    record = run_export(ExportParameters(destination=chosen.name))
    from pipelines.flows.reconcile import reconcile_audiences  # noqa: PLC0415

    deadline = time.monotonic() + timeout_seconds
    with Ledger.open(settings.ledger_url) as ledger:
        while not record.is_terminal and time.monotonic() < deadline:
            time.sleep(settings.export.poll_seconds)
            reconcile_audiences()
            record = ledger.get(record.export_id)
    print_summary(record)
    if record.seed_deleted_at is None:
        raise fail(f"the seed's deletion is not verified yet (state {record.state})")
    console.print(closing_sentence(record))

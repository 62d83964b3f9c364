"""``run``, ``reconcile`` and ``ledger``: commands for marketing and the privacy officer."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from audiences.ledger import ExportRecord, Ledger, LedgerError
from audiences.registry import PLATFORMS
from objections.errors import RegisterError
from pipelines.admission import ExportParameters, RunRefused, check_export
from pipelines.cli.app import app
from pipelines.cli.context import choose_sandbox, current_settings
from pipelines.cli.progress_bar import UploadProgressBar
from pipelines.errors import ConfigurationError
from pipelines.progress import install_reporter
from pipelines.runtime import open_runtime
from pipelines.summary import destination_label, summary_rows

console = Console()
notices = Console(stderr=True)
"""What the user should know on the way (stdout is the result's: ``run --json``)."""


class OutputFormat(StrEnum):
    """How ``ledger`` prints."""

    TABLE = "table"
    JSON = "json"


def print_summary(record: ExportRecord) -> None:
    """The run summary as a two-column table."""
    table = Table(title="Export summary", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    for label, value in summary_rows(record):
        table.add_row(label, escape(value))
    console.print(table)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error for people and return the exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=code)


def run_export(parameters: ExportParameters) -> ExportRecord:
    """Check, then run the export flow in this process and return its ledger record.

    The check is the flow's own (:func:`~pipelines.admission.admit_export`), run
    before Prefect starts: a refused run is recorded in the ledger as failed
    and exits with code 2 within a second or two.
    """
    settings = current_settings()
    if any(
        section.token is None and section.access_token_block is not None
        for section in map(settings.platform_settings, PLATFORMS)
    ):
        from pipelines.flows.secrets import with_secret_tokens  # noqa: PLC0415 - needs Prefect

        settings = with_secret_tokens(settings)
    try:
        check_export(settings, parameters)
    except (RunRefused, LedgerError) as error:
        raise fail(str(error), code=2) from None

    from pipelines.flows.export import lookalike_export  # noqa: PLC0415 - Prefect loads slowly

    if not os.environ.get("PREFECT_API_URL"):
        notices.print(
            "No PREFECT_API_URL: starting a temporary Prefect server for this run (a few "
            "seconds; set PREFECT_API_URL to a running server to skip this)."
        )

    install_reporter(UploadProgressBar())
    try:
        result = lookalike_export(export=parameters)
    except Exception as error:
        raise fail(f"the export failed: {error}") from None
    finally:
        install_reporter(None)
    with Ledger.open(settings.ledger_url) as ledger:
        return ledger.get(str(result["export_id"]))


@app.command()
def run(
    destination: Annotated[
        str | None, typer.Option(help=f"Ad platform: {', '.join(PLATFORMS)}.")
    ] = None,
    ad_account: Annotated[str | None, typer.Option(help="Ad account id.")] = None,
    country: Annotated[str | None, typer.Option(help="Lookalike country, e.g. FR.")] = None,
    ratio: Annotated[
        float | None,
        typer.Option(help="Lookalike size as a share of the population (Meta: 0.01 to 0.20)."),
    ] = None,
    size: Annotated[
        str | None,
        typer.Option(help="Lookalike size as a word (TikTok: narrow, balanced or broad)."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run/--no-dry-run", help="Count what would be uploaded; send nothing.", metavar=""
        ),
    ] = False,
    max_seed_age_hours: Annotated[
        float | None, typer.Option(help="Delete the seed at the latest after this many hours.")
    ] = None,
    sandbox: Annotated[
        bool,
        typer.Option(
            "--sandbox",
            help="Export to the platform's built-in sandbox, not a real ad account.",
            metavar="",
        ),
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the summary as JSON (the ledger entry).", metavar=""),
    ] = False,
) -> None:
    """Run one lookalike export now, in this process.

    Exit codes: 0 the export ran (finished, or waiting on the platform); 1 it
    failed after starting (the ledger says why; its seed is deleted or pending
    deletion); 2 refused before anything was sent (recorded in the ledger).
    """
    if sandbox:
        choose_sandbox()
    record = run_export(
        ExportParameters(
            destination=destination,
            ad_account=ad_account,
            country=country,
            ratio=ratio,
            size=size,
            dry_run=dry_run,
            max_seed_age_hours=max_seed_age_hours,
        )
    )
    if as_json:
        typer.echo(json.dumps(ledger_entry(record), indent=2))
        return
    print_summary(record)
    console.print(closing_sentence(record))


def closing_sentence(record: ExportRecord) -> str:
    """What happened, in one sentence: the last line of ``run`` and ``demo``."""
    if record.dry_run:
        return (
            f"Dry run: would upload {record.counts.get('prepared', 0)} hashed addresses to "
            f"{destination_label(record)} as a seed, build a "
            f"{record.size.describe()} lookalike in {record.country}, then delete the seed. "
            "Nothing was sent."
        )
    if record.seed_deleted_at is not None:
        return (
            "Seed deleted; the platform confirmed it is gone at "
            f"{record.seed_deleted_at:%Y-%m-%d %H:%M:%S} UTC."
        )
    return (
        f"The export is {record.state}; `audience-export reconcile` (or the "
        "every-15-minutes deployment) finishes it and deletes the seed."
    )


@app.command()
def reconcile(
    sandbox: Annotated[
        bool,
        typer.Option(
            "--sandbox", help="Reconcile exports made to the built-in sandbox.", metavar=""
        ),
    ] = False,
) -> None:
    """Advance every unfinished export: lookalikes, seed deletion and its verification.

    Exits 1 when any export needs attention: a seed past its deadline, a refused
    deletion, or an export bound to another endpoint than the one configured.
    """
    if sandbox:
        choose_sandbox()
    settings = current_settings()
    try:
        with open_runtime(settings):
            pass  # the ledger and the register must both be there before Prefect starts
    except (LedgerError, RegisterError) as error:
        raise fail(str(error), code=2) from None
    from pipelines.flows.reconcile import reconcile_audiences  # noqa: PLC0415

    try:
        result = reconcile_audiences()
    except Exception as error:
        raise fail(f"reconciling failed: {error}") from None
    console.print(
        f"{result['finished']} exports finished, {result['unfinished']} still waiting "
        "on the platform."
    )


@app.command("ledger")
def show_ledger(
    output: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = (
        OutputFormat.TABLE
    ),
    limit: Annotated[int | None, typer.Option(help="Show only the newest N exports.")] = None,
    since: Annotated[
        datetime | None, typer.Option(help="Only exports created since (YYYY-MM-DD).")
    ] = None,
    state: Annotated[str | None, typer.Option(help="Only exports in this state.")] = None,
    destination: Annotated[str | None, typer.Option(help="Only exports to this platform.")] = None,
    dry_runs: Annotated[
        bool, typer.Option("--dry-runs/--no-dry-runs", help="Include dry runs.", metavar="")
    ] = True,
) -> None:
    """Every export: when, where, state, how many, when its seed's deletion was verified, why."""
    with Ledger.open(current_settings().ledger_url) as ledger:
        records = [
            record
            for record in ledger.exports()
            if (since is None or record.created_at >= since.replace(tzinfo=UTC))
            and (state is None or record.state == state)
            and (destination is None or record.destination == destination)
            and (dry_runs or not record.dry_run)
        ][:limit]
    if output is OutputFormat.JSON:
        typer.echo(json.dumps([ledger_entry(record) for record in records], indent=2))
        return
    if not records:
        console.print(
            "No export recorded yet."
            if not (since or state or destination)
            else "No export matches."
        )
        return
    table = Table(title="Audience ledger", expand=False)
    table.add_column("export / when", no_wrap=True)
    table.add_column("where", overflow="fold")
    table.add_column("state", no_wrap=True)
    table.add_column("sent", justify="right")
    table.add_column("deletion verified")
    table.add_column("reason", overflow="fold", ratio=1)
    for record in records:
        entry = ledger_entry(record)
        table.add_row(
            f"{record.export_id[:8]}\n{record.created_at:%Y-%m-%d %H:%M}",
            escape(
                f"{destination_label(record)} ({entry['environment']})\n"
                f"{record.country} {record.size.describe()}"
            ),
            str(record.state),
            str(record.counts.get("uploaded", "")),
            f"{record.seed_deleted_at:%Y-%m-%d %H:%M}" if record.seed_deleted_at else "",
            escape(record.latest_reason or ""),
        )
    console.print(table)


def ledger_entry(record: ExportRecord) -> dict[str, object]:
    """One export as plain data (JSON output of ``ledger``)."""
    return {
        "export_id": record.export_id,
        "created_at": record.created_at.isoformat(timespec="seconds"),
        "destination": record.destination,
        "ad_account": record.ad_account,
        "country": record.country,
        "ratio": record.size.ratio,
        "size": record.size.word,
        "dry_run": record.dry_run,
        "environment": str(record.endpoint.environment) if record.endpoint else "unknown",
        "endpoint_url": record.endpoint.base_url if record.endpoint else None,
        "credential_identity": record.endpoint.credential if record.endpoint else None,
        "register_identity": record.register_identity,
        "legal_basis": record.legal.basis if record.legal else None,
        "assessment_reference": record.legal.assessment_reference if record.legal else None,
        "notice_version": record.legal.notice_version if record.legal else None,
        "state": str(record.state),
        "state_since": record.state_since.isoformat(timespec="seconds"),
        "counts": record.counts,
        "seed_audience_id": record.seed_audience_id,
        "lookalike_audience_id": record.lookalike_audience_id,
        "register_version": record.register_version,
        "flow_run_id": record.run_id,
        "failure_reason": record.failure_reason,
        "seed_deletion_verified_at": (
            record.seed_deleted_at.isoformat(timespec="seconds") if record.seed_deleted_at else None
        ),
        "platform_deletion_answer": record.deletion_answer,
    }


@app.command()
def rebind(
    export_id: Annotated[str, typer.Argument(help="Export recorded before endpoint binding.")],
    sandbox: Annotated[
        bool, typer.Option("--sandbox", help="Bind to the built-in sandbox.", metavar="")
    ] = False,
) -> None:
    """Bind an export recorded before endpoint binding to the endpoint configured now.

    Only do this when the configured endpoint (base URL, ad account, token's
    user) is the one that export used: the reconciler then deletes and
    verifies its seed through it.
    """
    if sandbox:
        choose_sandbox()
    settings = current_settings()
    from pipelines.runtime import open_destination  # noqa: PLC0415

    try:
        with Ledger.open(settings.ledger_url) as ledger:
            record = ledger.get(export_id)
            bound = open_destination(settings, record.destination, record.ad_account)
            record = ledger.bind_endpoint(export_id, bound.endpoint, by="audience-export rebind")
    except (LedgerError, ConfigurationError) as error:
        raise fail(str(error), code=2) from None
    assert record.endpoint is not None
    console.print(f"export {export_id} is now bound to {record.endpoint.describe()}")

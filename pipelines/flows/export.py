"""The ``lookalike-export`` flow: extract → suppress → hash → upload → lookalike → delete → verify.

Parameters are settings only (platform, ad account, country, size): never an
identifier. Tasks that handle addresses keep no results and no cache, and
their errors are translated at :func:`identifier_boundary` so that no address
or hash reaches Prefect's database through an exception message.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from audiences.destination import Destination
from audiences.errors import DestinationError
from audiences.ledger import AudienceState, ExportRecord, LedgerError
from pipelines.admission import ExportParameters, admit_export
from pipelines.flows.runs import close_crashed_run
from pipelines.progress import current_reporter
from pipelines.runtime import ConfigurationError, Runtime, open_destination, utc_now
from pipelines.settings import load_settings
from pipelines.sources import SourceError, open_source
from pipelines.summary import summary_markdown
from pipelines.upload import NothingToUpload, upload_seed

SAFE_ERRORS = (DestinationError, SourceError, NothingToUpload, LedgerError, ConfigurationError)
"""Errors whose messages are written to carry no identifier."""


class ExportFailed(Exception):
    """The export stopped; the message says why, in words safe to store."""


@contextmanager
def identifier_boundary(step: str) -> Iterator[None]:
    """Let only identifier-free errors out of code that handles addresses.

    Anything unexpected is replaced by its type name: its message could hold
    an address or a hash, and Prefect stores exception messages.
    """
    try:
        yield
    except SAFE_ERRORS:
        raise
    except Exception as error:
        raise ExportFailed(
            f"{step} failed with an unexpected {type(error).__name__} "
            "(details withheld: they may contain personal data)"
        ) from None


@task(name="upload-seed", persist_result=False, cache_policy=NO_CACHE)
def upload_seed_task(runtime: Runtime, destination: Destination, export_id: str) -> ExportRecord:
    """Stream the source through suppression and hashing into the seed audience."""
    source_settings = runtime.settings.source
    with (
        identifier_boundary("the upload"),
        open_source(
            runtime.settings.source_url,
            query=source_settings.query,
            batch_rows=source_settings.batch_rows,
        ) as source,
    ):
        return upload_seed(
            runtime.ledger.get(export_id),
            ledger=runtime.ledger,
            destination=destination,
            source=source,
            register=runtime.register,
            progress=current_reporter(get_run_logger()),
            batch_size=runtime.settings.export.upload_batch_size,
        )


@task(name="advance-export", persist_result=False, cache_policy=NO_CACHE)
def advance_task(runtime: Runtime, destination: Destination, export_id: str) -> ExportRecord:
    """Wait for matching, create the lookalike, delete the seed, verify — as far as possible now."""
    with identifier_boundary("the lookalike and deletion steps"):
        lifecycle = runtime.lifecycle(destination, on_stopped_run=close_crashed_run)
        return lifecycle.advance_until_blocked(runtime.ledger.get(export_id))


@flow(name="lookalike-export", persist_result=False, log_prints=False)
def lookalike_export(
    destination: str | None = None,
    ad_account: str | None = None,
    country: str | None = None,
    ratio: float | None = None,
    dry_run: bool = False,
    max_seed_age_hours: float | None = None,
) -> dict[str, object]:
    """Export eligible accounts to a lookalike audience and delete the seed.

    Args:
        destination: Ad platform (``meta``); default from the settings.
        ad_account: Ad account id; default from the settings.
        country: ISO 3166-1 alpha-2 country of the lookalike (default FR).
        ratio: Lookalike size, 0.01 to 0.20 of the country's population.
        dry_run: Count what would be uploaded; send nothing to the platform.
        max_seed_age_hours: Delete the seed at the latest this long after creation.
    """
    logger = get_run_logger()
    settings = load_settings()
    parameters = ExportParameters(
        destination=destination,
        ad_account=ad_account,
        country=country,
        ratio=ratio,
        dry_run=dry_run,
        max_seed_age_hours=max_seed_age_hours,
    )
    with admit_export(settings, parameters) as admitted:
        runtime, request = admitted.runtime, admitted.request
        platform = open_destination(settings, request.destination, request.ad_account)
        record = runtime.ledger.plan_export(request, run_id=flow_run.get_id())
        logger.info(
            "export %s planned (%s act_%s)", record.export_id, platform.name, request.ad_account
        )
        record = _upload(runtime, platform, record)
        if not record.is_terminal:
            record = _follow_up(runtime, platform, record)
        create_markdown_artifact(
            markdown=summary_markdown([record]),
            key="lookalike-export-summary",
            description="Counts, audience ids and states of this export (no identifiers).",
        )
        logger.info("export %s ended in state %s", record.export_id, record.state)
        if record.failure_reason is not None:
            raise ExportFailed(f"the export was stopped: {record.failure_reason}")
        return {"export_id": record.export_id, "state": str(record.state), **record.counts}


def _upload(runtime: Runtime, platform: Destination, record: ExportRecord) -> ExportRecord:
    """Run the upload; on failure, record why and have the seed deleted, then fail the run."""
    try:
        return upload_seed_task(runtime, platform, record.export_id)
    except NothingToUpload as error:
        runtime.ledger.record(
            record.export_id, AudienceState.FAILED, reason=str(error), counts=error.counts
        )
        raise ExportFailed(str(error)) from None
    except Exception as error:
        reason = f"the upload failed: {error}"
        # From PLANNED too: a seed created just before the failure is found
        # by its name and deleted; if there is none, the export ends FAILED.
        abandoned = runtime.lifecycle(platform).abandon(
            runtime.ledger.get(record.export_id), reason
        )
        if abandoned.state is AudienceState.SEED_DELETE_PENDING:
            reason += (
                f"; the seed audience {abandoned.seed_audience_id} could not be deleted yet: "
                "`audience-export reconcile` deletes it once the problem is fixed"
            )
        raise ExportFailed(reason) from None


def _follow_up(runtime: Runtime, platform: Destination, record: ExportRecord) -> ExportRecord:
    """Advance the export while the platform answers within the waiting window."""
    settings = runtime.settings.export
    deadline = time.monotonic() + settings.wait_for_match_seconds
    while True:
        record = advance_task(runtime, platform, record.export_id)
        if record.is_terminal or time.monotonic() >= deadline:
            break
        time.sleep(settings.poll_seconds)
    if not record.is_terminal:
        get_run_logger().info(
            "export %s is %s at %s; the reconciler takes it from here",
            record.export_id,
            record.state,
            utc_now().isoformat(timespec="seconds"),
        )
    return record

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
from datetime import timedelta
from functools import partial
from typing import cast

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.runtime import flow_run
from prefect.states import Completed

from audiences.ledger import AudienceState, ExportRecord, LegalRecord
from audiences.registry import platform
from pipelines.admission import AS_CONFIGURED, ExportParameters, admit_export
from pipelines.console.sent import sent_recorder
from pipelines.errors import ProductError, is_identifier_free
from pipelines.flows.artifacts import ProgressArtifact, link_to_lookalike
from pipelines.flows.events import announce_ready, was_ready
from pipelines.flows.naming import export_run_name
from pipelines.flows.runs import close_crashed_run
from pipelines.flows.secrets import with_secret_tokens
from pipelines.lease import Heartbeat, LeasedDestination, LeaseLost, LeaseTerms
from pipelines.legal import LegalBasis, eligibility_query, without_consent_query
from pipelines.lifecycle import REFUSED
from pipelines.progress import current_reporter
from pipelines.runtime import (
    BoundDestination,
    Runtime,
    utc_now,
)
from pipelines.settings import Settings, load_settings
from pipelines.sources import open_source
from pipelines.summary import summary_markdown
from pipelines.upload import NothingToUpload, upload_seed

"""Errors whose messages are written to carry no identifier."""


WAITING = "Waiting for platform"
"""The name of the Completed state of an export the platform has not finished."""


class ExportFailed(ProductError):
    """The export stopped; the message says why, in words safe to store."""


@contextmanager
def identifier_boundary(step: str) -> Iterator[None]:
    """Let only identifier-free errors out of code that handles addresses.

    Anything unexpected is replaced by its type name: its message could hold
    an address or a hash, and Prefect stores exception messages.
    """
    try:
        yield
    except Exception as error:
        if is_identifier_free(error):
            raise
        raise ExportFailed(
            f"{step} failed with an unexpected {type(error).__name__} "
            "(details withheld: they may contain personal data)"
        ) from None


@task(name="upload-seed", persist_result=False, cache_policy=NO_CACHE)
def upload_seed_task(
    runtime: Runtime, bound: BoundDestination, export_id: str, legal: LegalBasis
) -> ExportRecord:
    """Stream the source through suppression and hashing into the seed audience."""
    settings = runtime.settings
    with (
        identifier_boundary("the upload"),
        open_source(
            settings.source_url,
            query=eligibility_query(settings, legal),
            batch_rows=settings.source.batch_rows,
        ) as source,
    ):
        return upload_seed(
            runtime.ledger.get(export_id),
            ledger=runtime.ledger,
            destination=bound.destination,
            source=source,
            register=runtime.register,
            progress=ProgressArtifact(current_reporter(get_run_logger())),
            batch_size=runtime.settings.export.upload_batch_size,
            min_seed_size=platform(bound.endpoint.platform).min_seed_size,
            spool=partial(runtime.spools().writer, export_id),
            left_out=left_out_for_lack_of_consent(settings, legal),
            on_sent=sent_recorder(
                runtime.ledger,
                runtime.register,
                export_id,
                retention_days=settings.console.sent_index_days,
            ),
        )


def left_out_for_lack_of_consent(settings: Settings, legal: LegalBasis) -> dict[str, int]:
    """Under consent with the default rule: how many eligible accounts lack consent."""
    query = without_consent_query(settings, legal)
    if query is None:
        return {}
    with open_source(settings.source_url, query=query, batch_rows=1_000) as source:
        return {"no_consent": source.estimate_rows()}


@task(name="advance-export", persist_result=False, cache_policy=NO_CACHE)
def advance_task(
    runtime: Runtime, bound: BoundDestination, export_id: str, lease_owner: str | None = None
) -> ExportRecord:
    """Wait for matching, create the lookalike, delete the seed, verify — as far as possible now."""
    ready_before = was_ready(runtime.ledger, export_id)
    with identifier_boundary("the lookalike and deletion steps"):
        lifecycle = runtime.lifecycle(
            bound,
            lease_owner=lease_owner,
            on_stopped_run=close_crashed_run,
            spools=runtime.spools(),
        )
        record = lifecycle.advance_until_blocked(runtime.ledger.get(export_id))
    if not ready_before and was_ready(runtime.ledger, export_id):
        announce_ready(record)
    return record


def lease_terms(settings: Settings) -> LeaseTerms:
    """The lease every running export holds, from the settings."""
    return LeaseTerms(
        duration=timedelta(seconds=settings.export.lease_seconds),
        renew_every=timedelta(seconds=settings.export.lease_renew_seconds),
    )


@flow(
    name="lookalike-export",
    persist_result=False,
    log_prints=False,
    flow_run_name=export_run_name,
)
def lookalike_export(export: ExportParameters = AS_CONFIGURED) -> dict[str, object]:
    """Export eligible accounts to a lookalike audience and delete the seed.

    A run that ends while the platform is still matching or building the
    lookalike is Completed, named "Waiting for platform": the reconciler
    finishes it (and announces the lookalike when it is ready).

    Args:
        export: What to export where; a field left out is the setting's.
    """
    logger = get_run_logger()
    settings = with_secret_tokens(load_settings())
    with admit_export(settings, export) as admitted:
        runtime, request, bound = admitted.runtime, admitted.request, admitted.bound
        terms = lease_terms(settings)
        lease = terms.new_lease(utc_now())
        record = runtime.ledger.plan_export(
            request,
            run_id=flow_run.get_id(),
            endpoint=bound.endpoint,
            register_identity=admitted.register_identity,
            lease=lease,
            legal=LegalRecord(
                admitted.legal.basis,
                admitted.legal.assessment_reference,
                admitted.legal.notice_version,
            ),
            objections_up_to=runtime.register.newest_objection_id(),
        )
        logger.info("export %s planned (%s)", record.export_id, bound.endpoint.describe())
        heartbeat = Heartbeat(runtime.ledger, record.export_id, lease, terms, utc_now)
        with heartbeat.running():
            guarded = BoundDestination(
                LeasedDestination(bound.destination, heartbeat).as_destination(), bound.endpoint
            )
            record = _upload(runtime, guarded, record, lease.owner, admitted.legal)
            if not record.is_terminal:
                record = _follow_up(runtime, guarded, record, lease.owner)
        create_markdown_artifact(
            markdown=summary_markdown([record]),
            key="lookalike-export-summary",
            description="Counts, audience ids and states of this export (no identifiers).",
        )
        link_to_lookalike(record)
        logger.info(
            "export %s ended in state %s (%s)",
            record.export_id,
            record.state,
            bound.endpoint.environment,
        )
        if record.failure_reason is not None:
            raise ExportFailed(f"the export was stopped: {record.failure_reason}")
        if record.state is AudienceState.SEED_DELETION_REFUSED:
            raise ExportFailed(f"the seed could not be deleted: {record.latest_reason}")
        result: dict[str, object] = {
            "export_id": record.export_id,
            "state": str(record.state),
            **record.counts,
        }
        if record.is_terminal:
            return result
        # Prefect ends the run in this state and hands its data to a caller in this process.
        return cast(dict[str, object], waiting_for_platform(record, result))


def waiting_for_platform(record: ExportRecord, result: dict[str, object]) -> State[object]:
    """The honest end of an export the platform has not finished: Completed, but waiting."""
    return Completed(
        name=WAITING,
        message=(
            f"export {record.export_id} is {record.state}: the platform has not finished; "
            "the reconciler takes it from here"
        ),
        data=result,
    )


def _upload(
    runtime: Runtime,
    bound: BoundDestination,
    record: ExportRecord,
    lease_owner: str,
    legal: LegalBasis,
) -> ExportRecord:
    """Run the upload; on failure, record why and have the seed deleted, then fail the run."""
    try:
        return upload_seed_task(runtime, bound, record.export_id, legal)
    except NothingToUpload as error:
        runtime.ledger.record(
            record.export_id, AudienceState.FAILED, reason=str(error), counts=error.counts
        )
        runtime.spools().destroy(record.export_id, "no seed was created")
        raise ExportFailed(str(error)) from None
    except Exception as error:
        if record.dry_run:
            reason = f"the dry run failed: {error}"
            runtime.ledger.record(record.export_id, AudienceState.FAILED, reason=reason)
            raise ExportFailed(reason) from None
        reason = f"the upload failed: {error}"
        if isinstance(error, LeaseLost):
            raise ExportFailed(reason) from None  # the reconciler owns the export now
        # From PLANNED too: a seed created just before the failure is found
        # by its name and deleted; if there is none, the export ends FAILED.
        lifecycle = runtime.lifecycle(bound, lease_owner=lease_owner, spools=runtime.spools())
        abandoned = lifecycle.abandon(runtime.ledger.get(record.export_id), reason)
        if abandoned.state is AudienceState.SEED_DELETE_PENDING:
            seed = abandoned.seed_audience_id
            reason += (
                f"; {'the seed audience ' + seed if seed else 'any seed it created'} could not "
                "be deleted yet: `audience-export reconcile` deletes it once the problem is fixed"
            )
        raise ExportFailed(reason) from None


def _follow_up(
    runtime: Runtime, bound: BoundDestination, record: ExportRecord, lease_owner: str
) -> ExportRecord:
    """Advance the export while the platform answers within the waiting window."""
    settings = runtime.settings.export
    deadline = time.monotonic() + settings.wait_for_match_seconds
    while True:
        record = advance_task(runtime, bound, record.export_id, lease_owner)
        if record.is_terminal or record.state in REFUSED or time.monotonic() >= deadline:
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

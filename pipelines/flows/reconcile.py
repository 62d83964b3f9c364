"""The ``reconcile-audiences`` flow: advance every unfinished export in the ledger.

It waits for matching, creates lookalikes, deletes seeds and verifies their
deletion; it deletes any seed older than its export's maximum age even if the
lookalike is not ready, and the seed of any export that stopped mid-way.
"""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from audiences.ledger import ExportRecord
from pipelines.flows.export import advance_task
from pipelines.runtime import ConfigurationError, open_destination, open_runtime
from pipelines.settings import load_settings
from pipelines.summary import summary_markdown


@flow(name="reconcile-audiences", persist_result=False, log_prints=False)
def reconcile_audiences() -> dict[str, int]:
    """Take every unfinished export as far as the platforms allow now."""
    logger = get_run_logger()
    settings = load_settings()
    advanced: list[ExportRecord] = []
    failures: list[str] = []
    with open_runtime(settings) as runtime:
        unfinished = runtime.ledger.unfinished()
        logger.info("%d unfinished exports", len(unfinished))
        for record in unfinished:
            try:
                platform = open_destination(settings, record.destination, record.ad_account)
            except ConfigurationError as error:
                logger.error("export %s cannot be reconciled: %s", record.export_id, error)
                advanced.append(record)
                continue
            try:
                after = advance_task(runtime, platform, record.export_id)
            except Exception as error:
                # One export's trouble must not keep the others' seeds on the platform.
                logger.error("export %s could not be advanced: %s", record.export_id, error)
                failures.append(record.export_id)
                advanced.append(runtime.ledger.get(record.export_id))
                continue
            logger.info("export %s: %s → %s", record.export_id, record.state, after.state)
            advanced.append(after)
        if advanced:
            create_markdown_artifact(
                markdown=summary_markdown(advanced),
                key="reconcile-audiences-summary",
                description="Exports advanced by this run (counts, ids and states only).",
            )
    if failures:
        raise ReconcileFailed(
            f"{len(failures)} exports could not be advanced: {', '.join(failures)} "
            "(see this run's logs; the others were advanced)"
        )
    finished = sum(record.is_terminal for record in advanced)
    return {"unfinished": len(advanced) - finished, "finished": finished}


class ReconcileFailed(Exception):
    """Some exports could not be advanced; the message lists them."""
